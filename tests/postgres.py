"""A PostgreSQL of the tests' own, from Debian's packages (scripts/setup.sh --test installs
them): a new cluster in a temporary folder, listening on 127.0.0.1 on a free port and on a
socket in that folder, stopped and removed at the end. Nothing of the machine's own
PostgreSQL (its service, its clusters, port 5432) is used or touched.

PostgreSQL refuses to run as root: as root, the cluster belongs to, and runs as, the
`postgres` user that Debian's package creates. Connections are trusted without a password:
only this machine can reach the cluster, and it lives as long as the test run."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

USER = "kiosk"
"""The cluster's superuser, whom the tests connect as."""


def server_binaries() -> Path:
    """The newest installed PostgreSQL's programs (/usr/lib/postgresql/<version>/bin)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: run scripts/setup.sh --test")
    return found[-1].parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class TestPostgres:
    """`start()` makes and starts the cluster; `url(database)` is what a client connects to;
    `stop()` stops it and removes its folder."""

    __test__ = False  # a helper, not a test class for pytest

    def __init__(self, durable: bool = False) -> None:
        """`durable`: each commit reaches the disk (fsync), as a province's server must; the
        tests' cluster skips it, a benchmark's must not."""
        self.durable = durable
        self.bin = server_binaries()
        self.folder = Path(tempfile.mkdtemp(prefix="kiosk-postgres-"))
        self.data = self.folder / "data"
        self.port = 0

    def _run(self, *command: str, timeout: float = 60) -> subprocess.CompletedProcess:
        if os.geteuid() == 0:
            command = ("runuser", "-u", "postgres", "--", *command)
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=True)

    def start(self) -> "TestPostgres":
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", USER, "--auth=trust",
                  "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
        self.port = free_port()
        self.resume()
        return self

    def pause(self) -> None:
        """Stop the server, keeping its data: as a database machine that restarts."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        """Start it again, on the same port, with the same data."""
        options = f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.folder}"
        if not self.durable:  # a test cluster: speed over durability
            options += " -c fsync=off -c full_page_writes=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "log"),
                  "-o", options, "-w", "-t", "60", "start")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """`sql` run by psql, its rows as psql prints them unaligned, one a line."""
        done = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", self.url(database),
                               "-c", sql], capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"psql: {done.stderr.strip()}")
        return done.stdout.strip()

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
