"""The chip's keys and secure messaging against the worked examples of ICAO Doc 9303 Part 11
(Appendix D: BAC, its session keys, and secure messaging; Appendix G: PACE's password key), the
CMAC of NIST SP 800-38B, and the CCCD's own rules for its keys (the CAN and the MRZ key from
the ID number, the expiry from the birthday)."""

import datetime as dt

import pytest

from kiosk.hardware.idcard import bac
from kiosk.hardware.idcard.errors import ChipAnswerInvalid, WrongAccessKey
from kiosk.hardware.idcard.keys import (ENC, MAC, NO_EXPIRY, bac_seed, can_of, can_password, check_digit, derive_key,
                                        document_number, expiry_candidates, mrz_information, mrz_password,
                                        pace_password_key)
from kiosk.hardware.idcard.secure_messaging import SecureMessaging, aes_cmac, pad, retail_mac, unpad

H = bytes.fromhex

# ICAO 9303-11 Appendix D.2 and D.3: the document L898902C<, born 690806, expiring 940623.
MRZ_INFO = "L898902C<369080619406236"
K_ENC, K_MAC = H("AB94FDECF2674FDFB9B391F85D7F76F2"), H("7962D9ECE03D1ACD4C76089DCE131543")
RND_IC, RND_IFD, K_IFD = H("4608F91988702212"), H("781723860C06C226"), H("0B795240CB7049B01C19B33E32804F0B")
CHIP_ANSWER = H("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D7449")


def test_the_mrz_key_of_the_worked_example():
    assert [check_digit(x) for x in ("L898902C<", "690806", "940623")] == ["3", "1", "6"]
    assert mrz_information("L898902C", "690806", "940623") == MRZ_INFO
    assert bac_seed(MRZ_INFO) == H("239AB9CB282DAF66231DC5A4DF6BFBAE")
    assert derive_key(bac_seed(MRZ_INFO), ENC, "3des") == K_ENC
    assert derive_key(bac_seed(MRZ_INFO), MAC, "3des") == K_MAC


def test_bac_mutual_authentication_and_its_session_keys():
    data = bac.authenticate_data(K_ENC, K_MAC, RND_IC, RND_IFD, K_IFD)
    assert data == H("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A7")
    sm = bac.session(K_ENC, K_MAC, CHIP_ANSWER, RND_IC, RND_IFD, K_IFD)
    assert sm.ks_enc == H("979EC13B1CBFE9DCD01AB0FED307EAE5")
    assert sm.ks_mac == H("F1CB1F1FB5ADF208806B89DC579DC1F8")
    assert sm.ssc == 0x887022120C06C226
    assert "979E" not in repr(sm) and "F1CB" not in repr(sm)  # keys are not shown


def test_a_chip_answer_made_with_another_key_or_not_to_our_challenge_is_refused():
    other_mac = derive_key(bac_seed("L898902C<369080619406247"), MAC, "3des")
    with pytest.raises(WrongAccessKey):
        bac.session(K_ENC, other_mac, CHIP_ANSWER, RND_IC, RND_IFD, K_IFD)
    with pytest.raises(ChipAnswerInvalid):
        bac.session(K_ENC, K_MAC, CHIP_ANSWER, H("0000000000000000"), RND_IFD, K_IFD)
    with pytest.raises(ChipAnswerInvalid):
        bac.session(K_ENC, K_MAC, CHIP_ANSWER[:30], RND_IC, RND_IFD, K_IFD)


def test_secure_messaging_of_the_worked_example():
    """Appendix D.4: SELECT EF.COM, then READ BINARY of 4 and of 18 bytes, each protected and
    each answer checked and decrypted, the counter moving on at every step."""
    sm = SecureMessaging("3des", H("979EC13B1CBFE9DCD01AB0FED307EAE5"), H("F1CB1F1FB5ADF208806B89DC579DC1F8"),
                         0x887022120C06C226)
    assert sm.wrap(H("00A4020C02011E")) == H("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800")
    assert sm.unwrap(H("990290008E08FA855A5D4C50A8ED")) == b""
    assert sm.wrap(H("00B0000004")) == H("0CB000000D9701048E08ED6705417E96BA5500")
    assert sm.unwrap(H("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED")) == H("60145F01")
    assert sm.wrap(H("00B0000412")) == H("0CB000040D9701128E082EA28A70F3C7B53500")
    assert sm.unwrap(H("871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D74")
                     ) == H("04303130365F36063034303030305C026175")


