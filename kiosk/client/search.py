"""Procedure search for the kiosk: answers the way citizens ask, as they type.

Citizens type questions, not titles: "mẹ tôi mất thì làm giấy chứng tử ở đâu ạ", unaccented,
with typos, old names and abbreviations. So the search ranks instead of filtering: every
procedure sharing a meaningful word with the query is a candidate, scored by BM25F over its
name, keywords and document names (the name weighs most), with word pairs found side by side
scoring above scattered words. Question and filler words (filler_words.json) are recognised
and weigh little; everyday names, old names, life events and abbreviations (synonyms.json)
stand for the procedures' own words; English questions go through vocabulary_en.json.

The index does the work once: a weight per (word or word pair, procedure) in numpy arrays, a
sorted vocabulary for the word still being typed, a deletion map for typos. A keystroke is a
few array look-ups and additions.
"""

from __future__ import annotations

import json
import math
import re
from bisect import bisect_left
from collections import Counter
from functools import reduce
from dataclasses import dataclass, field as dataclass_field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from ..domain.procedure import Procedure
from ..domain.text import fold, nfc

HERE = Path(__file__).parent
SYNONYMS_PATH = HERE / "synonyms.json"
FILLER_PATH = HERE / "filler_words.json"
VOCABULARY_EN_PATH = HERE / "vocabulary_en.json"

TYPO_MIN_LETTERS = 5
"""Shorter words are too easily another real word with one letter changed."""

# BM25F: how much a word found in each part of a procedure counts; the name most, as it is
# what the procedure is; document names least, as they list what to bring.
FIELD_WEIGHTS = (3.0, 2.0, 0.3)
_NAME, _KEYWORDS, _DOCUMENTS = range(3)
K1 = 1.2
B = (0.75, 0.75, 0.75)
"""Length normalisation per part (the usual 0.75 measured best on the tuning questions)."""
COMPLETED = 0.9
"""The word being typed, matched as the beginning of a longer word, counts a little less."""
TYPO = 0.7
"""A word matched only with one typo corrected."""
FILLER = 0.05
"""Question and filler words barely count: they only break ties."""
PAIR = 1.0
"""A pair of query words found side by side adds the pair's own weight."""
EXACT = 2.0
"""Added when the query's meaningful words are exactly a keyword of the procedure, or its name
(without a leading "Thủ tục"): "gpxd" is a keyword of the new-building permit, not of its
extension ("gia hạn gpxd")."""
STRONG = 0.5
"""Share of the query's meaningful words (by weight) a procedure must hold to be a confident
answer; below it, the hit is a fallback ("Có phải bạn tìm…")."""
COVERAGE = 0.5
"""How much the share of the query's meaningful words a procedure holds scales its score."""
COMPLETIONS_KEPT = 256
"""Words being typed whose best weights per procedure are kept: the keystrokes of a query
share them; at 10,000 procedures each takes 80 kB."""
SCORE_DIGITS = 6
"""Scores are rounded so that the index and the plain scan rank ties alike."""

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """The folded words of a text; punctuation separates words."""
    return _WORD.findall(fold(text))


def _accented_words(text: str) -> list[str]:
    """The lower-case words of a text with their diacritics."""
    return _WORD.findall(nfc(text).casefold())


@dataclass(frozen=True)
class Hit:
    """One procedure found."""

    code: str
    name: str
    rank: tuple
    """Smaller is better: (-score, typos, completed, synonyms, name length, code)."""
    score: float = 0.0
    weak: bool = False
    """A fallback: the procedure holds too few of the query's meaningful words."""
    typos: int = 0
    """How many query words matched only with a typo corrected."""
    completed: int = 0
    """1 when the last word matched only as the beginning of a longer word."""
    synonyms: int = 0
    """How many everyday phrases matched through their meaning in synonyms.json."""


@dataclass
class SearchResult:
    """What the engine made of a query, for the screen."""

    hits: list[Hit]
    understood: list[str] = dataclass_field(default_factory=list)
    """The meaningful words and phrases of the query found in the catalogue (folded; a
    corrected typo as corrected), for "Có phải bạn tìm…"."""
    only_filler: bool = False
    """The query holds only question and filler words: ask the citizen for more."""
    fallback: bool = False
    """No confident answer: the hits are the closest procedures."""


