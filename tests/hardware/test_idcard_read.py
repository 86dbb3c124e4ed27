"""Reading a CCCD's chip end to end against the test card (tests/idcard_card.py), in process:
PACE with the CAN (or the 6 digits typed), BAC on a card without PACE with the key the
citizen's QR gives, secure messaging, the groups read in chunks, and each
way it fails (a wrong ID number, a card taken away, an altered answer, nonsense, too slow); DG13
taken by field number; nothing of the citizen in a repr. Through pcscd and vpcd comes next."""

import itertools

import pytest
from hypothesis import given, settings, strategies as st

from idcard_card import Person, VirtualCccd, groups, card_issuer, tlv, utf8
from kiosk.hardware.idcard.errors import CardRemoved, ChipAnswerInvalid, ReadTimeout, WrongAccessKey
from kiosk.hardware.idcard.groups import fields_of_dg13, groups_of_com, identity_of_dg13
from kiosk.hardware.idcard.reader import read_card

PERSON = Person()


def test_the_card_is_read_with_the_key_its_qr_gives():
    card = VirtualCccd()
    read = read_card(card.transmit, PERSON.id_number, PERSON.born, PERSON.issued)
    who = read.identity
    assert (who.id_number, who.full_name, who.birth_date, who.sex) == (PERSON.id_number, PERSON.name, "17/05/1990", "Nữ")
    assert who.residence == PERSON.residence and who.issued == "01/03/2021" and who.expiry == "17/05/2030"
    assert who.parents == ("Nguyễn Văn Bố", "Trần Thị Mẹ") and who.spouse == ""
    assert read.access == "PACE" and read.groups == (1, 2, 13, 14, 15)
    assert card.read == ["COM", 1, 13, "SOD", 14, 15] and card.refused_keys == 0  # never DG2, the face
    assert read.passive.level == "signature" and read.passive.groups == (1, 13, 14, 15)  # no CSCA installed
    assert read.active == "verified" and read.chip_authentication == "id-CA-ECDH-AES-CBC-CMAC-128"
    chained = read_card(VirtualCccd().transmit, PERSON.id_number, PERSON.born, PERSON.issued,
                        cscas=(card_issuer().csca,))
    assert chained.passive.level == "chain"


def test_a_group_changed_after_it_was_signed_is_not_believed():
    files = groups(PERSON)
    card = VirtualCccd(PERSON, dict(files))  # its SOD signs these groups
    card.files[13] = groups(PERSON, extra_fields=b"\x30\x06\x02\x01\x10\x0c\x01x")[13]
    with pytest.raises(ChipAnswerInvalid):
        read_card(card.transmit, PERSON.id_number, PERSON.born, PERSON.issued)


def test_the_six_digits_typed_are_enough_with_pace():
    read = read_card(VirtualCccd().transmit, can=PERSON.id_number[-6:])
    assert read.access == "PACE" and read.identity.id_number == PERSON.id_number
    with pytest.raises(WrongAccessKey):
        read_card(VirtualCccd().transmit, can="000000")


def test_a_card_without_pace_is_read_with_bac_and_each_expiry_the_law_allows():
    card = VirtualCccd()
    card.pace = False
    read = read_card(card.transmit, PERSON.id_number, PERSON.born, PERSON.issued)
    assert read.access == "BAC" and card.refused_keys == 0
    card = VirtualCccd()
    card.pace = False
    read = read_card(card.transmit, PERSON.id_number, PERSON.born, None)
    assert read.identity.id_number == PERSON.id_number
    assert card.refused_keys == 2  # 14 and 25 refused, 40 opened it
    card = VirtualCccd()
    card.pace = False
    with pytest.raises(WrongAccessKey):  # without the QR's dates there is no BAC key
        read_card(card.transmit, can=PERSON.id_number[-6:])


def test_another_citizen_s_number_does_not_open_the_card():
    for pace in (True, False):
        card = VirtualCccd()
        card.pace = pace
        with pytest.raises(WrongAccessKey) as refused:
            read_card(card.transmit, "079090001235", PERSON.born, PERSON.issued)
        assert "6300" in refused.value.detail and refused.value.message.startswith("This card does not match")


