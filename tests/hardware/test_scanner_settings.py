"""The [scanner] section: what it says, its mistakes as one-line errors, and the scanner it
builds, down to a serial scanner reading a code through a pseudo-terminal."""

import sys
import threading

import pytest

from hardware.test_scanners import CODE, WAIT, Cable
from kiosk.config import EXAMPLE_CONFIG, ConfigError, load_config, scanner_settings
from kiosk.hardware.scanners import (
    CameraScanner,
    Scan,
    ScannerError,
    ScannerSettings,
    SerialScanner,
    open_scanner,
)


def settings_of(tmp_path, text):
    path = tmp_path / "kiosk.ini"
    path.write_text(text, encoding="utf-8")
    return scanner_settings(load_config(path))


def ignore(scan):
    raise AssertionError("no scan was expected")


# -- the section --------------------------------------------------------------------


def test_without_a_section_the_kiosk_reads_only_the_wedge(tmp_path):
    settings = settings_of(tmp_path, "[kiosk]\n")
    assert settings == ScannerSettings(kind="wedge", port="", baudrate=9600, device=0)
    assert open_scanner(settings, ignore) is None


def test_the_example_config_documents_the_defaults():
    assert scanner_settings(load_config(EXAMPLE_CONFIG)) == ScannerSettings()


def test_a_serial_scanner(tmp_path):
    settings = settings_of(tmp_path, "[scanner]\nkind = Serial\nport = /dev/ttyUSB0\nbaudrate = 115200\n")
    assert settings == ScannerSettings(kind="serial", port="/dev/ttyUSB0", baudrate=115200)


def test_empty_values_take_the_defaults(tmp_path):
    settings = settings_of(tmp_path, "[scanner]\nkind =\nport =\nbaudrate =\ndevice =\n")
    assert settings == ScannerSettings()


@pytest.mark.parametrize("text, device", [("2", 2), ("/dev/video1", "/dev/video1"), ("", 0)])
def test_a_camera_by_index_or_by_path(tmp_path, text, device):
    settings = settings_of(tmp_path, f"[scanner]\nkind = camera\ndevice = {text}\n")
    assert settings == ScannerSettings(kind="camera", device=device)


@pytest.mark.parametrize("text, message", [
    ("kind = usb", r"^\[scanner\] kind must be one of wedge, serial, camera, none, not 'usb'$"),
    ("kind = serial", r"^\[scanner\] port is needed with kind = serial"),
    ("kind = serial\nport =", r"^\[scanner\] port is needed with kind = serial"),
    ("baudrate = fast", r"^\[scanner\] baudrate must be a positive whole number, such as 9600, not 'fast'$"),
    ("baudrate = 0", r"^\[scanner\] baudrate .* not '0'$"),
    ("baudrate = -9600", r"^\[scanner\] baudrate .* not '-9600'$"),
    ("baudrate = 9600.0", r"^\[scanner\] baudrate .* not '9600.0'$"),
], ids=["unknown kind", "serial without port", "serial with empty port", "baudrate not a number",
        "baudrate zero", "baudrate negative", "baudrate not whole"])
def test_mistakes_are_one_line_errors_naming_section_and_key(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message) as caught:
        settings_of(tmp_path, f"[scanner]\n{text}\n")
    assert "\n" not in str(caught.value)


# -- the scanner it builds ----------------------------------------------------------


def test_wedge_and_none_start_no_other_scanner():
    assert open_scanner(ScannerSettings(kind="wedge"), ignore) is None
    assert open_scanner(ScannerSettings(kind="none"), ignore) is None


def test_a_serial_scanner_is_built_not_started():
    scanner = open_scanner(ScannerSettings(kind="serial", port="/dev/ttyUSB9", baudrate=19200), ignore)
    assert isinstance(scanner, SerialScanner)
    assert (scanner.port, scanner.baudrate) == ("/dev/ttyUSB9", 19200)
    assert not any(thread.name.startswith("serial-scanner") for thread in threading.enumerate())


def test_a_camera_scanner_is_built_not_started():
    pytest.importorskip("cv2")
    scanner = open_scanner(ScannerSettings(kind="camera", device="/nonexistent/video"), ignore)
    assert isinstance(scanner, CameraScanner)
    assert not any(thread.name == "camera-scanner" for thread in threading.enumerate())


def test_a_camera_scanner_without_opencv_says_what_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "cv2", None)  # import cv2 now fails
    with pytest.raises(ScannerError, match="OpenCV"):
        open_scanner(ScannerSettings(kind="camera"), ignore)


@pytest.mark.parametrize("settings, message", [
    (ScannerSettings(kind="usb"), "unknown scanner kind 'usb'"),
    (ScannerSettings(kind="serial"), "needs a port"),
    (ScannerSettings(kind="serial", port="/dev/ttyACM0", baudrate=0), "baudrate"),
])
def test_settings_made_elsewhere_are_checked_too(settings, message):
    with pytest.raises(ScannerError, match=message):
        open_scanner(settings, ignore)


def test_a_configured_serial_scanner_reads_a_code_end_to_end(tmp_path):
    cable = Cable(tmp_path / "scanner")
    cable.plug()
    try:
        settings = settings_of(tmp_path, f"[scanner]\nkind = serial\nport = {cable.link}\nbaudrate = 9600\n")
        received = []
        arrived = threading.Event()

        def on_scan(scan):
            received.append(scan)
            arrived.set()

        scanner = open_scanner(settings, on_scan)
        scanner.start()
        try:
            assert scanner.wait_connected(WAIT)
            cable.send(CODE.encode() + b"\r\n")
            assert arrived.wait(WAIT), "no scan arrived"
        finally:
            scanner.stop()
        assert received == [Scan(CODE, "serial")]
        assert received[0].source == "serial" and received[0].text == CODE
        assert not any(thread.name.startswith("serial-scanner") for thread in threading.enumerate())
    finally:
        cable.unplug()