def test_an_altered_or_replayed_answer_is_refused():
    keys = H("979EC13B1CBFE9DCD01AB0FED307EAE5"), H("F1CB1F1FB5ADF208806B89DC579DC1F8")
    answer = H("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED")
    for altered in (answer[:4] + bytes([answer[4] ^ 1]) + answer[5:], answer[:-1], answer[:12], b"", b"\x87\xff"):
        sm = SecureMessaging("3des", *keys, 0x887022120C06C228)
        sm.wrap(H("00B0000004"))
        with pytest.raises(ChipAnswerInvalid):
            sm.unwrap(altered)
    replay = SecureMessaging("3des", *keys, 0x887022120C06C228)
    replay.wrap(H("00B0000004"))
    assert replay.unwrap(answer) == H("60145F01")
    replay.wrap(H("00B0000004"))
    with pytest.raises(ChipAnswerInvalid):  # the same answer again: the counter has moved on
        replay.unwrap(answer)


def test_aes_secure_messaging_round_trip_and_cmac():
    # NIST SP 800-38B, D.1 example 2, cut to the 8 bytes ICAO keeps.
    assert aes_cmac(H("2B7E151628AED2A6ABF7158809CF4F3C"), H("6BC1BEE22E409F96E93D7E117393172A")) == H("070A16B46B4D4144")
    assert retail_mac(K_MAC, pad(H("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2"), 8)) \
        == H("5F1448EEA8AD90A7")
    key_enc, key_mac = bytes(range(16)), bytes(range(16, 32))
    terminal, chip = (SecureMessaging("aes", key_enc, key_mac, 41) for _ in range(2))
    command = terminal.wrap(H("00B0000010"))
    assert command[:4] == H("0CB00000") and command[-1] == 0
    # The chip's side, as the test card will answer: the data encrypted with the next counter's IV.
    chip.ssc += 1
    chip.ssc += 1
    body = chip._crypt(pad(b"sixteen bytes!!!", 16), True)
    covered = b"\x87\x21\x01" + body + H("99029000")
    answer = covered + b"\x8e\x08" + chip._mac(covered)
    assert terminal.unwrap(answer) == b"sixteen bytes!!!"


def test_padding():
    assert pad(H("010203"), 8) == H("0102038000000000")
    assert len(pad(bytes(8), 8)) == 16 and unpad(pad(H("010203"), 16)) == H("010203")
    with pytest.raises(ChipAnswerInvalid):
        unpad(H("0102030000"))


def test_pace_password_keys():
    # ICAO 9303-11 Appendix G.1: the MRZ T22000129, born 640812, expiring 101031.
    mrz = mrz_information("T22000129", "640812", "101031")
    assert mrz_password(mrz) == H("7E2D2A41C74EA0B38CD36F863939BFA8E9032AAD")
    assert pace_password_key(mrz_password(mrz)) == H("89DED1B26624EC1E634C1989302849DD")
    assert can_password("123456") == b"123456"
    assert len(pace_password_key(can_password("123456"))) == 16


def test_a_cccd_s_keys_come_from_the_end_of_its_id_number():
    assert can_of("052090000001") == "000001"
    assert document_number("052090000001") == "090000001"  # the last 9 digits, not the first 9
    for bad in ("05209000000", "0520900000011", "05209000000X", "０５２０９０００００００１"):
        with pytest.raises(ValueError):
            can_of(bad)


@pytest.mark.parametrize("born, issued, expected", [
    (dt.date(1990, 5, 17), dt.date(2021, 3, 1), ["300517"]),  # issued at 30: expires at 40
    (dt.date(1985, 1, 10), dt.date(2024, 6, 1), ["450110"]),  # issued within 2 years of 40: at 60
    (dt.date(1960, 2, 29), dt.date(2021, 1, 1), [NO_EXPIRY]),  # issued at 60: no expiry
    (dt.date(2008, 2, 29), dt.date(2024, 8, 1), ["330228"]),  # a 29 February birthday in a common year
    (dt.date(2012, 7, 1), dt.date(2025, 1, 2), ["370701"]),  # issued within 2 years of 14: at 25
    (dt.date(1990, 5, 17), None, ["040517", "150517", "300517", "500517", NO_EXPIRY]),  # every milestone
])
def test_a_cccd_s_expiry_is_its_holder_s_birthday_at_a_milestone(born, issued, expected):
    assert expiry_candidates(born, issued) == expected


