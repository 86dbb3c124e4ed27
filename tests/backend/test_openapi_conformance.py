"""Property-based run of the OpenAPI document against the real server: no 500, no response
that breaks the document, served document equal to the one in the package."""

import json
import re

import schemathesis
from schemathesis.specs.openapi.checks import negative_data_rejection
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.backend.http import STORE
from kiosk.backend.server import OPENAPI_FILE
from stores import new_store

pytestmark = pytest.mark.both_stores

schema = schemathesis.openapi.from_path(OPENAPI_FILE)
# A NUL in text that would be kept or looked up as it is: PostgreSQL cannot hold it, and the
# request is refused (400 bad_text) where SQLite would look it up and not find it
# (tests/security/test_unicode.py). No field has a use for it; the document does not say so
# of each string.
schema.config.generation.update(allow_x00=False)


def test_served_document_is_the_packaged_one(backend):
    assert backend.get("/api/v1/openapi.json").json() == json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))


def test_every_route_is_documented(tmp_path):
    from kiosk.backend.server import API, make_app
    from kiosk.domain.calendar import WorkingCalendar

    documented = {(method.upper(), API + path) for path, item in schema.raw_schema["paths"].items() for method in item}
    app = make_app(new_store(tmp_path / "b.sqlite3"), WorkingCalendar())
    routes = {(r.method, re.sub(r"\{(\w+):[^}]*\}", r"{\1}", r.resource.canonical))
              for r in app.router.routes() if r.method != "HEAD"}
    # For people, not the API: the ticket's public page (its rating form, its event stream), the
    # staff's /admin pages, the counters' /counter, and the hall display (its stream and calls' audio).
    pages = {("GET", "/t/{id}"), ("POST", "/t/{id}"), ("GET", "/t/{id}/events"), ("GET", "/counter")}
    pages |= {r for r in routes if r[1] in ("/admin", "/display") or r[1].startswith(("/admin/", "/display/"))}
    assert routes - pages == documented
    app[STORE].close()


OPERATIONS = [result.ok() for result in schema.get_all_operations()]
"""Each operation a test of its own, named by it: schemathesis's own parametrize gives them all
one node id, and the suite's two workers (pytest-xdist), which hand tests out by node id, would
run one of them."""


@pytest.mark.parametrize("operation", OPERATIONS, ids=[operation.label for operation in OPERATIONS])
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_api_conforms_to_its_document(operation, data, backend):
    case = data.draw(operation.as_strategy())
    # Each call is made with the token its operation declares, so that more than 401s is tested.
    security = case.operation.definition.raw.get("security") or [{}]
    kind = next(iter(security[0]), None)
    token = {"terminal": backend.token, "admin": backend.admin_token}.get(kind)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    # Unknown query parameters are ignored, as HTTP servers do, so the check that every
    # schema-violating request is refused is left out; the tests of hostile input and of
    # 401s cover refusals, and every other check (no 500, documented statuses, response
    # schemas, positive data accepted...) runs.
    case.call_and_validate(
        base_url=f"http://{backend.host}:{backend.port}/api/v1", headers=headers,
        excluded_checks=[negative_data_rejection],
    )
