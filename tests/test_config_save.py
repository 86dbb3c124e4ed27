"""Saving the configuration from staff mode: comments kept, every value checked, written atomically."""

import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kiosk.config import EXAMPLE_CONFIG, ConfigError, kiosk_preferences, load_config, printer_settings, save_config

ORIGINAL = EXAMPLE_CONFIG.read_text(encoding="utf-8")


@pytest.fixture
def ini(tmp_path):
    path = tmp_path / "kiosk.ini"
    shutil.copyfile(EXAMPLE_CONFIG, path)
    return path


def temps(path):
    return sorted(p.name for p in path.parent.iterdir() if p.name.endswith(".tmp"))


def test_a_change_is_saved_in_place_and_the_comments_survive(ini):
    save_config(ini, {"kiosk": {"office_name": "UBND xã Tân Phú", "idle_timeout": "120", "large_text": "true",
                                "services": "A, C"},
                      "printer": {"driver": "network", "address": "192.168.1.50:9100"}})
    expected = (ORIGINAL.replace("idle_timeout = 90\n", "idle_timeout = 120\n")
                .replace("office_name =\n", "office_name = UBND xã Tân Phú\n")
                .replace("large_text =\n", "large_text = true\n")
                .replace("services =\n", "services = A, C\n")
                .replace("driver = none\n", "driver = network\n")
                .replace("address =\n", "address = 192.168.1.50:9100\n"))
    assert ini.read_text(encoding="utf-8") == expected
    config = load_config(ini)
    preferences = kiosk_preferences(config)
    assert (preferences.office_name, preferences.large_text, preferences.services) == ("UBND xã Tân Phú", True, ("A", "C"))
    assert printer_settings(config).address == "192.168.1.50:9100"
    assert temps(ini) == []


def test_the_example_has_the_staff_keys_empty(ini):
    preferences = kiosk_preferences(load_config(ini))
    assert (preferences.office_name, preferences.default_language, preferences.large_text,
            preferences.services) == ("", "vi", False, ())


def test_a_value_reads_back_as_given(ini):
    save_config(ini, {"kiosk": {"office_name": "  Phòng 50% — Một cửa  "}})
    assert kiosk_preferences(load_config(ini)).office_name == "Phòng 50% — Một cửa"


def test_new_keys_and_a_new_section_are_appended(ini):
    save_config(ini, {"backend": {"log_level": "info"}, "touch": {"calibration": "1 0 0 0 1 0"}})
    text = ini.read_text(encoding="utf-8")
    assert "citizen_lookups_per_minute = 10\nlog_level = info\n\n[kiosk]\n" in text
    assert text == ORIGINAL.replace("citizen_lookups_per_minute = 10\n",
                                    "citizen_lookups_per_minute = 10\nlog_level = info\n") \
        + "\n[touch]\ncalibration = 1 0 0 0 1 0\n"
    assert load_config(ini)["touch"]["calibration"] == "1 0 0 0 1 0"


def test_a_new_section_after_a_last_line_without_its_line_end(tmp_path):
    path = tmp_path / "kiosk.ini"
    path.write_text("[kiosk]\n# the backend\nbackend_url = http://10.0.0.5:8080", encoding="utf-8")
    save_config(path, {"scanner": {"kind": "camera"}, "kiosk": {"default_language": "en"}})
    assert path.read_text(encoding="utf-8") == (
        "[kiosk]\n# the backend\nbackend_url = http://10.0.0.5:8080\ndefault_language = en\n\n[scanner]\nkind = camera\n")


def test_the_mode_is_kept_and_a_link_is_followed(ini, tmp_path):
    os.chmod(ini, 0o640)
    link = tmp_path / "link.ini"
    link.symlink_to(ini)
    save_config(link, {"kiosk": {"idle_timeout": "60"}})
    assert link.is_symlink() and stat.S_IMODE(os.stat(ini).st_mode) == 0o640
    assert load_config(ini)["kiosk"]["idle_timeout"] == "60"


