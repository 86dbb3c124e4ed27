"""The staff PIN: a salted scrypt hash, and a lockout that grows and survives a restart."""

import json
import os
import stat
import subprocess

import pytest

from kiosk.client.pin import DAMAGED, StaffPin, lock_seconds
from support import KIOSK

T = 1_000_000.0  # a moment on the wall clock; the tests give the time, nothing sleeps


@pytest.fixture
def pin(tmp_path):
    staff = StaffPin(tmp_path / "staff" / "pin.json")
    staff.set("2468")
    return staff


def wrong_tries(staff, count, now):
    return [staff.check("0000", now=now) for _ in range(count)]


def test_no_file_means_no_pin(tmp_path):
    staff = StaffPin(tmp_path / "pin.json")
    assert not staff.is_set()
    assert staff.check("1234", now=T).status == "unset"


def test_the_right_pin_opens_and_a_wrong_one_does_not(pin):
    assert pin.is_set()
    assert pin.check("2468", now=T).ok
    check = pin.check("2469", now=T)
    assert (check.status, check.tries_left, check.ok) == ("wrong", 4, False)
    assert check.message == "wrong PIN: 4 tries left before a lockout"
    assert not pin.check("", now=T).ok and not pin.check("24680000000", now=T).ok


def test_five_wrong_tries_lock_for_30_seconds_and_then_twice_as_long_each_time(pin):
    checks = wrong_tries(pin, 5, T)
    assert [c.tries_left for c in checks[:4]] == [4, 3, 2, 1]
    assert checks[3].message == "wrong PIN: 1 try left before a lockout"
    assert (checks[4].status, checks[4].seconds_left) == ("wrong", 30)
    # While locked, even the right PIN is refused, unchecked.
    locked = pin.check("2468", now=T + 10)
    assert (locked.status, locked.seconds_left, locked.ok) == ("locked", 20, False)
    assert locked.message == "too many wrong PINs: try again in 20 seconds"
    assert pin.seconds_locked(now=T + 29.5) == 1
    # Each wrong try after a lockout locks again, twice as long, up to an hour.
    now, lengths = T + 30, []
    for _ in range(9):
        check = pin.check("1111", now=now)
        assert check.status == "wrong" and check.tries_left == 0
        lengths.append(check.seconds_left)
        now += check.seconds_left
    assert lengths == [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]
    assert pin.check("2468", now=now - 1).status == "locked"
    # The right PIN, once the lockout is over, opens and starts the count afresh.
    assert pin.check("2468", now=now).ok
    assert pin.check("1111", now=now).tries_left == 4
    assert [lock_seconds(n) for n in (0, 4, 5, 6, 100)] == [0, 0, 30, 60, 3600]


def test_a_right_pin_resets_the_count(pin):
    wrong_tries(pin, 4, T)
    assert pin.check("2468", now=T).ok
    assert [c.status for c in wrong_tries(pin, 4, T)] == ["wrong"] * 4
    assert pin.seconds_locked(now=T) == 0


def test_the_lockout_survives_a_restart(pin):
    wrong_tries(pin, 3, T)
    restarted = StaffPin(pin.path)
    assert restarted.check("0000", now=T).tries_left == 1
    wrong_tries(restarted, 1, T)
    again = StaffPin(pin.path)
    assert again.check("2468", now=T + 5).status == "locked"
    assert again.seconds_locked(now=T + 5) == 25
    assert again.check("2468", now=T + 30).ok


def test_a_clock_set_back_does_not_lengthen_the_lockout(pin):
    wrong_tries(pin, 5, T)
    assert pin.seconds_locked(now=T - 86_400) == 30


def test_a_new_pin_ends_the_lockout(pin):
    wrong_tries(pin, 5, T)
    pin.set("13579")
    assert StaffPin(pin.path).check("13579", now=T).ok


@pytest.mark.parametrize("bad", ["123", "123456789", "12a4", "12 34", "", "١٢٣٤", 1234, None])
def test_a_pin_that_is_not_4_to_8_digits_is_refused(tmp_path, bad):
    staff = StaffPin(tmp_path / "pin.json")
    with pytest.raises(ValueError, match=r"^a staff PIN must be 4 to 8 digits \(0-9\)$"):
        staff.set(bad)
    assert not staff.is_set()


