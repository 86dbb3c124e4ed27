"""Save staff's settings, without Kivy: nothing changed, a bad value or a backend that does
not answer (the file unchanged), good values (saved, comments kept), a new backend address
(checked against the real backend with the token, and a restart asked for)."""

import asyncio
import shutil
import socket

import pytest

from kiosk.config import EXAMPLE_CONFIG, load_config, save_config
from kiosk.journeys.settings import NOT_SAVED, NOTHING, SAVED, TOKEN, save_settings

PLACES = [("kiosk", "backend_url"), TOKEN, ("kiosk", "office_name"), ("kiosk", "idle_timeout"),
          ("printer", "driver"), ("scanner", "kind")]


@pytest.fixture
def config_file(site, tmp_path):
    token_file = tmp_path / "terminal-token"
    token_file.write_text(site.token + "\n", encoding="utf-8")
    path = tmp_path / "kiosk.ini"
    shutil.copyfile(EXAMPLE_CONFIG, path)
    save_config(path, {"kiosk": {"backend_url": site.url, "data_dir": str(tmp_path), "token_file": str(token_file)}})
    return path


def filled(path):
    """The fields as the staff screen fills them from the file: (typed, saved)."""
    config = load_config(path)
    saved = {place: "" if place == TOKEN else config.get(*place, fallback="") for place in PLACES}
    return dict(saved), saved


def save(path, typed, saved):
    return asyncio.run(save_settings(path, typed, saved))


def test_nothing_changed(config_file):
    before = config_file.read_bytes()
    assert save(config_file, *filled(config_file)).outcome == NOTHING
    assert config_file.read_bytes() == before


def test_refused_changes_leave_the_file_as_it_was(config_file):
    before = config_file.read_bytes()
    typed, saved = filled(config_file)
    typed["kiosk", "idle_timeout"] = "5"
    bad = save(config_file, typed, saved)
    assert bad.outcome == NOT_SAVED and "idle_timeout" in bad.error
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        gone = f"http://127.0.0.1:{probe.getsockname()[1]}"
    typed, saved = filled(config_file)
    typed["kiosk", "backend_url"] = gone
    unreachable = save(config_file, typed, saved)
    assert unreachable.outcome == NOT_SAVED and gone.removeprefix("http://") in unreachable.error
    assert config_file.read_bytes() == before


def test_saved(config_file, site):
    typed, saved = filled(config_file)
    typed["kiosk", "office_name"] = "  Trung tâm Phục vụ hành chính công phường Quy Nhơn  "
    typed["kiosk", "idle_timeout"] = "120"
    done = save(config_file, typed, saved)
    assert done.outcome == SAVED and not done.restart and not done.printer_changed
    assert done.config.get("kiosk", "office_name") == "Trung tâm Phục vụ hành chính công phường Quy Nhơn"
    assert load_config(config_file).get("kiosk", "idle_timeout") == "120"
    assert "# Seconds without a touch" in config_file.read_text(encoding="utf-8"), "comments kept"

    # A new backend address, checked with the token in use: in force after a restart.
    typed, saved = filled(config_file)
    typed["kiosk", "backend_url"] = f"http://localhost:{site.port}"
    moved = save(config_file, typed, saved)
    assert moved.outcome == SAVED and moved.restart
    assert load_config(config_file).get("kiosk", "backend_url") == f"http://localhost:{site.port}"
