"""Reading QR and Code 128 codes in camera frames, with zxing-cpp or pyzbar.

zxing-cpp is the default for QR codes. The QR on a citizen ID card (CCCD) holds
Vietnamese text as UTF-8 bytes with no ECI marker, so the reader must guess the
encoding. ZBar (under pyzbar) takes Shift-JIS or Big5 whenever the bytes also read
as one of them, which is often so for short texts: "Lê Văn Tám|Nam" comes out as
"Lﾃｪ Vﾄハ Tﾃ｡m|Nam" and "Tâm" as "T璽m". Cards with a short address suffer too:
12 of the 48 generated cards in tests/hardware/test_qr_decoders.py, where zxing-cpp
returns all 48 exactly. pyzbar remains for machines without zxing-cpp; it reads
Code 128 receipts, which are ASCII, as well as zxing-cpp does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, repr=False)
class Decoded:
    """One code found in a frame: its text and symbology ("qr", "code128")."""

    text: str
    symbology: str

    def __repr__(self) -> str:
        # The text may be an ID card's: personal data stays out of logs.
        return f"Decoded({self.symbology}, {len(self.text)} characters)"


class Decoder(Protocol):
    name: str

    def decode(self, frame: Any) -> list[Decoded]: ...


def grayscale(frame: Any) -> Any:
    """A frame (PIL image, numpy grayscale or BGR array) as a 2-D uint8 numpy array."""
    import numpy as np
    from PIL import Image

    if isinstance(frame, Image.Image):
        return np.asarray(frame.convert("L"))
    array = np.asarray(frame)
    if array.ndim == 2:
        return array if array.dtype == np.uint8 else array.astype(np.uint8)
    # Channel order does not matter for black-on-white codes.
    return np.asarray(Image.fromarray(array[:, :, :3].astype(np.uint8)).convert("L"))


class ZxingDecoder:
    """zxing-cpp: exact UTF-8 for Vietnamese QR text."""

    name = "zxing-cpp"

    def __init__(self) -> None:
        import zxingcpp

        self._zxing = zxingcpp
        self._formats = (zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.Code128)
        self._names = {zxingcpp.BarcodeFormat.QRCode: "qr", zxingcpp.BarcodeFormat.Code128: "code128"}

    def decode(self, frame: Any) -> list[Decoded]:
        found = self._zxing.read_barcodes(grayscale(frame), formats=self._formats)
        return [Decoded(code.text, self._names.get(code.format, str(code.format))) for code in found if code.valid]


class ZbarDecoder:
    """pyzbar over Debian's libzbar0. Non-ASCII QR text may come out garbled (see above)."""

    name = "pyzbar"

    def __init__(self) -> None:
        from pyzbar import pyzbar

        self._pyzbar = pyzbar
        self._symbols = [pyzbar.ZBarSymbol.QRCODE, pyzbar.ZBarSymbol.CODE128]

    def decode(self, frame: Any) -> list[Decoded]:
        found = self._pyzbar.decode(grayscale(frame), symbols=self._symbols)
        return [Decoded(code.data.decode("utf-8", errors="replace"), code.type.lower().replace("qrcode", "qr"))
                for code in found]


def default_decoder() -> Decoder:
    """zxing-cpp when installed, else pyzbar; ImportError when neither is."""
    try:
        return ZxingDecoder()
    except ImportError:
        return ZbarDecoder()