def test_the_file_holds_a_salted_hash_not_the_pin(tmp_path):
    first, second = StaffPin(tmp_path / "a.json"), StaffPin(tmp_path / "b.json")
    first.set("80417")
    second.set("80417")
    data = first.path.read_bytes()
    assert b"80417" not in data
    saved = json.loads(data)
    assert {k: saved[k] for k in ("kdf", "n", "r", "p")} == {"kdf": "scrypt", "n": 2**14, "r": 8, "p": 1}
    assert len(bytes.fromhex(saved["salt"])) == 16
    other = json.loads(second.path.read_bytes())
    assert saved["salt"] != other["salt"] and saved["hash"] != other["hash"]
    assert stat.S_IMODE(os.stat(first.path).st_mode) == 0o600
    wrong_tries(first, 2, T)  # a write after a try keeps the mode
    assert stat.S_IMODE(os.stat(first.path).st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_raised_parameters_in_the_file_are_used(pin):
    """A file written with other scrypt parameters (raised one day) still checks."""
    import hashlib

    saved = json.loads(pin.path.read_bytes())
    salt = bytes.fromhex(saved["salt"])
    saved.update(n=2**15, r=4, hash=hashlib.scrypt(b"2468", salt=salt, n=2**15, r=4, p=1, dklen=32).hex())
    pin.path.write_text(json.dumps(saved))
    assert StaffPin(pin.path).check("2468", now=T).ok


@pytest.mark.parametrize("content", [b"", b"{not json", b"[]", b'{"kdf": "scrypt"}', b"\xff\xfe",
                                     b'{"kdf": "scrypt", "n": 1099511627776, "r": 8, "p": 1, "salt": "00", '
                                     b'"hash": "00", "failures": 0, "locked_until": 0}'])
def test_a_damaged_file_keeps_staff_mode_closed_until_a_new_pin_is_set(pin, content):
    pin.path.write_bytes(content)
    damaged = StaffPin(pin.path)
    assert damaged.is_set()
    check = damaged.check("2468", now=T)
    assert (check.status, check.ok, check.message) == ("damaged", False, DAMAGED)
    assert DAMAGED == "the PIN file is damaged: set a new PIN with `kiosk staff-pin`"
    damaged.set("2468")
    assert damaged.check("2468", now=T).ok


def test_a_changed_field_is_damage(pin):
    saved = json.loads(pin.path.read_bytes())
    saved["failures"] = "none"
    pin.path.write_text(json.dumps(saved))
    assert pin.check("2468", now=T).status == "damaged"


def test_a_try_the_disk_refuses_still_counts(pin, monkeypatch):
    import kiosk.client.pin as module

    def refuse(*args, **kwargs):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(module, "write_atomically", refuse)
    checks = wrong_tries(pin, 5, T)
    assert checks[-1].seconds_left == 30 and pin.check("2468", now=T + 1).status == "locked"


def test_the_pin_is_never_logged(tmp_path, caplog):
    caplog.set_level("DEBUG")
    staff = StaffPin(tmp_path / "pin.json")
    staff.set("97531")
    staff.check("97531", now=T)
    wrong_tries(staff, 6, T)
    staff.check("86420", now=T)
    assert caplog.records and not any(p in caplog.text for p in ("97531", "0000", "86420"))


def test_the_staff_pin_command_sets_the_pin_and_lifts_a_lockout(tmp_path):
    pin = StaffPin(tmp_path / "staff-pin.json")
    pin.set("1111")
    for _ in range(5):
        pin.check("0000")
    assert pin.check("1111").status == "locked"
    given = tmp_path / "pin.txt"
    for text, code, said in [("12", 1, "4 to 8 digits"), ("24682468\n", 0, "is set")]:
        given.write_text(text, encoding="utf-8")
        done = subprocess.run([KIOSK, "staff-pin", "--data", str(tmp_path), "--pin-file", str(given)],
                              capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert done.returncode == code and said in done.stdout + done.stderr
    again = StaffPin(tmp_path / "staff-pin.json")
    assert again.check("24682468").ok and not again.check("1111").ok
    asked = subprocess.run([KIOSK, "staff-pin", "--data", str(tmp_path)], capture_output=True, text=True,
                           timeout=60, stdin=subprocess.DEVNULL)
    assert asked.returncode == 1 and "give --pin-file" in asked.stderr
