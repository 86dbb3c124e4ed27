"""Active authentication (ICAO Doc 9303 Part 11, 6.1): the chip signs a fresh random challenge
with the private key whose public half is in DG15 (which the SOD signs). A copy of the chip's data
has no private key: a clone fails here.

RSA keys sign with ISO/IEC 9796-2 scheme 1 (message recovery), which `cryptography` does not
offer: the public operation is Python's own modular power, the check the standard's layout. EC
keys sign plainly (r || s), checked with `cryptography`."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from .errors import ChipAnswerInvalid
from .tlv import one

TRAILERS = {0x33: hashlib.sha1, 0x34: hashlib.sha256, 0x35: hashlib.sha512, 0x36: hashlib.sha384,
            0x38: hashlib.sha224}
"""ISO/IEC 10118-3's hash identifiers in a 9796-2 trailer "xx CC"; "BC" alone is SHA-1."""


def public_key(dg15: bytes):
    """DG15's public key (a SubjectPublicKeyInfo)."""
    try:
        key = serialization.load_der_public_key(one(dg15, 0x6F).value)
    except (ValueError, TypeError):
        raise ChipAnswerInvalid("DG15 holds no public key") from None
    if not isinstance(key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
        raise ChipAnswerInvalid("DG15's key is neither RSA nor EC")
    return key


def challenge() -> bytes:
    """Eight fresh random bytes: never the same twice, so that an answer cannot be replayed."""
    return secrets.token_bytes(8)


def verify(key, nonce: bytes, signature: bytes) -> None:
    """The chip's answer to `nonce` must be a signature by `key`; ChipAnswerInvalid otherwise."""
    if isinstance(key, rsa.RSAPublicKey):
        _verify_rsa(key, nonce, signature)
        return
    size = (key.curve.key_size + 7) // 8
    if len(signature) != 2 * size:
        raise ChipAnswerInvalid("active authentication: a signature of the wrong size")
    der = encode_dss_signature(int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big"))
    for digest in (hashes.SHA256(), hashes.SHA1(), hashes.SHA384(), hashes.SHA512(), hashes.SHA224()):
        try:  # the hash is DG14's to say; the CCCD's is not published: each is tried
            key.verify(der, nonce, ec.ECDSA(digest))
            return
        except InvalidSignature:
            continue
    raise ChipAnswerInvalid("active authentication failed: the chip is not the one the data was signed for")


def _verify_rsa(key: rsa.RSAPublicKey, nonce: bytes, signature: bytes) -> None:
    numbers = key.public_numbers()
    size = (numbers.n.bit_length() + 7) // 8
    value = int.from_bytes(signature, "big")
    if len(signature) != size or not 0 < value < numbers.n:
        raise ChipAnswerInvalid("active authentication: a signature of the wrong size")
    recovered = pow(value, numbers.e, numbers.n)
    for candidate in (recovered, numbers.n - recovered):  # 9796-2 may sign the smaller of F and n - F
        message = candidate.to_bytes(size, "big")
        if message[-1] == 0xBC:
            digest, trailer = hashlib.sha1, 1
        elif message[-1] == 0xCC and message[-2] in TRAILERS:
            digest, trailer = TRAILERS[message[-2]], 2
        else:
            continue
        length = digest().digest_size
        if message[0] != 0x6A or len(message) < 1 + length + trailer:
            continue
        recoverable = message[1:-(length + trailer)]
        if hmac.compare_digest(message[-(length + trailer):-trailer], digest(recoverable + nonce).digest()):
            return
    raise ChipAnswerInvalid("active authentication failed: the chip is not the one the data was signed for")
