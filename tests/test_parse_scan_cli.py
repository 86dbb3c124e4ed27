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


# A card's QR text, as in tests/domain/test_scan.py: a made-up citizen.
CARD = "052190001234|215512345|Nguyễn Thị Hồng Nhung|12031990|Nữ|Thôn Vạn Hội 2, Ân Tường Tây, Hoài Ân, Bình Định|15082021"


def parse_stdin(data: bytes, *args):
    """`kiosk parse-scan [args] -` with `data` on standard input: nothing of it on the command line."""
    return subprocess.run([KIOSK, "parse-scan", *args, "-"], input=data, capture_output=True, timeout=60)


def test_parse_scan_reads_an_id_card_from_standard_input():
    result = parse_stdin((CARD + "\n").encode(), "--json")
    assert result.returncode == 0 and result.stderr == b"", result.stderr
    assert json.loads(result.stdout) == {"kind": "identity", "masked_name": "Nguyễn T** H** N", "id_number_last4": "1234"}
    said = parse_stdin(CARD.encode()).stdout.decode()
    assert said.startswith("Căn cước công dân / citizen ID card: Nguyễn T** H** N") and "052190001234" not in said


def test_parse_scan_from_standard_input_answers_as_the_argument_does():
    for row in ROWS[:8]:
        piped = parse_stdin(row.text.encode(), "--json")
        assert piped.returncode == 0, piped.stderr
        assert json.loads(piped.stdout) == json.loads(parse_scan("--json", row.text)), row


def test_parse_scan_standard_input_bad_input_gets_a_clear_answer():
    not_utf8 = parse_stdin(b"\xff\xfe052190001234|")
    assert not_utf8.returncode == 1 and not_utf8.stdout == b""
    assert not_utf8.stderr.decode() == "kiosk parse-scan: the text on standard input is not UTF-8\n"
    # Longer than any scan: read only up to the bound, answered "unknown" like a long argument.
    endless = parse_stdin(b"0" * 1_000_000, "--json")
    assert endless.returncode == 0 and json.loads(endless.stdout)["kind"] == "unknown", endless.stderr
    assert "longer than 4096" in json.loads(endless.stdout)["reason"]
    empty = parse_stdin(b"", "--json")
    assert empty.returncode == 0 and json.loads(empty.stdout) == {"kind": "unknown", "reason": "empty"}


def test_parse_scan_help_names_standard_input_as_the_safe_form():
    helped = subprocess.run([KIOSK, "parse-scan", "--help"], capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0 and '"-" to read it from standard input' in " ".join(helped.stdout.split())
