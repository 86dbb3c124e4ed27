"""A test CCCD: a pure-Python chip that answers as the card does (the eMRTD application, BAC,
secure messaging, SELECT and READ BINARY of its groups), built from a synthetic identity. Nobody
real: every value is made up. Ways to misbehave, for the tests of each failure: a wrong byte in
an answer, a card taken away after some commands, nonsense for an answer.

It speaks PACE (with its CAN, the ID number's last 6 digits) and BAC, as the CCCD does; `pace`
False makes an older card that knows BAC only. It holds DG14 (the protocols it offers), DG15
(its active-authentication key, whose private half signs challenges) and an SOD signed by a test
document signer under a test CSCA (tests/idcard_pki.py)."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from kiosk.hardware.idcard import bac, pace
from kiosk.hardware.idcard.errors import CardRemoved
from kiosk.hardware.idcard.keys import (ENC, MAC, bac_seed, can_of, can_password, check_digit, derive_key,
                                        document_number, expiry_candidates, mrz_information, pace_password_key)
from kiosk.hardware.idcard.reader import AID, FILES
from kiosk.hardware.idcard.secure_messaging import SecureMessaging, pad, retail_mac, tdes_decrypt, tdes_encrypt, unpad
from kiosk.hardware.idcard.tlv import parse


def tlv(tag: int, value: bytes) -> bytes:
    size = len(value)
    length = bytes([size]) if size < 0x80 else (bytes([0x81, size]) if size < 0x100 else b"\x82" + size.to_bytes(2, "big"))
    return tag.to_bytes((tag.bit_length() + 7) // 8, "big") + length + value


def utf8(text: str) -> bytes:
    return tlv(0x0C, text.encode())


@dataclass
class Person:
    """A synthetic citizen (no real person has these)."""

    id_number: str = "079090001234"
    name: str = "Nguyễn Thị Mẫu"
    mrz_name: str = "NGUYEN<<THI<MAU"
    born: dt.date = dt.date(1990, 5, 17)
    issued: dt.date = dt.date(2021, 3, 1)
    sex: str = "Nữ"
    residence: str = "Số 1 đường Thử, phường Mẫu, tỉnh Gia Lai"

    @property
    def expiry(self) -> str:
        return expiry_candidates(self.born, self.issued)[0]


def mrz(person: Person) -> str:
    number = document_number(person.id_number)
    line1 = f"IDVNM{number}{check_digit(number)}{person.id_number}<<"
    line1 += check_digit(line1[5:])
    birth, expiry = person.born.strftime("%y%m%d"), person.expiry
    line2 = f"{birth}{check_digit(birth)}F{expiry}{check_digit(expiry)}VNM" + "<" * 11
    line2 += check_digit(line1[5:30] + line2[0:7] + line2[8:15])
    return line1 + line2 + person.mrz_name.ljust(30, "<")[:30]


def groups(person: Person, extra_fields: bytes = b"") -> dict:
    """EF.COM, DG1 and DG13 as the card holds them."""
    def field(number: int, *values: bytes) -> bytes:
        return tlv(0x30, tlv(0x02, bytes([number])) + b"".join(values))

    dg13 = tlv(0x6D, tlv(0x30, tlv(0x02, b"\x01") + tlv(0x06, bytes.fromhex("28CF060000000000")) + tlv(0x31, b"".join([
        field(1, utf8(person.id_number)), field(2, utf8(person.name)),
        field(3, utf8(person.born.strftime("%d/%m/%Y"))), field(4, utf8(person.sex)), field(5, utf8("Việt Nam")),
        field(6, utf8("Kinh")), field(7, utf8("Không")), field(8, utf8("Xã Thử, tỉnh Mẫu")),
        field(9, utf8(person.residence)), field(10, utf8("Nốt ruồi thử")),
        field(11, utf8(person.issued.strftime("%d/%m/%Y"))), field(12, utf8("17/05/2030")),
        field(13, tlv(0x30, utf8("Nguyễn Văn Bố")), tlv(0x30, utf8("Trần Thị Mẹ"))), field(14),
        field(15, utf8("")), extra_fields,
    ]))))
    return {
        "COM": tlv(0x60, tlv(0x5F01, b"0107") + tlv(0x5F36, b"040000") + tlv(0x5C, bytes([0x61, 0x75, 0x6D, 0x6E, 0x6F]))),
        1: tlv(0x61, tlv(0x5F1F, mrz(person).encode())),
        13: dg13,
    }


@functools.cache
def chip_key():
    """The test card's active-authentication key (RSA, as many eID chips have; made once)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


