"""Procedure search for the kiosk: as you type, forgiving of accents, typos and everyday words.

A citizen types short, unaccented, often colloquial queries on a touchscreen, and the
results follow every keystroke. So the index does the work once (folded tokens, posting
sets per part, a sorted vocabulary for prefixes, a deletion map for typos) and a query
is a few dictionary look-ups and set operations.
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

# Tiers, best first: the first element of Hit.rank.
NAME_PHRASE, NAME_WORDS, KEYWORD_PHRASE, KEYWORD_WORDS, DOCUMENT_WORDS = range(5)

_WORD = re.compile(r"\w+")
_EMPTY: frozenset[int] = frozenset()


def words(text: str) -> list[str]:
    """The folded words of a text; punctuation separates words."""
    return _WORD.findall(fold(text))


@dataclass(frozen=True)
class Hit:
    code: str
    name: str
    rank: tuple
    """Smaller is better: (tier, typo-corrected words, synonym phrases used, name length, code).

    tier: 0 the whole query is a phrase in the name, 1 every word is in the name,
    2 the whole query is a phrase in one keyword, 3 every word is in the name or keywords,
    4 some word is found only in document names."""


def load_synonyms(path: Path | None = None) -> dict[str, list[str]]:
    """Colloquial phrase -> expansions, keys and values folded; keys starting with "_" are notes."""
    with open(path or SYNONYMS_PATH, encoding="utf-8") as handle:
        data = json.load(handle)
    return {
        fold(phrase): [fold(x) for x in expansions]
        for phrase, expansions in data.items()
        if not phrase.startswith("_")
    }


@dataclass
class _Term:
    """Where one query word is found, as sets of procedure indexes."""

    name: frozenset[int]
    name_or_keywords: frozenset[int]
    anywhere: frozenset[int]
    exact: frozenset[int] | None
    """Found without a typo; None when no match needed one."""


class SearchIndex:
    """An immutable index of procedures; build it once per catalogue."""

    def __init__(self, procedures: Iterable[Procedure], synonyms: dict[str, list[str]] | None = None):
        # Indexes follow the final tie-break (shorter name, then code), so that the best
        # of a set of equal candidates is simply its smallest index.
        ordered = sorted(procedures, key=lambda p: (len(p.name), p.code))
        self._codes = [p.code for p in ordered]
        self._names = [p.name for p in ordered]
        # Padded with spaces so that " phrase" and " phrase " test word boundaries.
        self._name_text = [f" {' '.join(words(p.name))} " for p in ordered]
        self._keyword_text = [f" {' | '.join(' '.join(words(k)) for k in p.keywords)} " for p in ordered]

        name: dict[str, set[int]] = {}
        name_or_keywords: dict[str, set[int]] = {}
        anywhere: dict[str, set[int]] = {}
        levels: dict[str, set[int]] = {}
        fields: dict[str, set[int]] = {}
        for i, p in enumerate(ordered):
            in_name = set(words(p.name))
            in_keywords = {w for k in p.keywords for w in words(k)}
            in_documents = {w for c in p.cases for d in c.documents for w in words(d.name)}
            for token in in_name:
                name.setdefault(token, set()).add(i)
            for token in in_name | in_keywords:
                name_or_keywords.setdefault(token, set()).add(i)
            for token in in_name | in_keywords | in_documents:
                anywhere.setdefault(token, set()).add(i)
            for level in p.levels:
                levels.setdefault(level, set()).add(i)
            fields.setdefault(p.field, set()).add(i)
        self._name = {t: frozenset(s) for t, s in name.items()}
        self._name_or_keywords = {t: frozenset(s) for t, s in name_or_keywords.items()}
        self._anywhere = {t: frozenset(s) for t, s in anywhere.items()}
        self._levels = {k: frozenset(s) for k, s in levels.items()}
        self._fields = {k: frozenset(s) for k, s in fields.items()}
        self._vocabulary = sorted(anywhere)

        # Symmetric delete: two words within one edit share a one-letter deletion (or
        # are one the deletion of the other), so a typo is found by a few look-ups.
        deletions: dict[str, list[str]] = {}
        for token in self._vocabulary:
            if len(token) >= TYPO_MIN_LETTERS - 1:
                for key in {token, *_deletions(token)}:
                    deletions.setdefault(key, []).append(token)
        self._deletions = deletions

        self._synonyms: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        for phrase, expansions in (load_synonyms() if synonyms is None else synonyms).items():
            key = tuple(words(phrase))
            if key:
                self._synonyms[key] = [tuple(words(x)) for x in expansions if words(x)]
        self._longest_synonym = max(map(len, self._synonyms), default=0)

    def __len__(self) -> int:
        return len(self._codes)

    def search(self, query: str, level: str | None = None, field: str | None = None, limit: int = 50) -> list[Hit]:
        """The best `limit` procedures for `query` at `level` in `field`, best first."""
        typed = words(query)
        if not typed or limit <= 0:
            return []
        # A trailing space or punctuation means the citizen finished the last word.
        prefix = fold(query)[-1:].isalnum()
        allowed = None
        for code, sets in ((level, self._levels), (field, self._fields)):
            if code is not None:
                chosen = sets.get(code, _EMPTY)
                allowed = chosen if allowed is None else allowed & chosen
        variants = self._variants(typed, prefix)
        # Typos are looked for in known words only when nothing matched without.
        for fuzzy in (False, True):
            best: dict[int, tuple] = {}
            for variant, expanded in variants:
                for rank in self._rank(variant, expanded, allowed, limit, fuzzy):
                    i = rank[-1]
                    if i not in best or rank < best[i]:
                        best[i] = rank
            if best:
                break
        return [
            Hit(self._codes[i], self._names[i], (tier, typos, expanded, len(self._names[i]), self._codes[i]))
            for tier, typos, expanded, i in heapq.nsmallest(limit, best.values())
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
                    pieces.append([(literal[i:i + n], 0)] + [([(w, False, False) for w in x], 1) for x in expansions])
                    i += n
                    break
            else:
                pieces.append([([literal[i]], 0)])
                i += 1
        variants = []
        for choice in islice(product(*pieces), MAX_VARIANTS):
            variants.append(([t for part, _ in choice for t in part], sum(used for _, used in choice)))
        return variants

    def _rank(self, variant: list[tuple[str, bool, bool]], expanded: int, allowed: frozenset[int] | None,
              limit: int, fuzzy: bool) -> list[tuple[int, int, int, int]]:
        """The best `limit` (tier, typos, expanded, index) for one variant of the query."""
        terms = []
        for word, is_prefix, may_have_typo in variant:
            term = self._term(word, is_prefix, may_have_typo, fuzzy)
            if term is None:
                return []
            terms.append(term)
        anywhere = sorted((t.anywhere for t in terms), key=len)
        found = anywhere[0].intersection(*anywhere[1:])
        if allowed is not None:
            found &= allowed
        if not found:
            return []
        in_name = found.intersection(*(t.name for t in terms))
        in_keywords = found.intersection(*(t.name_or_keywords for t in terms)) - in_name
        in_documents = found - in_name - in_keywords

        corrected = [t for t in terms if t.exact is not None]
        if corrected:
            name_phrase, keyword_phrase = _EMPTY, _EMPTY
        elif len(terms) == 1:
            # One word found in a text is a phrase of that text.
            name_phrase, keyword_phrase = in_name, in_keywords
        else:
            needle = " " + " ".join(w for w, _, _ in variant) + ("" if variant[-1][1] else " ")
            name_phrase = {i for i in in_name if needle in self._name_text[i]}
            keyword_phrase = {i for i in in_keywords if needle in self._keyword_text[i]}
        tiers = (name_phrase, in_name - name_phrase, keyword_phrase, in_keywords - keyword_phrase, in_documents)

        def typos(i: int) -> int:
            return sum(1 for t in corrected if i not in t.exact)  # type: ignore[operator]

        ranked: list[tuple[int, int, int, int]] = []
        for tier, members in enumerate(tiers):
            wanted = limit - len(ranked)
            if wanted <= 0:
                break
            if not members:
                continue
            if any(t.exact for t in corrected):
                # Some words matched with and without a typo: the count differs per procedure.
                best = heapq.nsmallest(wanted, members, key=lambda i: (typos(i), i))
                ranked.extend((tier, typos(i), expanded, i) for i in best)
            else:
                ranked.extend((tier, len(corrected), expanded, i) for i in heapq.nsmallest(wanted, members))
        return ranked

    def _term(self, word: str, is_prefix: bool, may_have_typo: bool, fuzzy: bool) -> _Term | None:
        """Where `word` is found: as typed (or as a prefix), else (or also, when fuzzy) with one typo."""
        if is_prefix:
            start = bisect_left(self._vocabulary, word)
            end = bisect_left(self._vocabulary, word + "\U0010ffff", start)
            tokens = self._vocabulary[start:end]
        else:
            tokens = [word] if word in self._anywhere else []
        near: list[str] = []
        if may_have_typo and len(word) >= TYPO_MIN_LETTERS and (not tokens or (fuzzy and not is_prefix)):
            near = self._near(word)
        if not tokens and not near:
            return None
        exact = self._union(self._anywhere, tokens)
        both = tokens + near
        return _Term(
            name=self._union(self._name, both),
            name_or_keywords=self._union(self._name_or_keywords, both),
            anywhere=self._union(self._anywhere, both) if near else exact,
            exact=exact if near else None,
        )

    def _near(self, word: str) -> list[str]:
        """Known words one edit away from `word` (not `word` itself)."""
        candidates = {t for key in (word, *_deletions(word)) for t in self._deletions.get(key, ())}
        return sorted(t for t in candidates if t != word and _one_edit(word, t))

    @staticmethod
    def _union(postings: dict[str, frozenset[int]], tokens: list[str]) -> frozenset[int]:
        sets = [postings[t] for t in tokens if t in postings]
        if len(sets) == 1:
            return sets[0]
        return _EMPTY.union(*sets)


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
    """The baseline: scan every procedure for every query word as a substring; by name.

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
