"""SessionSv1 over the agent: list, count and cut live calls, run a sync now.

Satisfies agent/rpc's ``SessionsApi`` (``active_sessions(tenant, filters, limit)`` ...)
and answers in CGRateS's ExternalSession shape. Only answered calls are sessions, as in
CGRateS (a parked call waiting for authorization is not one yet).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from rating import money
from rating.sessions import ACTIVE, DEFAULT_RUN, EXHAUSTED, PREPAID, VOICE
from rating.timeutil import ZERO_TIME_NS, format_time

from .filters import Filter, matches_all, parse_filter
from .live import FORCE, LiveSession, Tick

if TYPE_CHECKING:
    from .agent import FreeSwitchAgent

SYNC_WAIT = 10.0


class SessionsAdmin:
    """The agent's live sessions as SessionSv1 sees them.

    `source` is the agent, or a function returning it (None while it is not running, e.g.
    before the daemon starts it or without freeswitch.connections: then there are none).
    """

    def __init__(self, source: FreeSwitchAgent | Callable[[], FreeSwitchAgent | None]) -> None:
        self._source = source

    @property
    def agent(self) -> FreeSwitchAgent | None:
        source = self._source
        return source() if callable(source) else source

    # -- agent/rpc SessionsApi ----------------------------------------------------------
    def active_sessions(self, tenant: str = "", filters: Iterable[str] = (),
                        limit: int | None = None) -> list[dict[str, Any]]:
        """ExternalSession of every answered call matching the filters (CGRateS order)."""
        agent = self.agent
        if agent is None:
            return []
        return [self.external(s, agent) for s in self._select(tenant, filters, limit)]

    def active_sessions_count(self, tenant: str = "", filters: Iterable[str] = (),
                              limit: int | None = None) -> int:
        return len(self._select(tenant, filters, limit))

    def passive_sessions(self, tenant: str = "", filters: Iterable[str] = (),
                         limit: int | None = None) -> list[dict[str, Any]]:
        return []  # no session replication: nothing is passive here

    def force_disconnect(self, tenant: str = "", filters: Iterable[str] = (),
                         limit: int | None = None) -> int:
        """Cut the matching calls (each in its own queue, in order); how many."""
        chosen = self._select(tenant, filters, limit)
        agent = self.agent
        for live in chosen:
            if agent is not None:
                agent.queues.put(live.uuid, Tick(FORCE, data="SessionSv1.ForceDisconnect"))
        return len(chosen)

    def sync(self) -> None:
        """Sync every switch now and wait (bounded) for the results to be queued."""
        agent = self.agent
        syncs = [] if agent is None else list(agent.syncs.values())
        for sync in syncs:
            sync.request()
        deadline = time.monotonic() + SYNC_WAIT
        for sync in syncs:
            sync.done.wait(max(0.0, deadline - time.monotonic()))

    sync_sessions = sync

    # -- shapes ---------------------------------------------------------------------------
    def _select(self, tenant: str, filters: Iterable[str], limit: int | None
                ) -> list[LiveSession]:
        parsed: list[Filter] = [parse_filter(f) for f in filters]
        agent = self.agent
        if agent is None:
            return []
        out = []
        for live in sorted(agent.sessions.values(), key=lambda s: s.record.answer_ns):
            rec = live.record
            if rec.state not in (ACTIVE, EXHAUSTED) or live.settle_usage is not None:
                continue
            if tenant and rec.tenant != tenant:
                continue
            if parsed and not matches_all(parsed, self.external(live, agent)):
                continue
            out.append(live)
            if limit and len(out) >= limit:
                break
        return out

    @staticmethod
    def external(live: LiveSession, agent: FreeSwitchAgent) -> dict[str, Any]:
        """CGRateS's ExternalSession of a live call."""
        rec = live.record
        now = agent.clock.mono()
        elapsed = max(0, live.offset_at(now)) if live.anchor_mono else 0
        prepaid = rec.request_type == PREPAID
        next_debit = ZERO_TIME_NS
        if prepaid and rec.state == ACTIVE:
            next_debit = rec.answer_ns + max(0, rec.next_seq * rec.debit_interval
                                             - agent.settings.debit_lead)
        return {
            "CGRID": rec.cgrid, "RunID": DEFAULT_RUN, "ToR": VOICE, "OriginID": rec.origin_id,
            "OriginHost": rec.origin_host, "Source": "FS_CHANNEL_ANSWER",
            "RequestType": rec.request_type, "Tenant": rec.tenant, "Category": rec.category,
            "Account": rec.account, "Subject": rec.subject, "Destination": rec.destination,
            "SetupTime": format_time(rec.setup_ns or ZERO_TIME_NS),
            "AnswerTime": format_time(rec.answer_ns or ZERO_TIME_NS),
            "Usage": rec.reserved if prepaid else elapsed,
            "ExtraFields": dict(rec.extra), "NodeID": agent.node_id,
            "LoopIndex": rec.next_seq, "DurationIndex": rec.reserved, "MaxRate": 0,
            "MaxRateUnit": 0, "MaxCostSoFar": money.normal(rec.cost),
            "DebitInterval": rec.debit_interval if prepaid else 0,
            "NextAutoDebit": format_time(next_debit),
        }
