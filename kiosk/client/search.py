"""Procedure search for the kiosk: as you type, forgiving of accents, typos and everyday words.

A citizen types short, unaccented, often colloquial queries on a touchscreen, and the
results follow every keystroke. So the index does the work once (folded words, posting
sets per part of a procedure, a sorted vocabulary for prefixes, a deletion map for typos)
and a query is a few look-ups and set operations.
"""

from __future__ import annotations

import heapq
import json
import re
from bisect import bisect_left
from dataclasses import dataclass
from itertools import islice, product
from pathlib import Path
from typing import Iterable

from ..domain.procedure import Procedure
from ..domain.text import fold

SYNONYMS_PATH = Path(__file__).with_name("synonyms.json")

TYPO_MIN_LETTERS = 5
"""Shorter words are too easily another real word with one letter changed."""
MAX_VARIANTS = 16
"""Bounds the work when a query holds several synonym phrases."""

# Tiers, best first: the first element of Hit.rank. A keyword holding the whole query ranks
# before a name holding its words apart: real names run to a thousand characters and hold
# nearly every word ("Đăng ký biến động ... con ... mất ... sổ ..."), a keyword is what people say.
NAME_PHRASE, KEYWORD_PHRASE, NAME_WORDS, KEYWORD_WORDS, DOCUMENT_WORDS = range(5)
# The parts of a procedure a word is looked for in; each includes the one before.
_NAME, _KEYWORDS, _ANYWHERE = range(3)

_WORD = re.compile(r"\w+")
_EMPTY: frozenset[int] = frozenset()


def words(text: str) -> list[str]:
    """The folded words of a text; punctuation separates words."""
    return _WORD.findall(fold(text))


@dataclass(frozen=True)
class Hit:
    """One procedure found."""

    code: str
    name: str
    rank: tuple
    """Smaller is better: (tier, typos, completed, synonyms, name length, code).

    tier: 0 the whole query is a phrase in the name, 1 the whole query is a phrase in one keyword,
    2 every word is in the name, 3 every word is in the name or keywords,
    4 some word is found only in document names;
    typos: how many words matched only with a typo corrected;
    completed: 1 when the last word matched only as the beginning of a longer word;
    synonyms: how many synonym phrases were replaced by their expansion."""


def load_synonyms(path: Path | None = None) -> dict[str, list[str]]:
    """Colloquial phrase -> expansions, keys and values folded; keys starting with "_" are notes."""
    with open(path or SYNONYMS_PATH, encoding="utf-8") as handle:
        data = json.load(handle)
    return {
        fold(phrase): [fold(x) for x in expansions]
        for phrase, expansions in data.items()
        if not phrase.startswith("_")
    }


class _Term:
    """Where one query word is found. Sets are built when first asked for: a short prefix
    stands for many words, and the name alone often fills the results."""

    def __init__(self, postings: tuple[dict[str, frozenset[int]], ...], word: str,
                 tokens: list[str], near: list[str]):
        self._postings = postings
        self._word = word
        self._tokens = tokens
        """Words of the index this word is, or begins."""
        self.near = near
        """Words of the index one typo away."""
        self.completed = any(t != word for t in tokens)
        self._sets: dict[tuple[str, int], frozenset[int]] = {}

    def found(self, part: int) -> frozenset[int]:
        return self._union("found", part, self._tokens + self.near)

    def among(self, part: int, candidates: frozenset[int]) -> frozenset[int]:
        """found(part) & candidates, without building found(part) when it is large."""
        tokens = self._tokens + self.near
        if ("found", part) in self._sets or len(tokens) == 1:
            return self.found(part) & candidates
        postings = self._postings[part]
        return _EMPTY.union(*(candidates & postings[t] for t in tokens if t in postings))

    def exact(self) -> frozenset[int]:
        """Found without a typo."""
        return self._union("exact", _ANYWHERE, self._tokens)

    def itself(self, part: int) -> frozenset[int]:
        """Found as the word itself, not completed."""
        return self._union("itself", part, [self._word])

    def _union(self, kind: str, part: int, tokens: list[str]) -> frozenset[int]:
        key = (kind, part)
        if key not in self._sets:
            postings = self._postings[part]
            sets = [postings[t] for t in tokens if t in postings]
            self._sets[key] = sets[0] if len(sets) == 1 else _EMPTY.union(*sets)
        return self._sets[key]