BAD = [
    ({"kiosk": {"idle_timeout": "5"}}, r"^\[kiosk\] idle_timeout must be whole seconds from 30 to 600, not '5'$"),
    ({"kiosk": {"terminal_id": "one"}}, r"^\[kiosk\] terminal_id must be a number, not 'one'$"),
    ({"kiosk": {"backend_url": "motcua.local"}}, r"^\[kiosk\] backend_url must be an http:// or https:// address"),
    ({"kiosk": {"backend_url": "http://10.0.0.5:99999"}}, r"^\[kiosk\] backend_url must be"),
    ({"kiosk": {"backend_url": "ftp://10.0.0.5"}}, r"^\[kiosk\] backend_url must be"),
    # A folder; a file not there yet is a kiosk not enrolled yet, which is allowed.
    ({"kiosk": {"token_file": "/"}}, r"^cannot read the terminal token file /:"),
    ({"kiosk": {"default_language": "fr"}}, r"^\[kiosk\] default_language must be one of vi, en, not 'fr'$"),
    ({"kiosk": {"large_text": "maybe"}}, r"^\[kiosk\] large_text must be true or false, not 'maybe'$"),
    ({"kiosk": {"services": "AB"}}, r"^\[kiosk\] services must be the letters A to Z of the queue services"),
    ({"kiosk": {"services": "a b"}}, r"^\[kiosk\] services must be"),
    ({"kiosk": {"services": "A B A"}}, r"^\[kiosk\] services must be"),
    ({"kiosk": {"office_name": "x" * 201}}, r"^\[kiosk\] office_name must be at most 200 characters, not 201$"),
    ({"kiosk": {"office_name": "Xã A\nbackend_url = http://10.6.6.6"}},
     r"^\[kiosk\] office_name must be one line of text, without control characters$"),
    ({"kiosk": {"office_name": "Xã A\rB"}}, r"^\[kiosk\] office_name must be one line"),
    ({"printer": {"driver": "laser"}}, r"^\[printer\] driver must be one of none, usb, serial, network, file, not 'laser'$"),
    ({"printer": {"driver": "network"}}, r'^\[printer\] address is needed with driver = network: "host:port"'),
    ({"printer": {"driver": "network", "address": "printer:70000"}}, r'^\[printer\] address must be "host:port"'),
    ({"printer": {"driver": "network", "address": "printer:0"}}, r"^\[printer\] address must be"),
    ({"printer": {"driver": "network", "address": "printer:http"}}, r"^\[printer\] address must be"),
    ({"printer": {"driver": "usb", "address": "epson"}}, r'^\[printer\] address must be "vendor:product" in hex'),
    ({"printer": {"driver": "serial", "address": ":9600"}}, r"^\[printer\] address must be a device"),
    ({"printer": {"driver": "usb", "address": "04b8:0202", "profile": "NoSuchPrinter"}},
     r"^\[printer\] profile 'NoSuchPrinter' is not a printer python-escpos knows"),
    ({"scanner": {"kind": "laser"}}, r"^\[scanner\] kind must be one of wedge, serial, camera, none, not 'laser'$"),
    ({"scanner": {"kind": "serial"}}, r"^\[scanner\] port is needed with kind = serial"),
    ({"scanner": {"baudrate": "fast"}}, r"^\[scanner\] baudrate must be a positive whole number"),
    ({"calendar": {"holidays": "2025-13-01"}}, r"^\[calendar\] has a bad date"),
    ({"kiosk": {"Office Name": "x"}}, r"^\[kiosk\] 'Office Name' is not a key name"),
    ({"Kiosk": {"office_name": "x"}}, r"^\[Kiosk\] is not a section name"),
    # A good value does not carry a bad one with it: nothing is saved.
    ({"kiosk": {"office_name": "Xã A", "idle_timeout": "0"}}, r"^\[kiosk\] idle_timeout must be"),
]


@pytest.mark.parametrize("changes, message", BAD, ids=[str(i) for i in range(len(BAD))])
def test_a_bad_value_is_refused_with_its_reason_and_the_file_is_untouched(ini, changes, message):
    before = ini.read_bytes()
    with pytest.raises(ConfigError, match=message) as refused:
        save_config(ini, changes)
    assert "\n" not in str(refused.value)
    assert ini.read_bytes() == before and temps(ini) == []