def _load_json(path: Path) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def load_synonyms(path: Path | None = None, keep_accents: bool = False) -> dict[str, list[str]]:
    """Everyday phrase -> what it may mean, folded (the phrase in lower case with its
    diacritics when `keep_accents`); keys starting with "_" are notes.

    A value is a list of meanings, or {"means": [...], "why": "..."}."""
    result = {}
    for phrase, value in _load_json(path or SYNONYMS_PATH).items():
        if phrase.startswith("_"):
            continue
        means = value["means"] if isinstance(value, dict) else value
        result[" ".join(_accented_words(phrase)) if keep_accents else fold(phrase)] = [fold(x) for x in means]
    return result


def load_filler(path: Path | None = None, language: str = "vi") -> list[str]:
    """Question and filler phrases of a language, in lower case with their diacritics."""
    return [" ".join(_accented_words(x)) for x in _load_json(path or FILLER_PATH)[language]]


def load_vocabulary_en(path: Path | None = None) -> dict[str, list[str]]:
    """English word or phrase -> Vietnamese words of procedure names, folded."""
    return load_synonyms(path or VOCABULARY_EN_PATH, keep_accents=True)


class _Language:
    """The data a query is read with: synonyms (or the English vocabulary) and filler."""

    def __init__(self, synonyms: dict[str, list[str]], filler: list[str], literal: bool,
                 accents: dict[str, set[str]]):
        # Phrases are recognised with their diacritics when typed with them ("để" is not
        # "đẻ", "có" not "cổ phần", "tại" not "tài sản"); a word typed without diacritics
        # matches whatever folds to it.
        self.synonyms: dict[tuple[str, ...], list[tuple[tuple[str, ...], list[tuple[str, ...]]]]] = {}
        for key, means in synonyms.items():
            accented = tuple(_accented_words(key))
            if accented:
                self.synonyms.setdefault(tuple(map(fold, accented)), []).append(
                    (accented, [tuple(words(x)) for x in means if words(x)]))
        self.filler: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        for phrase in filler:
            accented = tuple(_accented_words(phrase))
            if accented:
                self.filler.setdefault(tuple(map(fold, accented)), []).append(accented)
        # Typed without diacritics, a filler word counts as filler only when no word of the
        # catalogue folds to the same letters ("co", "tai", "sao" stay meaningful).
        self.plain_filler = {
            folded for folded, phrases in self.filler.items()
            if len(folded) > 1 or not (accents.get(folded[0], set()) - set(p[0] for p in phrases))
        }
        self.longest = max(map(len, [*self.synonyms, *self.filler]), default=0)
        self.literal = literal
        """Whether a phrase's own words are also looked for (not for English)."""


@dataclass
class _Unit:
    """One meaningful piece of the query: a word, a known phrase, or filler."""

    text: str
    kind: str  # "word", "phrase", "filler"
    options: list[tuple[str, float, int]] = dataclass_field(default_factory=list)
    """For a word: (index word, factor, how: 0 itself, 1 completed, 2 typo)."""
    alternatives: list[tuple[str, ...]] = dataclass_field(default_factory=list)
    """For a phrase: its meanings; the first is the phrase itself when literal."""
    literal: bool = True
    growing: bool = False
    """The last word, still being typed: it may be the beginning of a longer word."""


