"""One function run in a process of its own, awaited on the event loop, and stopped with the
task that awaits it: when the app closes during a catalogue write, no process is left behind
to write to its data folder afterwards (a kiosk being shut down, a demo whose temporary folder
is already gone). A write killed half-way is rolled back by SQLite when the file is next opened."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from typing import Any


class WorkerDied(RuntimeError):
    """The worker process ended without an answer (killed for memory, crashed)."""


def _serve(connection) -> None:
    function, args = connection.recv()
    try:
        outcome = (True, function(*args))
    except Exception as error:  # handed back to the caller, raised there
        outcome = (False, error)
    connection.send(outcome)
    connection.close()


async def in_worker_process(function: Callable[..., Any], *args: Any) -> Any:
    """`function(*args)` in a fresh ("spawn") process: its result, or its exception raised here.
    `function`, its arguments and its result must pickle. If the awaiting task is cancelled,
    the process is killed before the cancellation goes on."""
    loop = asyncio.get_running_loop()
    context = multiprocessing.get_context("spawn")  # no copy of the UI's threads and open files
    ours, theirs = context.Pipe()
    # Started with nothing but its end of the pipe, so that starting it is quick; daemon: killed
    # by multiprocessing at exit if anything still held it.
    process = context.Process(target=_serve, args=(theirs,), daemon=True, name="kiosk-worker")
    answered = loop.create_future()
    try:
        process.start()
        theirs.close()  # only the worker holds its end now: its exit reads as end of file
        loop.add_reader(ours.fileno(), lambda: answered.done() or answered.set_result(None))
        try:
            # Megabytes of arguments go down the pipe as fast as the worker reads them: from a
            # thread, not from the loop that draws the screen. A killed worker ends the thread.
            await loop.run_in_executor(None, ours.send, (function, args))
            await answered
        finally:
            loop.remove_reader(ours.fileno())
        try:
            succeeded, value = ours.recv()
        except EOFError:
            # Its end of the pipe closes a moment before it can be reaped: its exit code after.
            await loop.run_in_executor(None, process.join)
            raise WorkerDied(f"the worker process ended without an answer (exit code {process.exitcode})") from None
    except (BrokenPipeError, ConnectionResetError):
        await loop.run_in_executor(None, process.join)
        raise WorkerDied(f"the worker process ended without an answer (exit code {process.exitcode})") from None
    finally:
        if process.is_alive():
            process.kill()
        if process.pid is not None:
            process.join()  # at once after a kill or an answer: it has nothing else to do
        ours.close()
    if not succeeded:
        raise value
    return value