def test_a_card_taken_away_mid_read():
    for after in (1, 4, 9, 14):
        card = VirtualCccd()
        card.removed_after = after
        with pytest.raises(CardRemoved):
            read_card(card.transmit, PERSON.id_number, PERSON.born, PERSON.issued)


def test_an_altered_answer_or_nonsense_is_not_believed():
    for fault in ("tamper", "nonsense"):
        card = VirtualCccd()
        setattr(card, fault, True)
        with pytest.raises(ChipAnswerInvalid):
            read_card(card.transmit, PERSON.id_number, PERSON.born, PERSON.issued)


def test_a_card_whose_groups_disagree_is_not_believed():
    other = Person(id_number="079090009999")
    files = groups(PERSON) | {13: groups(other)[13]}
    with pytest.raises(ChipAnswerInvalid):
        read_card(VirtualCccd(PERSON, files).transmit, PERSON.id_number, PERSON.born, PERSON.issued)


def test_a_read_is_bounded_in_time():
    ticks = itertools.count(0, 0.5)  # each command half a second: a reader far too slow
    with pytest.raises(ReadTimeout):
        read_card(VirtualCccd().transmit, PERSON.id_number, PERSON.born, PERSON.issued, deadline=5.0,
                  clock=lambda: next(ticks))


def test_nothing_of_the_citizen_shows_in_a_repr():
    read = read_card(VirtualCccd().transmit, PERSON.id_number, PERSON.born, PERSON.issued)
    shown = repr(read) + repr(read.identity) + str(read)
    for secret in (PERSON.id_number, PERSON.id_number[-6:], "Nguyễn", "17/05/1990", "Thử"):
        assert secret not in shown


def test_dg13_is_taken_by_field_number_and_keeps_unknown_fields():
    def field(number, value):
        return tlv(0x30, tlv(0x02, bytes([number])) + utf8(value))

    dg13 = groups(PERSON, extra_fields=field(16, "mã lạ") + field(21, "trường mới"))[13]
    values = fields_of_dg13(dg13)
    assert values[16] == "mã lạ" and values[21] == "trường mới" and values[2] == PERSON.name
    assert identity_of_dg13(dg13).other == {16: "mã lạ", 21: "trường mới"}  # 15, the old number, is known
    # The fields in another order are the same identity.
    reordered = tlv(0x6D, tlv(0x30, tlv(0x02, b"\x01") + tlv(0x06, b"\x28") + tlv(0x31, field(2, "B") + field(1, "0" * 12))))
    assert (identity_of_dg13(reordered).id_number, identity_of_dg13(reordered).full_name) == ("0" * 12, "B")
    assert groups_of_com(groups(PERSON)["COM"]) == [1, 2, 13, 14, 15]


@pytest.mark.parametrize("data", [b"", b"\x6d", b"\x6d\x05\x30", b"\x61\x00", b"\x6d\x84\xff\xff\xff\xff",
                                  tlv(0x6D, tlv(0x30, tlv(0x02, b"\x02") + utf8("no ID field"))),
                                  tlv(0x6D, tlv(0x30, tlv(0x02, b"\x01") + tlv(0x0C, b"\xff\xfe"))),
                                  bytes.fromhex("6d") + bytes([0x20]) + bytes([0x30, 0x1E] * 16)])
