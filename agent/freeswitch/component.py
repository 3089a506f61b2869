"""The FreeSWITCH agent as a daemon component (agent/components.py).

Wiring (daemon side):
    fs = FreeSwitchComponent(daemon, engine)    # after the store, engine and RPC components
    ... fs.sessions is the SessionSv1 backend (agent/rpc SessionsApi) for make_dispatcher.
Every long-lived greenlet goes through ``daemon.supervisor``. Without
``freeswitch.connections`` the component does nothing (engine and API only).
"""

from __future__ import annotations

import logging
from typing import Any

from agent.components import Component
from agent.config import Config
from rating.engine import Engine

from .admin import SessionsAdmin
from .agent import FreeSwitchAgent

log = logging.getLogger(__name__)


class FreeSwitchComponent(Component):
    """Connects to every configured switch and meters its calls."""

    name = "freeswitch"

    def __init__(self, daemon: Any, engine: Engine) -> None:
        self.daemon = daemon
        self.config: Config = daemon.config
        self.agent = FreeSwitchAgent(self.config, engine, daemon.supervisor, daemon.node_id)
        self.sessions = SessionsAdmin(self.agent)

    def start(self) -> None:
        if not self.agent.switches:
            log.info("FreeSWITCH agent off (freeswitch.connections is empty)")
            return
        self.agent.start()
        log.info("FreeSWITCH agent started: %s (%s events, debit interval %s)",
                 ", ".join(self.agent.switches), self.config.freeswitch.event_format,
                 f"{self.config.sessions.debit_interval.seconds:g}s")

    def stop(self, timeout: float) -> None:
        if self.agent.switches:
            self.agent.stop(timeout)

    def reload(self, new: Config, changed: list[str]) -> list[str]:
        return []  # connections and session settings take effect at the next start

    def status(self) -> str:
        if not self.agent.switches:
            return ""
        up = [f"{alias} {'up' if sw.up else 'down'}" for alias, sw in self.agent.switches.items()]
        return f"freeswitch {', '.join(up)}; {len(self.agent.sessions)} session(s)"
