"""Writes that wait together share one transaction (BackendStore.run_write): each is answered with
its own result or its own error, one that fails takes back only its own changes, and a lock that
another connection holds past the busy timeout is a StoreBusy for every one of them."""

import asyncio

import pytest

from kiosk.backend.store import StoreBusy
from stores import WriteLockHolder, new_store

pytestmark = pytest.mark.both_stores


def note(store, text, fail=False):
    store.db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", [text, text])
    if fail:
        raise ValueError(text)
    return text


def test_shared_writes_each_get_their_own_outcome(tmp_path):
    store = new_store(tmp_path / "b.sqlite3")

    async def main():
        return await asyncio.gather(*(store.run_write(note, store, f"mixed-{n}", n % 3 == 1) for n in range(9)),
                                    return_exceptions=True)

    try:
        outcomes = asyncio.run(main())
        for n, outcome in enumerate(outcomes):
            if n % 3 == 1:
                assert isinstance(outcome, ValueError) and str(outcome) == f"mixed-{n}"
            else:
                assert outcome == f"mixed-{n}"
        kept = {r[0] for r in store.db.execute("SELECT key FROM meta WHERE key LIKE 'mixed-%'")}
        assert kept == {f"mixed-{n}" for n in range(9) if n % 3 != 1}
        assert not store.db.in_transaction
    finally:
        store.close()


def test_shared_writes_behind_a_held_lock_are_busy(tmp_path):
    store = new_store(tmp_path / "b.sqlite3")
    store.db.set_lock_wait(0.05)
    holder = WriteLockHolder(tmp_path / "b.sqlite3")

    async def main():
        return await asyncio.gather(*(store.run_write(note, store, f"busy-{n}") for n in range(3)),
                                    return_exceptions=True)

    try:
        holder.take()
        outcomes = asyncio.run(main())
        holder.release()
        assert all(isinstance(o, StoreBusy) for o in outcomes), outcomes
        assert store.db.execute("SELECT COUNT(*) FROM meta WHERE key LIKE 'busy-%'").fetchone()[0] == 0
        assert asyncio.run(store.run_write(note, store, "after")) == "after"
    finally:
        holder.close()
        store.close()


@pytest.mark.parametrize("count", [1, 20])
def test_shared_writes_are_all_committed(tmp_path, count):
    store = new_store(tmp_path / "b.sqlite3")

    async def main():
        return await asyncio.gather(*(store.run_write(note, store, f"shared-{n}") for n in range(count)))

    try:
        assert asyncio.run(main()) == [f"shared-{n}" for n in range(count)]
    finally:
        store.close()
    other = new_store(tmp_path / "b.sqlite3")  # another connection sees them all
    assert other.db.execute("SELECT COUNT(*) FROM meta WHERE key LIKE 'shared-%'").fetchone()[0] == count
    other.close()


def test_a_write_that_raises_beyond_exception_leaves_no_one_waiting(tmp_path):
    """A work that raises what is not an Exception (SystemExit, say) takes the whole transaction
    back: every write of the batch is answered with an error, none waits for ever."""
    store = new_store(tmp_path / "b.sqlite3")

    def exits(store, text):
        note(store, text)
        raise SystemExit(text)

    async def main():
        writes = [store.run_write(note, store, "before"), store.run_write(exits, store, "gone"),
                  store.run_write(note, store, "after")]
        return await asyncio.wait_for(asyncio.gather(*writes, return_exceptions=True), 10)

    try:
        outcomes = asyncio.run(main())  # within the 10 s: nobody was left waiting
        # "before" may have had a transaction of its own already; the others shared the failed one.
        assert outcomes[0] in ("before",) or isinstance(outcomes[0], RuntimeError), outcomes
        assert isinstance(outcomes[1], RuntimeError) and isinstance(outcomes[2], RuntimeError), outcomes
        kept = {r[0] for r in store.db.execute("SELECT key FROM meta WHERE key IN ('before', 'gone', 'after')")}
        assert kept == ({"before"} if outcomes[0] == "before" else set())
        assert asyncio.run(store.run_write(note, store, "later")) == "later"
    finally:
        store.close()


def test_a_limit_holds_when_calls_arrive_out_of_clock_order(tmp_path):
    """Two backend processes on one file, or a clock stepped back, write calls out of time order:
    the ceiling still counts every call in its period."""
    from kiosk.backend.store import LimitCheck

    store = new_store(tmp_path / "b.sqlite3")
    try:
        times = [1000.0, 1000.5, 999.0, 1001.0, 999.5, 1002.0, 998.0, 1003.0]
        passed = [store.take_limits([LimitCheck("ticket", "7", 5, 60)], at) is None for at in times]
        assert passed == [True] * 5 + [False] * 3
        # The clock stepped back ten minutes: calls stamped "in the future" still count, until
        # the clock passes them, so a burst is stopped sooner, never later.
        later = [store.take_limits([LimitCheck("login", "x", 5, 60)], 2000.0 + n) is None for n in range(3)]
        back = [store.take_limits([LimitCheck("login", "x", 5, 60)], 1400.0 + n) is None for n in range(8)]
        assert later == [True] * 3 and back == [True] * 2 + [False] * 6
    finally:
        store.close()