def _read_query(typed: list[str], raw: list[str], prefix: bool, language: _Language, known: Callable[[str], bool],
                completions: Callable[[str], list[str]], near: Callable[[str], list[str]],
                correct_known: bool) -> list[_Unit]:
    """The query's units, left to right, the longest known phrase first."""
    units: list[_Unit] = []
    last = len(typed) - 1
    # A query typed with diacritics anywhere is taken as written: its "cho" is "cho", not "chó".
    accented_query = raw != typed
    i = 0
    while i < len(typed):
        for n in range(min(language.longest, len(typed) - i), 0, -1):
            piece = tuple(typed[i:i + n])
            accented = tuple(raw[i:i + n])
            means = next((m for key, m in language.synonyms.get(piece, ()) if _same(accented, key, accented_query)), None)
            if means is not None:
                alternatives = ([piece] if language.literal else []) + means
                units.append(_Unit(" ".join(piece), "phrase", alternatives=alternatives, literal=language.literal))
                i += n
                break
            if any(_same(accented, key, accented_query) for key in language.filler.get(piece, ())) and (
                    accented_query or piece in language.plain_filler):
                units.extend(_Unit(w, "filler", options=[(w, FILLER, 0)] if known(w) else []) for w in piece)
                i += n
                break
        else:
            word = typed[i]
            options: list[tuple[str, float, int]] = []
            if known(word):
                options.append((word, 1.0, 0))
            if prefix and i == last:
                options.extend((t, COMPLETED, 1) for t in completions(word) if t != word)
            if len(word) >= TYPO_MIN_LETTERS and (not options or (correct_known and not (prefix and i == last))):
                options.extend((t, TYPO, 2) for t in near(word))
            units.append(_Unit(word, "word", options=options, growing=prefix and i == last))
            i += 1
    return units


def _edge(unit: _Unit, first: bool) -> str | None:
    """The unit's first (or last) word as typed, when it is a word of the index."""
    if unit.kind == "phrase":
        return unit.text.split()[0 if first else -1] if unit.literal else None
    if unit.kind == "word" and any(how == 0 for _, _, how in unit.options):
        return unit.text
    return None


def _same(typed: tuple[str, ...], key: tuple[str, ...], as_written: bool) -> bool:
    """Whether typed words are the key's: as written; or folded, when the query was typed
    without any diacritics or the key was written without them."""
    if typed == key:
        return True
    folded = tuple(map(fold, key))
    if not as_written:
        return typed == folded
    return folded == key and tuple(map(fold, typed)) == key


def _pairs(units: list[_Unit], completions: Callable[[str], list[str]]) -> list[tuple[str, list[tuple[str, float]]]]:
    """Neighbouring meaningful words of the query: the pair as typed, and the index pairs
    ("a b") it may be with a factor: itself, or (for the word being typed) the pairs it begins."""
    pairs = []
    for a, b in zip(units, units[1:]):
        left = _edge(a, first=False)
        if left is None or b.kind == "filler":
            continue
        options = []
        right = _edge(b, first=True)
        if right is not None:
            options.append((f"{left} {right}", 1.0))
        if b.growing:
            options.extend((t, COMPLETED) for t in completions(f"{left} {b.text}") if t != f"{left} {right}")
        if options:
            pairs.append((f"{left} {b.text}", options))
    return pairs


def _exact_texts(units: list[_Unit]) -> set[str]:
    """The query's meaningful words as one text, and, for a query of one known phrase, each
    of its meanings: compared whole with keywords and names."""
    content = [u for u in units if u.kind != "filler"]
    texts = {" ".join(u.text for u in content if u.kind == "phrase" and u.literal or u.kind == "word")}
    if len(content) == 1 and content[0].kind == "phrase":
        texts.update(" ".join(alt) for alt in content[0].alternatives)
    return texts - {""}


def _whole_texts(p: Procedure) -> set[str]:
    """A procedure's keywords and name (without a leading "thu tuc"), folded, each whole."""
    name = words(p.name)
    if name[:2] == ["thu", "tuc"]:
        name = name[2:]
    return {" ".join(name), *(" ".join(words(k)) for k in p.keywords)} - {""}


def _procedure_terms(p: Procedure) -> tuple[list[Counter], list[int]]:
    """Per part (name, keywords, documents): how often each word and word pair occurs, and
    the part's length in words. Pairs are counted inside the name and inside each keyword."""
    name = words(p.name)
    keywords = [words(k) for k in p.keywords]
    documents = [w for c in p.cases for d in c.documents for w in words(d.name)]
    counts = [Counter(name), Counter(w for k in keywords for w in k), Counter(documents)]
    counts[_NAME].update(f"{a} {b}" for a, b in zip(name, name[1:]))
    counts[_KEYWORDS].update(f"{a} {b}" for k in keywords for a, b in zip(k, k[1:]))
    return counts, [len(name), sum(map(len, keywords)), len(documents)]


