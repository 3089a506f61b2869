"""Who may use the API and how much: limits, allowed networks, the token, TLS.

Built from ``listen.*`` (agent/config.py ListenConfig); shared by both transports.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import time
from dataclasses import dataclass
from typing import Any

from agent.config import ListenConfig

log = logging.getLogger(__name__)

#: Requests in flight on one TCP connection before reading pauses (back-pressure).
DEFAULT_MAX_INFLIGHT = 128
#: How long one reply may take to be written before the connection is dropped.
DEFAULT_WRITE_TIMEOUT = 30.0
#: Nesting depth accepted in a request (CGRateS's own requests need < 10).
DEFAULT_MAX_DEPTH = 64


@dataclass(frozen=True)
class Limits:
    """Bounds on one listener (config keys listen.max_request_bytes, ...)."""

    max_request_bytes: int = 1 << 20
    max_connections: int = 1000
    idle_timeout: float = 300.0
    max_inflight: int = DEFAULT_MAX_INFLIGHT
    write_timeout: float = DEFAULT_WRITE_TIMEOUT
    max_depth: int = DEFAULT_MAX_DEPTH

    @classmethod
    def from_config(cls, listen: ListenConfig) -> Limits:
        return cls(max_request_bytes=listen.max_request_bytes,
                   max_connections=listen.max_connections,
                   idle_timeout=listen.idle_timeout.seconds)


class AccessPolicy:
    """listen.allow_from (CIDR list; empty = anyone who can reach the port) and auth_token."""

    def __init__(self, allow_from: tuple[str, ...] = (), auth_token: str = "") -> None:
        self.networks = [ipaddress.ip_network(net, strict=False) for net in allow_from]
        self.auth_token = auth_token

    @classmethod
    def from_config(cls, listen: ListenConfig) -> AccessPolicy:
        return cls(tuple(listen.allow_from), listen.auth_token)

    def allows(self, host: str) -> bool:
        """Is a peer address inside allow_from (IPv4-mapped IPv6 counts as IPv4)?"""
        if not self.networks:
            return True
        try:
            address = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return any(address in net for net in self.networks)

    def token_ok(self, token: str) -> bool:
        """Constant-time comparison with listen.auth_token (always true when none is set)."""
        if not self.auth_token:
            return True
        return hmac.compare_digest(token.encode(), self.auth_token.encode())

    def bearer_ok(self, header: str | None) -> bool:
        """An HTTP ``Authorization: Bearer <token>`` header against listen.auth_token."""
        if not self.auth_token:
            return True
        scheme, _, token = (header or "").partition(" ")
        return scheme.lower() == "bearer" and self.token_ok(token.strip())


def tls_context(cert: str, key: str) -> Any:
    """A server SSLContext (TLS 1.2+) for listen.tls_cert/tls_key, or None when not set.

    gevent's ssl module is used so handshakes yield to other greenlets, patched or not.
    """
    if not cert:
        return None
    from gevent import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


class RateLimitedLog:
    """One warning per interval for a repeated event, with how often it happened."""

    def __init__(self, message: str, interval: float = 10.0) -> None:
        self.message = message
        self.interval = interval
        self._last = 0.0
        self._suppressed = 0

    def warn(self, *args: Any) -> None:
        now = time.monotonic()
        if now - self._last < self.interval:
            self._suppressed += 1
            return
        suffix = f" ({self._suppressed} more since the last report)" if self._suppressed else ""
        log.warning(self.message + suffix, *args)
        self._last, self._suppressed = now, 0
