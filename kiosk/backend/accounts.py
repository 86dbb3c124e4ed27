"""Staff accounts of the admin pages: salted scrypt passwords, lockout after failed logins,
and sessions of which only a hash of the token is kept."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any

from .sites import ALL_SITES, sites_of, sites_text
from .store import DEFAULT_SITE, BackendStore
from .terminals import token_hash

# 16 MiB and some 50 ms a try: slow for someone guessing from a stolen file, quick enough for a login.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1
MIN_PASSWORD = 10
USERNAME = re.compile(r"[a-z0-9._-]{1,40}\Z")
SESSION_LIFE = dt.timedelta(hours=8)  # a working day: staff log in again the next morning
LOCK_AFTER = 5
"""Failed logins in a row after which an account is locked for LOCK_FOR, even to its right password."""
LOCK_FOR = dt.timedelta(minutes=15)
ROLES = ("admin", "counter")
"""An "admin" account opens the /admin pages and every counter's page; a "counter" account only
the counter page, for its own counters: an officer's phone left open shows no one's settings."""


def _stamp(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    """Whether `password` is the one hashed in `stored`; the parameters come from `stored`, so
    that stronger ones later still read the old hashes."""
    _, n, r, p, salt, digest = stored.split("$")
    computed = _scrypt(password, bytes.fromhex(salt), int(n), int(r), int(p))
    return hmac.compare_digest(computed, bytes.fromhex(digest))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    # NFC: the same Vietnamese password typed on two keyboards may come composed or not.
    text = unicodedata.normalize("NFC", password).encode()
    return hashlib.scrypt(text, salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32)


@functools.cache
def decoy_hash() -> str:
    """Checked when the username is unknown, so that a login with an unknown name takes as
    long as one with a wrong password and does not tell which names exist."""
    return hash_password(secrets.token_urlsafe(16))


def password_problems(password: str) -> list[str]:
    return [f"a password has at least {MIN_PASSWORD} characters"] if len(password) < MIN_PASSWORD else []


@dataclass(frozen=True)
class Session:
    username: str
    csrf_token: str
    expires_at: dt.datetime
    role: str = "admin"
    counters: tuple[int, ...] = ()
    """A counter account's counters, at its one site; an admin may open any of its sites'."""
    sites: tuple[str, ...] = (ALL_SITES,)
    """The sites this account sees: ("*",) for every one (a province admin)."""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_province(self) -> bool:
        """An admin of every site: also sees the one-stop systems, the sites and the whole audit log."""
        return self.is_admin and ALL_SITES in self.sites

    def may_see(self, site: str) -> bool:
        return ALL_SITES in self.sites or site in self.sites

    def may_call(self, counter: int, site: str = DEFAULT_SITE) -> bool:
        return self.may_see(site) and (self.is_admin or counter in self.counters)


def _counters_text(counters: tuple[int, ...] | list[int]) -> str:
    return ",".join(str(n) for n in sorted(set(counters)))


def _counters_of(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in text.split(",") if n)


class Accounts:
    def __init__(self, store: BackendStore):
        self.store = store
        self.db = store.db

    def add(self, username: str, password: str, now: dt.datetime, counters: tuple[int, ...] = (),
            sites: tuple[str, ...] = (ALL_SITES,)) -> None:
        """A new account: an admin of `sites` (every site, "*", by default), or with `counters` a
        counter account for those counters only, at its one site. ValueError says why it cannot be made."""
        if not USERNAME.match(username):
            raise ValueError("a username is 1 to 40 of a-z 0-9 . _ -")
        problems = password_problems(password)
        if problems:
            raise ValueError(problems[0])
        if any(n < 1 for n in counters):
            raise ValueError("counter numbers are positive")
        if not sites:
            raise ValueError("an account sees at least one site")
        if counters and (len(set(sites)) != 1 or ALL_SITES in sites):
            raise ValueError("a counter account works at one site: name it with --site")
        with self.store.write():
            if self.password_hash(username) is not None:
                raise ValueError(f"the account {username} exists already")
            known = {r[0] for r in self.db.execute("SELECT code FROM sites")}
            missing = sorted(set(sites) - known - {ALL_SITES})
            if missing:
                raise ValueError(f"there is no site {', '.join(missing)}: add it first (kiosk site add)")
            self.db.insert("admins", {"username": username, "password_hash": hash_password(password),
                                      "created_at": _stamp(now), "role": "counter" if counters else "admin",
                                      "counters": _counters_text(counters), "sites": sites_text(sites)})

    def list(self) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT username, created_at, locked_until, role, counters, sites FROM admins ORDER BY username")
        return [{"username": r[0], "created_at": r[1], "locked_until": r[2], "role": r[3],
                 "counters": list(_counters_of(r[4])), "sites": list(sites_of(r[5]))} for r in rows]

    def password_hash(self, username: str) -> str | None:
        row = self.db.execute("SELECT password_hash FROM admins WHERE username = ?", [username]).fetchone()
        return row[0] if row else None

    # -- lockout -------------------------------------------------------------------

    def locked(self, username: str, now: dt.datetime) -> bool:
        row = self.db.execute("SELECT locked_until FROM admins WHERE username = ?", [username]).fetchone()
        return bool(row and row[0] and dt.datetime.fromisoformat(row[0]) > now)

    def login_failed(self, username: str, now: dt.datetime) -> bool:
        """Count a wrong password; answers whether the account is now locked."""
        with self.store.write():
            self.db.execute("UPDATE admins SET failed_logins = failed_logins + 1 WHERE username = ?", [username])
            cursor = self.db.execute(
                "UPDATE admins SET failed_logins = 0, locked_until = ? WHERE username = ? AND failed_logins >= ?",
                [_stamp(now + LOCK_FOR), username, LOCK_AFTER],
            )
            return cursor.rowcount == 1

    def login_succeeded(self, username: str) -> None:
        with self.store.write():
            self.db.execute("UPDATE admins SET failed_logins = 0, locked_until = NULL WHERE username = ?", [username])

    # -- sessions ------------------------------------------------------------------

    def open_session(self, username: str, now: dt.datetime) -> tuple[str, Session]:
        """A new session: its token for the cookie (not kept), and the session."""
        token = secrets.token_urlsafe(32)
        role, counters, sites = self.db.execute("SELECT role, counters, sites FROM admins WHERE username = ?",
                                                [username]).fetchone()
        session = Session(username, secrets.token_urlsafe(32), now + SESSION_LIFE, role, _counters_of(counters),
                          sites_of(sites))
        with self.store.write():
            self.db.execute("DELETE FROM admin_sessions WHERE expires_at <= ?", [_stamp(now)])
            self.db.insert("admin_sessions", {
                "token_hash": token_hash(token), "username": username, "csrf_token": session.csrf_token,
                "created_at": _stamp(now), "expires_at": _stamp(session.expires_at),
            })
        return token, session

    def session(self, token: str, now: dt.datetime) -> Session | None:
        """The live session of this cookie token, or None."""
        row = self.db.execute(
            "SELECT s.username, s.csrf_token, s.expires_at, a.role, a.counters, a.sites FROM admin_sessions s"
            " JOIN admins a ON a.username = s.username WHERE s.token_hash = ?", [token_hash(token)]
        ).fetchone()
        if row is None or dt.datetime.fromisoformat(row[2]) <= now:
            return None
        return Session(row[0], row[1], dt.datetime.fromisoformat(row[2]), row[3], _counters_of(row[4]),
                       sites_of(row[5]))

    def close_session(self, token: str) -> None:
        with self.store.write():
            self.db.execute("DELETE FROM admin_sessions WHERE token_hash = ?", [token_hash(token)])