class SearchIndex:
    """An immutable index of procedures; build it once per catalogue."""

    def __init__(self, procedures: Iterable[Procedure], synonyms: dict[str, list[str]] | None = None):
        # Indexes follow the final tie-break (shorter name, then code), so that the best
        # of equal candidates is simply the smallest index.
        ordered = sorted(procedures, key=lambda p: (len(p.name), p.code))
        self._codes = [p.code for p in ordered]
        self._names = [p.name for p in ordered]
        # Padded with spaces so that " phrase" and " phrase " test word boundaries.
        self._name_text = [f" {' '.join(words(p.name))} " for p in ordered]
        self._keyword_text = [f" {' | '.join(' '.join(words(k)) for k in p.keywords)} " for p in ordered]

        parts: tuple[dict[str, set[int]], ...] = ({}, {}, {})
        levels: dict[str, set[int]] = {}
        fields: dict[str, set[int]] = {}
        for i, p in enumerate(ordered):
            seen = set(words(p.name))
            for part, more in enumerate([
                [],
                [w for k in p.keywords for w in words(k)],
                [w for c in p.cases for d in c.documents for w in words(d.name)],
            ]):
                seen.update(more)
                for token in seen:
                    parts[part].setdefault(token, set()).add(i)
            for level in p.levels:
                levels.setdefault(level, set()).add(i)
            fields.setdefault(p.field, set()).add(i)
        self._postings = tuple({t: frozenset(s) for t, s in part.items()} for part in parts)
        self._levels = {k: frozenset(s) for k, s in levels.items()}
        self._fields = {k: frozenset(s) for k, s in fields.items()}
        self._vocabulary = sorted(parts[_ANYWHERE])

        # Symmetric delete: two words one edit apart share a one-letter deletion (or one is
        # a deletion of the other), so the words near a typo are a few look-ups away.
        self._deletions: dict[str, list[str]] = {}
        for token in self._vocabulary:
            if len(token) >= TYPO_MIN_LETTERS - 1:
                for key in {token, *_deletions(token)}:
                    self._deletions.setdefault(key, []).append(token)

        self._synonyms: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        for phrase, expansions in (load_synonyms() if synonyms is None else synonyms).items():
            if words(phrase):
                self._synonyms[tuple(words(phrase))] = [tuple(words(x)) for x in expansions if words(x)]
        self._longest_synonym = max(map(len, self._synonyms), default=0)

    def __len__(self) -> int:
        return len(self._codes)

    def search(self, query: str, level: str | None = None, field: str | None = None, limit: int = 50) -> list[Hit]:
        """The best `limit` procedures for `query` at `level` in `field`, best first."""
        typed = words(query)
        if not typed or limit <= 0:
            return []
        # A trailing space means the citizen has finished the last word.
        prefix = not query[-1:].isspace()
        allowed = None
        for code, sets in ((level, self._levels), (field, self._fields)):
            if code is not None:
                chosen = sets.get(code, _EMPTY)
                allowed = chosen if allowed is None else allowed & chosen
        variants = self._variants(typed, prefix)
        # A known word is corrected as a typo only when the query found nothing without.
        complete = typed[:-1] if prefix else typed
        can_correct = any(len(w) >= TYPO_MIN_LETTERS for w in complete)
        best: dict[int, tuple[int, ...]] = {}
        for fuzzy in (False, True):
            for variant, expanded in variants:
                for rank in self._rank(variant, expanded, allowed, limit, fuzzy):
                    i = rank[-1]
                    if i not in best or rank < best[i]:
                        best[i] = rank
            if best or not can_correct:
                break
        return [
            Hit(self._codes[i], self._names[i], (*rank, len(self._names[i]), self._codes[i]))
            for *rank, i in heapq.nsmallest(limit, best.values())
        ]

    def _variants(self, typed: list[str], prefix: bool) -> list[tuple[list[tuple[str, bool, bool]], int]]:
        """The query as typed and with synonym phrases replaced by their expansions.

        Each variant is ([(word, is_prefix, may_have_typo)], synonym phrases replaced)."""
        last = len(typed) - 1
        literal = [(w, prefix and i == last, True) for i, w in enumerate(typed)]
        # Longest phrase first, left to right, without overlaps.
        pieces: list[list[tuple[list[tuple[str, bool, bool]], int]]] = []
        i = 0
        while i < len(typed):
            for n in range(min(self._longest_synonym, len(typed) - i), 0, -1):
                expansions = self._synonyms.get(tuple(typed[i:i + n]))
                if expansions:
                    # The words of an expansion are complete and spelled as the data spells them.
                    replaced = [([(w, False, False) for w in x], 1) for x in expansions]
                    pieces.append([(literal[i:i + n], 0), *replaced])
                    i += n
                    break
            else:
                pieces.append([([literal[i]], 0)])
                i += 1
        return [
            ([t for part, _ in choice for t in part], sum(used for _, used in choice))
            for choice in islice(product(*pieces), MAX_VARIANTS)
        ]

    def _rank(self, variant: list[tuple[str, bool, bool]], expanded: int, allowed: frozenset[int] | None,
              limit: int, fuzzy: bool) -> list[tuple[int, ...]]:
        """The best `limit` (tier, typos, completed, expanded, index) for one variant of the query."""
        terms = []
        for word, is_prefix, may_have_typo in variant:
            term = self._term(word, is_prefix, may_have_typo, fuzzy)
            if term is None:
                return []
            terms.append(term)
        corrected = [t for t in terms if t.near]
        last = terms[-1]
        needle = " " + " ".join(w for w, _, _ in variant) + ("" if variant[-1][1] else " ")
        ranked: list[tuple[int, ...]] = []

        def take(tier: int, part: int, members: frozenset[int] | set[int]) -> bool:
            """Add the best of a tier; whether the results are full."""
            wanted = limit - len(ranked)
            if corrected and fuzzy:
                # Some words may match both with and without a typo: counted per procedure,
                # slower, but only when nothing matched otherwise.
                def key(i: int) -> tuple[int, int, int]:
                    typos = sum(1 for t in corrected if i not in t.exact())
                    return typos, int(last.completed and i not in last.itself(part)), i

                ranked.extend((tier, *key(i)[:2], expanded, i) for i in heapq.nsmallest(wanted, members, key=key))
            else:
                groups = [(0, members)]
                if last.completed:
                    whole = last.itself(part).intersection(members)
                    groups = [(0, whole), (1, members - whole)]
                for completed, group in groups:
                    wanted = limit - len(ranked)
                    if wanted > 0 and group:
                        best = heapq.nsmallest(wanted, group)
                        ranked.extend((tier, len(corrected), completed, expanded, i) for i in best)
            return len(ranked) >= limit

        def phrase(members: frozenset[int] | set[int], texts: list[str]) -> set[int] | frozenset[int]:
            if corrected:
                return _EMPTY
            if len(terms) == 1:
                return members  # one word found in a text is a phrase of it
            return {i for i in members if needle in texts[i]}

        in_name = _matching(terms, _NAME, allowed)
        in_phrase = phrase(in_name, self._name_text)
        if take(NAME_PHRASE, _NAME, in_phrase):
            return ranked
        in_keywords = _matching(terms, _KEYWORDS, allowed)  # holds in_name: each part holds the one before
        keyword_phrase = phrase(in_keywords - in_phrase, self._keyword_text)
        if take(KEYWORD_PHRASE, _KEYWORDS, keyword_phrase):
            return ranked
        if take(NAME_WORDS, _NAME, in_name - in_phrase - keyword_phrase):
            return ranked
        if take(KEYWORD_WORDS, _KEYWORDS, in_keywords - in_name - keyword_phrase):
            return ranked
        in_documents = _matching(terms, _ANYWHERE, allowed) - in_keywords
        take(DOCUMENT_WORDS, _ANYWHERE, in_documents)
        return ranked

    def _term(self, word: str, is_prefix: bool, may_have_typo: bool, fuzzy: bool) -> _Term | None:
        """Where `word` is found: as typed (or as a prefix), else (or also, when fuzzy) with one typo."""
        if is_prefix:
            start = bisect_left(self._vocabulary, word)
            end = bisect_left(self._vocabulary, word + "\U0010ffff", start)
            tokens = self._vocabulary[start:end]
        else:
            tokens = [word] if word in self._postings[_ANYWHERE] else []
        near: list[str] = []
        if may_have_typo and len(word) >= TYPO_MIN_LETTERS and (not tokens or (fuzzy and not is_prefix)):
            near = self._near(word)
        if not tokens and not near:
            return None
        return _Term(self._postings, word, tokens, near)

    def _near(self, word: str) -> list[str]:
        """Known words one edit away from `word` (not `word` itself)."""
        candidates = {t for key in (word, *_deletions(word)) for t in self._deletions.get(key, ())}
        return sorted(t for t in candidates if t != word and _one_edit(word, t))


