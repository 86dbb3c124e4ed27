"""The backend's store in the tests, on either database: each backend test module marked
`both_stores` runs once on SQLite and once on PostgreSQL (tests/conftest.py's `store_kind`).

A test names its store by a file path in its temporary folder, as a centre would (`new_store`,
`location`). On SQLite that is the file. On PostgreSQL it is a database of its own, made for that
path at first use from a template already migrated (so that a test does not pay the migrations),
and dropped when the test ends; the citizen key file is where it would be beside the file."""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path

KIND = "sqlite"
"""The store the running test uses: "sqlite" or "postgresql"."""

_cluster = None
_scopes: list[list[str]] = [[]]
"""The PostgreSQL databases made, by the scope that made them (the run, a module, a test): each
is dropped when its scope ends (`leave`); the run's with the cluster."""
_made: dict[str, str] = {}
"""Path -> URL of every database made and not yet dropped."""
_paths: dict[str, str] = {}
"""URL -> path, so that a test may open a store by either."""
_numbers = itertools.count(1)
TEMPLATE = "kiosk_template"


def use(kind: str, cluster=None) -> None:
    """Set the running tests' store (and the cluster that serves PostgreSQL's)."""
    global KIND, _cluster
    KIND, _cluster = kind, cluster
    if kind == "postgresql" and not cluster.psql(f"SELECT 1 FROM pg_database WHERE datname = '{TEMPLATE}'"):
        from kiosk.backend.store import BackendStore

        cluster.psql(f"CREATE DATABASE {TEMPLATE}")
        BackendStore(cluster.url(TEMPLATE), open_keys=False).close()  # migrated once, for every test


def enter() -> None:
    """A scope starts (a module, a test): the databases made in it go when it ends."""
    _scopes.append([])


def leave() -> None:
    for path in _scopes.pop():
        url = _made.pop(path)
        _cluster.psql(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


def old_database(path: str | Path, version: int):
    """The store the test calls `path`, made at an earlier `version` of the schema (0: empty), as
    an older program left it: its database (Database), open."""
    from kiosk.backend.database import open_database
    from kiosk.backend.store import MIGRATIONS

    db = open_database(location(path, template="template0"))
    for number, migration in enumerate(MIGRATIONS[:version], start=1):
        with db.write():
            migration(db)
            db.set_schema_version(number)
    return db


def location(path: str | Path, for_the_run: bool = False, template: str = TEMPLATE) -> str:
    """The `--db` value of the store the test calls `path`; `for_the_run`: kept until the cluster
    stops (a backend that tests of several modules share)."""
    if KIND == "sqlite" or str(path) == ":memory:" or str(path) in _paths:
        return str(path)  # a file, or a database made already (its URL)
    key = str(path)
    if key not in _made:
        name = f"kiosk_{os.getpid()}_{next(_numbers)}"
        _cluster.psql(f"CREATE DATABASE {name} TEMPLATE {template}")
        _made[key] = _cluster.url(name)
        _paths[_made[key]] = key
        _scopes[0 if for_the_run else -1].append(key)
    return _made[key]


def key_file(path: str | Path) -> Path:
    """The citizen key file of the store the test calls `path`: beside it, on both databases."""
    from kiosk.backend.citizen_keys import default_key_file

    return default_key_file(path)


def new_store(path: str | Path, citizen_key_file: str | Path | None = None, kind=None, **options):
    """The store the test calls `path` (or its URL), opened (made at first use); `kind`: a
    subclass of BackendStore to open it as."""
    from kiosk.backend.store import BackendStore

    kind = kind or BackendStore
    if str(path) == ":memory:":
        return kind(path, citizen_key_file, **options)
    path = _paths.get(str(path), path)
    return kind(location(path), citizen_key_file or key_file(path), **options)


def config_lines(path: str | Path) -> str:
    """What a configuration's [backend] section says for the store the test calls `path`."""
    return f"db = {location(path)}\ncitizen_key_file = {key_file(path)}\n"


def key_config(path: str | Path) -> list[str]:
    """`--config` for a command that reads or makes ID-number hashes (`kiosk backend`,
    `import-dossiers`, `citizen-key`) on the store the test calls `path`: on SQLite none is needed
    (the key file is beside the file by default); PostgreSQL must be told where it is."""
    if KIND == "sqlite":
        return []
    from kiosk.config import config_path

    path = Path(_paths.get(str(path), path))
    config = path.with_name(f"{path.stem}.keys.ini")
    config.write_text(config_path().read_text(encoding="utf-8"), encoding="utf-8")
    add_key_file(config, path)
    return ["--config", str(config)]


def add_key_file(config: str | Path, path: str | Path) -> None:
    """On PostgreSQL, the configuration file `config` made to name the key file of the store the
    test calls `path`, unless it names one already."""
    if KIND == "sqlite":
        return
    config = Path(config)
    text = config.read_text(encoding="utf-8")
    if re.search(r"^citizen_key_file\s*=", text, re.M):
        return
    line = f"citizen_key_file = {key_file(_paths.get(str(path), path))}\n"
    if "[backend]\n" in text:
        text = text.replace("[backend]\n", "[backend]\n" + line, 1)
    else:
        text += "\n[backend]\n" + line
    config.write_text(text, encoding="utf-8")


def db_args(path: str | Path) -> list[str]:
    """`--db` (and, on PostgreSQL, `--config` naming the key file) of a `kiosk` command on the
    store the test calls `path`."""
    return ["--db", location(path), *key_config(path)]


def stored_bytes(path: str | Path) -> bytes:
    """All that the store the test calls `path` holds, as bytes to search for what must not be
    there: the SQLite file with its write-ahead log; on PostgreSQL, the database as pg_dump writes
    it (what a backup of it holds)."""
    if KIND == "sqlite":
        path = Path(path)
        return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))
    import subprocess

    from postgres import server_binaries

    dumped = subprocess.run([str(server_binaries() / "pg_dump"), "-d", location(path)], capture_output=True,
                            timeout=120, check=True)
    assert b"COPY public.dossiers" in dumped.stdout, "the dump holds the tables' rows"
    return dumped.stdout


class WriteLockHolder:
    """Another connection to the store the test calls `path`, which takes its write lock and
    holds it (as another process writing at that moment would): SQLite's BEGIN IMMEDIATE, or
    PostgreSQL's advisory lock of the writers."""

    def __init__(self, path: str | Path):
        from kiosk.backend.database import open_database

        self.db = open_database(location(_paths.get(str(path), path)))
        self._held = None

    def take(self) -> None:
        self._held = self.db.write()
        self._held.__enter__()

    def release(self) -> None:
        held, self._held = self._held, None
        held.__exit__(None, None, None)

    def close(self) -> None:
        if self._held is not None:
            self.release()
        self.db.close()
