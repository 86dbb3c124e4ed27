"""A real pcscd with the vpcd virtual reader, for the tests of the card reader and of the ID card's chip."""

import pytest
from hardware.pcsc import Pcscd, missing_programs, process_pcsc


@pytest.fixture(scope="module")
def pcsc_folder():
    """Where this process's pcscd lives: clients were pointed at its socket before any PC/SC
    call (process_pcsc, from tests/conftest.py)."""
    missing = missing_programs()
    if missing:
        pytest.fail(f"missing {missing}: install the packages pcscd and vsmartcard-vpcd")
    return process_pcsc()


@pytest.fixture
def pcscd(pcsc_folder):
    daemon = Pcscd(*pcsc_folder)
    daemon.start()
    yield daemon
    daemon.stop()
    assert not daemon.running
