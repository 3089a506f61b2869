"""Action plans: timings that run action sets on accounts (SPEC.md D.4).

Stored shapes (the loader writes the same):

- ``action_plans/<ID>``: ``{"Id", "AccountIDs": {"t:a": true} | null, "ActionTimings":
  [{"Uuid", "TimingID", "Timing": {"Timing": RITiming}, "ActionsID", "Weight",
  "CreatedAt"?}]}``. ``CreatedAt`` (unix ns, API-made plans) is where the schedule of a
  timing starts; without it the scheduler starts from when it first sees the timing.
- ``plan_accounts/<plan>|<tenant:account>``: one document per attachment made through the
  API, so attaching never rewrites a shared document (no lost updates between callers).
  A plan's accounts are its ``AccountIDs`` (tariff-plan loads) plus these.
- ``action_tasks/<Uuid>``: ``*asap`` work, ``{"Uuid", "AccountID", "ActionsID",
  "ActionPlanID", "ActionTimingUuid"}``, run once when the scheduler reloads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from . import money
from .errors import UnsupportedFormat
from .schedule import ASAP, KEYWORDS, PlanTiming, TimingError, keyword_timing, parse_timing

PLAN_ACCOUNTS = "plan_accounts"
ACTION_TASKS = "action_tasks"
PLAN_RUNS = "plan_runs"
#: SetActionPlan accepts these Time values besides hh:mm:ss (v0.10) and, from CGRateS
#: master, the keyword timings anchored when the plan is defined.
API_TIMES = ("", ASAP, "*every_minute", "*hourly", *KEYWORDS)


@dataclass
class PlanTimingEntry:
    """One ActionTiming of a plan."""

    Uuid: str
    ActionsID: str
    Weight: Decimal
    Timing: dict[str, Any]  # RITiming JSON: Years, Months, MonthDays, WeekDays, StartTime
    TimingID: str = ""
    CreatedAt: int | None = None

    @property
    def is_asap(self) -> bool:
        return str(self.Timing.get("StartTime") or "") == ASAP

    def plan_timing(self) -> PlanTiming:
        """The timing as schedule.py computes it."""
        t = self.Timing
        return PlanTiming(frozenset(int(y) for y in t.get("Years") or ()),
                          frozenset(int(m) for m in t.get("Months") or ()),
                          frozenset(int(d) for d in t.get("MonthDays") or ()),
                          frozenset(int(d) % 7 for d in t.get("WeekDays") or ()),
                          str(t.get("StartTime") or "00:00:00"))

    def to_json(self) -> dict[str, Any]:
        """The ActionTiming JSON of GetActionPlan (Decimal weight)."""
        timing = {"Years": [], "Months": [], "MonthDays": [], "WeekDays": [],
                  "StartTime": "", "EndTime": "", **self.Timing}
        return {"Uuid": self.Uuid, "Timing": {"Timing": timing}, "ActionsID": self.ActionsID,
                "ExtraData": None, "Weight": money.normal(self.Weight)}

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "Uuid": self.Uuid, "TimingID": self.TimingID, "Timing": {"Timing": self.Timing},
            "ActionsID": self.ActionsID, "Weight": money.to_str(self.Weight)}
        if self.CreatedAt is not None:
            doc["CreatedAt"] = self.CreatedAt
        return doc

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> PlanTimingEntry:
        timing = (doc.get("Timing") or {}).get("Timing") or {}
        return cls(str(doc.get("Uuid", "")), str(doc.get("ActionsID", "")),
                   money.to_decimal(doc.get("Weight") or 0), dict(timing),
                   str(doc.get("TimingID") or ""),
                   None if doc.get("CreatedAt") is None else int(doc["CreatedAt"]))


@dataclass
class ActionPlan:
    """A plan: its timings and the accounts the loader attached (``AccountIDs``)."""

    Id: str
    ActionTimings: list[PlanTimingEntry] = field(default_factory=list)
    AccountIDs: dict[str, bool] | None = None

    def to_json(self, accounts: list[str]) -> dict[str, Any]:
        """GetActionPlan's shape with the plan's full account set."""
        return {"Id": self.Id, "AccountIDs": dict.fromkeys(accounts, True) or None,
                "ActionTimings": [t.to_json() for t in self.ActionTimings]}

    def to_doc(self) -> dict[str, Any]:
        return {"Id": self.Id, "AccountIDs": self.AccountIDs,
                "ActionTimings": [t.to_doc() for t in self.ActionTimings]}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> ActionPlan:
        ids = doc.get("AccountIDs")
        return cls(str(doc.get("Id", "")),
                   [PlanTimingEntry.from_doc(t) for t in doc.get("ActionTimings") or ()],
                   None if ids is None else {str(k): bool(v) for k, v in ids.items()})

    @property
    def only_asap(self) -> bool:
        return bool(self.ActionTimings) and all(t.is_asap for t in self.ActionTimings)


def timing_from_api(t: Mapping[str, Any], now: datetime, zone: tzinfo) -> dict[str, Any]:
    """The RITiming of one SetActionPlan entry; UnsupportedFormat for a bad field.

    Keyword times (``*monthly``...) are anchored at `now`: ``*monthly`` = now's day of the
    month and clock, every month (CGRateS master).
    """
    text = str(t.get("Time") or "").strip()
    try:
        if text in KEYWORDS:
            parsed = keyword_timing(text, now, zone)
        else:
            parsed = parse_timing(str(t.get("Years") or ""), str(t.get("Months") or ""),
                                  str(t.get("MonthDays") or ""), str(t.get("WeekDays") or ""),
                                  text)
    except TimingError as exc:
        raise UnsupportedFormat(str(exc).removeprefix("UNSUPPORTED_FORMAT:")) from None
    return {"Years": sorted(parsed.years), "Months": sorted(parsed.months),
            "MonthDays": sorted(parsed.month_days), "WeekDays": sorted(parsed.week_days),
            "StartTime": "" if text == "" else parsed.time, "EndTime": ""}


def member_id(plan_id: str, account_key: str) -> str:
    """The ``plan_accounts`` id of one attachment (the plan id escaped, then ``|``)."""
    return f"{quote(plan_id, safe='')}|{account_key}"


def member_prefix(plan_id: str) -> str:
    """The prefix of every attachment id of a plan."""
    return f"{quote(plan_id, safe='')}|"


def runs_id(plan_id: str, timing_uuid: str) -> str:
    """The ``plan_runs`` id (completed runs) of one plan timing."""
    return f"{quote(plan_id, safe='')}|{timing_uuid}"


def run_txn_id(plan_id: str, timing_uuid: str, due_ns: int) -> str:
    """The transaction id of one scheduled run on one account (the exactly-once key)."""
    return f"ap:{plan_id}:{timing_uuid}:{due_ns // 10**9}"
