"""`kiosk migrate-store FROM TO`: a backend's whole database copied into another, e.g. a centre's
SQLite file into its province's PostgreSQL, row for row, and checked afterwards.

Both are brought to this program's schema first; the target must hold nothing yet (a store just
made). Every table is copied in one transaction of the target's: it has all of it or none. Then
each table's rows are read back from both sides and compared, so that "copied" means "equal".
The citizen key file is not copied: the hashes are, and the same key file serves the target
(name it in the target's [backend] citizen_key_file)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .database import Database
from .store import BackendStore, StoreError, _dump

BATCH = 1000
"""Rows sent to the target at a time."""

NOT_COPIED = {"schema_version"}
"""The version of the schema is each database's own (both are at this program's)."""
MADE_WITH_THE_SCHEMA = {"sites": "code = 'main'"}
"""Rows every new store has from its migrations (the site "main"): not the target's own data,
so they leave it "empty", and the source's take their place."""


@dataclass(frozen=True)
class CopiedTable:
    name: str
    rows: int


def copy_store(source: BackendStore, target: BackendStore) -> list[CopiedTable]:
    """Copy every table of `source` into the empty `target`, then compare them; raises StoreError
    (with nothing left in the target) when the target is not empty or a row cannot go in."""
    tables = [t for t in source.db.tables() if t not in NOT_COPIED]
    missing = sorted(set(tables) - set(target.db.tables()))
    if missing:
        raise StoreError(f"the target has no table {', '.join(missing)}: is it at this program's schema?")
    used = [t for t in tables if target.db.execute(
        f"SELECT 1 FROM {t} WHERE NOT ({MADE_WITH_THE_SCHEMA.get(t, '1 = 0')}) LIMIT 1").fetchone()]
    if used:
        raise StoreError(f"the target is not empty (it has rows in {', '.join(used)}): "
                         "migrate-store copies into a new database only")
    copied = []
    try:
        # The source read in one transaction of its own: one moment's state of every table,
        # even if a backend still writes to it (stop it first all the same).
        with source.db.snapshot(), target.write():
            for table, made in MADE_WITH_THE_SCHEMA.items():
                target.db.execute(f"DELETE FROM {table} WHERE {made}")
            for table in tables:
                copied.append(CopiedTable(table, _copy_table(source.db, target.db, table)))
                target.db.after_copy(table)
            for table in copied:  # compared before the commit: a difference keeps nothing
                if _digest(source.db, table.name) != _digest(target.db, table.name):
                    raise StoreError(f"the table {table.name} differs after the copy: nothing was kept in the target")
    except StoreError:
        raise
    except Exception as error:  # a row the target refuses: the transaction is rolled back, nothing is left
        raise StoreError(f"the copy stopped and nothing was kept in the target: {error}") from None
    return copied


def _copy_table(source: Database, target: Database, table: str) -> int:
    cursor = source.execute(f"SELECT * FROM {table}")
    columns = [d[0] for d in cursor.description]
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    count = 0
    while rows := cursor.fetchmany(BATCH):
        target.executemany(sql, rows)
        count += len(rows)
    return count


def _digest(db: Database, table: str) -> str:
    """The table's rows, in the order of all their columns, as one digest: equal on both sides
    when every value came across as it was."""
    cursor = db.execute(f"SELECT * FROM {table} LIMIT 0")
    count = len(cursor.description)
    # NULLs first on both: PostgreSQL puts them last by default, SQLite first.
    order = ", ".join(f"{n} NULLS FIRST" for n in range(1, count + 1))
    digest = hashlib.sha256()
    for row in db.execute(f"SELECT * FROM {table} ORDER BY {order}"):
        digest.update(_dump(list(row)).encode())
    return digest.hexdigest()
