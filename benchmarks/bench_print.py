"""A queue ticket drawn as a picture (Pillow, the shipped font, QR) and encoded as ESC/POS
raster bytes, next to the same ticket sent as plain text with the printer's own QR command
through python-escpos (the baseline), both into python-escpos's in-memory printer in the
same run. Medians over the rounds; the ratio is the figure. Bytes matter as much as time on
a slow line, so both are shown, with what they take on a 115200-baud serial line. The goal:
the picture is ready (drawn and encoded) in less time than the line takes to carry it, so
drawing never holds the printer up.

    python benchmarks/bench_print.py [--rounds 50] [--smoke] [--figures FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt

from escpos.printer import Dummy

from common import Figure, add_report_arguments, clock, figure, median, report
from kiosk.domain.queue import Ticket, TicketService
from kiosk.hardware import receipts

URL = "http://127.0.0.1:8080/t/5b0e7c9a2f3d4e1b8a6c0d9e7f1a2b3c"
OFFICE = "UBND huyện Hoài Ân"
BAUD = 115200
TICKET = Ticket(
    id="5b0e7c9a2f3d4e1b8a6c0d9e7f1a2b3c",
    service=TicketService("B", "Đất đai, xây dựng, môi trường", "Land, construction, environment"),
    number=27, display="B027", day="2025-09-22", priority="elderly", status="waiting",
    people_ahead=4, estimated_wait_minutes=48, issued_at=dt.datetime(2025, 9, 22, 9, 5),
)


def as_picture(printer: Dummy, width: int) -> tuple[float, float]:
    """Seconds to draw the ticket, and to encode it with the cut."""
    start = clock()
    picture = receipts.queue_ticket(TICKET, office_name=OFFICE, url=URL, width=width, priority_name="Người cao tuổi")
    drawn = clock()
    printer.image(picture)
    printer.cut()
    return drawn - start, clock() - drawn


def as_text(printer: Dummy) -> float:
    """Seconds to send the same ticket as text in the printer's code page, its QR by command."""
    start = clock()
    printer.set(align="center", bold=True)
    printer.textln(OFFICE.upper())
    printer.textln("PHIẾU SỐ THỨ TỰ")
    printer.set(align="center", normal_textsize=True)
    printer.textln(TICKET.service.name)
    printer.set(align="center", bold=True, double_height=True, double_width=True)
    printer.textln(TICKET.display)
    printer.set(align="center", normal_textsize=True)
    printer.textln("ƯU TIÊN · Người cao tuổi")
    printer.textln(f"Trước bạn còn {TICKET.people_ahead} người")
    printer.textln(f"Chờ khoảng {TICKET.estimated_wait_minutes} phút")
    printer.textln(f"Lấy số lúc {TICKET.issued_at:%H:%M ngày %d/%m/%Y}")
    printer.qr(URL, size=6, native=True)
    printer.textln("Quét mã để xem lượt của bạn")
    printer.cut()
    return clock() - start


def measure(profile: str, rounds: int) -> list[Figure]:
    picture_printer, text_printer = Dummy(profile=profile), Dummy(profile=profile)
    width = picture_printer.profile.profile_data["media"]["width"]["pixels"]
    draw, encode, text = [], [], []
    for round_ in range(rounds + 3):
        picture_printer.clear()
        text_printer.clear()
        drawn, encoded = as_picture(picture_printer, width)
        plain = as_text(text_printer)
        if round_ >= 3:  # the first rounds load fonts and warm caches
            draw.append(drawn)
            encode.append(encoded)
            text.append(plain)
    both = [a + b for a, b in zip(draw, encode)]
    picture_bytes, text_bytes = len(picture_printer.output), len(text_printer.output)

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:.2f} ms"

    def line(size: int) -> str:
        return f"{size * 10 / BAUD * 1000:,.0f} ms on the line at {BAUD} baud"

    print(f"{profile} ({width} dots), median of {rounds}:")
    print(f"  picture    {ms(median(both))} (draw {ms(median(draw))} + encode {ms(median(encode))}), "
          f"{picture_bytes:,} bytes, {line(picture_bytes)}")
    print(f"  plain text {ms(median(text))} (baseline), {text_bytes:,} bytes, {line(text_bytes)}")
    print(f"  ratio picture/text: time {median(both) / median(text):.0f}x, bytes {picture_bytes / text_bytes:.0f}x")
    on_the_line = picture_bytes * 10 / BAUD * 1000
    return [
        figure(f"ticket as a picture, {profile}", median(both) * 1000, median(text) * 1000, "ms", "plain text",
               (f"≤ {on_the_line:,.0f} ms on the line", lambda f: f.value <= on_the_line)),
        figure(f"ticket bytes, {profile}", picture_bytes, text_bytes, "bytes", "plain text"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    add_report_arguments(parser)
    args = parser.parse_args()
    if args.smoke:
        args.rounds = 2
    figures = []
    for profile in ("TM-T20II", "POS-5890"):
        figures += measure(profile, args.rounds)
    print()
    report(args, figures)


if __name__ == "__main__":
    main()
