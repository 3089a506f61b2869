"""The shipped systemd unit keeps the settings the daemon relies on."""

from __future__ import annotations

import configparser
from pathlib import Path

UNIT = Path(__file__).resolve().parents[2] / "systemd" / "callmeter.service"


def _service() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text())
    return parser["Service"]


def test_unit_is_notify_type_with_watchdog_and_restart() -> None:
    service = _service()
    assert service["Type"] == "notify"
    assert service["WatchdogSec"]
    assert service["Restart"] == "always"
    assert "callmeter run --config /etc/callmeter/callmeter.yaml" in service["ExecStart"]


def test_unit_runs_as_dedicated_user_with_state_and_config_dirs() -> None:
    service = _service()
    assert service["User"] == "callmeter"
    assert service["StateDirectory"] == "callmeter"
    assert service["ConfigurationDirectory"] == "callmeter"
    assert service["ReadWritePaths"] == "/var/lib/callmeter"


def test_unit_is_hardened() -> None:
    service = _service()
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
                       "PrivateTmp": "yes"}.items():
        assert service[key] == value, key


def test_stop_timeout_exceeds_the_daemon_shutdown_bound() -> None:
    assert int(_service()["TimeoutStopSec"].rstrip("s")) > 10
