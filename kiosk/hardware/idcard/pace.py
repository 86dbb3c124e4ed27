"""PACE (ICAO Doc 9303 Part 11, 4.4) as the CCCD does it: id-PACE-ECDH-GM-AES-CBC-CMAC-128 on
brainpoolP256r1, the CAN as password. The chip sends a nonce encrypted with the password's key;
both sides map it to a new generator (generic mapping: G' = s·G + H, H an ECDH on the curve's
own generator), agree a key on G', and prove it to each other with tokens; a wrong CAN shows in
the last step (the chip answers 6300). Secure messaging follows with AES and a counter from 0.

The curve's arithmetic is the `ecdsa` library's; AES and CMAC are `cryptography`'s. The random
keys come from the caller (secrets by default), so that Appendix G.1's worked example is checked."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from ecdsa.curves import BRAINPOOLP256r1
from ecdsa.ellipticcurve import PointJacobi

from .errors import ChipAnswerInvalid
from .keys import ENC, MAC, derive_key, pace_password_key
from .secure_messaging import SecureMessaging, aes_cmac
from .tlv import parse

OID = bytes.fromhex("04007F00070202040202")
"""id-PACE-ECDH-GM-AES-CBC-CMAC-128 (0.4.0.127.0.7.2.2.4.2.2), as DER content."""
CURVE = BRAINPOOLP256r1
"""Standardised domain parameters 13."""
PARAMETER_ID = 13
CAN_REFERENCE, MRZ_REFERENCE = 2, 1


def decrypt_nonce(k_pi: bytes, encrypted: bytes) -> int:
    if len(encrypted) != 16:
        raise ChipAnswerInvalid("encrypted nonce of the wrong size")
    worker = Cipher(algorithms.AES(k_pi), modes.CBC(bytes(16))).decryptor()
    return int.from_bytes(worker.update(encrypted) + worker.finalize(), "big")


def point(data: bytes) -> PointJacobi:
    """A point the chip sent (uncompressed), which must lie on the curve and not be infinity."""
    size = (CURVE.curve.p().bit_length() + 7) // 8
    if len(data) != 1 + 2 * size or data[0] != 4:
        raise ChipAnswerInvalid("not an uncompressed point")
    x, y = int.from_bytes(data[1:1 + size], "big"), int.from_bytes(data[1 + size:], "big")
    if not CURVE.curve.contains_point(x, y):
        raise ChipAnswerInvalid("a point off the curve")
    return PointJacobi.from_bytes(CURVE.curve, data)


def encoded(p: PointJacobi) -> bytes:
    return p.to_bytes("uncompressed")


def mapped_generator(nonce: int, sk_map: int, pk_map_other: PointJacobi) -> PointJacobi:
    """G' = s·G + H, H = sk_map · PK_map of the other side."""
    return CURVE.generator * nonce + pk_map_other * sk_map


def shared_secret(sk: int, pk_other: PointJacobi) -> bytes:
    """The x coordinate of sk · PK of the other side, the key agreement's secret."""
    size = (CURVE.curve.p().bit_length() + 7) // 8
    return (pk_other * sk).x().to_bytes(size, "big")


def session_keys(secret: bytes) -> tuple[bytes, bytes]:
    return derive_key(secret, ENC, "aes128"), derive_key(secret, MAC, "aes128")


def token(ks_mac: bytes, pk_other: bytes) -> bytes:
    """The authentication token over the other side's key-agreement public key: CMAC of its
    public key data object 7F49 { 06 OID, 86 point }."""
    body = b"\x06" + bytes([len(OID)]) + OID + b"\x86" + bytes([len(pk_other)]) + pk_other
    return aes_cmac(ks_mac, b"\x7f\x49" + bytes([len(body)]) + body)


def random_key() -> int:
    return secrets.randbelow(CURVE.order - 1) + 1


def _dynamic(tag: int, value: bytes) -> bytes:
    """7C { tag value }: GENERAL AUTHENTICATE's dynamic authentication data."""
    inner = bytes([tag, len(value)]) + value if len(value) < 0x80 else bytes([tag, 0x81, len(value)]) + value
    return b"\x7c" + (bytes([len(inner)]) if len(inner) < 0x80 else bytes([0x81, len(inner)])) + inner


def _answer(data: bytes, tag: int) -> bytes:
    outer = parse(data)
    if len(outer) != 1 or outer[0].tag != 0x7C:
        raise ChipAnswerInvalid("not dynamic authentication data")
    inner = {t.tag: t.value for t in parse(outer[0].value)}
    if tag not in inner:
        raise ChipAnswerInvalid(f"no {tag:02X} in the answer")
    return inner[tag]


Command = Callable[[bytes, str], bytes]
"""Sends a plain APDU and answers its data (ChipReader.command)."""


def set_algorithm(command: Command, reference: int = CAN_REFERENCE) -> None:
    """MSE:SET AT, PACE's first command: which protocol, with which password. A card without
    PACE refuses it (then BAC)."""
    data = b"\x80" + bytes([len(OID)]) + OID + b"\x83\x01" + bytes([reference])
    command(b"\x00\x22\xc1\xa4" + bytes([len(data)]) + data, "PACE: set the algorithm")


def establish(command: Command, password: bytes, new_key: Callable[[], int] = random_key) -> SecureMessaging:
    """Run PACE, after `set_algorithm`, with `password` (keys.can_password or keys.mrz_password),
    and answer the secure messaging it opens. A wrong password is WrongAccessKey (the chip's 6300);
    a chip that answers what no chip should (a point off the curve, a wrong token) is
    ChipAnswerInvalid."""
    k_pi = pace_password_key(password)

    def general_authenticate(last: bool, tag: int, value: bytes, step: str) -> bytes:
        data = _dynamic(tag, value) if value else b"\x7c\x00"
        return command(bytes([0x00 if last else 0x10, 0x86, 0x00, 0x00, len(data)]) + data + b"\x00", step)

    nonce = decrypt_nonce(k_pi, _answer(general_authenticate(False, 0, b"", "PACE: nonce"), 0x80))
    sk_map = new_key()
    pk_map = CURVE.generator * sk_map
    chip_map = point(_answer(general_authenticate(False, 0x81, encoded(pk_map), "PACE: map the nonce"), 0x82))
    generator = mapped_generator(nonce, sk_map, chip_map)
    sk = new_key()
    pk = encoded(generator * sk)
    chip_pk = _answer(general_authenticate(False, 0x83, pk, "PACE: agree a key"), 0x84)
    if chip_pk == pk:
        raise ChipAnswerInvalid("the chip sent back the terminal's own key")
    ks_enc, ks_mac = session_keys(shared_secret(sk, point(chip_pk)))
    chip_token = _answer(general_authenticate(True, 0x85, token(ks_mac, chip_pk), "PACE: tokens"), 0x86)
    if not hmac.compare_digest(chip_token, token(ks_mac, pk)):
        raise ChipAnswerInvalid("the chip's token is wrong")
    return SecureMessaging("aes", ks_enc, ks_mac, 0)
