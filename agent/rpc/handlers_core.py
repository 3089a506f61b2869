"""Handlers that need no engine: Ping, CoreSv1 (Status, Auth), sessions, cache no-ops."""

from __future__ import annotations

import gc
import hmac
import platform
import resource
from typing import Any

import gevent
import greenlet

from .context import CallContext
from .errors import NOT_FOUND, UNAUTHORIZED, RpcError, Unauthorized
from .schema import Args

_RUNNING_SINCE_FORMAT = "%a %b %e %H:%M:%S %Z %Y"  # Go's time.UnixDate


def ping(ctx: CallContext, args: Any) -> str:
    return "Pong"


def ok(ctx: CallContext, args: Any) -> str:
    """For calls that have nothing to do here (callmeter keeps no caches to clear)."""
    return "OK"


def status(ctx: CallContext, args: Any) -> dict[str, Any]:
    """CoreSv1.Status with our equivalents of Go's figures."""
    node = ctx.node
    return {
        "NodeID": node.node_id,
        "MemoryUsage": size_fmt(_rss_bytes()),
        "ActiveGoroutines": _greenlet_count(),
        "Version": f"callmeter@{node.version}" if node.version else "callmeter",
        "RunningSince": node.started.astimezone().strftime(_RUNNING_SINCE_FORMAT),
        "GoVersion": f"{platform.python_implementation()} {platform.python_version()}"
                     f" (gevent {gevent.__version__})",
    }


def size_fmt(num: float) -> str:
    """utils.SizeFmt: 6.48MiB."""
    for unit in ("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi"):
        if abs(num) < 1024.0:
            return f"{num:.2f}{unit}B" if unit else f"{num:.0f}B"
        num /= 1024.0
    return f"{num:.2f}YiB"


def _rss_bytes() -> float:
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024.0


def _greenlet_count() -> int:
    # Status is rare; a scan of live objects is the only count greenlet offers.
    return max(1, sum(1 for obj in gc.get_objects() if isinstance(obj, greenlet.greenlet)))


def auth(ctx: CallContext, args: Args) -> str:
    """CoreSv1.Auth: the first request on a TCP connection when listen.auth_token is set."""
    if not ctx.auth_token:
        return "OK"
    if not hmac.compare_digest(args["Token"].encode(), ctx.auth_token.encode()):
        raise Unauthorized(UNAUTHORIZED)
    return "OK"


# -- SessionSv1 (the FreeSWITCH agent's live sessions; none when it does not run) --------

def _session_args(args: Args) -> tuple[str, list[str], int | None]:
    return args["Tenant"] or "", list(args["Filters"] or []), args["Limit"]


def active_sessions(ctx: CallContext, args: Args) -> list[Any]:
    found = ctx.sessions.active_sessions(*_session_args(args)) if ctx.sessions else []
    if not found:
        raise RpcError(NOT_FOUND)
    return found


def active_sessions_count(ctx: CallContext, args: Args) -> int:
    return len(ctx.sessions.active_sessions(*_session_args(args))) if ctx.sessions else 0


def passive_sessions(ctx: CallContext, args: Args) -> list[Any]:
    found = ctx.sessions.passive_sessions(*_session_args(args)) if ctx.sessions else []
    if not found:
        raise RpcError(NOT_FOUND)
    return found


def passive_sessions_count(ctx: CallContext, args: Args) -> int:
    return len(ctx.sessions.passive_sessions(*_session_args(args))) if ctx.sessions else 0


def force_disconnect(ctx: CallContext, args: Args) -> str:
    count = ctx.sessions.force_disconnect(*_session_args(args)) if ctx.sessions else 0
    if not count:
        raise RpcError(NOT_FOUND)
    return "OK"


def sync_sessions(ctx: CallContext, args: Any) -> str:
    if ctx.sessions:
        ctx.sessions.sync()
    return "OK"


def cache_stats(ctx: CallContext, args: Any) -> dict[str, Any]:
    return {}
