"""The ID card's chip read through the real path a kiosk uses: pyscard, a real pcscd, the vpcd
virtual reader, and the test card (tests/idcard_card.py) in it. No card, a card taken out in the
middle of the read, and another citizen's number each end in their own clear error."""

import pytest
from hardware.pcsc import VirtualCard, wait_for

from idcard_card import Person, VirtualCccd
from kiosk.hardware.idcard.errors import CardRemoved, NoCard, NoReader, WrongAccessKey
from kiosk.hardware.idcard.reader import read_card
from kiosk.hardware.idcard.transport import pcsc_transmit

PERSON = Person()


def inserted(pcscd, chip):
    card = VirtualCard(pcscd.port, chip=chip.transmit)
    card.insert()
    wait_for(lambda: _has_card(pcscd.reader()), what="the card in the reader")
    return card


def _has_card(name):
    try:
        with pcsc_transmit(name):
            return True
    except (NoCard, NoReader):
        return False


def test_the_card_is_read_through_pcscd(pcscd):
    chip = VirtualCccd()
    card = inserted(pcscd, chip)
    try:
        with pcsc_transmit() as transmit:
            read = read_card(transmit, PERSON.id_number, PERSON.born, PERSON.issued)
    finally:
        card.remove()
    assert read.identity.full_name == PERSON.name and read.identity.id_number == PERSON.id_number
    assert chip.read == ["COM", 1, 13]


def test_no_card_and_another_citizen_s_number(pcscd):
    with pytest.raises(NoCard):
        with pcsc_transmit():
            pass
    card = inserted(pcscd, VirtualCccd())
    try:
        with pytest.raises(WrongAccessKey):
            with pcsc_transmit() as transmit:
                read_card(transmit, "079090001299", PERSON.born, PERSON.issued)
    finally:
        card.remove()


def test_a_card_taken_out_mid_read(pcscd):
    chip = VirtualCccd()
    card = inserted(pcscd, chip)
    chip.removed_after = chip.commands + 6  # during the reading of the groups
    try:
        with pytest.raises(CardRemoved):
            with pcsc_transmit() as transmit:
                read_card(transmit, PERSON.id_number, PERSON.born, PERSON.issued)
    finally:
        card.remove()
