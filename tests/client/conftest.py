"""The search tests' shared catalogue: the default sample site's real procedures, indexed once."""

import pytest

from kiosk.backend.sample import sample_catalogue
from kiosk.client.search import SearchIndex


@pytest.fixture(scope="module")
def procedures():
    return sample_catalogue().procedures


@pytest.fixture(scope="module")
def index(procedures):
    return SearchIndex(procedures)