class _Stats:
    """Catalogue-wide figures BM25 needs: how many procedures hold each term, average lengths."""

    def __init__(self, terms: list[tuple[list[Counter], list[int]]]):
        self.count = len(terms)
        self.df: Counter = Counter()
        for counts, _ in terms:
            self.df.update(set().union(*counts))
        self.average = [sum(lengths[f] for _, lengths in terms) / max(1, self.count) or 1.0 for f in range(3)]

    def weight(self, term: str, counts: list[Counter], lengths: list[int]) -> float:
        tf = sum(
            FIELD_WEIGHTS[f] * counts[f][term] / (1 - B[f] + B[f] * lengths[f] / self.average[f])
            for f in range(3) if counts[f][term]
        )
        if not tf:
            return 0.0
        df = self.df[term]
        idf = math.log(1 + (self.count - df + 0.5) / (df + 0.5))
        return idf * tf / (K1 + tf)


class SearchIndex:
    """An immutable index of procedures; build it once per catalogue."""

    def __init__(self, procedures: Iterable[Procedure], synonyms: dict[str, list[str]] | None = None,
                 filler: list[str] | None = None, vocabulary_en: dict[str, list[str]] | None = None):
        # Indexes follow the final tie-break (shorter name, then code).
        ordered = sorted(procedures, key=lambda p: (len(p.name), p.code))
        self._codes = [p.code for p in ordered]
        self._names = [p.name for p in ordered]
        self._name_lengths = np.array([len(p.name) for p in ordered])
        terms = [_procedure_terms(p) for p in ordered]
        stats = _Stats(terms)
        postings: dict[str, tuple[list[int], list[float]]] = {}
        for i, (counts, lengths) in enumerate(terms):
            for term in set().union(*counts):
                ids, weights = postings.setdefault(term, ([], []))
                ids.append(i)
                weights.append(stats.weight(term, counts, lengths))
        self._postings = {t: (np.array(ids, dtype=np.int64), np.array(w)) for t, (ids, w) in postings.items()}
        self._postings[""] = (np.zeros(0, dtype=np.int64), np.zeros(0))  # the empty term: found nowhere
        self._vocabulary = sorted(t for t in postings if " " not in t)
        self._pair_vocabulary = sorted(t for t in postings if " " in t)
        self._whole: dict[str, list[int]] = {}
        for i, p in enumerate(ordered):
            for text in _whole_texts(p):
                self._whole.setdefault(text, []).append(i)
        self._known = set(self._vocabulary)
        # Each distinct word folded once: the catalogue's words repeat, and folding every one
        # of them took half of building the index.
        distinct: set[str] = set()
        for p in ordered:
            distinct.update(_accented_words(" ".join([p.name, *p.keywords,
                                                      *(d.name for c in p.cases for d in c.documents)])))
        accents: dict[str, set[str]] = {}
        for word in distinct:
            accents.setdefault(fold(word), set()).add(word)

        levels: dict[str, list[int]] = {}
        fields: dict[str, list[int]] = {}
        for i, p in enumerate(ordered):
            for level in p.levels:
                levels.setdefault(level, []).append(i)
            fields.setdefault(p.field, []).append(i)
        self._levels = {k: self._mask(v) for k, v in levels.items()}
        self._fields = {k: self._mask(v) for k, v in fields.items()}

        # Symmetric delete: two words one edit apart share a one-letter deletion (or one is
        # a deletion of the other), so the words near a typo are a few look-ups away.
        self._deletions: dict[str, list[str]] = {}
        for token in self._vocabulary:
            if len(token) >= TYPO_MIN_LETTERS - 1:
                for key in {token, *_deletions(token)}:
                    self._deletions.setdefault(key, []).append(token)

        self._languages = {
            "vi": _Language(load_synonyms(keep_accents=True) if synonyms is None else synonyms,
                            load_filler() if filler is None else filler, literal=True, accents=accents),
            "en": _Language(load_vocabulary_en() if vocabulary_en is None else vocabulary_en,
                            load_filler(language="en"), literal=False, accents={}),
        }
        self._nothing = np.zeros(len(self._codes))
        self._nothing.flags.writeable = False
        self._completed: dict[str, np.ndarray] = {}
        """A word being typed (or a pair ending in it, or a typo) -> its best weight per
        procedure over what it may be; the oldest dropped beyond COMPLETIONS_KEPT."""

    def _mask(self, ids: list[int]) -> np.ndarray:
        mask = np.zeros(len(self._codes), dtype=bool)
        mask[ids] = True
        return mask

    def __len__(self) -> int:
        return len(self._codes)

    def search(self, query: str, level: str | None = None, field: str | None = None, limit: int = 50,
               language: str = "vi") -> list[Hit]:
        """The best `limit` procedures for `query` at `level` in `field`, best first."""
        return self.lookup(query, level, field, limit, language).hits

    def lookup(self, query: str, level: str | None = None, field: str | None = None, limit: int = 50,
               language: str = "vi") -> SearchResult:
        """The best `limit` procedures for `query`, and what the engine made of it."""
        typed = words(query)
        raw = _accented_words(query)
        if len(raw) != len(typed):
            raw = typed
        if not typed or limit <= 0:
            return SearchResult([])
        # A trailing space (or punctuation) means the citizen has finished the last word.
        prefix = query[-1:].isalnum()
        read = self._languages.get(language)
        if read is None:
            raise ValueError(f"unknown search language {language!r}: use 'vi' or 'en'")
        allowed = None
        for code, masks in ((level, self._levels), (field, self._fields)):
            if code is not None:
                chosen = masks.get(code)
                if chosen is None:
                    return SearchResult([])
                allowed = chosen if allowed is None else allowed & chosen
        units = _read_query(typed, raw, prefix, read, self._known.__contains__, self._completions, self._near, False)
        result = self._score(units, allowed)
        if result is not None and result[3] < 1.0 and any(
                u.kind == "word" and len(u.text) >= TYPO_MIN_LETTERS for u in units):
            # A known word is corrected as a typo only when no procedure held every word without.
            fuzzy = _read_query(typed, raw, prefix, read, self._known.__contains__, self._completions, self._near, True)
            again = self._score(fuzzy, allowed)
            if again is not None and again[3] >= 1.0:
                units, result = fuzzy, again
        content = [u for u in units if u.kind != "filler"]
        if not content:
            return SearchResult([], only_filler=True)
        understood = [_understood(u) for u in content if self._unit_found(u)]
        if result is None:
            return SearchResult([], understood=understood, fallback=True)
        total, coverage, parts, _ = result
        hits = self._hits(total, coverage, parts, units, allowed, limit)
        return SearchResult(hits, understood=understood, fallback=all(h.weak for h in hits))

    def _unit_found(self, unit: _Unit) -> bool:
        if unit.kind == "word":
            return bool(unit.options)
        return any(all(w in self._known for w in alt) for alt in unit.alternatives)

    def _weights(self, term: str) -> np.ndarray:
        """The term's weight in every procedure."""
        dense = np.zeros(len(self._codes))
        found = self._postings.get(term)
        if found is not None:
            dense[found[0]] = found[1]
        return dense

    def _completions(self, word: str) -> list[str]:
        return _starting(self._vocabulary, word)

    def _pair_completions(self, pair: str) -> list[str]:
        return _starting(self._pair_vocabulary, pair)

    def _near(self, word: str) -> list[str]:
        """Known words one edit away from `word` (not `word` itself)."""
        candidates = {t for key in (word, *_deletions(word)) for t in self._deletions.get(key, ())}
        return sorted(t for t in candidates if t != word and _one_edit(word, t))

    def _word_scores(self, unit: _Unit) -> list[np.ndarray]:
        """Per way of matching (itself, completed, typo): the best weight in every procedure."""
        by_how: list[np.ndarray] = []
        for how in range(1 if unit.kind == "filler" else 3):
            tokens = [(t, f) for t, f, h in unit.options if h == how]
            if not tokens:
                by_how.append(self._nothing)
            elif len(tokens) == 1:
                ids, weights = self._postings[tokens[0][0]]
                dense = np.zeros(len(self._codes))
                dense[ids] = weights * tokens[0][1]
                by_how.append(dense)
            else:
                by_how.append(self._completed_scores(unit.text if how == 1 else f"~{unit.text}", tokens))
        return by_how

    def _completed_scores(self, word: str, tokens: list[tuple[str, float]]) -> np.ndarray:
        cached = self._completed.get(word)
        if cached is None:
            tokens = [(t, f) for t, f in tokens if t in self._postings] or [("", 0.0)]
            ids = np.concatenate([self._postings[t][0] for t, _ in tokens])
            weights = np.concatenate([self._postings[t][1] * f for t, f in tokens])
            # Assigning in rising order leaves each procedure its largest weight.
            order = np.argsort(weights, kind="stable")
            cached = np.zeros(len(self._codes))
            cached[ids[order]] = weights[order]
            if len(self._completed) >= COMPLETIONS_KEPT:
                del self._completed[next(iter(self._completed))]  # the oldest
            self._completed[word] = cached
        return cached

    def _phrase_scores(self, unit: _Unit) -> list[np.ndarray]:
        """Per meaning of a phrase, its score in every procedure: as many words' worth as the
        phrase has, the meaning's mean word weight plus its mean pair weight."""
        size = len(unit.text.split())
        scores = []
        for alt in unit.alternatives:
            score = sum(self._weights(w) for w in alt) / len(alt)
            if len(alt) > 1:
                score = score + sum(self._weights(f"{a} {b}") for a, b in zip(alt, alt[1:])) / (len(alt) - 1)
            scores.append(score * size)
        return scores

    def _score(self, units: list[_Unit], allowed: np.ndarray | None):
        """(score, share of the query's meaningful words held, per-unit scores) over every
        procedure (-1 where not a candidate), and the best share; None when no procedure
        holds a meaningful word of the query."""
        total = np.zeros(len(self._codes))
        held = np.zeros(len(self._codes))
        mass = 0.0
        parts = []
        for unit in units:
            if unit.kind != "filler":
                mass += _importance(unit)
            if unit.kind != "phrase" and not unit.options:
                parts.append(None)  # found nowhere
                continue
            if unit.kind != "phrase" and len(unit.options) == 1 and unit.options[0][2] == 0:
                # The common case, a word found as typed: add its postings, no dense arrays.
                ids, weights = self._postings[unit.options[0][0]]
                total[ids] += weights * unit.options[0][1]
                if unit.kind != "filler":
                    held[ids] += _importance(unit)
                parts.append(None)
                continue
            by = self._phrase_scores(unit) if unit.kind == "phrase" else self._word_scores(unit)
            best = reduce(np.maximum, by)
            parts.append(by)
            total += best
            if unit.kind != "filler":
                held += (best > 0) * _importance(unit)
        for typed, options in _pairs(units, self._pair_completions):
            if len(options) == 1:
                total += PAIR * options[0][1] * self._weights(options[0][0])
            else:
                total += PAIR * self._completed_scores(typed, options)
        for text in _exact_texts(units):
            total[self._whole.get(text, [])] += EXACT
        if not mass:
            return None
        coverage = held / mass
        total = np.round(total * (1 - COVERAGE + COVERAGE * coverage), SCORE_DIGITS)
        if allowed is not None:
            total = np.where(allowed, total, 0.0)
        candidates = (held > 0) if allowed is None else (held > 0) & allowed
        if not candidates.any():
            return None
        return np.where(candidates, total, -1.0), coverage, parts, float(coverage[candidates].max())

    def _hits(self, total, coverage, parts, units, allowed, limit) -> list[Hit]:
        candidates = np.flatnonzero(total >= 0)
        if len(candidates) > limit:
            key = total[candidates]
            keep = np.argpartition(-key, limit - 1)[:limit]
            candidates = candidates[key >= key[keep].min()]
        # How each candidate matched, unit by unit, over the candidates at once.
        typos = np.zeros(len(candidates), dtype=int)
        completed = np.zeros(len(candidates), dtype=bool)
        synonyms = np.zeros(len(candidates), dtype=int)
        for unit, by in zip(units, parts):
            if by is None:
                continue
            if unit.kind == "phrase":
                values = np.stack([s[candidates] for s in by])
                found = values.max(axis=0) > 0
                synonyms += found & (values.argmax(axis=0) > 0) if unit.literal else found
            elif unit.kind == "word":
                itself, grown, typo = (s[candidates] for s in by)
                corrected = typo > np.maximum(itself, grown)
                typos += corrected
                completed |= ~corrected & (grown > itself)
        hits = []
        for n, i in enumerate(candidates):
            score = float(total[i])
            hits.append(Hit(self._codes[i], self._names[i],
                            (-score, int(typos[n]), int(completed[n]), int(synonyms[n]), len(self._names[i]),
                             self._codes[i]),
                            score, bool(coverage[i] < STRONG), int(typos[n]), int(completed[n]), int(synonyms[n])))
        hits.sort(key=lambda h: h.rank)
        return hits[:limit]


