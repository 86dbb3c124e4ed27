"""Shared fixtures, and Kivy's environment for the UI tests: set here, before any test
module imports Kivy, so that every test sees the same headless set-up."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
# A sound device that plays into nothing: the kiosk's speech is loaded and played for real.
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
# Each of scripts/test's workers its own: they inherit the first process's environment, and two
# Kivy imports creating the same folder at once fail ("File exists").
if "KIVY_HOME" not in os.environ or os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["KIVY_HOME"] = tempfile.mkdtemp(prefix="kivy-home-")
    atexit.register(shutil.rmtree, os.environ["KIVY_HOME"], ignore_errors=True)

import pytest  # noqa: E402
from hardware.pcsc import process_pcsc  # noqa: E402
from support import start_site  # noqa: E402

# Before any test talks to PC/SC: a process's first call fixes the socket it uses for good.
process_pcsc()


@pytest.fixture(scope="session")
def backend(tmp_path_factory):
    """The sample site served by a real backend process over a real SQLite file."""
    server = start_site(tmp_path_factory.mktemp("backend"))
    yield server
    assert server.stop() == 0, "the backend did not stop cleanly on SIGTERM"


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL cluster of this test process's own (tests/postgres.py), started when a test
    first asks for it and stopped at the end of the run."""
    from postgres import TestPostgres

    cluster = TestPostgres().start()
    yield cluster
    cluster.stop()
