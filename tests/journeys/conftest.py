import pytest

from support import start_site


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A backend of this module's own: tickets and ID-card lookups are limited per terminal."""
    server = start_site(tmp_path_factory.mktemp("journeys"))
    server.url = f"http://{server.host}:{server.port}"
    yield server
    assert server.stop() == 0