def _importance(unit: _Unit) -> float:
    """How much a meaningful unit counts toward "holds the query's words": a phrase as many
    words as it has; a word unknown to the catalogue half, as it still says the query asks
    for something the procedure may not be."""
    if unit.kind == "phrase":
        return float(len(unit.text.split()))
    return 1.0 if unit.options else 0.5


def _starting(ordered: list[str], beginning: str) -> list[str]:
    """The words of a sorted list that begin with `beginning`."""
    start = bisect_left(ordered, beginning)
    return ordered[start:bisect_left(ordered, beginning + "\U0010ffff", start)]


def _understood(unit: _Unit) -> str:
    if unit.kind == "word" and unit.options and all(how == 2 for _, _, how in unit.options):
        return unit.options[0][0]
    return unit.text


def _deletions(word: str) -> list[str]:
    return [word[:k] + word[k + 1:] for k in range(len(word))]


def _one_edit(a: str, b: str) -> bool:
    """Whether a and b differ by one insertion, deletion, substitution or swap of neighbours."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    k = 0
    while k < min(len(a), len(b)) and a[k] == b[k]:
        k += 1
    if len(a) > len(b):
        return a[k + 1:] == b[k:]
    if len(a) < len(b):
        return a[k:] == b[k + 1:]
    swapped = a[k + 1:k + 2] == b[k:k + 1] and a[k:k + 1] == b[k + 1:k + 2]
    return a[k + 1:] == b[k + 1:] or (swapped and a[k + 2:] == b[k + 2:])


def naive_texts(procedures: Iterable[Procedure]) -> list[tuple[list[Counter], list[int], set[str]]]:
    """Each procedure's words and word pairs counted per part, and its words with diacritics:
    what naive_search scans, prepared once so that a benchmark measures the scan."""
    return [
        (*_procedure_terms(p), set(_accented_words(" ".join(
            [p.name, *p.keywords, *(d.name for c in p.cases for d in c.documents)]))), _whole_texts(p))
        for p in procedures
    ]


def naive_search(procedures: list[Procedure], query: str, level: str | None = None, field: str | None = None,
                 limit: int = 50, texts: list | None = None, language: str = "vi") -> list[str]:
    """The baseline: the same ranking as SearchIndex, by scanning every procedure for every
    keystroke, without an index (no postings, no sorted vocabulary, no deletion map).

    `texts` (from naive_texts) spares the folding and counting, so that a benchmark measures the scan."""
    texts = naive_texts(procedures) if texts is None else texts
    typed, raw = words(query), _accented_words(query)
    if len(raw) != len(typed):
        raw = typed
    if not typed or limit <= 0:
        return []
    prefix = query[-1:].isalnum()
    vocabulary: set[str] = set()
    accents: dict[str, set[str]] = {}
    pair_vocabulary: set[str] = set()
    for counts, _, accented, _ in texts:
        for part in counts:
            vocabulary.update(t for t in part if " " not in t)
            pair_vocabulary.update(t for t in part if " " in t)
        for word in accented:
            accents.setdefault(fold(word), set()).add(word)
    if language == "en":
        read = _Language(load_vocabulary_en(), load_filler(language="en"), literal=False, accents={})
    else:
        read = _Language(load_synonyms(keep_accents=True), load_filler(), literal=True, accents=accents)

    def completions(word: str) -> list[str]:
        return sorted(t for t in vocabulary if t.startswith(word))

    def pair_completions(pair: str) -> list[str]:
        return sorted(t for t in pair_vocabulary if t.startswith(pair))

    def near(word: str) -> list[str]:
        return sorted(t for t in vocabulary if _one_edit(word, t))

    stats = _Stats([])
    stats.count = len(texts)
    stats.average = [sum(lengths[f] for _, lengths, _, _ in texts) / max(1, len(texts)) or 1.0 for f in range(3)]
    allowed = [(level is None or level in p.levels) and (field is None or p.field == field) for p in procedures]

    def scan(units: list[_Unit]) -> list[tuple]:
        terms = {t for u in units for t, _, _ in u.options} | {w for u in units for alt in u.alternatives for w in alt}
        terms |= {f"{a} {b}" for u in units for alt in u.alternatives for a, b in zip(alt, alt[1:])}
        pairs = _pairs(units, pair_completions)
        terms |= {t for _, options in pairs for t, _ in options}
        exact = _exact_texts(units)
        stats.df = Counter({t: sum(1 for counts, _, _, _ in texts if any(part[t] for part in counts)) for t in terms})
        ranked = []
        for i, (p, (counts, lengths, _, whole)) in enumerate(zip(procedures, texts)):
            def weight(term: str) -> float:
                return stats.weight(term, counts, lengths)
            total = held = mass = 0.0
            typos = completed = synonyms = 0
            for unit in units:
                if unit.kind == "phrase":
                    size = len(unit.text.split())
                    values = []
                    for alt in unit.alternatives:
                        score = sum(weight(w) for w in alt) / len(alt)
                        if len(alt) > 1:
                            score = score + sum(weight(f"{a} {b}") for a, b in zip(alt, alt[1:])) / (len(alt) - 1)
                        values.append(score * size)
                    best = max(values, default=0.0)
                    synonyms += int(best > 0 and (values.index(best) > 0 or not unit.literal))
                else:
                    by_how = [max((f * weight(t) for t, f, h in unit.options if h == how), default=0.0) for how in range(3)]
                    best = max(by_how)
                    if unit.kind == "word":
                        if by_how[2] > max(by_how[:2]):
                            typos += 1
                        elif by_how[1] > by_how[0]:
                            completed = 1
                total += best
                if unit.kind != "filler":
                    importance = _importance(unit)
                    mass += importance
                    held += (best > 0) * importance
            for _, options in pairs:
                if len(options) == 1:
                    total += PAIR * options[0][1] * weight(options[0][0])
                else:
                    total += PAIR * max(f * weight(t) for t, f in options)
            total += EXACT * len(exact & whole)
            if not mass or not held or not allowed[i]:
                continue
            coverage = held / mass
            score = round(total * (1 - COVERAGE + COVERAGE * coverage), SCORE_DIGITS)
            ranked.append((-score, typos, completed, synonyms, len(p.name), p.code, coverage))
        return ranked

    units = _read_query(typed, raw, prefix, read, vocabulary.__contains__, completions, near, False)
    ranked = scan(units)
    if ranked and max(r[-1] for r in ranked) < 1.0 and any(
            u.kind == "word" and len(u.text) >= TYPO_MIN_LETTERS for u in units):
        again = scan(_read_query(typed, raw, prefix, read, vocabulary.__contains__, completions, near, True))
        if again and max(r[-1] for r in again) >= 1.0:
            ranked = again
    ranked.sort()
    return [r[5] for r in ranked[:limit]]
