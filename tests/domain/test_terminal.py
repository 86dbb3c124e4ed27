"""The centre's configuration of a kiosk, as a backend newer than the kiosk sends it."""

import pytest

from kiosk.domain.serial import DataShapeError
from kiosk.domain.terminal import TerminalConfig


def test_a_newer_backends_settings_are_left_out_and_the_known_ones_taken():
    sent = {"office_name": "UBND xã Ia Hrú", "idle_timeout_seconds": 120, "counter_display": {"rows": 4},
            "printer": {"driver": "network", "profile": "TM-T20II", "address": "10.0.0.9:9100", "cutter": "partial"}}
    config = TerminalConfig.from_newer(sent)
    assert (config.office_name, config.idle_timeout_seconds) == ("UBND xã Ia Hrú", 120)
    assert (config.printer.driver, config.printer.address) == ("network", "10.0.0.9:9100")
    with pytest.raises(DataShapeError):
        TerminalConfig.from_dict(sent)  # what a kiosk did before: nothing taken at all


def test_a_known_setting_of_the_wrong_shape_is_still_refused():
    with pytest.raises(DataShapeError):
        TerminalConfig.from_newer({"idle_timeout_seconds": "soon"})
