"""Secure messaging (ICAO Doc 9303 Part 11, 9.8): every command to the chip after BAC or PACE is
encrypted and MACed with the session keys, every answer checked and decrypted, each with a send
sequence counter (SSC) that both sides count, so that no answer can be replayed or altered.

"3des" after BAC: two-key 3DES in CBC, ISO 9797-1 MAC algorithm 3 (the "retail MAC").
"aes" after PACE (the CCCD's AES-128): AES in CBC with the SSC's encryption as IV, CMAC cut to
8 bytes. The ciphers are `cryptography`'s."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC

from .errors import ChipAnswerInvalid


def pad(data: bytes, block: int) -> bytes:
    """ISO 9797-1 padding method 2: 80, then zeros to the block's end."""
    data += b"\x80"
    return data + b"\x00" * (-len(data) % block)


def unpad(data: bytes) -> bytes:
    end = data.rstrip(b"\x00")
    if not end.endswith(b"\x80"):
        raise ChipAnswerInvalid("bad padding")
    return end[:-1]


def _des(key: bytes) -> TripleDES:
    """3DES with the key as three: two-key 3DES is K1 K2 K1, single DES is K K K (the forms
    `cryptography` keeps; it is dropping the short keys)."""
    return TripleDES(key + key[:8] if len(key) == 16 else key * 3)


def _crypt(algorithm, key: bytes, data: bytes, iv: bytes, encrypt: bool) -> bytes:
    cipher = Cipher(algorithm(key), modes.CBC(iv))
    worker = cipher.encryptor() if encrypt else cipher.decryptor()
    return worker.update(data) + worker.finalize()


def tdes_encrypt(key: bytes, data: bytes) -> bytes:
    """Two-key 3DES in CBC with a zero IV (BAC's cryptograms, 3DES secure messaging)."""
    return _crypt(_des, key, data, bytes(8), True)


def tdes_decrypt(key: bytes, data: bytes) -> bytes:
    return _crypt(_des, key, data, bytes(8), False)


def retail_mac(key: bytes, data: bytes) -> bytes:
    """ISO 9797-1 MAC algorithm 3 with DES over padded `data`: CBC with the key's first half, then
    the last block decrypted with the second half and encrypted with the first."""
    ka, kb = key[:8], key[8:16]
    chained = _crypt(_des, ka, data, bytes(8), True)[-8:]  # the first half alone: single DES
    return _crypt(_des, ka, _crypt(_des, kb, chained, bytes(8), False), bytes(8), True)


def aes_cmac(key: bytes, data: bytes) -> bytes:
    """CMAC with AES, cut to the 8 bytes the standard keeps."""
    mac = CMAC(algorithms.AES(key))
    mac.update(data)
    return mac.finalize()[:8]


def _tlv(tag: int, value: bytes) -> bytes:
    if len(value) < 0x80:
        length = bytes([len(value)])
    elif len(value) < 0x100:
        length = bytes([0x81, len(value)])
    else:
        length = bytes([0x82]) + len(value).to_bytes(2, "big")
    return bytes([tag]) + length + value


def _objects(data: bytes) -> tuple[dict[int, bytes], int]:
    """The data objects of a protected answer by tag (87, 99, 8E), and where the MAC's object
    starts (what comes before it is what the MAC covers); malformed is ChipAnswerInvalid."""
    found, at, mac_at = {}, 0, len(data)
    while at < len(data):
        if data[at] == 0x8E:
            mac_at = at
        if at + 2 > len(data):
            raise ChipAnswerInvalid("truncated data object")
        tag, length = data[at], data[at + 1]
        at += 2
        if length == 0x81 or length == 0x82:
            size = length - 0x80
            if at + size > len(data):
                raise ChipAnswerInvalid("truncated length")
            length = int.from_bytes(data[at:at + size], "big")
            at += size
        elif length > 0x80:
            raise ChipAnswerInvalid("bad length")
        if at + length > len(data) or tag in found:
            raise ChipAnswerInvalid("bad data object")
        found[tag] = data[at:at + length]
        at += length
    return found, mac_at


@dataclass
class SecureMessaging:
    """The session's keys and counter: `wrap` a command, `unwrap` its answer, in turn."""

    cipher: str
    """"3des" (after BAC) or "aes" (after PACE)."""
    ks_enc: bytes = field(repr=False)
    ks_mac: bytes = field(repr=False)
    ssc: int = field(repr=False)

    @property
    def block(self) -> int:
        return 8 if self.cipher == "3des" else 16

    def _mac(self, data: bytes) -> bytes:
        counted = self.ssc.to_bytes(self.block, "big") + data
        if self.cipher == "3des":
            return retail_mac(self.ks_mac, pad(counted, 8))
        return aes_cmac(self.ks_mac, pad(counted, 16))

    def _iv(self) -> bytes:
        if self.cipher == "3des":
            return bytes(8)
        return _crypt(algorithms.AES, self.ks_enc, self.ssc.to_bytes(16, "big"), bytes(16), True)

    def _crypt(self, data: bytes, encrypt: bool) -> bytes:
        algorithm = _des if self.cipher == "3des" else algorithms.AES
        return _crypt(algorithm, self.ks_enc, data, self._iv(), encrypt)

    def wrap(self, apdu: bytes) -> bytes:
        """A plain short APDU (CLA INS P1 P2 [Lc data] [Le]) as its protected form."""
        header, body = apdu[:4], apdu[4:]
        data, le = b"", None
        if len(body) == 1:
            le = body
        elif body:
            data = body[1:1 + body[0]]
            if len(body) > 1 + body[0]:
                le = body[1 + body[0]:]
        self.ssc += 1
        header = bytes([header[0] | 0x0C]) + header[1:]
        objects = b""
        if data:
            objects += _tlv(0x87, b"\x01" + self._crypt(pad(data, self.block), True))
        if le is not None:
            objects += _tlv(0x97, le)
        mac = self._mac(pad(header, self.block) + objects)
        objects += _tlv(0x8E, mac)
        return header + bytes([len(objects)]) + objects + b"\x00"

    def unwrap(self, answer: bytes) -> bytes:
        """The protected answer's data (its status word checked by the caller on the plain one), or
        ChipAnswerInvalid when its MAC is wrong or it is malformed."""
        self.ssc += 1
        objects, mac_at = _objects(answer)
        if 0x8E not in objects or 0x99 not in objects:
            raise ChipAnswerInvalid("answer without MAC or status")
        if not hmac.compare_digest(self._mac(answer[:mac_at]), objects[0x8E]):
            raise ChipAnswerInvalid("wrong MAC")
        if 0x87 not in objects:
            return b""
        encrypted = objects[0x87]
        if not encrypted or encrypted[0] != 1 or (len(encrypted) - 1) % self.block:
            raise ChipAnswerInvalid("bad cryptogram")
        return unpad(self._crypt(encrypted[1:], False))