def test_a_bad_value_already_in_the_file_is_named(ini):
    ini.write_text(ORIGINAL.replace("office_name =\n", "office_name = 100%\n"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^\[kiosk\] office_name cannot be read: "):
        save_config(ini, {"kiosk": {"idle_timeout": "60"}})
    save_config(ini, {"kiosk": {"office_name": "100%"}})  # set through save_config, it is written as it reads
    assert kiosk_preferences(load_config(ini)).office_name == "100%"


def test_a_missing_file_is_not_created(tmp_path):
    with pytest.raises(ConfigError, match="^configuration file not found: "):
        save_config(tmp_path / "none.ini", {"kiosk": {"idle_timeout": "60"}})
    assert list(tmp_path.iterdir()) == []


def test_the_next_save_removes_a_temporary_file_left_by_a_killed_one(ini):
    stray = ini.parent / ".kiosk.ini.x1y2z3ab.tmp"
    stray.write_text("[kiosk]\nhalf", encoding="utf-8")
    other = ini.parent / ".other.ini.x1y2z3ab.tmp"
    other.write_text("not ours", encoding="utf-8")
    save_config(ini, {"kiosk": {"idle_timeout": "60"}})
    assert temps(ini) == [other.name]


SAVER = textwrap.dedent("""
    import itertools, sys
    from kiosk.config import save_config
    path, changes = sys.argv[1], [
        {"kiosk": {"office_name": "Bộ phận một cửa " + "A" * 150, "idle_timeout": "60", "services": "A B"},
         "printer": {"driver": "network", "address": "10.0.0.9:9100"}},
        {"kiosk": {"office_name": "", "idle_timeout": "300", "services": ""},
         "printer": {"driver": "none", "address": ""}},
    ]
    for i in itertools.count():
        save_config(path, changes[i % 2])
        if i == 1:
            print("saving", flush=True)
""")


def test_an_atomic_write_survives_a_kill(tmp_path):
    """A saver killed at any moment leaves one whole configuration or the other, and at most
    one temporary file, which the next save removes."""
    ini = tmp_path / "kiosk.ini"
    environment = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    expected = []  # the file after the first save, and after the second
    for i in range(2):
        shutil.copyfile(EXAMPLE_CONFIG, ini)
        subprocess.run([sys.executable, "-c", SAVER.replace("itertools.count()", f"range({i + 1})"), str(ini)],
                       check=True, env=environment, capture_output=True)
        expected.append(ini.read_bytes())
    assert expected[0] != expected[1]
    shutil.copyfile(EXAMPLE_CONFIG, ini)
    chance = random.Random(20250901)
    # A save takes about 10 ms, most of it in the write and its two flushes: about one kill
    # in three lands while the temporary file is there (mid-write), the others between two
    # renames. Kill until each kind has happened three times, so that both are tested.
    landed = {"mid-write": 0, "between saves": 0}
    for _ in range(60):
        saver = subprocess.Popen([sys.executable, "-c", SAVER, str(ini)], env=environment, stdout=subprocess.PIPE)
        try:
            assert saver.stdout.readline() == b"saving\n"
            # Between 0 and about 10 saves' time: the kill lands anywhere in a save.
            time.sleep(chance.uniform(0, 0.03))
            assert saver.poll() is None, "the saver stopped before the kill"
            saver.send_signal(signal.SIGKILL)
            assert saver.wait(timeout=30) == -signal.SIGKILL  # the kill, and nothing else, ended it
        finally:
            if saver.poll() is None:
                saver.kill()
                saver.wait()
            saver.stdout.close()
        assert ini.read_bytes() in expected
        load_config(ini)
        left = temps(ini)
        assert len(left) <= 1  # the next saver's first save removed the last one's
        landed["mid-write" if left else "between saves"] += 1
        if min(landed.values()) >= 3:
            break
    assert min(landed.values()) >= 3, landed
    save_config(ini, {"kiosk": {"idle_timeout": "90"}})
    assert temps(ini) == []
