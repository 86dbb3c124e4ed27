"""`kiosk backend --workers N`: N processes of the backend serving one port, for a province's
backend on PostgreSQL (docs/deploy-province.md).

The first process reserves the port, then forks the workers, each of which listens on the port
with a socket of its own (SO_REUSEPORT): the kernel gives each new connection to one of them,
spread evenly. Each worker opens its own connections to the
database after the fork (a connection is never shared between processes). Everything two
requests must agree on is in the database, whichever worker answers them: ticket numbers, rate
limits, lockouts, sessions, idempotency keys, the hall displays' changes.

The first process only watches: on SIGTERM or SIGINT it passes the signal on and waits for every
worker to finish its requests; a worker that dies otherwise (killed, out of memory) is started
again, and the others serve meanwhile."""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

STOPS = {signal.SIGTERM, signal.SIGINT}
RESTART_PAUSE = 1.0
"""Seconds between a worker's death and its restart: a worker that dies at once is not started
again and again as fast as the machine can."""


def reserved_port(host: str, port: int) -> socket.socket:
    """The port, bound (0: any free one) but not listening, held while the workers live, so that
    nothing else takes it; each worker listens on a socket of its own on the same port."""
    if port:
        # Without SO_REUSEPORT first: a port that anything listens on (another backend's workers
        # included) is refused, not silently shared.
        with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
            probe.bind((host, port))
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def worker_socket(host: str, port: int) -> socket.socket:
    """A worker's own listening socket on the shared port (SO_REUSEPORT): the kernel spreads new
    connections evenly over the workers' sockets, where one socket shared by all would give most
    of them to whichever worker woke first."""
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(1024)
    return sock


def _family(host: str) -> int:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def run_workers(count: int, work: Callable[[int], int], say: Callable[[str], None],
                started: Callable[[], None] = lambda: None) -> int:
    """Run `work(number)` in `count` forked processes (each returns its exit status) until
    SIGTERM or SIGINT; restart one that dies otherwise; `started()` once all are forked.
    Answers 0 once all have stopped."""
    stopping = False

    def stop(signum, _frame) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(workers):
            _signal(pid, signal.SIGTERM)

    workers: dict[int, int] = {}  # pid -> worker number
    previous = {sig: signal.signal(sig, stop) for sig in STOPS}
    try:
        for number in range(1, count + 1):
            if not stopping:
                workers[_start(number, work)] = number
                signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPS)
                signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPS)
        started()
        while workers:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            number = workers.pop(pid, None)
            if number is None or stopping:
                continue
            say(f"Worker {number} (process {pid}) stopped: {_how(status)}; starting it again.")
            time.sleep(RESTART_PAUSE)
            if not stopping:
                workers[_start(number, work)] = number
                signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPS)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def _start(number: int, work: Callable[[int], int]) -> int:
    # SIGTERM and SIGINT held back while forking: the watcher must know the new worker's pid
    # before it can pass a stop on, and the worker must not run the watcher's handler.
    signal.pthread_sigmask(signal.SIG_BLOCK, STOPS)
    pid = os.fork()
    if pid:
        return pid
    # The worker: the watcher's signal handlers are not its own (its server sets its own).
    status = 1
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPS)
        status = work(number)
    except BaseException:
        log.exception("worker %d failed", number)
    finally:
        os._exit(status)  # never back into the watcher's code


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _how(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


def wait_until_served(host: str, port: int, seconds: float = 60.0) -> bool:
    """Whether a connection to the port is accepted (by a worker) within `seconds`."""
    address = "127.0.0.1" if host in ("", "0.0.0.0") else "::1" if host == "::" else host
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection((address, port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False
