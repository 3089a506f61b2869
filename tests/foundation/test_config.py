"""Config parsing: defaults, every rejection path, and where the file comes from."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agent.config import (
    Address,
    Config,
    ConfigError,
    Duration,
    config_path,
    default_store_url,
    load_config,
    parse_config,
    store_url,
)

SHIPPED = Path(__file__).resolve().parents[2] / "conf" / "callmeter.yaml"


@pytest.mark.parametrize(
    ("text", "ns"),
    [("10s", 10_000_000_000), ("500ms", 500_000_000), ("1m", 60_000_000_000),
     ("1h30m", 5_400_000_000_000), ("1.5s", 1_500_000_000), ("250us", 250_000), ("0", 0),
     ("7ns", 7)],
)
def test_duration_parses_go_style_text(text: str, ns: int) -> None:
    assert Duration.parse(text) == ns


@pytest.mark.parametrize("text", ["10", "", "s", "10 s", "10sec", "-5s", "1h 30m", "1.s"])
def test_duration_rejects_ambiguous_or_malformed_text(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        Duration.parse(text)


@pytest.mark.parametrize(
    ("text", "host", "port"),
    [("127.0.0.1:2012", "127.0.0.1", 2012), ("localhost:80", "localhost", 80),
     ("[::1]:8021", "::1", 8021)],
)
def test_address_parses_host_and_port(text: str, host: str, port: int) -> None:
    assert Address.parse(text) == Address(host, port)


@pytest.mark.parametrize("text", ["2012", "host:", ":80", "host:0", "host:70000", "a b:1", "::1:80"])
def test_address_rejects_malformed_text(text: str) -> None:
    with pytest.raises(ValueError):
        Address.parse(text)


def test_empty_file_gives_the_documented_defaults() -> None:
    config = parse_config("", "empty.yaml")
    assert config == Config()
    assert config.general.default_tenant == "cgrates.org"
    assert config.general.default_category == "call"
    assert config.general.default_request_type == "*rated"
    assert config.general.rounding_decimals == 5
    assert config.listen.rpc_json == Address("127.0.0.1", 2012)
    assert config.listen.http == Address("127.0.0.1", 2080)
    assert config.freeswitch.connections == ()
    assert config.sessions.debit_interval == Duration.parse("10s")


def test_full_file_is_typed() -> None:
    config = parse_config(
        """
general: {default_tenant: example.net, rounding_decimals: 4, log_level: DEBUG}
store: {url: "redis://127.0.0.1:6400/2"}
listen: {rpc_json: "", http: "0.0.0.0:8080", allow_from: ["10.0.0.0/8", "192.168.1.7"]}
freeswitch:
  connections:
    - {address: "10.0.0.5:8021", password: secret, alias: fs1}
    - {address: "10.0.0.6:8021"}
