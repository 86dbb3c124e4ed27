"""The search reads questions the way citizens ask them: filler, everyday words, life events,
abbreviations, English; and it never leaves the screen blank when it understood something."""

from __future__ import annotations

import json

import pytest

from kiosk.backend.sample import sample_catalogue
from kiosk.client.search import (
    FILLER_PATH, SYNONYMS_PATH, VOCABULARY_EN_PATH, Hit, SearchIndex, load_filler, load_vocabulary_en,
    naive_search, naive_texts, words,
)


def top(index, query, n=1, **kwargs):
    return [h.code for h in index.search(query, **kwargs)][:n]


@pytest.mark.parametrize("query", ["cho tôi hỏi thủ tục thế nào ạ?", "cần những gì", "ở đâu ạ", "mất mấy ngày",
                                   "cho em hoi thu tuc nhu the nao", "how do I apply?"])
def test_a_query_of_only_filler_asks_for_more(index, query):
    result = index.lookup(query, language="en" if query.startswith("how") else "vi")
    assert result.hits == [] and result.only_filler and result.understood == []


def test_filler_weighs_almost_nothing(index):
    plain = top(index, "đăng ký khai sinh", 3)
    assert top(index, "Cho em hỏi đăng ký khai sinh cần những giấy tờ gì ạ?", 3) == plain
    assert top(index, "dang ky khai sinh o dau vay", 3) == plain


def test_filler_is_recognised_with_its_diacritics(index):
    # "có" is filler, "cổ phần" is not; "tại" is filler, "tài sản" is not.
    assert top(index, "thủ tục thành lập công ty cổ phần như thế nào") == ["2.002043"]
    assert "co" in index.lookup("thành lập công ty cổ phần").understood
    assert top(index, "đăng ký tài sản gắn liền với đất") == ["1.013995"]


@pytest.mark.parametrize("query, expected, n, note", [
    ("mẹ tôi mất thì làm giấy chứng tử ở đâu ạ", {"1.000656"}, 1, "life event: a parent died; old paper name"),
    ("bố em qua đời cần làm gì", {"1.000656"}, 1, "life event: a parent died"),
    ("con sinh ở nhà thì làm giấy tờ gì", {"1.001193"}, 1, "life event: a child born at home"),
    ("về nhà chồng nhập hộ khẩu", {"1.004222"}, 1, "life event: moving in with a spouse's family"),
    ("mở tiệm tạp hóa nhỏ", {"1.001612"}, 1, "life event: opening a small shop"),
    ("sổ hộ khẩu", {"1.004222"}, 1, "old name"),
    ("giấy độc thân cho vợ", {"1.004873"}, 1, "old name, who it is for"),
    ("chứng minh nhân dân", {"1.014061", "1.014062", "1.014063", "1.014064"}, 1, "old name"),
    ("Cho em hỏi làm CCCD cho con 10 tuổi mất mấy ngày ạ?", {"1.014062"}, 1, "a card for a child"),
    ("dk tam tru", {"1.004194"}, 1, "abbreviation"),
    ("hkd", {"1.001612"}, 1, "abbreviation"),
    ("con ngoài giá thú làm khai sinh thế nào", {"1.000689"}, 1, "legal term for a child of unmarried parents"),
    ("giải chấp sổ đỏ ngân hàng", {"1.011443"}, 2, "everyday: releasing a mortgage (the bank keyword pulls registering it up too)"),
])
def test_everyday_vietnamese(index, query, expected, n, note):
    assert expected & set(top(index, query, n)), note


def test_a_weak_match_is_a_marked_fallback_with_what_was_understood(index):
    result = index.lookup("abcdef ghijkl mnopqr khai")
    assert result.hits and result.fallback and all(h.weak for h in result.hits)
    assert result.understood == ["khai"]
    confident = index.lookup("đăng ký khai sinh")
    assert not confident.fallback and not confident.hits[0].weak
    assert confident.understood == ["dang", "ky", "khai sinh"]


def test_nothing_understood_is_an_empty_answer(index):
    result = index.lookup("xyzzy quux")
    assert result.hits == [] and result.understood == [] and not result.only_filler


