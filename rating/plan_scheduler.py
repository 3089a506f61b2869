"""Running due action-plan timings exactly once, however many callmeters share the store.

For each (plan, timing) the store keeps a "completed runs" document,
``plan_runs/<plan>|<timing>`` = ``{"LastDue": ns}``: every due time up to ``LastDue`` is done.
A tick computes the due times after ``LastDue`` (schedule.py, in the configured zone) and,
holding the store lease ``sched:<plan>|<timing>``, runs each on every attached account as
one account transaction with id ``ap:<plan>:<timing>:<due epoch s>`` (``run_txn_id``), then
advances ``LastDue``. Hence:

- two processes never work one timing at once (the lease), and if the lease holder stalls
  past its lease, a second worker's runs are still no-ops (transaction ids);
- a process killed mid-run leaves ``LastDue`` behind: the next worker repeats that due
  time, and the accounts already done are no-ops (the store remembers ids 48 h);
- a clock jump back makes nothing due again (due times at or before ``LastDue`` are
  done); a jump forward is a gap like a downtime.

Due times older than ``grace`` when found are *missed* (every process was down, or the
clock jumped) and follow ``catch_up``: ``once`` runs only the latest missed one, ``all``
runs each in order, ``skip`` runs none; due times within ``grace`` always run. A timing
seen for the first time starts at its plan's ``CreatedAt``, else at that moment.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from .action_context import PartiallyExecuted
from .action_plans import PLAN_RUNS, ActionPlan, PlanTimingEntry, run_txn_id, runs_id
from .engine_plans import RELOAD_ID, SCHEDULER_STATE, PlansApi
from .errors import NotFound
from .schedule import next_run, runs_between
from .tariffdocs import ACTION_PLANS
from .timeutil import SECOND, to_datetime, to_ns

log = logging.getLogger(__name__)

CATCH_UP = ("once", "all", "skip")
MAX_DUES_PER_TICK = 10_000


class LeaseLost(Exception):
    """Another worker took over the timing's lease while we were running it."""


@dataclass
class Timed:
    """One schedulable timing and when it needs looking at next (ns)."""

    plan_id: str
    entry: PlanTimingEntry
    check_at: int = 0


