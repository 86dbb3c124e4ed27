"""Decode time per 1280x720 camera frame: zxing-cpp against pyzbar, with and without a code in view.

The camera worker decodes a frame every 0.2 s by default, so a median well under
200 ms leaves the kiosk's cores to the UI. The figure is the ratio between the two
decoders on the same frames in the same run.
"""

from __future__ import annotations

import barcode
import numpy as np
import qrcode
from barcode.writer import ImageWriter
from common import clock, median
from PIL import Image, ImageFilter

from kiosk.hardware.qr_decode import ZbarDecoder, ZxingDecoder

ROUNDS = 30
CARD = ("052190001234|215512345|Nguyễn Thị Hồng Nhung|12031990|Nữ|"
        "Thôn Vạn Hội 2, Xã Ân Tường Tây, Huyện Hoài Ân, Bình Định|15082021")
CODE = "000.00.53.H48-220921-0099"


def background(seed: int) -> Image.Image:
    """A dim, noisy camera view: a gradient, sensor noise and some soft shapes."""
    rng = np.random.default_rng(seed)
    gradient = np.linspace(90, 170, 1280)[None, :] + np.linspace(-20, 20, 720)[:, None]
    noisy = gradient + rng.normal(0, 6, (720, 1280))
    for _ in range(12):
        x, y = rng.integers(0, 1200), rng.integers(0, 650)
        noisy[y:y + rng.integers(20, 120), x:x + rng.integers(20, 200)] += rng.normal(0, 30)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def view(seed: int, code: Image.Image | None = None, width: int = 0) -> np.ndarray:
    """The camera's view, with a code `width` pixels wide held in it, or none."""
    frame = background(seed)
    if code is not None:
        code = code.convert("L")
        frame.paste(code.resize((width, round(code.height * width / code.width))), (270, 150))
    # A hand-held card is never perfectly sharp, nor is the rest of the view.
    return np.asarray(frame.filter(ImageFilter.GaussianBlur(0.8)))


def main() -> None:
    qr = qrcode.make(CARD).get_image()
    receipt = barcode.Code128(CODE, writer=ImageWriter()).render(writer_options={"write_text": False})
    frames = {
        "no code in view": [view(seed) for seed in range(3)],
        "CCCD QR in view": [view(seed, qr, 320) for seed in range(3)],
        "Code 128 receipt": [view(seed, receipt, 740) for seed in range(3)],
    }
    decoders = [ZbarDecoder(), ZxingDecoder()]

    print(f"Decode time per 1280x720 grayscale frame, median of {ROUNDS} (3 frames x {ROUNDS // 3})")
    print(f"{'frame':<20}{'pyzbar':>12}{'zxing-cpp':>12}{'zxing/pyzbar':>14}   found (pyzbar, zxing-cpp)")
    for label, views in frames.items():
        times, found = [], []
        for decoder in decoders:
            decoder.decode(views[0])  # warm up
            samples, texts = [], set()
            for n in range(ROUNDS):
                started = clock()
                result = decoder.decode(views[n % len(views)])
                samples.append(clock() - started)
                texts.update(d.text for d in result)
            times.append(median(samples))
            found.append("exact" if texts == {CARD} or texts == {CODE} else ("none" if not texts else "garbled"))
        zbar, zxing = times
        print(f"{label:<20}{zbar * 1000:>9.2f} ms{zxing * 1000:>9.2f} ms{zxing / zbar:>13.2f}x   {', '.join(found)}")


if __name__ == "__main__":
    main()
