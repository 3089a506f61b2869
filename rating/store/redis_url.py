"""Parsing of Redis store URLs into one description for all three deployments.

    redis://[[user]:password@]host:port[/db][?option=value&...]
    rediss://...                                  (TLS)
    redis+sentinel://[[user]:password@]host:port,host:port/service[/db][?...]
    redis+cluster://[[user]:password@]host:port,host:port[?...]

Options (all optional) are listed in OPTIONS with their defaults; an unknown option is an
error rather than silently ignored. Pure parsing: no sockets here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from .base import StoreError


def _bool(text: str) -> bool:
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{text!r} is not a boolean")


def _prefix(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", text):
        raise ValueError("letters, digits and _.:- only (no braces: they are Cluster hash tags)")
    return text


def _cert_reqs(text: str) -> str:
    if text not in ("required", "optional", "none"):
        raise ValueError("use required, optional or none")
    return text


#: option -> (parser, default). Timeouts in seconds.
OPTIONS: dict[str, tuple[Any, Any]] = {
    "socket_timeout": (float, 2.0),          # a command's reply must come within this
    "socket_connect_timeout": (float, 1.0),
    "health_check_interval": (int, 10),      # PING a pooled connection idle this long
    "retries": (int, 2),                     # redis-py retries of a failed command
    "max_connections": (int, 64),            # concurrent Redis operations per process
    "pool_timeout": (float, 2.0),            # wait for a free connection at most this long
    "max_conflicts": (int, 30),              # optimistic retries of one account transaction
    "prefix": (_prefix, "cm"),               # first part of every key
    "txn_memory_hours": (int, 48),           # how long applied txn ids are remembered
    "ssl": (_bool, False),                   # TLS for sentinel/cluster (rediss:// implies it)
    "ssl_ca_certs": (str, None),
    "ssl_certfile": (str, None),
    "ssl_keyfile": (str, None),
    "ssl_cert_reqs": (_cert_reqs, "required"),
    "ssl_check_hostname": (_bool, False),
    "sentinel_username": (str, None),
    "sentinel_password": (str, None),
}


@dataclass(frozen=True)
class RedisTarget:
    """Where the Redis store lives and how to talk to it."""

    mode: str                       # "standalone" | "sentinel" | "cluster"
    hosts: tuple[tuple[str, int], ...]
    db: int = 0
    service: str = ""               # Sentinel master name
    username: str | None = None
    password: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def option(self, name: str) -> Any:
        return self.options.get(name, OPTIONS[name][1])

    @property
    def tls(self) -> bool:
        return bool(self.option("ssl"))

    def describe(self) -> str:
        """For logs: mode, hosts, db; never the password."""
        hosts = ",".join(f"{h}:{p}" for h, p in self.hosts)
        scheme = "rediss" if self.tls else "redis"
        where = {"standalone": f"{scheme}://{hosts}/{self.db}",
                 "sentinel": f"{scheme}+sentinel://{hosts}/{self.service}/{self.db}",
                 "cluster": f"{scheme}+cluster://{hosts}"}[self.mode]
        return f"redis {self.mode} {where} (prefix {self.option('prefix')!r})"


def parse_redis_url(url: str) -> RedisTarget:
    """The target a store URL names; StoreError with the reason when it is malformed."""
    try:
        return _parse(url)
    except ValueError as exc:
        safe = re.sub(r"//[^@/]*@", "//***@", url)
        raise StoreError(f"bad Redis store url {safe!r}: {exc}") from None


def _parse(url: str) -> RedisTarget:
    scheme, sep, rest = url.partition("://")
    modes = {"redis": "standalone", "rediss": "standalone", "redis+sentinel": "sentinel",
             "redis+cluster": "cluster"}
    if not sep or scheme not in modes:
        raise ValueError("the scheme must be redis, rediss, redis+sentinel or redis+cluster")
    mode = modes[scheme]
    rest, _, query = rest.partition("?")
    netloc, _, path = rest.partition("/")
    userinfo, at, hostlist = netloc.rpartition("@")
    username, password = _credentials(userinfo) if at else (None, None)
    hosts = tuple(_host(h) for h in hostlist.split(","))
    if mode == "standalone" and len(hosts) != 1:
        raise ValueError("redis:// takes one host:port (use redis+sentinel or redis+cluster)")
    parts = [p for p in path.split("/") if p]
    service, db = _path(mode, parts)
    options = _options(query)
    if scheme == "rediss":
        options["ssl"] = True
    return RedisTarget(mode, hosts, db, service, username, password, options)


def _credentials(userinfo: str) -> tuple[str | None, str | None]:
    user, colon, password = userinfo.partition(":")
    if not colon:  # redis://password@host is a common shorthand
        return None, unquote(user) or None
    return unquote(user) or None, unquote(password) or None


def _host(text: str) -> tuple[str, int]:
    match = re.fullmatch(r"\[([0-9a-fA-F:.]+)\]:(\d+)|([A-Za-z0-9_.-]+)(?::(\d+))?", text.strip())
    if not match:
        raise ValueError(f"{text!r} is not host:port")
    host = match.group(1) or match.group(3)
    port = int(match.group(2) or match.group(4) or 6379)
    if not 0 < port < 65536:
        raise ValueError(f"port {port} is out of range")
    return host, port


def _path(mode: str, parts: list[str]) -> tuple[str, int]:
    def db_number(text: str) -> int:
        if not text.isdigit():
            raise ValueError(f"database {text!r} is not a number")
        return int(text)

    if mode == "sentinel":
        if not parts or len(parts) > 2:
            raise ValueError("write the sentinel url as redis+sentinel://h:p,h:p/SERVICE[/DB]")
        return parts[0], db_number(parts[1]) if len(parts) == 2 else 0
    if mode == "cluster":
        if parts and parts != ["0"]:
            raise ValueError("Redis Cluster has only database 0")
        return "", 0
    if len(parts) > 1:
        raise ValueError("write the url as redis://host:port/DB")
    return "", db_number(parts[0]) if parts else 0


def _options(query: str) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for name, value in parse_qsl(query, keep_blank_values=True, strict_parsing=False):
        if name not in OPTIONS:
            raise ValueError(f"unknown option {name!r} (known: {', '.join(sorted(OPTIONS))})")
        try:
            options[name] = OPTIONS[name][0](value)
        except ValueError as exc:
            raise ValueError(f"option {name}: {exc}") from None
    minimum = {"max_connections": 1, "max_conflicts": 1, "retries": 0, "txn_memory_hours": 24}
    for name, least in minimum.items():
        if name in options and options[name] < least:
            raise ValueError(f"option {name} is too small (at least {least})")
    return options
