"""The FreeSWITCH agent as a daemon component (agent/components.py).

Wiring (daemon side, agent/components.py build_components):
    fs = FreeSwitchComponent(daemon, engine)   # engine: the Engine or the EngineComponent
    rpc = RpcComponent(...) and make_dispatcher(..., sessions=fs.sessions)
    order: store, engine, ..., rpc, http, fs, scheduler (the agent starts after the API)
``fs.sessions`` (SessionSv1: agent/rpc's SessionsApi) exists from construction and answers
"no sessions" until the agent runs. The engine is looked up at start(), so an
EngineComponent that builds its Engine in its own start() can be passed. Every long-lived
greenlet goes through ``daemon.supervisor``. Without ``freeswitch.connections`` the
component does nothing (engine and API only).
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

    def __init__(self, daemon: Any, engine: Any) -> None:
        self.daemon = daemon
        self.config: Config = daemon.config
        self._engine = engine
        self.agent: FreeSwitchAgent | None = None
        self.sessions = SessionsAdmin(lambda: self.agent)

    def _resolve_engine(self) -> Engine:
        engine = self._engine if isinstance(self._engine, Engine) else \
            getattr(self._engine, "engine", None)
        if not isinstance(engine, Engine):
            raise RuntimeError("the FreeSWITCH agent needs the engine, which is not running")
        return engine

    def start(self) -> None:
        if not self.config.freeswitch.connections:
            log.info("FreeSWITCH agent off (freeswitch.connections is empty)")
            return
        self.agent = FreeSwitchAgent(self.config, self._resolve_engine(),
                                     self.daemon.supervisor, self.daemon.node_id)
        self.agent.start()
        log.info("FreeSWITCH agent started: %s (%s events, debit interval %s)",
                 ", ".join(self.agent.switches), self.config.freeswitch.event_format,
                 f"{self.config.sessions.debit_interval.seconds:g}s")

    def stop(self, timeout: float) -> None:
        if self.agent is not None:
            self.agent.stop(timeout)

    def reload(self, new: Config, changed: list[str]) -> list[str]:
        return []  # connections and session settings take effect at the next start

    def status(self) -> str:
        if self.agent is None:
            return ""
        up = [f"{alias} {'up' if sw.up else 'down'}" for alias, sw in self.agent.switches.items()]
        return f"freeswitch {', '.join(up)}; {len(self.agent.sessions)} session(s)"