def test_a_malformed_dg13_is_a_clear_refusal(data):
    with pytest.raises(ChipAnswerInvalid):
        identity_of_dg13(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_as_a_group_are_read_or_refused_never_a_crash(data):
    for parse in (identity_of_dg13, groups_of_com):
        try:
            parse(b"\x6d" + bytes([len(data) & 0x7F]) + data if parse is identity_of_dg13 else data)
        except ChipAnswerInvalid:
            pass


def test_the_chip_proves_it_holds_dg15_s_key_with_a_fresh_challenge():
    card = VirtualCccd()
    first = read_card(card.transmit, PERSON.id_number, PERSON.born, PERSON.issued)
    second = read_card(card.transmit, PERSON.id_number, PERSON.born, PERSON.issued)
    assert first.active == second.active == "verified"
    assert len(card.challenges) == 2 and card.challenges[0] != card.challenges[1] and len(card.challenges[0]) == 8


def test_a_cloned_chip_fails_active_authentication():
    """A copy of the genuine card's groups and SOD, on a chip without its private key."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    genuine = VirtualCccd()
    clone = VirtualCccd(PERSON, dict(genuine.files))
    clone.key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(ChipAnswerInvalid) as refused:
        read_card(clone.transmit, PERSON.id_number, PERSON.born, PERSON.issued)
    assert "active authentication" in str(refused.value)


def test_a_clone_that_hides_its_dg15_is_refused():
    """A copy of the genuine card's groups and SOD whose EF.COM (which nobody signs) leaves DG15
    out, to pass without active authentication: the SOD still lists DG15, so it is read anyway;
    without it, the card is refused."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    from idcard_card import tlv

    genuine = VirtualCccd()
    com = tlv(0x60, tlv(0x5F01, b"0107") + tlv(0x5F36, b"040000") + tlv(0x5C, bytes([0x61, 0x75, 0x6D, 0x6E])))
    hidden = VirtualCccd(PERSON, {**genuine.files, "COM": com})
    hidden.key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(ChipAnswerInvalid, match="active authentication"):
        read_card(hidden.transmit, PERSON.id_number, PERSON.born, PERSON.issued)
    assert 15 in hidden.read  # read for the SOD's sake, not EF.COM's
    gone = VirtualCccd(PERSON, {name: data for name, data in {**genuine.files, "COM": com}.items() if name != 15})
    del gone.files[15]  # the test card adds its own DG15 unless told otherwise
    with pytest.raises(ChipAnswerInvalid, match="DG15 is signed for but absent"):
        read_card(gone.transmit, PERSON.id_number, PERSON.born, PERSON.issued)


def test_a_dg14_laid_out_otherwise_is_only_not_reported():
    """DG14 is reported, not used: a genuine card whose DG14 this code cannot parse is read."""
    from idcard_card import tlv

    files = groups(PERSON)
    files[14] = tlv(0x6E, tlv(0x31, tlv(0x30, tlv(0x02, b"\x01"))))  # a SecurityInfo with no OID first
    files[15] = VirtualCccd().files[15]
    files["SOD"] = card_issuer().sod({n: files[n] for n in (1, 13, 14, 15)})
    read = read_card(VirtualCccd(PERSON, files).transmit, PERSON.id_number, PERSON.born, PERSON.issued)
    assert read.chip_authentication == "" and read.passive.groups == (1, 13, 14, 15) and read.active == "verified"


def test_a_card_without_dg15_says_active_authentication_is_absent():
    files = groups(PERSON)
    files["SOD"] = card_issuer().sod({1: files[1], 13: files[13]})
    card = VirtualCccd(PERSON, files)
    del card.files[14], card.files[15]  # the test card adds its DG14 and its key's DG15 unless told otherwise
    read = read_card(card.transmit, PERSON.id_number, PERSON.born, PERSON.issued)
    assert read.active == "absent" and read.passive.level == "signature" and card.challenges == []
    assert read.chip_authentication == ""


def test_dg14_names_the_protocols_the_chip_offers():
    from idcard_card import dg14, oid, tlv
    from kiosk.hardware.idcard.groups import protocols_of_dg14

    assert protocols_of_dg14(dg14()) == ("id-CA-ECDH-AES-CBC-CMAC-128", "id-PK-ECDH", "id-ActiveAuthentication")
    unknown = tlv(0x6E, tlv(0x31, tlv(0x30, oid("1.2.3.4") + tlv(0x02, b"\x01"))))
    assert protocols_of_dg14(unknown) == ("1.2.3.4",)
    for nonsense in (tlv(0x6E, tlv(0x31, tlv(0x30, tlv(0x02, b"\x01")))),  # no OID first
                     tlv(0x6E, tlv(0x31, tlv(0x30, tlv(0x06, b"\x80"))))):  # an OID that does not end
        with pytest.raises(ChipAnswerInvalid):
            protocols_of_dg14(nonsense)

