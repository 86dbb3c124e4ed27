"""Shared fixtures."""

import pytest
from support import start_site


@pytest.fixture(scope="session")
def backend(tmp_path_factory):
    """The sample site served by a real backend process over a real SQLite file."""
    server = start_site(tmp_path_factory.mktemp("backend"))
    yield server
    assert server.stop() == 0, "the backend did not stop cleanly on SIGTERM"
