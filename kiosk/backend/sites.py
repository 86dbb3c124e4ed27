"""The centres one backend serves (a province's communes, or a centre's one): each has its
kiosks, its queue's services and counters, its hall displays, its staff and its statistics.
Every backend has the site "main"; a province adds the others with `kiosk site add`."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from .store import DEFAULT_SITE, BackendStore

SITE_CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}\Z")
"""What a site is called in addresses (/display?site=xa-hoai-an) and commands: short, plain."""
ALL_SITES = "*"
"""An account's sites when it sees every one: a province admin."""


@dataclass(frozen=True)
class Site:
    code: str
    name: str
    name_en: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "name_en": self.name_en}


class Sites:
    def __init__(self, store: BackendStore):
        self.store = store
        self.db = store.db

    def add(self, code: str, name: str, name_en: str, now: dt.datetime) -> Site:
        """A new site; ValueError says why it cannot be made."""
        if not SITE_CODE.match(code):
            raise ValueError("a site's code is 1 to 40 of a-z 0-9 and -, starting with a letter or digit "
                             "(e.g. xa-hoai-an)")
        name, name_en = " ".join(name.split()), " ".join(name_en.split())
        if not 1 <= len(name) <= 200 or len(name_en) > 200:
            raise ValueError("a site's name is 1 to 200 characters (its English name at most 200)")
        with self.store.write():
            if self.get(code) is not None:
                raise ValueError(f"the site {code} exists already")
            self.db.insert("sites", {"code": code, "name": name, "name_en": name_en,
                                     "created_at": now.isoformat(timespec="seconds")})
        return Site(code, name, name_en)

    def get(self, code: str) -> Site | None:
        """The site `code`, its names as staff gave them (the catalogue's office name for a "main"
        that was given none: a centre's own backend names itself by its catalogue)."""
        row = self.db.execute("SELECT code, name, name_en FROM sites WHERE code = ?", [code]).fetchone()
        return self._named(Site(*row)) if row else None

    def list(self) -> list[Site]:
        """Every site, in one query (the admin pages read it at every request)."""
        return [self._named(Site(*r)) for r in self.db.execute("SELECT code, name, name_en FROM sites ORDER BY code")]

    def _named(self, site: Site) -> Site:
        if site.name or site.code != DEFAULT_SITE:
            return site
        office = json.loads(self.store.meta("site") or "{}")
        return Site(site.code, office.get("name") or "", office.get("name_en") or "")

    def codes(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT code FROM sites ORDER BY code")]


def sites_text(sites: tuple[str, ...] | list[str]) -> str:
    """An account's sites as stored: "*" or "a,b"."""
    return ALL_SITES if ALL_SITES in sites else ",".join(sorted(set(sites)))


def sites_of(text: str) -> tuple[str, ...]:
    return tuple(s for s in text.split(",") if s)