def dg15(key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return tlv(0x6F, key.public_key().public_bytes(serialization.Encoding.DER,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo))


CA_ECDH_AES_128 = "0.4.0.127.0.7.2.2.3.2.2"
PK_ECDH = "0.4.0.127.0.7.2.2.1.2"
AA_SHA1 = "2.23.136.1.1.5"


def oid(dotted: str) -> bytes:
    from asn1crypto import core

    return core.ObjectIdentifier(dotted).dump()


@functools.cache
def dg14() -> bytes:
    """The chip's SecurityInfos: chip authentication (ECDH, AES-128) with its public key, and
    active authentication's info, as an eMRTD's DG14 holds them (BSI TR-03110 Part 3, A.1.1)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.BrainpoolP256R1()).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    infos = [tlv(0x30, oid(CA_ECDH_AES_128) + tlv(0x02, b"\x01") + tlv(0x02, b"\x01")),
             tlv(0x30, oid(PK_ECDH) + key + tlv(0x02, b"\x01")),
             tlv(0x30, oid(AA_SHA1) + tlv(0x02, b"\x01") + oid("0.4.0.127.0.7.1.1.4.1.1"))]
    return tlv(0x6E, tlv(0x31, b"".join(infos)))


def sign_challenge(private_key: rsa.RSAPrivateKey, nonce: bytes) -> bytes:
    """What a chip answers to INTERNAL AUTHENTICATE: ISO/IEC 9796-2 scheme 1 with SHA-1."""
    numbers = private_key.private_numbers()
    n = numbers.public_numbers.n
    size = (n.bit_length() + 7) // 8
    recoverable = secrets.token_bytes(size - 20 - 2)
    message = b"\x6a" + recoverable + hashlib.sha1(recoverable + nonce).digest() + b"\xbc"
    return pow(int.from_bytes(message, "big"), numbers.d, n).to_bytes(size, "big")


@functools.cache
def card_issuer():
    """One test CSCA and document signer for the run (made once: key generation is the slow part)."""
    from idcard_pki import make_issuer

    return make_issuer()


class VirtualCccd:
    """The chip. `transmit` takes an APDU and answers (data, status word)."""

    def __init__(self, person: Person | None = None, files: dict | None = None, issuer=None):
        """`issuer` (tests/idcard_pki.py): who signs the card's SOD; the module's test issuer by default."""
        self.person = person or Person()
        self.files = files if files is not None else groups(self.person)
        self.key = chip_key()
        """The key the chip signs challenges with: DG15's, unless `clone` set another."""
        self.files.setdefault(14, dg14())
        self.files.setdefault(15, dg15(self.key))
        if "SOD" not in self.files:
            self.issuer = issuer or card_issuer()
            self.files["SOD"] = self.issuer.sod({n: d for n, d in self.files.items() if isinstance(n, int)})
        seed = bac_seed(mrz_information(document_number(self.person.id_number), self.person.born.strftime("%y%m%d"),
                                        self.person.expiry))
        self.k_enc, self.k_mac = derive_key(seed, ENC, "3des"), derive_key(seed, MAC, "3des")
        self.sm: SecureMessaging | None = None
        self.challenge = b""
        self.current: bytes = b""
        self.commands = 0
        self.refused_keys = 0
        self.removed_after: int | None = None
        """Commands after which the card is taken away."""
        self.tamper = False
        """Flip a byte of every protected answer (as a relay or a faulty chip would)."""
        self.nonsense = False
        """Answer READ BINARY with random bytes and 9000."""
        self.challenges = []
        """The challenges the chip was asked to sign."""
        self.pace = True
        """Whether the card knows PACE (MSE:SET AT); without it, BAC only."""
        self.pace_state: dict = {}
        self.plain = False
        """Answer SELECT and READ BINARY without secure messaging (a benchmark's baseline: the
        same APDUs, unprotected; no real card does)."""
        self.read = []
        """The files read, by name."""

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        self.commands += 1
        if self.removed_after is not None and self.commands > self.removed_after:
            raise CardRemoved("the test card was taken away")
        cla, ins, p1, p2 = apdu[:4]
        if self.sm is not None and cla & 0x0C:
            return self._protected(apdu)
        if ins == 0xA4 and p1 == 0x04:
            self.sm = None
            return (b"", 0x9000) if apdu[5:5 + apdu[4]] == AID else (b"", 0x6A82)
        if ins == 0x84:
            self.challenge = secrets.token_bytes(8)
            return self.challenge, 0x9000
        if ins == 0x82:
            return self._authenticate(apdu[5:5 + apdu[4]])
        if ins == 0x22 and p1 == 0xC1 and p2 == 0xA4:
            self.sm = None
            self.pace_state = {}
            return b"", 0x9000 if self.pace and pace.OID in apdu else 0x6A80
        if ins == 0x86 and self.pace:
            return self._general_authenticate(apdu[5:5 + apdu[4]])
        if self.plain and ins in (0xA4, 0xB0, 0x88):
            return self._file_command(ins, p1, p2, apdu[5:5 + apdu[4]] if ins != 0xB0 else b"", apdu[4] or 256)
        return b"", 0x6982  # anything else needs secure messaging

    def _general_authenticate(self, data: bytes) -> tuple[bytes, int]:
        """PACE's four steps, the chip's side (generic mapping on brainpoolP256r1, AES-128)."""
        state = self.pace_state
        inner = {t.tag: t.value for t in parse(parse(data)[0].value)} if len(data) > 2 else {}
        if not inner:
            state["nonce"] = secrets.randbelow(2 ** 128)
            k_pi = pace_password_key(can_password(can_of(self.person.id_number)))
            worker = Cipher(algorithms.AES(k_pi), modes.CBC(bytes(16))).encryptor()
            return pace._dynamic(0x80, worker.update(state["nonce"].to_bytes(16, "big")) + worker.finalize()), 0x9000
        if 0x81 in inner:
            state["sk_map"] = pace.random_key()
            state["generator"] = pace.mapped_generator(state["nonce"], state["sk_map"], pace.point(inner[0x81]))
            return pace._dynamic(0x82, pace.encoded(pace.CURVE.generator * state["sk_map"])), 0x9000
        if 0x83 in inner:
            state["pk_ifd"] = inner[0x83]
            sk = pace.random_key()
            state["pk"] = pace.encoded(state["generator"] * sk)
            state["keys"] = pace.session_keys(pace.shared_secret(sk, pace.point(inner[0x83])))
            return pace._dynamic(0x84, state["pk"]), 0x9000
        if 0x85 in inner:
            ks_enc, ks_mac = state["keys"]
            if inner[0x85] != pace.token(ks_mac, state["pk"]):  # the terminal had another password
                self.refused_keys += 1
                return b"", 0x6300
            self.sm = SecureMessaging("aes", ks_enc, ks_mac, 0)
            return pace._dynamic(0x86, pace.token(ks_mac, state["pk_ifd"])), 0x9000
        return b"", 0x6A80

    def _file_command(self, ins: int, p1: int, p2: int, data: bytes, size: int) -> tuple[bytes, int]:
        """SELECT of a file by its identifier, or READ BINARY of `size` bytes at P1-P2."""
        if ins == 0x88:
            self.challenges.append(data)
            return sign_challenge(self.key, data), 0x9000
        if ins == 0xA4:
            name = next((n for n, fid in FILES.items() if fid.to_bytes(2, "big") == data), None)
            if name not in self.files:
                return b"", 0x6A82
            self.current = self.files[name]
            self.read.append(name)
            return b"", 0x9000
        offset = (p1 << 8) | p2
        return (secrets.token_bytes(size) if self.nonsense else self.current[offset:offset + size]), 0x9000

    def _authenticate(self, data: bytes) -> tuple[bytes, int]:
        encrypted, mac = data[:32], data[32:40]
        if retail_mac(self.k_mac, pad(encrypted, 8)) != mac:
            self.refused_keys += 1
            return b"", 0x6300
        plain = tdes_decrypt(self.k_enc, encrypted)
        rnd_ifd, rnd_ic, k_ifd = plain[:8], plain[8:16], plain[16:32]
        if rnd_ic != self.challenge:
            return b"", 0x6300
        k_ic = secrets.token_bytes(16)
        answer = tdes_encrypt(self.k_enc, rnd_ic + rnd_ifd + k_ic)
        answer += retail_mac(self.k_mac, pad(answer, 8))
        # The card's side of the session: the same keys and counter the terminal derives.
        self.sm = bac.session(self.k_enc, self.k_mac, answer, rnd_ic, rnd_ifd, k_ifd)
        return answer, 0x9000

    def _protected(self, apdu: bytes) -> tuple[bytes, int]:
        sm = self.sm
        found = parse(apdu[5:5 + apdu[4]])
        objects = {n.tag: n.value for n in found}
        covered = b"".join(tlv(n.tag, n.value) for n in found if n.tag != 0x8E)
        sm.ssc += 1
        if sm._mac(pad(bytes([apdu[0]]) + apdu[1:4], sm.block) + covered) != objects.get(0x8E):
            self.sm = None
            return b"", 0x6988
        data = unpad(sm._crypt(objects[0x87][1:], False)) if 0x87 in objects else b""
        ins, p1, p2 = apdu[1:4]
        answer, status = self._file_command(ins, p1, p2, data, objects.get(0x97, b"\x00")[0] or 256)
        sm.ssc += 1
        # An error is answered protected too, as chips do: its status in DO99, under the MAC.
        body = (tlv(0x87, b"\x01" + sm._crypt(pad(answer, sm.block), True)) if answer else b"")
        body += tlv(0x99, status.to_bytes(2, "big"))
        reply = body + tlv(0x8E, sm._mac(body))
        if self.tamper and answer:
            reply = reply[:3] + bytes([reply[3] ^ 0x01]) + reply[4:]
        return reply, status
