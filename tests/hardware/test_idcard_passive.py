"""Passive authentication against SODs signed by a test CSCA and document signer made here:
the levels reached (integrity, signature, chain), a tampered group, a signature by another key,
another country's CSCA, and SODs that are not SODs."""

import pytest

from idcard_card import Person, groups
from idcard_pki import make_issuer
from kiosk.hardware.idcard.errors import ChipAnswerInvalid
from kiosk.hardware.idcard.passive import load_cscas, verify

FILES = groups(Person())
READ = {1: FILES[1], 13: FILES[13]}


@pytest.fixture(scope="module")
def issuer():
    return make_issuer()


def test_the_levels_reached(issuer):
    sod = issuer.sod(READ)
    assert verify(sod, READ, [issuer.csca]).level == "chain"
    without = verify(sod, READ)
    assert without.level == "signature" and without.problem == "no CSCA installed" and "Test document signer" in without.signer
    other = make_issuer()
    assert verify(sod, READ, [other.csca]).level == "signature"  # another country's CSCA: no chain


def test_a_tampered_group_is_refused(issuer):
    sod = issuer.sod(READ)
    altered = READ | {13: READ[13][:-1] + bytes([READ[13][-1] ^ 1])}
    with pytest.raises(ChipAnswerInvalid):
        verify(sod, altered, [issuer.csca])
    with pytest.raises(ChipAnswerInvalid):  # a group the SOD does not list
        verify(issuer.sod({1: FILES[1]}), READ, [issuer.csca])


def test_a_signature_by_another_key_stops_at_integrity(issuer):
    forger = make_issuer()
    forger.signer = issuer.signer  # the genuine certificate, signed with another key
    result = verify(forger.sod(READ), READ, [issuer.csca])
    assert result.level == "integrity" and "signature" in result.problem


@pytest.mark.parametrize("sod", [b"", b"\x77\x03abc", b"\x77\x02\x30\x00", b"\x61\x02\x30\x00"])
def test_an_sod_that_is_not_one_is_refused(sod):
    with pytest.raises(ChipAnswerInvalid):
        verify(sod, READ)


def test_the_site_s_csca_folder(issuer, tmp_path):
    from cryptography.hazmat.primitives import serialization

    (tmp_path / "csca.pem").write_bytes(issuer.csca.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "other.der").write_bytes(make_issuer().csca.public_bytes(serialization.Encoding.DER))
    (tmp_path / "notes.txt").write_text("not a certificate")
    (tmp_path / "old").mkdir()  # a folder of old certificates: not a file
    (tmp_path / "gone.pem").symlink_to(tmp_path / "nowhere.pem")  # a link to nothing: cannot be read
    found = load_cscas(tmp_path)
    assert len(found) == 2 and verify(issuer.sod(READ), READ, found).level == "chain"
    assert load_cscas(tmp_path / "missing") == []
