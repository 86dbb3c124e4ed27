"""The reference backend's API, against a real server process with the sample site."""

import gzip
import json

import pytest

from kiosk.backend.sample import SAMPLE_DIR, sample_catalogue
from kiosk.domain.codes import dossier_code_shape
from kiosk.domain.dossier import Status, Timeliness
from real_codes import real_codes
from stores import new_store

pytestmark = pytest.mark.both_stores


@pytest.fixture(scope="module")
def catalogue(backend, store_kind):
    reply = backend.get("/api/v1/catalogue")
    assert reply.status == 200
    return reply


def error_of(reply):
    assert reply.headers["Content-Type"].startswith("application/json")
    error = reply.json()["error"]
    assert set(error) == {"code", "message"} and error["message"]
    return error["code"]


def test_catalogue_has_the_sample_site(catalogue):
    data = catalogue.json()
    assert catalogue.headers["Content-Type"] == "application/json; charset=utf-8"
    assert [level["code"] for level in data["levels"]] == ["province", "commune"]
    assert len(data["fields"]) >= 12
    assert len(data["procedures"]) >= 150
    assert data["version"] and catalogue.headers["ETag"] == f'"{data["version"]}"'
    assert "Hộ tịch" in {field["name"] for field in data["fields"]}


def test_catalogue_revalidates_with_etag(backend, catalogue):
    etag = catalogue.headers["ETag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        reply = backend.get("/api/v1/catalogue", If_None_Match=header)
        assert reply.status == 304 and reply.body == b""
        assert reply.headers["ETag"] == etag
    assert backend.get("/api/v1/catalogue", If_None_Match='"stale"').status == 200


def test_catalogue_is_gzipped_when_asked(backend, catalogue):
    reply = backend.get("/api/v1/catalogue", Accept_Encoding="gzip, deflate")
    assert reply.status == 200
    assert reply.headers["Content-Encoding"] == "gzip"
    assert reply.headers["ETag"] == catalogue.headers["ETag"][:-1] + '-gzip"'
    assert gzip.decompress(reply.body) == catalogue.body
    revalidated = backend.get("/api/v1/catalogue", Accept_Encoding="gzip", If_None_Match=reply.headers["ETag"])
    assert revalidated.status == 304
    assert len(reply.body) * 4 < len(catalogue.body)
    assert "Content-Encoding" not in catalogue.headers


def test_procedure_in_full(backend, catalogue):
    for procedure in catalogue.json()["procedures"][::25]:
        reply = backend.get(f"/api/v1/procedures/{procedure['code']}")
        assert reply.status == 200
        assert reply.json() == procedure


def test_procedure_errors(backend):
    assert error_of(backend.get("/api/v1/procedures/1.999999.000.00.00.H99")) == "procedure_not_found"
    assert backend.get("/api/v1/procedures/1.999999.000.00.00.H99").status == 404
    reply = backend.get("/api/v1/procedures/%3Cscript%3E")
    assert reply.status == 400 and error_of(reply) == "bad_procedure_code"


@pytest.fixture(scope="module")
def dossiers(backend, store_kind):

    store = new_store(backend.db)
    codes = store.dossier_codes()
    store.close()
    assert len(codes) >= 40
    # Those the code reader knows: the national portal's form (G22.99-yymmdd-nnnnnn, one sample
    # dossier) is looked up once kiosk/domain/codes.py reads it.
    return {code: backend.get(f"/api/v1/dossiers/{code}").json() for code in codes if dossier_code_shape(code)}


def test_every_sample_dossier_renders(dossiers):
    statuses, standings = set(), set()
    for code, view in dossiers.items():
        assert view["code"] == code
        status = Status(view["status"]["code"])
        assert view["status"]["label_vi"] == status.label_vi and view["status"]["label_en"] == status.label_en
        assert view["procedure_name"] and view["received_at"]
        statuses.add(status)
        standing = view["timeliness"]
        if standing is None:
            assert status in {Status.REJECTED, Status.WITHDRAWN, Status.STOPPED} or view["due_at"] is None
        else:
            standings.add(Timeliness(standing["code"]))
            assert isinstance(standing["working_days_left"], int)
        if view["collection"]:
            assert view["collection"]["place"]
    assert statuses == set(Status)
    assert standings == set(Timeliness)


def test_dossiers_show_who_holds_them_across_levels(dossiers):
    # A step at another agency than the dossier's (the protocol names one a dossier) says so
    # in its department: "Phòng Kinh tế, Ủy ban nhân dân phường Quy Nhơn".
    agencies = {a.name: a.level for a in sample_catalogue().agencies}

    def levels(view):
        return {level for step in view["timeline"] for name, level in agencies.items()
                if name in (step["holder"]["agency"], *step["holder"]["department"].split(", "))}

    multi_level = [v for v in dossiers.values() if levels(v) == {"commune", "province"}]
    assert multi_level, "no sample dossier crosses commune and province"
    open_ones = [v for v in dossiers.values() if v["status"]["code"] in (2, 4)]
    assert open_ones and all(v["holder"] and v["holder"]["agency"] for v in open_ones)
    assert any(v["requested_documents"] for v in dossiers.values() if v["status"]["code"] == 5)
    assert any(v["fees_outstanding"] for v in dossiers.values() if v["status"]["code"] == 6)


def test_applicant_names_are_masked(dossiers):
    with open(SAMPLE_DIR / "dossiers.json", encoding="utf-8") as handle:
        full_names = {spec["applicant"] for spec in json.load(handle)["dossiers"]}
    for view in dossiers.values():
        assert view["applicant_name"] not in full_names
        assert "**" in view["applicant_name"] or len(view["applicant_name"].split()) <= 2
        family = view["applicant_name"].split()[0]
        assert any(name.startswith(family) for name in full_names)


def test_dossier_code_is_normalised(backend, dossiers):
    code = next(iter(dossiers))
    reply = backend.get(f"/api/v1/dossiers/{code.lower()}")
    assert reply.status == 200 and reply.json()["code"] == code


def test_dossier_errors(backend):
    reply = backend.get("/api/v1/dossiers/000.00.53.H48-220921-0099")
    assert reply.status == 404 and error_of(reply) == "dossier_not_found"
    reply = backend.get("/api/v1/dossiers/not-a-code")
    assert reply.status == 400 and error_of(reply) == "bad_dossier_code"


def test_every_real_code_form_is_a_code_no_dossier_has(backend, dossiers):
    """Real forms (tests/fixtures/real_dossier_codes.csv) are asked as codes: 404, not 400."""
    codes = {row.expected for row in real_codes() if row.expected} - set(dossiers)
    assert len(codes) >= 15
    for code in codes:
        for asked in (code, code.lower(), code.replace("-", "%2D").replace(".", "%2E")):
            reply = backend.get(f"/api/v1/dossiers/{asked}")
            assert reply.status == 404 and error_of(reply) == "dossier_not_found", asked
            assert code in reply.json()["error"]["message"]
    for look_alike in ("1.001193.000.00.00.H08", "G22.99.3-241219795252", "000.00.00.H50", "H48-220921-0099"):
        reply = backend.get(f"/api/v1/dossiers/{look_alike}")
        assert reply.status == 400 and error_of(reply) == "bad_dossier_code", look_alike


def test_openapi_document_is_served(backend):
    reply = backend.get("/api/v1/openapi.json")
    assert reply.status == 200
    document = reply.json()
    assert document["openapi"].startswith("3.")
    assert {"/catalogue", "/procedures/{code}", "/dossiers/{code}"} <= set(document["paths"])
