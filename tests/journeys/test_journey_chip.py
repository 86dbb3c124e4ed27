"""A citizen's dossiers from their ID card's chip, without Kivy, end to end: the test card
(tests/idcard_card.py) in the vpcd reader of a real pcscd, read through pyscard by the kiosk's
PcscChip, and the dossiers asked of a real backend process with the chip's proof. The card's
holder is the sample site's citizen with three dossiers. Each way it fails ends in the words
the screen shows, and nothing of the card in them."""

import asyncio
import datetime as dt

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from hardware.pcsc import card_inserted
from idcard_card import Person, VirtualCccd, card_issuer
from kiosk.client.api import BackendClient
from kiosk.hardware.idcard.chip import ChipKey, PcscChip
from kiosk.hardware.idcard.errors import CardRemoved, ChipAnswerInvalid, NoCard, WrongAccessKey
from kiosk.journeys.dossier import NO_CONNECTION, look_up_by_chip
from support import query
from journeys.test_journey_dossier import CARD_ID, closed_port

HOLDER = Person(id_number=CARD_ID, name="Nguyễn Văn An", mrz_name="NGUYEN<<VAN<AN", born=dt.date(1990, 1, 1),
                issued=dt.date(2021, 8, 15), sex="Nam", residence="Thôn 1, xã Ân Hảo Đông, huyện Hoài Ân, Bình Định")
"""The sample site's citizen (tests/screens/journey_dossier.py's card): the same ID number,
name, birth date and issue date as that card's QR."""
QR_KEY = ChipKey(CARD_ID, HOLDER.born, HOLDER.issued)


def look_up(site, chip, key, url=None):
    async def go():
        async with BackendClient(url or site.url, site.token, retries=1, timeout=5) as client:
            return await look_up_by_chip(client, chip, key)

    return asyncio.run(go())


def test_the_chip_read_through_pcscd_lists_the_citizen_s_dossiers(site, pcscd, tmp_path):
    (tmp_path / "csca").mkdir()
    (tmp_path / "csca" / "csca.pem").write_bytes(card_issuer().csca.public_bytes(serialization.Encoding.PEM))
    card = card_inserted(pcscd, VirtualCccd(HOLDER))
    try:
        by_qr = look_up(site, PcscChip(), QR_KEY)
        by_digits = look_up(site, PcscChip(pcscd.reader()), ChipKey.of_digits(CARD_ID[-6:]))
        chained = look_up(site, PcscChip(csca_folder=tmp_path / "csca"), QR_KEY)
    finally:
        card.remove()
    for found in (by_qr, by_digits, chained):
        assert found.message == "" and found.card_error == "" and len(found.dossiers) == 3
        assert found.name == HOLDER.name and not found.masked
        # The backend keeps masked names only: the chip's own name takes their place where they agree.
        assert {d.applicant_name for d in found.dossiers} == {HOLDER.name}
    assert (by_qr.trust, by_digits.trust, chained.trust) == ("signature", "signature", "chain")
    proofs = [row[0] for row in query(site.db, "SELECT proof FROM citizen_lookups ORDER BY id")][-3:]
    assert proofs == ["chip signature active verified"] * 2 + ["chip chain active verified"]
    for found in (by_qr, chained):
        assert HOLDER.name not in repr(found) and CARD_ID not in repr(found) and CARD_ID not in repr(QR_KEY)


def test_each_way_the_chip_fails_says_why_and_asks_nothing_of_the_backend(site, pcscd):
    asked = len(query(site.db, "SELECT id FROM citizen_lookups"))
    nothing = look_up(site, PcscChip(), QR_KEY)
    card = card_inserted(pcscd, VirtualCccd(HOLDER))
    try:
        wrong = look_up(site, PcscChip(), ChipKey.of_digits("000000"))
    finally:
        card.remove()
    clone = VirtualCccd(HOLDER, dict(VirtualCccd(HOLDER).files))
    clone.key = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # its data copied, not its key
    card = card_inserted(pcscd, clone)
    try:
        cloned = look_up(site, PcscChip(), QR_KEY)
    finally:
        card.remove()
    pulled = VirtualCccd(HOLDER)
    card = card_inserted(pcscd, pulled)
    pulled.removed_after = pulled.commands + 8  # while its groups are read
    try:
        taken = look_up(site, PcscChip(), QR_KEY)
    finally:
        card.remove()
    for found, error in ((nothing, NoCard), (wrong, WrongAccessKey), (cloned, ChipAnswerInvalid), (taken, CardRemoved)):
        assert (found.card_error, found.message, found.dossiers, found.name) == (error.code, error.message, [], "")
    assert len(query(site.db, "SELECT id FROM citizen_lookups")) == asked


def test_a_chip_read_while_the_backend_is_out_of_reach(site, pcscd):
    card = card_inserted(pcscd, VirtualCccd(HOLDER))
    try:
        found = look_up(site, PcscChip(), QR_KEY, url=closed_port())
    finally:
        card.remove()
    assert (found.message, found.dossiers, found.card_error, found.name) == (NO_CONNECTION, [], "", "")


@pytest.mark.parametrize("digits", ["12345", "1234567", "12345a", "١٢٣٤٥٦"])
def test_a_key_of_digits_is_six_ascii_digits(digits):
    with pytest.raises(ValueError):
        ChipKey.of_digits(digits)
