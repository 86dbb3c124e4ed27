"""The [kiosk] section: the backend, the token, the data folder and the idle timeout."""

import configparser

import pytest

from kiosk.config import (EXAMPLE_CONFIG, ChipSettings, ConfigError, card_reader_enabled, chip_settings, id_card_chip,
                          kiosk_settings, load_config)


def section(**values):
    config = configparser.ConfigParser()
    config["kiosk"] = values
    return config


def test_the_example_configuration():
    settings = kiosk_settings(load_config(EXAMPLE_CONFIG))
    assert settings.idle_timeout == 90 and settings.token is None
    assert settings.backend_url == "http://127.0.0.1:8080"


def test_command_line_values_win(tmp_path):
    token = tmp_path / "token"
    token.write_text("secret-token\n", encoding="utf-8")
    settings = kiosk_settings(section(backend_url="http://a:1"), "http://b:2", str(token), str(tmp_path))
    assert (settings.backend_url, settings.token, settings.data_dir) == ("http://b:2", "secret-token", tmp_path)


@pytest.mark.parametrize("given, seconds", [("", 90), ("30", 30), (" 120 ", 120), ("600", 600)])
def test_idle_timeout(given, seconds):
    assert kiosk_settings(section(idle_timeout=given)).idle_timeout == seconds


@pytest.mark.parametrize("given", ["29", "601", "0", "-5", "1.5", "ninety"])
def test_an_idle_timeout_out_of_range_is_refused_with_the_reason(given):
    with pytest.raises(ConfigError, match=r"^\[kiosk\] idle_timeout must be whole seconds from 30 to 600, not "):
        kiosk_settings(section(idle_timeout=given))


def test_a_token_file_not_written_yet_means_no_token(tmp_path):
    assert kiosk_settings(section(token_file=str(tmp_path / "terminal-token"))).token is None  # before set-up


def test_an_unreadable_token_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="cannot read the terminal token file"):
        kiosk_settings(section(token_file=str(tmp_path)))  # a folder, not a file


@pytest.mark.parametrize("given, enabled", [("", False), ("true", True), ("no", False), (" Yes ", True)])
def test_card_reader_setting(given, enabled):
    config = configparser.ConfigParser()
    config["card_reader"] = {"enabled": given}
    assert card_reader_enabled(config) is enabled


def test_a_bad_card_reader_setting_is_refused():
    config = configparser.ConfigParser()
    config["card_reader"] = {"enabled": "maybe"}
    with pytest.raises(ConfigError, match=r"^\[card_reader\] enabled must be true or false, not 'maybe'$"):
        card_reader_enabled(config)


def test_the_chip_reader_follows_the_card_reader(tmp_path):
    from kiosk.hardware.idcard.chip import PcscChip

    config = configparser.ConfigParser()
    assert id_card_chip(config) is None  # no card reader: the card's QR only
    config["card_reader"] = {"enabled": "true"}
    chip = id_card_chip(config)
    assert isinstance(chip, PcscChip) and chip.reader is None and chip.csca_folder is None and chip.cscas() == ()
    (tmp_path / "csca").mkdir()
    config["card_reader"] = {"enabled": "true", "reader": " ACS ACR39U 00 00 ", "csca_folder": str(tmp_path / "csca")}
    assert chip_settings(config) == ChipSettings("ACS ACR39U 00 00", tmp_path / "csca")
    config["card_reader"]["csca_folder"] = str(tmp_path / "missing")
    with pytest.raises(ConfigError, match=r"^\[card_reader\] csca_folder must be a folder of CSCA certificates, not '"):
        id_card_chip(config)
    config["card_reader"]["enabled"] = "false"
    assert id_card_chip(config) is None  # the folder matters only with a reader


def test_answer_limits_of_the_kiosk(tmp_path):
    import configparser

    from kiosk.config import ConfigError, kiosk_settings

    config = configparser.ConfigParser()
    config.read_dict({"kiosk": {"max_catalogue_mb": "16", "max_answer_kb": "256"}})
    settings = kiosk_settings(config)
    assert (settings.max_catalogue_bytes, settings.max_answer_bytes) == (16 * 1024 * 1024, 256 * 1024)
    assert kiosk_settings(configparser.ConfigParser()).max_catalogue_bytes == 64 * 1024 * 1024
    for key, value in (("max_catalogue_mb", "0"), ("max_catalogue_mb", "lots"), ("max_answer_kb", "999999")):
        config.read_dict({"kiosk": {key: value}})
        with pytest.raises(ConfigError, match=key):
            kiosk_settings(config)
        config.read_dict({"kiosk": {"max_catalogue_mb": "16", "max_answer_kb": "256"}})


@pytest.mark.parametrize("given, desk", [
    ("", ""),
    ("Quầy hướng dẫn, bên phải cửa vào", "Quầy hướng dẫn, bên phải cửa vào"),
    ("  Quầy số 1,\n  cạnh máy lấy số  ", "Quầy số 1, cạnh máy lấy số"),  # wrapped in the file: one line
])
def test_help_desk_of_the_kiosk(given, desk):
    from kiosk.config import kiosk_preferences

    assert kiosk_preferences(section(help_desk=given)).help_desk == desk


def test_the_example_names_no_help_desk_and_a_long_one_is_refused():
    from kiosk.config import kiosk_preferences

    assert kiosk_preferences(load_config(EXAMPLE_CONFIG)).help_desk == ""
    assert kiosk_preferences(section()).help_desk == ""
    with pytest.raises(ConfigError, match=r"\[kiosk\] help_desk must be at most 200 characters"):
        kiosk_preferences(section(help_desk="x" * 201))


@pytest.mark.parametrize("given, speaks", [("", True), ("on", True), (" Off ", False), ("false", False), ("yes", True)])
def test_speech_setting(given, speaks):
    from kiosk.config import kiosk_preferences

    assert kiosk_preferences(section(speech=given)).speech is speaks


def test_the_example_speaks_and_a_bad_speech_setting_is_refused():
    from kiosk.config import kiosk_preferences

    assert kiosk_preferences(load_config(EXAMPLE_CONFIG)).speech is True
    with pytest.raises(ConfigError, match=r"^\[kiosk\] speech must be on or off, not 'loud'$"):
        kiosk_preferences(section(speech="loud"))


def test_kiosk_run_says_a_wrong_csca_folder_in_one_line(tmp_path):
    import subprocess

    from support import KIOSK

    path = tmp_path / "kiosk.ini"
    path.write_text(EXAMPLE_CONFIG.read_text(encoding="utf-8").replace(
        "\ncsca_folder =\n", f"\ncsca_folder = {tmp_path / 'missing'}\n", 1).replace(
        "\nenabled =\n", "\nenabled = true\n", 1), encoding="utf-8")
    done = subprocess.run([KIOSK, "run", "--config", str(path), "--data", str(tmp_path / "data")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "[card_reader] csca_folder must be a folder" in done.stderr, done.stderr[-1500:]
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr
