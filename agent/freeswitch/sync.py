"""Channel sync: compare the sessions of a switch with the channels it really has.

DESIGN.md call flow step 4, SPEC.md G.9, with one rule CGRateS lacks: unknown is not gone.
A sync whose ``show channels as json`` fails or times out changes nothing. A session is
ended by sync only when two consecutive successful syncs did not list its channel (and
the session is older than the first of them, as the listing lags the events); it is then
settled for the time already reserved (what happened after we lost sight of it cannot be
known). A listed channel whose session was waiting (loaded at start, or its answer missed)
is resumed. One query per switch, every ``sessions.channel_sync_interval`` (jittered),
at once after each (re)connection, and soon again when something looked absent.
"""

from __future__ import annotations

import json
import logging
import random
import time
from typing import TYPE_CHECKING, Any

from gevent.event import Event

from . import commands, metrics
from .link import EslError
from .live import ABSENT, PRESENT, Tick

if TYPE_CHECKING:
    from .agent import FreeSwitchAgent

log = logging.getLogger(__name__)

CONFIRM_SOON = 2.0  # seconds to the confirming sync after a channel looked absent
LISTING_LAG = 1.0  # "show channels" is SQL-backed and lags the events by a fraction of this


class ChannelSync:
    """The sync of one switch (a supervised loop plus on-demand runs)."""

    def __init__(self, agent: FreeSwitchAgent, alias: str) -> None:
        self.agent = agent
        self.alias = alias
        self.wake = Event()
        self.done = Event()
        self.rounds = 0
        self.last_ok: float | None = None

    def request(self) -> None:
        """Run a sync as soon as possible (reconnect, SessionSv1.SyncSessions)."""
        self.done.clear()
        self.wake.set()

    def run(self) -> None:
        """Forever: wait for the interval (or a request), sync (a supervised greenlet)."""
        interval = self.agent.settings.sync_interval
        wait: float | None = interval * random.uniform(0.9, 1.1) if interval else None
        while True:
            self.wake.wait(wait)
            self.wake.clear()
            suspicious = self.sync_once()
            self.done.set()
            if suspicious:
                wait = CONFIRM_SOON
            elif interval:
                wait = interval * random.uniform(0.9, 1.1)
            else:
                wait = None

    def sync_once(self) -> bool:
        """One sync; True when some session looked absent (confirm soon)."""
        agent = self.agent
        switch = agent.switches[self.alias]
        started = time.monotonic()
        try:
            text = switch.api(commands.SHOW_CHANNELS, query=True)
            listed = parse_channels(text)
        except (EslError, ValueError) as exc:
            metrics.SYNCS.labels(self.alias, "failed").inc()
            log.warning("%s: channel sync failed (%s): nothing changes", self.alias, exc)
            return False
        metrics.SYNCS.labels(self.alias, "ok").inc()
        self.rounds += 1
        self.last_ok = started
        suspicious = False
        for live in list(agent.sessions.values()):
            if live.alias != self.alias or live.settle_usage is not None:
                continue
            row = listed.get(live.uuid)
            if row is not None:
                agent.queues.put(live.uuid, Tick(PRESENT, data=row))
            else:
                suspicious = True  # absent, or too new to judge: look again soon
                if live.created_mono < started - LISTING_LAG:
                    agent.queues.put(live.uuid, Tick(ABSENT, due=started))
        return suspicious


def parse_channels(text: str) -> dict[str, dict[str, Any]]:
    """uuid -> row of ``show channels as json`` ({"row_count": 0} when empty)."""
    data = json.loads(text)
    if not isinstance(data, dict) or "row_count" not in data:
        raise ValueError(f"not a channel listing: {text[:80]!r}")
    rows = data.get("rows") or []
    return {str(row.get("uuid")): row for row in rows if isinstance(row, dict)}


def answered(row: dict[str, Any]) -> bool:
    """A listed channel that is talking (callstate ACTIVE, or bridged/held)."""
    return str(row.get("callstate", "")).upper() in ("ACTIVE", "HELD", "EARLY_ACTIVE") or \
        str(row.get("answered", "")).lower() == "true"