@pytest.mark.parametrize("query, expected", [
    ("birth registration", {"1.001193"}),
    ("How do I register a marriage?", {"1.000894"}),
    ("death certificate", {"1.000656"}),
    ("ID card", {"1.014061", "1.014062", "1.014063", "1.014064"}),
    ("business household", {"1.001266", "1.001612"}),
    ("I lost my land certificate", {"1.012786"}),
    ("criminal record", {"3.000333"}),
    ("temporary residence", {"1.004194"}),
])
def test_english(index, query, expected):
    assert expected & set(top(index, query, 3, language="en")), query


def test_english_words_are_not_vietnamese_words(index):
    # Read as Vietnamese, an English question finds little; the English vocabulary makes it.
    assert "1.001193" not in top(index, "birth registration", 3)
    with pytest.raises(ValueError, match="language"):
        index.search("khai sinh", language="fr")


def test_the_plain_scan_ranks_exactly_like_the_index(procedures, index):
    texts = naive_texts(procedures)
    queries = ["khai sinh", "khai si", "dang ky khai sinnh", "so do", "mat so do", "sang ten so do", "gpxd", "c",
               "Mẹ tôi mất thì làm giấy chứng tử ở đâu ạ?", "abcdef ghijkl khai", "giay phep moi truonh",
               "thuong", "cho tôi hỏi", "xyzzy"]
    for query in queries:
        assert [h.code for h in index.search(query, limit=20)] == naive_search(procedures, query, texts=texts, limit=20), query
    for level, field in (("commune", None), (None, "HOTICH"), ("province", "DATDAI")):
        assert [h.code for h in index.search("cap lai", level=level, field=field)] == naive_search(
            procedures, "cap lai", level=level, field=field, texts=texts)
    assert [h.code for h in index.search("birth registration", language="en")] == naive_search(
        procedures, "birth registration", texts=texts, language="en")


def test_hits_stay_compatible(index):
    hit = Hit("1.001193", "Thủ tục đăng ký khai sinh", (0,))
    assert hit.weak is False and hit.score == 0.0
    for found in index.search("khai sinh"):
        assert found.rank == (-found.score, found.typos, found.completed, found.synonyms, len(found.name), found.code)


def test_vocabulary_files_are_documented_data():
    names = [set(words(p.name)) | {w for k in p.keywords for w in words(k)}
             for site in ("two-level", "district-2019") for p in sample_catalogue(site).procedures]
    synonyms = json.loads(SYNONYMS_PATH.read_text(encoding="utf-8"))
    entries = {k: v for k, v in synonyms.items() if not k.startswith("_")}
    assert "why" in synonyms["_note"] and len(entries) >= 300
    for phrase, value in entries.items():
        assert isinstance(value, dict) and value["means"] and value["why"].strip(), phrase
    english = json.loads(VOCABULARY_EN_PATH.read_text(encoding="utf-8"))
    assert "_note" in english and len(english) >= 80
    for phrase, meanings in load_vocabulary_en().items():
        for meaning in meanings:  # in the words of procedure names or keywords
            assert any(set(words(meaning)) <= name for name in names), (phrase, meaning)
    filler = json.loads(FILLER_PATH.read_text(encoding="utf-8"))
    assert "_note" in filler and len(filler["vi"]) >= 100 and len(filler["en"]) >= 30
    # A subject word as filler would hide what the citizen asks about.
    for subject in ("mất", "lại", "con", "cha", "mẹ", "đất", "nhà", "khai", "sinh", "xã"):
        assert subject not in load_filler(), subject


def test_phrases_keep_their_diacritics(procedures, index):
    # "để" (in order to) is filler, "đẻ" (to give birth) a life event; typed without
    # diacritics, "de" may be either and counts as a word.
    assert "de" not in index.lookup("làm sao để đăng ký khai sinh").understood
    assert top(index, "đẻ ở nhà") == ["1.001193"]
    # Keys written without diacritics (folded, as load_synonyms gives them) match either way.
    folded = SearchIndex(procedures, synonyms={"so do": ["giay chung nhan quyen su dung dat"]})
    assert any(h.synonyms for h in folded.search("sổ đỏ")) and any(h.synonyms for h in folded.search("so do"))
