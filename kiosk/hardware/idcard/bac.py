"""Basic Access Control (ICAO Doc 9303 Part 11, 4.3): the mutual authentication with the MRZ's
keys, and the session it opens. The card's challenge and the terminal's random numbers come from
the caller (the chip, and `secrets`), so that the standard's worked example can be checked."""

from __future__ import annotations

import hmac

from .errors import ChipAnswerInvalid, WrongAccessKey
from .keys import ENC, MAC, derive_key
from .secure_messaging import SecureMessaging, pad, retail_mac, tdes_decrypt, tdes_encrypt


def authenticate_data(k_enc: bytes, k_mac: bytes, rnd_ic: bytes, rnd_ifd: bytes, k_ifd: bytes) -> bytes:
    """EXTERNAL AUTHENTICATE's data: the terminal's cryptogram and its MAC."""
    encrypted = tdes_encrypt(k_enc, rnd_ifd + rnd_ic + k_ifd)
    return encrypted + retail_mac(k_mac, pad(encrypted, 8))


def session(k_enc: bytes, k_mac: bytes, answer: bytes, rnd_ic: bytes, rnd_ifd: bytes, k_ifd: bytes) -> SecureMessaging:
    """The secure messaging that the chip's answer opens. An answer whose MAC is wrong was made with
    another key (WrongAccessKey); one that does not return our challenge is not a genuine chip's."""
    if len(answer) != 40:
        raise ChipAnswerInvalid(f"mutual authentication answered {len(answer)} bytes")
    encrypted, mac = answer[:32], answer[32:]
    if not hmac.compare_digest(retail_mac(k_mac, pad(encrypted, 8)), mac):
        raise WrongAccessKey("mutual authentication MAC")
    plain = tdes_decrypt(k_enc, encrypted)
    if plain[:8] != rnd_ic or plain[8:16] != rnd_ifd:
        raise ChipAnswerInvalid("mutual authentication nonces")
    seed = bytes(a ^ b for a, b in zip(k_ifd, plain[16:32]))
    return SecureMessaging("3des", derive_key(seed, ENC, "3des"), derive_key(seed, MAC, "3des"),
                           int.from_bytes(rnd_ic[-4:] + rnd_ifd[-4:], "big"))
