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

# What a program keeps in the user's cache folder (a PostgreSQL backend's spoken phrases), in one of
# the run's own, not in the home folder of whoever runs the tests.
if "KIOSK_TEST_CACHE" not in os.environ:
    os.environ["KIOSK_TEST_CACHE"] = os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="kiosk-cache-")
    atexit.register(shutil.rmtree, os.environ["XDG_CACHE_HOME"], ignore_errors=True)

import pytest  # noqa: E402
import stores  # noqa: E402
from hardware.pcsc import Pcscd, missing_programs, process_pcsc  # noqa: E402
from support import start_site  # noqa: E402

# Before any test talks to PC/SC: a process's first call fixes the socket it uses for good.
process_pcsc()


@pytest.fixture(scope="module")
def pcsc_folder():
    """Where this process's pcscd lives (with the vpcd virtual reader): clients were pointed at
    its socket before any PC/SC call (process_pcsc, above)."""
    missing = missing_programs()
    if missing:
        pytest.fail(f"missing {missing}: install the packages pcscd and vsmartcard-vpcd")
    return process_pcsc()


@pytest.fixture
def pcscd(pcsc_folder):
    """A real pcscd for the tests of the card reader and of the ID card's chip."""
    daemon = Pcscd(*pcsc_folder)
    daemon.start()
    yield daemon
    daemon.stop()
    assert not daemon.running


def pytest_generate_tests(metafunc):
    """A module or test marked `both_stores` runs on SQLite and on PostgreSQL, unless `sqlite_only`.
    By module: a module's shared backend serves its tests on one store, then on the other."""
    test = metafunc.definition
    if test.get_closest_marker("both_stores") and not test.get_closest_marker("sqlite_only"):
        metafunc.parametrize("store_kind", ["sqlite", "postgresql"], indirect=True, scope="module")


@pytest.fixture(scope="module", autouse=True)
def store_kind(request):
    """The backend store of the module's tests (tests/stores.py): SQLite, unless parametrised."""
    kind = getattr(request, "param", "sqlite")
    stores.use(kind, request.getfixturevalue("postgres") if kind == "postgresql" else None)
    stores.enter()
    try:
        yield kind
    finally:
        stores.leave()
        stores.use("sqlite")


@pytest.fixture(autouse=True)
def _stores_of_the_test(store_kind):
    """The PostgreSQL databases a test made go when it ends."""
    stores.enter()
    try:
        yield
    finally:
        stores.leave()


@pytest.fixture(scope="session")
def _sites():
    """The sample site's backend processes of this test process, one a store, started when asked."""
    started = {}
    yield started
    for server in started.values():
        assert server.stop() == 0, "the backend did not stop cleanly on SIGTERM"


@pytest.fixture(scope="module")
def backend(_sites, store_kind, tmp_path_factory):
    """The sample site served by a real backend process over a real store (SQLite, or PostgreSQL in
    a `both_stores` module), shared by the tests of this process that use the same store."""
    if store_kind not in _sites:
        folder = tmp_path_factory.mktemp(f"backend-{store_kind}")
        _sites[store_kind] = start_site(folder, for_the_run=True)
    return _sites[store_kind]


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL cluster of this test process's own (tests/postgres.py), started when a test
    first asks for it and stopped at the end of the run."""
    from postgres import TestPostgres

    cluster = TestPostgres().start()
    yield cluster
    cluster.stop()
