"""Shared fixtures."""

import pytest
from support import Backend


@pytest.fixture(scope="session")
def backend(tmp_path_factory):
    """The sample site served by a real backend process over a real SQLite file."""
    db = tmp_path_factory.mktemp("backend") / "backend.sqlite3"
    server = Backend("--db", str(db), "--sample-data")
    server.db = db
    yield server
    assert server.stop() == 0, "the backend did not stop cleanly on SIGTERM"
