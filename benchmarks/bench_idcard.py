"""Reading an ID card's chip through the kiosk's real path (pyscard, a real pcscd, the vpcd
virtual reader, the test card of tests/idcard_card.py): a whole read (select, PACE with the CAN
on brainpoolP256r1, EF.COM, DG1, DG13, the SOD, DG14 and DG15 under AES secure messaging, the identity
parsed, passive and active authentication), next to the same APDUs sent without secure messaging
(select, the same SELECTs and READ BINARYs, an INTERNAL AUTHENTICATE, unprotected; nothing
checked) in the same run.
What a real reader adds (the radio, the chip's own slowness) is not here: public figures for
eMRTD reads without the face are 1 to 3 s.

    python benchmarks/bench_idcard.py [--reads 30] [--smoke] [--figures FILE]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from common import add_report_arguments, clock, figure, median, percentile, report

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from hardware.pcsc import Pcscd, VirtualCard, missing_programs, process_pcsc, wait_for  # noqa: E402
from idcard_card import Person, VirtualCccd  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reads", type=int, default=30)
    add_report_arguments(parser)
    args = parser.parse_args()
    if args.smoke:
        args.reads = 2
    missing = missing_programs()
    if missing:
        raise SystemExit(f"missing {missing}: scripts/setup.sh --test installs pcscd and vsmartcard-vpcd")
    pcscd = Pcscd(*process_pcsc())  # before any PC/SC call of this process: it names pcscd's socket
    from kiosk.hardware.idcard.reader import ChipReader, FileAbsent, read_card
    from kiosk.hardware.idcard.transport import pcsc_transmit

    person, chip = Person(), VirtualCccd()
    pcscd.start()
    card = VirtualCard(pcscd.port, chip=chip.transmit)
    card.insert()
    try:
        wait_for(lambda: _ready(pcsc_transmit), what="the card in the reader")
        secure, plain = [], []
        with pcsc_transmit() as transmit:
            for _ in range(args.reads + 2):  # two to warm up
                chip.plain = False
                start = clock()
                read_card(transmit, person.id_number, person.born, person.issued)
                secure.append(clock() - start)
                chip.plain = True
                start = clock()
                reader = ChipReader(transmit)
                reader.select_application()
                for name in ("COM", 1, 13, "SOD", 14, 15):  # in the order read_card reads them
                    try:
                        reader.read_file(name)
                    except FileAbsent:
                        pass
                reader.command(b"\x00\x88\x00\x00\x08" + bytes(8) + b"\x00", "internal authenticate")
                plain.append(clock() - start)
    finally:
        card.remove()
        pcscd.stop()
    secure, plain = secure[2:], plain[2:]
    baseline = "the same file APDUs without secure messaging"
    report(args, [figure("whole read (PACE, secure messaging, EF.COM, 4 groups and SOD, passive and active authentication), "
                         "median", median(secure) * 1000,
                         median(plain) * 1000, "ms", baseline),
                  figure("whole read, p90", percentile(secure, 0.9) * 1000, percentile(plain, 0.9) * 1000, "ms",
                         baseline)])


def _ready(transmit_of) -> bool:
    try:
        with transmit_of():
            return True
    except Exception:  # not yet in the reader
        return False


if __name__ == "__main__":
    main()