sessions: {debit_interval: 500ms}
""",
        "full.yaml",
    )
    assert config.general.default_tenant == "example.net"
    assert config.store.url == "redis://127.0.0.1:6400/2"
    assert config.listen.rpc_json is None
    assert config.listen.http == Address("0.0.0.0", 8080)
    assert config.listen.allow_from == ("10.0.0.0/8", "192.168.1.7")
    fs1, fs2 = config.freeswitch.connections
    assert (fs1.name, fs1.password) == ("fs1", "secret")
    assert (fs2.name, fs2.password) == ("10.0.0.6:8021", "ClueCon")
    assert config.sessions.debit_interval == 500_000_000
    assert config.sessions.debit_interval.seconds == 0.5
    assert config.source == "full.yaml"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nope: 1\n", r"x.yaml:1: nope: unknown key"),
        ("general:\n  tenant: a\n", r"x.yaml:2: general.tenant: unknown key \(known keys here: .*default_tenant"),
        ("general:\n  rounding_decimals: five\n", r"x.yaml:2: general.rounding_decimals: expected a whole number, got str 'five'"),
        ("general:\n  rounding_decimals: true\n", r"general.rounding_decimals: expected a whole number, got bool True"),
        ("general:\n  rounding_decimals: -1\n", r"general.rounding_decimals: must not be negative"),
        ("general:\n  rounding_decimals: 40\n", r"general.rounding_decimals: must be between 0 and 12"),
        ("general:\n  default_tenant: 5\n", r"general.default_tenant: expected a string, got int 5"),
        ("general:\n  default_request_type: '*free'\n", r"general.default_request_type: must be one of \*rated"),
        ("general: [1, 2]\n", r"x.yaml:1: general: expected a mapping of keys, got list"),
        ("- 1\n", r"x.yaml: \(top level\): expected a mapping of keys, got list"),
        ("sessions:\n  debit_interval: 10\n", r"x.yaml:2: sessions.debit_interval: expected a string such as \"10s\", got int 10"),
        ("sessions:\n  debit_interval: tenish\n", r"sessions.debit_interval: 'tenish' is not a duration"),
        ("sessions:\n  debit_interval: '0'\n", r"sessions.debit_interval: must be greater than zero"),
        ("listen:\n  http: localhost\n", r"x.yaml:2: listen.http: 'localhost' is not an address"),
        ("listen:\n  rpc_json: 2012\n", r"listen.rpc_json: expected a string such as \"127.0.0.1:2012\", got int 2012"),
        ("listen:\n  allow_from: 10.0.0.0/8\n", r"listen.allow_from: expected a list, got str"),
        ("listen:\n  allow_from: [10.0.0.0/33]\n", r"x.yaml:2: listen.allow_from.\[0\]: '10.0.0.0/33' is not a network"),
        ("listen:\n  tls_cert: /a.pem\n", r"listen.tls_cert: tls_cert and tls_key must be set together"),
        ("listen:\n  legacy_http: 'yes'\n", r"listen.legacy_http: expected true or false, got str 'yes'"),
        ("store:\n  url: mysql://x\n", r"x.yaml:2: store.url: 'mysql://x': use sqlite:///PATH"),
        ("freeswitch:\n  connections:\n    - {address: 'fs:8021', pasword: x}\n",
         r"x.yaml:3: freeswitch.connections.\[0\].pasword: unknown key"),
        ("freeswitch:\n  connections:\n    - {address: 'a:1'}\n    - {address: 'b:1', alias: 'a:1'}\n",
         r"freeswitch.connections: two connections share one alias"),
        ("freeswitch:\n  connections: {address: 'a:1'}\n", r"freeswitch.connections: expected a list"),
        ("general: {log_level: [\n", r"x.yaml:2: not valid YAML"),
        ("a: b: c\n", r"x.yaml:1: not valid YAML"),
    ],
)
def test_bad_config_is_rejected_with_file_line_and_key(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "x.yaml")
    assert re.search(expected, str(info.value)), str(info.value)


def test_config_path_prefers_cli_then_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env_file = tmp_path / "env.yaml"
    monkeypatch.setenv("CALLMETER_CONFIG", str(env_file))
    assert config_path("cli.yaml") == Path("cli.yaml")
    assert config_path(None) == env_file


def test_environment_variable_names_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("general: {default_tenant: from-env}\n")
    monkeypatch.setenv("CALLMETER_CONFIG", str(path))
    assert load_config(None).general.default_tenant == "from-env"


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"missing.yaml: cannot read the config file: No such file"):
        load_config(str(tmp_path / "missing.yaml"))


def test_non_utf8_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"general: {default_tenant: \xe9t\xe9}\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(str(path))


def test_default_store_is_sqlite_in_the_user_state_dir_when_var_lib_is_not_writable(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("agent.config.SYSTEM_STATE_DIR", tmp_path / "absent")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    url, reason = default_store_url()
    assert url == f"sqlite:///{tmp_path}/state/callmeter/callmeter.db"
    assert "does not exist" in reason


def test_default_store_is_var_lib_when_writable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("agent.config.SYSTEM_STATE_DIR", tmp_path)
    assert default_store_url()[0] == f"sqlite:///{tmp_path}/callmeter.db"


def test_configured_store_url_wins() -> None:
    config = parse_config("store: {url: 'sqlite:///tmp/x.db'}", "c.yaml")
    assert store_url(config) == ("sqlite:///tmp/x.db", "store.url in c.yaml")


def test_shipped_config_runs_as_is() -> None:
    assert parse_config(SHIPPED.read_text(), str(SHIPPED)) == Config()


def test_shipped_config_documents_every_key_with_its_default() -> None:
    """Uncommenting every `#key: value` line of conf/callmeter.yaml must give the defaults."""
    text = SHIPPED.read_text()
    uncommented = re.sub(r"^(\s*)#([a-z_]+:.*)$", r"\1\2", text, flags=re.M)
    assert parse_config(uncommented, "uncommented") == Config()
    documented = set(re.findall(r"^\s*#([a-z_]+):", text, flags=re.M))
    import dataclasses

    for section in dataclasses.fields(Config):
        if section.name == "source":
            continue
        assert f"\n{section.name}:" in text, f"section {section.name} is not in the shipped config"
        for item in dataclasses.fields(getattr(Config(), section.name)):
            assert item.name in documented, f"{section.name}.{item.name} is not documented"