def _matching(terms: list[_Term], part: int, allowed: frozenset[int] | None) -> frozenset[int]:
    """The procedures in which every term is found in `part`, among those allowed."""
    # Only the last word can be a prefix, standing for many words: it comes last.
    sets = [t.found(part) for t in terms[:-1]]
    if allowed is not None:
        sets.append(allowed)
    if not sets:
        return terms[-1].found(part)
    sets.sort(key=len)
    return terms[-1].among(part, sets[0].intersection(*sets[1:]))


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


def naive_texts(procedures: Iterable[Procedure]) -> list[str]:
    """Each procedure's name, keywords and document names, folded: what naive_search scans."""
    return [
        fold(" ".join([p.name, *p.keywords, *(d.name for c in p.cases for d in c.documents)]))
        for p in procedures
    ]


def naive_search(procedures: list[Procedure], query: str, level: str | None = None, field: str | None = None,
                 limit: int = 50, texts: list[str] | None = None) -> list[str]:
    """The baseline: every procedure whose text holds every query word as a substring, by name.

    `texts` (from naive_texts) spares the folding, so that a benchmark measures the scan."""
    texts = naive_texts(procedures) if texts is None else texts
    wanted = fold(query).split()
    if not wanted:
        return []
    found = [
        p for p, text in zip(procedures, texts)
        if (level is None or level in p.levels)
        and (field is None or p.field == field)
        and all(w in text for w in wanted)
    ]
    found.sort(key=lambda p: p.name)
    return [p.code for p in found[:limit]]