def test_pace_of_the_worked_example():
    """ICAO 9303-11 Appendix G.1: ECDH generic mapping on brainpoolP256r1 with AES-128, the MRZ
    password, the chip's keys and nonce fixed, played by a chip that checks the terminal's token."""
    from kiosk.hardware.idcard import pace

    chip_map_sk = int("498FF49756F2DC1587840041839A85982BE7761D14715FB091EFA7BCE9058560", 16)
    chip_dh_sk = int("107CF58696EF6155053340FD633392BA81909DF7B9706F226F32086C7AFF974A", 16)
    terminal_keys = iter([int("7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99", 16),
                          int("A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595", 16)])
    seen = {}

    def chip(apdu, step):
        body = apdu[5:5 + apdu[4]]
        if b"\x81\x41" in body:  # the terminal's mapping key
            seen["pk_map_ifd"] = body[-65:]
            return pace._dynamic(0x82, pace.encoded(pace.CURVE.generator * chip_map_sk))
        if b"\x83\x41" in body:
            seen["pk_dh_ifd"] = body[-65:]
            generator = pace.mapped_generator(int("3F00C4D39D153F2B2A214A078D899B22", 16), chip_map_sk,
                                              pace.point(seen["pk_map_ifd"]))
            seen["generator"] = pace.encoded(generator)
            return pace._dynamic(0x84, pace.encoded(generator * chip_dh_sk))
        if b"\x85\x08" in body:
            seen["t_ifd"] = body[-8:]
            return pace._dynamic(0x86, H("3ABB9674BCE93C08"))
        return pace._dynamic(0x80, H("95A3A016522EE98D01E76CB6B98B42C3"))

    password = mrz_password(mrz_information("T22000129", "640812", "101031"))
    sm = pace.establish(chip, password, new_key=lambda: next(terminal_keys))
    assert seen["pk_map_ifd"] == H("047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E"
                                   "544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D")
    assert seen["generator"] == H("048CED63C91426D4F0EB1435E7CB1D74A46723A0AF21C89634F65A9AE87A9265E2"
                                  "8C879506743F8611AC33645C5B985C80B5F09A0B83407C1B6A4D857AE76FE522")
    assert seen["pk_dh_ifd"] == H("042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C"
                                  "3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB36462")
    assert seen["t_ifd"] == H("C2B0BD78D94BA866")
    assert (sm.cipher, sm.ks_enc, sm.ks_mac, sm.ssc) == (
        "aes", H("F5F0E35C0D7161EE6724EE513A0D9A7F"), H("FE251C7858B356B24514B3BD5F4297D1"), 0)
    assert pace.decrypt_nonce(pace_password_key(password), H("95A3A016522EE98D01E76CB6B98B42C3")) == \
        int("3F00C4D39D153F2B2A214A078D899B22", 16)


def test_pace_refuses_a_point_off_the_curve_and_a_wrong_token():
    from kiosk.hardware.idcard import pace

    good = pace.encoded(pace.CURVE.generator * 5)
    with pytest.raises(ChipAnswerInvalid):
        pace.point(good[:-1] + bytes([good[-1] ^ 1]))
    with pytest.raises(ChipAnswerInvalid):
        pace.point(good[:33])

    def chip(apdu, step):
        body = apdu[5:5 + apdu[4]]
        if b"\x81\x41" in body:
            return pace._dynamic(0x82, good)
        if b"\x83\x41" in body:
            return pace._dynamic(0x84, good)
        if b"\x85\x08" in body:
            return pace._dynamic(0x86, bytes(8))  # not the token of this key
        return pace._dynamic(0x80, bytes(16))

    with pytest.raises(ChipAnswerInvalid):
        pace.establish(chip, can_password("123456"))


def test_active_authentication_with_rsa_and_ec_keys():
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    from idcard_card import sign_challenge, tlv
    from kiosk.hardware.idcard import active

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    nonce = active.challenge()
    dg15 = tlv(0x6F, rsa_key.public_key().public_bytes(serialization.Encoding.DER,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo))
    active.verify(active.public_key(dg15), nonce, sign_challenge(rsa_key, nonce))
    with pytest.raises(ChipAnswerInvalid):  # the answer to another challenge
        active.verify(active.public_key(dg15), nonce, sign_challenge(rsa_key, active.challenge()))
    with pytest.raises(ChipAnswerInvalid):
        active.verify(active.public_key(dg15), nonce, bytes(128))
    ec_key = ec.generate_private_key(ec.SECP256R1())
    r, s = decode_dss_signature(ec_key.sign(nonce, ec.ECDSA(hashes.SHA256())))
    plain = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    active.verify(ec_key.public_key(), nonce, plain)
    with pytest.raises(ChipAnswerInvalid):
        active.verify(ec_key.public_key(), nonce[::-1], plain)
    with pytest.raises(ChipAnswerInvalid):
        active.public_key(tlv(0x6F, b"\x30\x03\x02\x01\x01"))