class PlanScheduler:
    """The scheduler's work on the store; the agent's greenlet calls ``tick`` in a loop."""

    def __init__(self, engine: PlansApi, owner: str, *, catch_up: str = "once",
                 lease_ms: int = 30_000, grace_ns: int = 60 * SECOND,
                 refresh_ns: int = 30 * SECOND) -> None:
        if catch_up not in CATCH_UP:
            raise ValueError(f"catch_up must be one of {', '.join(CATCH_UP)}")
        self.engine = engine
        self.store = engine.store
        self.owner = owner
        self.catch_up = catch_up
        self.lease_ms = lease_ms
        self.grace_ns = grace_ns
        self.refresh_ns = refresh_ns
        self.timings: dict[str, Timed] = {}
        self._loaded_at: int | None = None
        self._generation: object = None
        self.runs = 0  # (account, due) runs this process made, for metrics and tests

    # -- what to look at ----------------------------------------------------------------------
    def request_reload(self) -> None:
        """Re-read the plans at the next tick (after SetActionPlan, Reload...)."""
        self._loaded_at = None

    def _refresh(self, now: int) -> None:
        state = self.store.get(SCHEDULER_STATE, RELOAD_ID)
        generation = (state or {}).get("Generation")
        if self._loaded_at is not None and generation == self._generation and \
                now - self._loaded_at < self.refresh_ns:
            return
        self._generation, self._loaded_at = generation, now
        found: dict[str, Timed] = {}
        for plan_id in self.store.list_ids(ACTION_PLANS):
            doc = self.store.get(ACTION_PLANS, plan_id)
            if doc is None:
                continue
            for entry in ActionPlan.from_doc(doc).ActionTimings:
                if entry.is_asap:
                    continue
                key = runs_id(plan_id, entry.Uuid)
                old = self.timings.get(key)
                found[key] = Timed(plan_id, entry, old.check_at if old else 0)
        self.timings = found

    # -- the work ---------------------------------------------------------------------------------
    def tick(self) -> int | None:
        """Run everything due now; the time (ns) something may next be due, if any."""
        now = self.engine.now_ns()
        self._refresh(now)
        soonest: int | None = None
        ordered = sorted(self.timings.items(), key=lambda kv: (kv[1].check_at,
                                                               -kv[1].entry.Weight))
        for key, timed in ordered:
            if timed.check_at <= now:
                timed.check_at = self._work(key, timed, now)
            if soonest is None or timed.check_at < soonest:
                soonest = timed.check_at
        return soonest

    def _last_due(self, key: str, timed: Timed, now: int) -> tuple[int, bool]:
        state = self.store.get(PLAN_RUNS, key)
        if state is not None and state.get("LastDue") is not None:
            return int(state["LastDue"]), True
        return (timed.entry.CreatedAt or now), False

    def _dues(self, timed: Timed, last: int, now: int) -> list[int]:
        runs = runs_between(timed.entry.plan_timing(), to_datetime(last), to_datetime(now),
                            self.engine.timezone, limit=MAX_DUES_PER_TICK)
        return [to_ns(r) for r in runs]

    def _next_check(self, timed: Timed, last: int, now: int) -> int:
        due = next_run(timed.entry.plan_timing(), to_datetime(max(now, last)),
                       self.engine.timezone)
        return to_ns(due) if due is not None else now + 365 * 86400 * SECOND

    def _work(self, key: str, timed: Timed, now: int) -> int:
        last, known = self._last_due(key, timed, now)
        if known and not self._dues(timed, last, now):
            return self._next_check(timed, last, now)
        lease = f"sched:{key}"
        if not self.store.acquire_lease(lease, self.owner, self.lease_ms):
            return now + SECOND  # someone else works it; look again soon
        try:
            last, known = self._last_due(key, timed, now)
            dues = self._dues(timed, last, now)
            if not known and not dues:
                self.store.put(PLAN_RUNS, key, {"LastDue": last})
            selected = self._select(dues, now)
            for due in selected:
                self._run(timed, due, lease)
                self.store.put(PLAN_RUNS, key, {"LastDue": due})
            if dues and (not selected or selected[-1] != dues[-1]):
                self.store.put(PLAN_RUNS, key, {"LastDue": dues[-1]})
            if dues:
                last = dues[-1]
        except LeaseLost:
            log.warning("lost the lease of %s; another scheduler goes on", key)
            return now + SECOND
        finally:
            self.store.release_lease(lease, self.owner)
        return self._next_check(timed, last, now)

    def _select(self, dues: list[int], now: int) -> list[int]:
        missed = [d for d in dues if now - d > self.grace_ns]
        current = [d for d in dues if now - d <= self.grace_ns]
        if missed:
            log.warning("%d missed run(s) found, catch_up=%s", len(missed), self.catch_up)
        if self.catch_up == "all":
            return missed + current
        if self.catch_up == "once":
            return missed[-1:] + current
        return current

    def _run(self, timed: Timed, due: int, lease: str) -> None:
        """One due time on every attached account."""
        try:
            plan = self.engine.load_plan(timed.plan_id)
            actions = self.engine.load_actions(timed.entry.ActionsID)
        except NotFound as exc:
            log.error("plan %s timing %s not run: %s", timed.plan_id, timed.entry.Uuid,
                      exc.detail)
            return
        accounts = self.engine.plan_accounts(plan)
        if not accounts:
            self.engine.run_accountless(actions)
            return
        for account in accounts:
            if not self.store.acquire_lease(lease, self.owner, self.lease_ms):
                raise LeaseLost(lease)
            txn_id = run_txn_id(timed.plan_id, timed.entry.Uuid, due)
            try:
                if self.engine.run_actions(account, actions, txn_id=txn_id).ran:
                    self.runs += 1
            except PartiallyExecuted as exc:
                log.error("plan %s on %s at %s: %s", timed.plan_id, account, due, exc.detail)
