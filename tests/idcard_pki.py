"""The test card's issuer: a test CSCA and document signer made here (EC P-256), and the SOD
that signs a card's data groups as an issuer would (CMS SignedData over the LDS security object).
Nothing of any real country's keys."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from asn1crypto import cms, x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kiosk.hardware.idcard.passive import LDS_SECURITY_OBJECT, LdsSecurityObject


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test issuer (not real)"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _certificate(subject: str, key, issuer: str, signer, ca: bool) -> x509.Certificate:
    now = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    return (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
            .sign(signer, hashes.SHA256()))


@dataclass
class Issuer:
    csca_key: ec.EllipticCurvePrivateKey
    csca: x509.Certificate
    signer_key: ec.EllipticCurvePrivateKey
    signer: x509.Certificate

    def sod(self, groups: dict[int, bytes]) -> bytes:
        """EF.SOD signing the SHA-256 of each group given (by number)."""
        lds = LdsSecurityObject({
            "version": 0, "hash_algorithm": {"algorithm": "sha256"},
            "data_group_hash_values": [{"data_group_number": n, "data_group_hash_value": hashlib.sha256(d).digest()}
                                       for n, d in sorted(groups.items())]})
        content = lds.dump()
        attributes = cms.CMSAttributes([
            {"type": "content_type", "values": [LDS_SECURITY_OBJECT]},
            {"type": "message_digest", "values": [hashlib.sha256(content).digest()]}])
        signature = self.signer_key.sign(b"\x31" + attributes.dump()[1:], ec.ECDSA(hashes.SHA256()))
        certificate = asn1_x509.Certificate.load(self.signer.public_bytes(serialization.Encoding.DER))
        signer_info = cms.SignerInfo({
            "version": "v1",
            "sid": cms.SignerIdentifier({"issuer_and_serial_number": {
                "issuer": certificate.issuer, "serial_number": certificate.serial_number}}),
            "digest_algorithm": {"algorithm": "sha256"}, "signed_attrs": attributes,
            "signature_algorithm": {"algorithm": "sha256_ecdsa"}, "signature": signature})
        signed = cms.SignedData({
            "version": "v3", "digest_algorithms": [{"algorithm": "sha256"}],
            "encap_content_info": {"content_type": LDS_SECURITY_OBJECT, "content": content},
            "certificates": [certificate], "signer_infos": [signer_info]})
        info = cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()
        return b"\x77" + (b"\x82" + len(info).to_bytes(2, "big") if len(info) > 0xFF else b"\x81" + bytes([len(info)])) + info


def make_issuer() -> Issuer:
    csca_key = ec.generate_private_key(ec.SECP256R1())
    csca = _certificate("Test CSCA", csca_key, "Test CSCA", csca_key, True)
    signer_key = ec.generate_private_key(ec.SECP256R1())
    signer = _certificate("Test document signer", signer_key, "Test CSCA", csca_key, False)
    return Issuer(csca_key, csca, signer_key, signer)
