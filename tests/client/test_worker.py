"""A function run in a worker process: its answer, its error, its death, and its end when
the task that awaits it is cancelled (the app closing in the middle of a catalogue write)."""

import asyncio
import os
import time

import pytest

from kiosk.client.worker import WorkerDied, in_worker_process
# The worker imports its function by module name: tests' own modules load by path here.
from worker_jobs import add, die, refuse, write_late


def test_the_answer_comes_back():
    assert asyncio.run(in_worker_process(add, 20, 22)) == 42


def test_an_error_in_the_worker_is_raised_to_the_caller():
    with pytest.raises(ValueError, match="refused: xin chào"):
        asyncio.run(in_worker_process(refuse, "xin chào"))


def test_a_worker_that_dies_without_an_answer_says_so():
    with pytest.raises(WorkerDied, match="exit code 3"):
        asyncio.run(in_worker_process(die, 3))


def test_cancelling_the_task_kills_the_worker_before_it_writes(tmp_path):
    async def go():
        task = asyncio.ensure_future(in_worker_process(write_late, str(tmp_path), 1.5))
        deadline = time.monotonic() + 60
        while not (tmp_path / "started").exists():
            assert time.monotonic() < deadline and not task.done()
            await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(go())
    pid = int((tmp_path / "started").read_text())
    with pytest.raises(ProcessLookupError):  # killed and reaped, not left running
        os.kill(pid, 0)
    time.sleep(2.0)  # past the moment the worker would have written
    assert not (tmp_path / "late").exists()
