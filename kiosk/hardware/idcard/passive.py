"""Passive authentication (ICAO Doc 9303 Part 11, 5.1): is what was read what the issuer signed?

The SOD (EF.SOD, tag 77) is a CMS SignedData whose content, the LDS security object, lists a
hash of every data group. Three levels, each reported:
- "integrity": every group read hashes to the SOD's value for it;
- "signature": the SOD's signature verifies with the document signer's certificate inside it
  (the data is as that signer signed it);
- "chain": that certificate was issued by a CSCA certificate the site installed (the signer is
  the country's). No CSCA for the CCCD is published as such: without one, "signature" is the most
  a kiosk can say.

Parsing is asn1crypto's, signatures `cryptography`'s."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import cms, core
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from .errors import ChipAnswerInvalid
from .tlv import one

LDS_SECURITY_OBJECT = "2.23.136.1.1.1"
HASHES = {"sha1": hashlib.sha1, "sha224": hashlib.sha224, "sha256": hashlib.sha256, "sha384": hashlib.sha384,
          "sha512": hashlib.sha512}
LEVELS = ("none", "integrity", "signature", "chain")
"""How far passive authentication got, in order."""


class DataGroupHash(core.Sequence):
    _fields = [("data_group_number", core.Integer), ("data_group_hash_value", core.OctetString)]


class DataGroupHashes(core.SequenceOf):
    _child_spec = DataGroupHash


class LdsSecurityObject(core.Sequence):
    _fields = [("version", core.Integer), ("hash_algorithm", cms.DigestAlgorithm),
               ("data_group_hash_values", DataGroupHashes), ("lds_version_info", core.Any, {"optional": True})]


@dataclass(frozen=True)
class PassiveResult:
    level: str
    """"integrity", "signature" or "chain" (see LEVELS)."""
    groups: tuple[int, ...]
    """The groups whose hashes matched."""
    signer: str = ""
    """The document signer's name, as its certificate gives it (an authority, not a citizen)."""
    problem: str = ""
    """Why it stopped below "chain", for staff."""


def _signed_data(sod: bytes) -> cms.SignedData:
    try:
        info = cms.ContentInfo.load(one(sod, 0x77).value)
        if info["content_type"].native != "signed_data":
            raise ValueError("not SignedData")
        return info["content"]
    except (ValueError, TypeError, KeyError) as error:
        raise ChipAnswerInvalid(f"SOD: {error}") from None


def _security_object(sod: bytes) -> tuple[cms.SignedData, bytes, str, dict[int, bytes]]:
    """The SOD's SignedData, its signed content, its hash algorithm and the hashes it lists by group."""
    signed = _signed_data(sod)
    try:
        encapsulated = signed["encap_content_info"]
        if encapsulated["content_type"].dotted != LDS_SECURITY_OBJECT:
            raise ValueError("not an LDS security object")
        content = encapsulated["content"].native
        lds = LdsSecurityObject.load(content)
        algorithm = lds["hash_algorithm"]["algorithm"].native
        listed = {h["data_group_number"].native: h["data_group_hash_value"].native
                  for h in lds["data_group_hash_values"]}
    except (ValueError, TypeError, KeyError) as error:
        raise ChipAnswerInvalid(f"SOD: {error}") from None
    if algorithm not in HASHES:
        raise ChipAnswerInvalid(f"SOD: unknown hash {algorithm}")
    return signed, content, algorithm, listed


def signed_groups(sod: bytes) -> set[int]:
    """The data groups the SOD signed a hash of: the card's groups as its issuer made them (EF.COM,
    which says the same, is not signed, and a copy may leave a group out of it)."""
    return set(_security_object(sod)[3])


def verify(sod: bytes, groups: dict[int, bytes], cscas: list[x509.Certificate] = ()) -> PassiveResult:
    """Check the groups read (by number) against the SOD. A group whose hash differs is
    ChipAnswerInvalid (the data was altered); a signature or chain that fails lowers the level."""
    signed, content, algorithm, listed = _security_object(sod)
    for number, data in groups.items():
        if number not in listed or not hmac.compare_digest(HASHES[algorithm](data).digest(), listed[number]):
            raise ChipAnswerInvalid(f"data group {number} does not match its signed hash")
    checked = tuple(sorted(groups))
    try:
        certificate = _signer_certificate(signed)
        _check_signature(signed, content, certificate)
    except (InvalidSignature, ValueError, TypeError, KeyError, IndexError) as error:
        return PassiveResult("integrity", checked, problem=f"signature: {type(error).__name__} {error}".strip())
    signer = certificate.subject.rfc4514_string()
    for csca in cscas:
        try:
            certificate.verify_directly_issued_by(csca)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return PassiveResult("chain", checked, signer)
    return PassiveResult("signature", checked, signer,
                         "no CSCA installed issued the document signer" if cscas else "no CSCA installed")


def _signer_certificate(signed: cms.SignedData) -> x509.Certificate:
    certificates = [c.chosen for c in signed["certificates"] if c.name == "certificate"]
    if not certificates:
        raise ValueError("no document signer certificate in the SOD")
    return x509.load_der_x509_certificate(certificates[0].dump())


def _check_signature(signed: cms.SignedData, content: bytes, certificate: x509.Certificate) -> None:
    info = signed["signer_infos"][0]
    digest = info["digest_algorithm"]["algorithm"].native
    attributes = info["signed_attrs"]
    if not attributes:
        raise ValueError("no signed attributes")
    found = {a["type"].native: a["values"][0].native for a in attributes}
    if not hmac.compare_digest(found.get("message_digest") or b"", HASHES[digest](content).digest()):
        raise ValueError("the signed digest is not the content's")
    # What was signed is the attributes as a SET (tag 31), not as stored ([0], tag A0).
    message = b"\x31" + attributes.dump()[1:]
    signature = info["signature"].native
    key = certificate.public_key()
    chosen = getattr(hashes, digest.upper())()
    if isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signature, message, ec.ECDSA(chosen))
    elif isinstance(key, rsa.RSAPublicKey):
        scheme = info["signature_algorithm"]["algorithm"].native
        pad = (padding.PSS(padding.MGF1(chosen), padding.PSS.AUTO) if scheme == "rsassa_pss" else padding.PKCS1v15())
        key.verify(signature, message, pad, chosen)
    else:
        raise ValueError(f"unsupported key {type(key).__name__}")


def load_cscas(folder: Path) -> list[x509.Certificate]:
    """The CSCA certificates a site installed in `folder` (PEM or DER, one a file); a file that is
    not a certificate, cannot be read, or is not a file is skipped (the chain is then not reached
    through it, and says so): a stray file must not stop every card from being read."""
    found = []
    for path in sorted(folder.glob("*")) if folder.is_dir() else []:
        try:
            data = path.read_bytes() if path.is_file() else b""
        except OSError:
            continue
        try:
            found.append(x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data
                         else x509.load_der_x509_certificate(data))
        except ValueError:
            continue
    return found
