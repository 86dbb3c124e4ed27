"""A backend configured to answer a citizen's dossiers in full (their codes, which open each one)
only to a card read from its chip: `[backend] citizen_detail_needs = chip`. The card's QR, which
a photo of the card also gives, then gets each dossier's procedure, status and masked name, and
no code; so does a chip whose signature could not be checked. Every look-up is audited with the
proof it came with."""

import pytest

from kiosk.backend.terminal_api import CitizenLookup
from kiosk.config import ConfigError, citizen_detail_needs, load_config
from stores import new_store
from support import start_site

CITIZEN = "052090000001"  # an invented ID number of the sample data, with three dossiers
LOOKUP = "/api/v1/dossiers/by-citizen"


@pytest.fixture(scope="module")
def strict(tmp_path_factory):
    server = start_site(tmp_path_factory.mktemp("strict"), backend={"citizen_detail_needs": "chip"})
    yield server
    assert server.stop() == 0


def chip(trust, active="verified"):
    return {"id_number": CITIZEN, "proof": "chip", "trust": trust, "active": active}


def test_the_qr_gets_masked_dossiers_and_a_verified_chip_gets_them_in_full(strict):
    by_qr = strict.post(LOOKUP, {"id_number": CITIZEN, "proof": "qr"}).json()
    unsigned = strict.post(LOOKUP, chip("integrity")).json()
    signed = strict.post(LOOKUP, chip("signature")).json()
    chained = strict.post(LOOKUP, chip("chain", "absent")).json()
    for masked in (by_qr, unsigned):
        assert masked["detail"] == "masked" and len(masked["dossiers"]) == 3
        for dossier in masked["dossiers"]:
            assert set(dossier) == {"procedure_name", "status", "applicant_name"}
            assert dossier["applicant_name"] == "Nguyễn V** A"
    for full in (signed, chained):
        assert full["detail"] == "full" and len(full["dossiers"]) == 3
        assert all(set(d) == {"code", "procedure_name", "status", "applicant_name"} for d in full["dossiers"])
    # What is shown either way is the same, less the codes.
    assert [{k: v for k, v in d.items() if k != "code"} for d in signed["dossiers"]] == by_qr["dossiers"]

    store = new_store(strict.db)
    try:
        proofs = [row[0] for row in store.db.execute("SELECT proof FROM citizen_lookups ORDER BY id").fetchall()]
    finally:
        store.close()
    assert proofs == ["qr", "chip integrity active verified", "chip signature active verified",
                      "chip chain active absent"]


@pytest.mark.parametrize("body", [
    {"id_number": CITIZEN, "proof": "chip"},
    chip("genuine"),
    chip("signature", "failed"),
    {"id_number": CITIZEN, "proof": "qr", "trust": "chain", "active": "verified"},
])
def test_a_proof_that_does_not_say_what_it_is_is_refused(strict, body):
    reply = strict.post(LOOKUP, body)
    assert reply.status == 400 and reply.json()["error"]["message"]


@pytest.mark.parametrize("needs, full", [
    ("qr", ["qr", "none", "integrity", "signature", "chain"]),
    ("chip", ["signature", "chain"]),
    ("chip-chain", ["chain"]),
])
def test_each_policy_answers_in_full_exactly_the_proofs_it_names(needs, full):
    lookups = [CitizenLookup(CITIZEN, "qr")] + [CitizenLookup(CITIZEN, "chip", trust, "verified")
                                                for trust in ("none", "integrity", "signature", "chain")]
    answered = [lookup.trust or "qr" for lookup in lookups if lookup.full_detail(needs)]
    assert answered == full


def test_the_policy_is_one_of_three_words(tmp_path):
    path = tmp_path / "kiosk.ini"
    path.write_text("[backend]\ncitizen_detail_needs = Chip-Chain\n", encoding="utf-8")
    assert citizen_detail_needs(load_config(path)) == "chip-chain"
    path.write_text("[backend]\n", encoding="utf-8")
    assert citizen_detail_needs(load_config(path)) == "qr"
    path.write_text("[backend]\ncitizen_detail_needs = photo\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="citizen_detail_needs must be one of qr, chip, chip-chain, not 'photo'"):
        citizen_detail_needs(load_config(path))
