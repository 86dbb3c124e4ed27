"""Property-based run of the OpenAPI document against the real server: no 500, no response
that breaks the document, served document equal to the one in the package."""

import json

import schemathesis
from hypothesis import HealthCheck, settings

from kiosk.backend.server import OPENAPI_FILE

schema = schemathesis.openapi.from_path(OPENAPI_FILE)


def test_served_document_is_the_packaged_one(backend):
    assert backend.get("/api/v1/openapi.json").json() == json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))


@schema.parametrize()
@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_document(case, backend):
    case.call_and_validate(base_url=f"http://{backend.host}:{backend.port}/api/v1")
