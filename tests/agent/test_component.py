"""FreeSwitchComponent as the daemon wires it: the engine, the supervisor, SessionSv1 over RPC."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from agent.emulator import Emulator
from agent.freeswitch.component import FreeSwitchComponent
from agent.rpc.wiring import make_dispatcher
from agent.supervisor import Supervisor
from rating.store.base import Store
from tests.support.net import wait_for

from .support import config, make_engine, set_balance


def _rpc(dispatcher: Any, method: str, params: dict[str, Any]) -> dict[str, Any]:
    reply = dispatcher.handle_doc({"method": method, "params": [params], "id": 1})
    assert reply is not None
    return reply


def test_the_component_meters_calls_and_serves_session_sv1(fs: Emulator, store: Store) -> None:
    set_balance(store, "1001", "1.00")
    cfg = config([fs])
    daemon = SimpleNamespace(config=cfg, supervisor=Supervisor(), node_id="node-a")
    engine_component = SimpleNamespace(engine=None)  # an EngineComponent before its start()
    component = FreeSwitchComponent(daemon, engine_component)
    dispatcher = make_dispatcher(cfg, store, sessions=component.sessions)
    assert _rpc(dispatcher, "SessionSv1.GetActiveSessionsCount", {})["result"] == 0
    engine_component.engine = make_engine(store)
    component.start()
    try:
        wait_for(lambda: "fs1 up" in component.status(), timeout=10, what="connected")
        call = fs.place_call("1001", "1002", talk_seconds=30)
        call.wait_answered(timeout=5)
        wait_for(lambda: _rpc(dispatcher, "SessionSv1.GetActiveSessionsCount", {})["result"]
                 == 1, timeout=3, what="one session")
        [session] = _rpc(dispatcher, "SessionSv1.GetActiveSessions",
                         {"Filters": ["*string:~*req.Account:1001"]})["result"]
        assert (session["OriginID"], session["NodeID"]) == (call.uuid, "node-a")
        assert _rpc(dispatcher, "SessionSv1.GetActiveSessions",
                    {"Filters": ["*string:~*req.Account:1009"]})["error"] == "NOT_FOUND"
        assert _rpc(dispatcher, "SessionSv1.SyncSessions", {})["result"] == "OK"
        assert _rpc(dispatcher, "SessionSv1.ForceDisconnect",
                    {"Filters": ["*string:~*req.OriginID:" + call.uuid]})["result"] == "OK"
        assert call.wait_hangup(timeout=3) == "MANAGER_REQUEST"
    finally:
        component.stop(2.0)
        daemon.supervisor.stop(timeout=1.0)


def test_without_connections_the_component_does_nothing(store: Store) -> None:
    cfg = config([])
    daemon = SimpleNamespace(config=cfg, supervisor=Supervisor(), node_id="node-a")
    component = FreeSwitchComponent(daemon, make_engine(store))
    component.start()
    assert component.status() == "" and component.sessions.active_sessions() == []
    assert daemon.supervisor.running() == []
    component.stop(1.0)
