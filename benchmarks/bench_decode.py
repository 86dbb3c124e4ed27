"""Decode time per 1280x720 camera frame: zxing-cpp against pyzbar, with and without a code in view.

The camera worker decodes a frame every 0.2 s by default, so a median well under
200 ms leaves the kiosk's cores to the UI: the goal is half of that. The figure is zxing-cpp
(the kiosk's decoder) beside pyzbar (the baseline) on the same frames in the same run.

    python benchmarks/bench_decode.py [--smoke] [--figures FILE]
"""

from __future__ import annotations

import argparse

import barcode
import numpy as np
import qrcode
from barcode.writer import ImageWriter
from common import add_report_arguments, clock, figure, median, report
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


GOAL_MS = 100
"""Half the camera's frame period."""


def main(args) -> None:
    rounds, seeds = (3, 1) if args.smoke else (ROUNDS, 3)
    qr = qrcode.make(CARD).get_image()
    receipt = barcode.Code128(CODE, writer=ImageWriter()).render(writer_options={"write_text": False})
    frames = {
        "no code in view": [view(seed) for seed in range(seeds)],
        "CCCD QR in view": [view(seed, qr, 320) for seed in range(seeds)],
        "Code 128 receipt": [view(seed, receipt, 740) for seed in range(seeds)],
    }
    decoders = [ZbarDecoder(), ZxingDecoder()]

    print(f"Decode time per 1280x720 grayscale frame, median of {rounds} ({seeds} frames x {rounds // seeds})")
    print(f"{'frame':<20}{'pyzbar':>12}{'zxing-cpp':>12}{'zxing/pyzbar':>14}   found (pyzbar, zxing-cpp)")
    figures = []
    for label, views in frames.items():
        times, found = [], []
        for decoder in decoders:
            decoder.decode(views[0])  # warm up
            samples, texts = [], set()
            for n in range(rounds):
                started = clock()
                result = decoder.decode(views[n % len(views)])
                samples.append(clock() - started)
                texts.update(d.text for d in result)
            times.append(median(samples))
            found.append("exact" if texts == {CARD} or texts == {CODE} else ("none" if not texts else "garbled"))
        zbar, zxing = times
        print(f"{label:<20}{zbar * 1000:>9.2f} ms{zxing * 1000:>9.2f} ms{zxing / zbar:>13.2f}x   {', '.join(found)}")
        figures.append(figure(f"decode a frame, {label}", zxing * 1000, zbar * 1000, "ms", "pyzbar",
                              (f"≤ {GOAL_MS} ms", lambda f: f.value <= GOAL_MS)))
        # What a decoder found matters more than its speed: zxing-cpp must read each code exactly.
        if label != "no code in view":
            figures.append(figure(f"read exactly, {label}", float(found[1] == "exact"), float(found[0] == "exact"), "yes",
                                  "pyzbar", ("read", lambda f: f.value == 1)))
    print()
    report(args, figures)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_report_arguments(parser)
    main(parser.parse_args())
