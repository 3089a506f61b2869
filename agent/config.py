"""callmeter's configuration: one YAML file turned into frozen, typed objects.

This is the only module that reads YAML or the environment. Every key is optional;
the defaults below are the ones documented in ``conf/callmeter.yaml`` (a test keeps
the two in step). A bad file is rejected as a whole with one message that names the
file, the line and the dotted key, so an operator can fix it without guessing.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

ENV_CONFIG = "CALLMETER_CONFIG"
SYSTEM_CONFIG = Path("/etc/callmeter/callmeter.yaml")
SYSTEM_STATE_DIR = Path("/var/lib/callmeter")
DB_FILE = "callmeter.db"


class ConfigError(Exception):
    """A configuration problem; the text is meant for the operator as it is."""


class Duration(int):
    """A configured duration in integer nanoseconds, written `10s`, `500ms`, `1m`, `1h30m`."""

    _UNITS: typing.ClassVar[dict[str, int]] = {
        "ns": 1,
        "us": 1_000,
        "µs": 1_000,
        "ms": 1_000_000,
        "s": 1_000_000_000,
        "m": 60_000_000_000,
        "h": 3_600_000_000_000,
    }
    _PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Parse Go-style duration text; a bare number is rejected as ambiguous."""
        text = text.strip()
        if text == "0":
            return cls(0)
        pos, total = 0, 0
        for match in cls._PART.finditer(text):
            if match.start() != pos:
                break
            number, unit = match.groups()
            whole, _, frac = number.partition(".")
            scale = cls._UNITS[unit]
            total += int(whole) * scale + (int(frac) * scale // 10 ** len(frac) if frac else 0)
            pos = match.end()
        if pos != len(text) or not text:
            raise ValueError(f"{text!r} is not a duration (write it like 10s, 500ms, 1m, 1h30m)")
        return cls(total)

    @property
    def seconds(self) -> float:
        """The duration in seconds, for timers (never for money)."""
        return self / 1e9

    def __repr__(self) -> str:
        return f"Duration({int(self)}ns)"


@dataclass(frozen=True)
class Address:
    """A TCP endpoint written `host:port` (IPv6 as `[::1]:2012`)."""

    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> Address:
        """Parse `host:port`; the host may be a name, an IPv4 or a bracketed IPv6 address."""
        match = re.fullmatch(r"\[([0-9a-fA-F:.]+)\]:(\d+)|([^:\s\[\]]+):(\d+)", text.strip())
        if not match:
            raise ValueError(f"{text!r} is not an address (write it as host:port)")
        host = match.group(1) or match.group(3)
        port = int(match.group(2) or match.group(4))
        if not 0 < port < 65536:
            raise ValueError(f"{text!r}: port must be between 1 and 65535")
        return cls(host, port)

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


class Network(str):
    """A CIDR block such as `10.0.0.0/8` (a bare address means a single host)."""

    @classmethod
    def parse(cls, text: str) -> Network:
        try:
            ipaddress.ip_network(text.strip(), strict=False)
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a network in CIDR form ({exc})") from None
        return cls(text.strip())


def _choice(*values: str) -> Any:
    return field(default=values[0], metadata={"choices": values})


@dataclass(frozen=True)
class GeneralConfig:
    default_tenant: str = "cgrates.org"
    default_category: str = "call"
    default_request_type: str = _choice(
        "*rated", "*prepaid", "*pseudoprepaid", "*postpaid", "*none")
    rounding_decimals: int = 5
    log_level: str = _choice("INFO", "DEBUG", "WARNING", "ERROR")
    node_id: str = ""
    timezone: str = ""
    shutdown_timeout: Duration = Duration.parse("10s")


@dataclass(frozen=True)
class StoreConfig:
    url: str = ""
    sqlite_synchronous: str = _choice("full", "normal")


@dataclass(frozen=True)
class ListenConfig:
    rpc_json: Address | None = Address("127.0.0.1", 2012)
    http: Address | None = Address("127.0.0.1", 2080)
    max_request_bytes: int = 1 << 20
    max_connections: int = 1000
    idle_timeout: Duration = Duration.parse("300s")
    auth_token: str = ""
    allow_from: tuple[Network, ...] = ()
    tls_cert: str = ""
    tls_key: str = ""
    legacy_http: bool = False


@dataclass(frozen=True)
class FreeSwitchConnection:
    address: Address = Address("127.0.0.1", 8021)
    password: str = "ClueCon"
    alias: str = ""

    @property
    def name(self) -> str:
        """The alias, or the address when no alias is given (as CGRateS does)."""
        return self.alias or str(self.address)


@dataclass(frozen=True)
class FreeSwitchConfig:
    connections: tuple[FreeSwitchConnection, ...] = ()
    event_format: str = _choice("json", "plain")
    command_timeout: Duration = Duration.parse("5s")
    empty_balance_context: str = ""
    empty_balance_ann_file: str = ""


@dataclass(frozen=True)
class SessionsConfig:
    debit_interval: Duration = Duration.parse("10s")
    channel_sync_interval: Duration = Duration.parse("60s")
    store_down: str = _choice("deny_new_calls", "allow_new_calls")
    hangup_cause: str = "MANAGER_REQUEST"
    hangup_on_shutdown: bool = False
    low_balance_warning: Duration = Duration(0)
    low_balance_ann_file: str = ""
    shutdown_notify: str = ""
    default_usage: Duration = Duration.parse("3h")


@dataclass(frozen=True)
class SchedulerConfig:
    enabled: bool = True
    catch_up: str = _choice("once", "all", "skip")
    poll_interval: Duration = Duration.parse("1s")
    lease: Duration = Duration.parse("30s")


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "127.0.0.1"
    port: int = 25
    username: str = ""
    password: str = ""
    sender: str = "callmeter@localhost"
    starttls: bool = False
    timeout: Duration = Duration.parse("10s")


@dataclass(frozen=True)
class OutboxConfig:
    http_timeout: Duration = Duration.parse("10s")
    max_attempts: int = 10
    max_backoff: Duration = Duration.parse("10m")
    concurrency: int = 10


@dataclass(frozen=True)
class Config:
    general: GeneralConfig = GeneralConfig()
    store: StoreConfig = StoreConfig()
    listen: ListenConfig = ListenConfig()
    freeswitch: FreeSwitchConfig = FreeSwitchConfig()
    sessions: SessionsConfig = SessionsConfig()
    scheduler: SchedulerConfig = SchedulerConfig()
    smtp: SmtpConfig = SmtpConfig()
    outbox: OutboxConfig = OutboxConfig()
    source: str = field(default="<built-in defaults>", compare=False)


# --------------------------------------------------------------------------- parsing


class _Context:
    """Where we are in the file, so every error can name file, line and key."""

    def __init__(self, source: str, lines: dict[tuple[str, ...], int]) -> None:
        self.source = source
        self.lines = lines

    def error(self, path: tuple[str, ...], message: str) -> ConfigError:
        line = self.lines.get(path)
        where = f"{self.source}:{line}" if line else self.source
        key = ".".join(path) or "(top level)"
        return ConfigError(f"{where}: {key}: {message}")


def _key_lines(
    node: yaml.Node | None, path: tuple[str, ...], out: dict[tuple[str, ...], int]
) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*path, str(key_node.value))
            out[key] = key_node.start_mark.line + 1
            _key_lines(value_node, key, out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            key = (*path, f"[{index}]")
            out[key] = item.start_mark.line + 1
            _key_lines(item, key, out)


def _convert(value: Any, hint: Any, path: tuple[str, ...], ctx: _Context, meta: Any = None) -> Any:
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        inner = next(arg for arg in typing.get_args(hint) if arg is not type(None))
        if value is None or value == "":
            return None
        return _convert(value, inner, path, ctx)
    if origin is tuple:
        if not isinstance(value, list):
            raise ctx.error(path, f"expected a list, got {_describe(value)}")
        item_hint = typing.get_args(hint)[0]
        return tuple(
            _convert(item, item_hint, (*path, f"[{i}]"), ctx) for i, item in enumerate(value)
        )
    if hint in (Duration, Address, Network):
        if not isinstance(value, str):
            example = _EXAMPLES[hint]
            raise ctx.error(path, f"expected a string such as {example}, got {_describe(value)}")
        try:
            return hint.parse(value)
        except ValueError as exc:
            raise ctx.error(path, str(exc)) from None
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, path, ctx)
    if hint is bool:
        if not isinstance(value, bool):
            raise ctx.error(path, f"expected true or false, got {_describe(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ctx.error(path, f"expected a whole number, got {_describe(value)}")
        if value < 0:
            raise ctx.error(path, f"must not be negative, got {value}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise ctx.error(path, f"expected a string, got {_describe(value)}")
        choices = (meta or {}).get("choices")
        if choices and value not in choices:
            raise ctx.error(path, f"must be one of {', '.join(choices)}; got {value!r}")
        return value
    raise ctx.error(path, f"unsupported type {hint!r}")  # a bug in this module, not in the file


_EXAMPLES = {Duration: '"10s"', Address: '"127.0.0.1:2012"', Network: '"10.0.0.0/8"'}


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {value!r}"


def _build(cls: Any, data: Any, path: tuple[str, ...], ctx: _Context) -> Any:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ctx.error(path, f"expected a mapping of keys, got {_describe(data)}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name != "source"}
    for key in data:
        if key not in fields:
            known = ", ".join(sorted(fields))
            raise ctx.error((*path, str(key)), f"unknown key (known keys here: {known})")
    values = {
        name: _convert(data[name], hints[name], (*path, name), ctx, fields[name].metadata)
        for name in fields
        if name in data
    }
    return cls(**values)


def parse_config(text: str, source: str) -> Config:
    """Turn YAML text into a Config; raise ConfigError naming the file, line and key."""
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: not valid YAML: {problem}") from None
    lines: dict[tuple[str, ...], int] = {}
    _key_lines(node, (), lines)
    ctx = _Context(source, lines)
    config: Config = _build(Config, data, (), ctx)
    _check(config, ctx)
    return dataclasses.replace(config, source=source)


def _check(config: Config, ctx: _Context) -> None:
    """Rules that span several keys or need more than a type."""
    url = config.store.url
    schemes = r"^(sqlite:///|redis://|rediss://|redis\+sentinel://|redis\+cluster://)"
    if url and not re.match(schemes, url):
        raise ctx.error(
            ("store", "url"),
            f"{url!r}: use sqlite:///PATH, redis://HOST:PORT/DB, rediss://, "
            "redis+sentinel://HOST:PORT,.../SERVICE/DB or redis+cluster://HOST:PORT,...",
        )
    if bool(config.listen.tls_cert) != bool(config.listen.tls_key):
        raise ctx.error(("listen", "tls_cert"), "tls_cert and tls_key must be set together")
    if config.sessions.debit_interval <= 0:
        raise ctx.error(("sessions", "debit_interval"), "must be greater than zero")
    aliases = [conn.name for conn in config.freeswitch.connections]
    if len(set(aliases)) != len(aliases):
        raise ctx.error(("freeswitch", "connections"), "two connections share one alias")
    if config.outbox.max_attempts < 1 or config.outbox.concurrency < 1:
        raise ctx.error(("outbox",), "max_attempts and concurrency must be at least 1")
    if config.general.timezone:
        try:
            ZoneInfo(config.general.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ctx.error(("general", "timezone"),
                            f"{config.general.timezone!r} is not an IANA time zone "
                            "(such as Europe/Berlin or UTC)") from None
    if not 0 <= config.general.rounding_decimals <= 12:
        raise ctx.error(("general", "rounding_decimals"), "must be between 0 and 12")


def config_path(cli_path: str | None) -> Path | None:
    """Which file to read: --config, then $CALLMETER_CONFIG, then /etc/callmeter/callmeter.yaml."""
    if cli_path:
        return Path(cli_path)
    env = os.environ.get(ENV_CONFIG)
    if env:
        return Path(env)
    if SYSTEM_CONFIG.exists():
        return SYSTEM_CONFIG
    return None


def load_config(cli_path: str | None = None) -> Config:
    """Load the configuration the daemon should run with (built-in defaults if no file)."""
    path = config_path(cli_path)
    if path is None:
        return Config()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: the config file is not UTF-8 text") from None
    return parse_config(text, str(path))


def default_store_url() -> tuple[str, str]:
    """The embedded default store and why it was chosen (for the start-up log line)."""
    if SYSTEM_STATE_DIR.is_dir() and os.access(SYSTEM_STATE_DIR, os.W_OK):
        return f"sqlite:///{SYSTEM_STATE_DIR / DB_FILE}", f"{SYSTEM_STATE_DIR} is writable"
    state_home = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    path = Path(state_home) / "callmeter" / DB_FILE
    why = "is not writable" if SYSTEM_STATE_DIR.is_dir() else "does not exist"
    return f"sqlite:///{path}", f"{SYSTEM_STATE_DIR} {why}"


def store_url(config: Config) -> tuple[str, str]:
    """The store URL in effect and where it came from."""
    if config.store.url:
        return config.store.url, f"store.url in {config.source}"
    return default_store_url()


def resolve_timezone(name: str) -> ZoneInfo:
    """general.timezone, else the host's zone ($TZ, /etc/timezone, /etc/localtime), else UTC."""
    candidates = [name, os.environ.get("TZ", "").lstrip(":")]
    try:
        candidates.append(Path("/etc/timezone").read_text().strip())
    except OSError:
        pass
    try:
        link = os.readlink("/etc/localtime")
        candidates.append(link.split("zoneinfo/", 1)[1] if "zoneinfo/" in link else "")
    except OSError:
        pass
    for candidate in candidates:
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")
