"""The ID card's chip read through the real path a kiosk uses: pyscard, a real pcscd, the vpcd
virtual reader, and the test card (tests/idcard_card.py) in it. No card, a card taken out in the
middle of the read, and another citizen's number each end in their own clear error."""

import json
import subprocess

import pytest
from hardware.pcsc import card_inserted

from idcard_card import Person, VirtualCccd, card_issuer
from support import KIOSK
from kiosk.hardware.idcard.errors import CardRemoved, NoCard, WrongAccessKey
from kiosk.hardware.idcard.reader import read_card
from kiosk.hardware.idcard.transport import pcsc_transmit

PERSON = Person()


def test_the_card_is_read_through_pcscd(pcscd):
    chip = VirtualCccd()
    card = card_inserted(pcscd, chip)
    try:
        with pcsc_transmit() as transmit:
            read = read_card(transmit, PERSON.id_number, PERSON.born, PERSON.issued)
    finally:
        card.remove()
    assert read.identity.full_name == PERSON.name and read.identity.id_number == PERSON.id_number
    assert chip.read == ["COM", 1, 13, "SOD", 14, 15] and read.access == "PACE" and read.passive.level == "signature"
    assert read.active == "verified"


def test_no_card_and_another_citizen_s_number(pcscd):
    with pytest.raises(NoCard):
        with pcsc_transmit():
            pass
    card = card_inserted(pcscd, VirtualCccd())
    try:
        with pytest.raises(WrongAccessKey):
            with pcsc_transmit() as transmit:
                read_card(transmit, "079090001299", PERSON.born, PERSON.issued)
    finally:
        card.remove()


def test_a_card_taken_out_mid_read(pcscd):
    chip = VirtualCccd()
    card = card_inserted(pcscd, chip)
    chip.removed_after = chip.commands + 6  # during the reading of the groups
    try:
        with pytest.raises(CardRemoved):
            with pcsc_transmit() as transmit:
                read_card(transmit, PERSON.id_number, PERSON.born, PERSON.issued)
    finally:
        card.remove()


def kiosk(*args, stdin=""):
    return subprocess.run([KIOSK, *args], capture_output=True, text=True, timeout=60, input=stdin)


def test_staff_s_read_card_command(pcscd, tmp_path):
    """`kiosk read-card`, a process of its own on the same pcscd: by the 6 digits, by the card's
    QR on standard input, and with the site's CSCA folder; the identity masked, nothing more."""
    from cryptography.hazmat.primitives import serialization

    card = card_inserted(pcscd, VirtualCccd())
    try:
        by_can = kiosk("read-card", "--can", PERSON.id_number[-6:], "--json")
        qr = f"{PERSON.id_number}||{PERSON.name}|17051990|Nữ|{PERSON.residence}|01032021"
        by_qr = kiosk("read-card", "--qr", "-", stdin=qr)
        (tmp_path / "csca.pem").write_bytes(card_issuer().csca.public_bytes(serialization.Encoding.PEM))
        chained = kiosk("read-card", "--can", PERSON.id_number[-6:], "--csca", str(tmp_path), "--json")
        wrong = kiosk("read-card", "--can", "000000")
    finally:
        card.remove()
    found = json.loads(by_can.stdout)
    assert found | {"signer": ""} == {
        "access": "PACE", "groups": ["1", "2", "13", "14", "15"], "integrity": True, "signature": True, "chain": False,
        "active_authentication": "verified", "chip_authentication_offered": "id-CA-ECDH-AES-CBC-CMAC-128", "signer": "", "problem": "no CSCA installed", "name": "Nguyễn T** M",
        "id_number_last4": "1234", "cscas": 0}
    assert by_qr.returncode == 0 and "Nguyễn T** M" in by_qr.stdout and "active authentication: verified" in by_qr.stdout
    assert "chip authentication offered (DG14): id-CA-ECDH-AES-CBC-CMAC-128, not run" in by_qr.stdout
    assert json.loads(chained.stdout)["chain"] is True
    assert wrong.returncode == 1 and "does not match" in wrong.stderr and wrong.stderr.count("\n") == 1
    for output in (by_can.stdout + by_can.stderr, by_qr.stdout + by_qr.stderr, wrong.stderr):
        for secret in (PERSON.id_number, PERSON.name, "17/05/1990", PERSON.residence, "Mẫu"):
            assert secret not in output
