"""`kiosk parse-scan` over the real dossier-code forms, in separate processes as staff run it."""

import json
import subprocess

from real_codes import real_codes
from support import KIOSK

ROWS = real_codes()


def parse_scan(*args):
    result = subprocess.run([KIOSK, "parse-scan", *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    return result.stdout


def test_parse_scan_tells_real_dossier_codes_from_look_alikes():
    for row in ROWS:
        answer = json.loads(parse_scan("--json", row.text))
        if row.expected:
            assert answer["kind"] == "dossier" and answer["dossier_code"] == row.expected, (row, answer)
        else:
            assert answer["kind"] != "dossier", (row, answer)


def test_parse_scan_in_words():
    said = parse_scan("&desc=Thanh+toan+thue+dat_ma+ho+so+000.00.12.H62-201105-0004_ma+so+thue+4000100202")
    assert said.strip() == "Hồ sơ / dossier 000.00.12.H62-201105-0004"
    said = parse_scan("officeCode=000.00.00.H50")
    assert said.startswith("Không nhận ra / not recognised:")
