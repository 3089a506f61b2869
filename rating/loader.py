"""Loading a CGRateS v0.10 tariff-plan folder into the store: all or nothing.

``load_folder`` reads the 11 CSV files (SPEC.md F), checks every reference against the
folder and the store, and only when nothing is wrong writes the documents, applies the
AccountActions (accounts created or updated, triggers copied in, plans linked) and bumps
the tariff version so every engine sharing the store recompiles. Every error carries
file:line:column. ``callmeter load DIR [--dry-run]`` calls ``load_folder``.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Any

from . import money
from .accounts import Account
from .store.base import JSON, Commit, Store
from .tariffdocs import (
    ACCOUNT_ACTIONS,
    ACTION_PLANS,
    ACTION_TRIGGERS,
    ACTIONS,
    ALL_KINDS,
    BUILTIN_TIMINGS,
    DESTINATION_RATES,
    DESTINATIONS,
    META,
    RATES,
    RATING_PLANS,
    RATING_PROFILES,
    SHARED_GROUPS,
    TIMINGS,
    VERSION_ID,
)
from .timeutil import format_time
from .tpactions import (
    parse_account_action,
    parse_action,
    parse_action_plan,
    parse_action_trigger,
    parse_shared_group,
)
from .tpcsv import (
    RowParser,
    check_rates,
    parse_destination,
    parse_destination_rate,
    parse_rate,
    parse_rating_plan,
    parse_rating_profile,
    parse_timing,
    read_rows,
)
from .tpplan import LoadError, ParseContext, TariffPlan
from .triggers import ActionTrigger

log = logging.getLogger(__name__)

ACTION_TASKS = "action_tasks"

#: (file, kind, allowed field counts, row parser), in load order.
FILES: tuple[tuple[str, str, int | tuple[int, ...], RowParser], ...] = (
    ("Timings.csv", TIMINGS, 6, parse_timing),
    ("Destinations.csv", DESTINATIONS, 2, parse_destination),
    ("Rates.csv", RATES, 6, parse_rate),
    ("DestinationRates.csv", DESTINATION_RATES, 7, parse_destination_rate),
    ("RatingPlans.csv", RATING_PLANS, 4, parse_rating_plan),
    ("RatingProfiles.csv", RATING_PROFILES, (6, 7), parse_rating_profile),
    ("SharedGroups.csv", SHARED_GROUPS, 4, parse_shared_group),
    ("Actions.csv", ACTIONS, 17, parse_action),
    ("ActionPlans.csv", ACTION_PLANS, 4, parse_action_plan),
    ("ActionTriggers.csv", ACTION_TRIGGERS, 21, parse_action_trigger),
    ("AccountActions.csv", ACCOUNT_ACTIONS, 6, parse_account_action),
)
FILE_OF = {kind: name for name, kind, _, _ in FILES}

#: kind -> (list of rows in the document or None for the document itself,
#:          [(field path, referenced kind, CSV column, how)]); how: "id", "opt" (may be
#:          empty), "map" (a StringMap of ids), "dest" (an id or *any).
REFERENCES: dict[str, tuple[str | None, list[tuple[str, str, int, str]]]] = {
    DESTINATION_RATES: ("DestinationRates", [("DestinationId", DESTINATIONS, 2, "dest"),
                                             ("RateId", RATES, 3, "id")]),
    RATING_PLANS: ("RatingPlanBindings", [("DestinationRatesId", DESTINATION_RATES, 2, "id"),
                                          ("TimingId", TIMINGS, 3, "id")]),
    RATING_PROFILES: ("RatingPlanActivations", [("RatingPlanId", RATING_PLANS, 5, "id")]),
    ACTIONS: ("Actions", [("Balance.DestinationIDs", DESTINATIONS, 8, "map"),
                          ("Balance.SharedGroups", SHARED_GROUPS, 10, "map"),
                          ("Balance.TimingIDs", TIMINGS, 12, "map")]),
    ACTION_PLANS: ("ActionTimings", [("ActionsID", ACTIONS, 2, "id"),
                                     ("TimingID", TIMINGS, 3, "id")]),
    ACTION_TRIGGERS: ("ActionTriggers", [("Balance.DestinationIDs", DESTINATIONS, 12, "map"),
                                         ("Balance.SharedGroups", SHARED_GROUPS, 14, "map"),
                                         ("Balance.TimingIDs", TIMINGS, 16, "map"),
                                         ("ActionsID", ACTIONS, 20, "id")]),
    ACCOUNT_ACTIONS: (None, [("ActionPlanId", ACTION_PLANS, 3, "opt"),
                             ("ActionTriggersId", ACTION_TRIGGERS, 4, "opt")]),
}


@dataclass
class LoadReport:
    """What a load found and did."""

    path: str
    dry_run: bool
    errors: list[LoadError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    invalid_path: bool = False

    @property
    def ok(self) -> bool:
        """True when nothing was wrong (and, unless a dry run, everything was written)."""
        return not self.errors

    def cgrates_error(self) -> str | None:
        """The API error text: INVALID_PATH, or SERVER_ERROR with the first problem."""
        if self.invalid_path:
            return "INVALID_PATH"
        return f"SERVER_ERROR: {self.errors[0]}" if self.errors else None

    def to_json(self) -> dict[str, Any]:
        """A JSON summary for CLIs and logs."""
        return {"Path": self.path, "DryRun": self.dry_run, "OK": self.ok,
                "Errors": [str(e) for e in self.errors], "Warnings": self.warnings,
                "Counts": self.counts}

    def format(self) -> str:
        """Human-readable text: one line per error, then the counts."""
        lines = [str(e) for e in self.errors] + [f"warning: {w}" for w in self.warnings]
        verb = "checked" if self.dry_run else "loaded"
        if self.ok:
            counts = ", ".join(f"{n} {k}" for k, n in self.counts.items() if n)
            lines.append(f"{self.path}: {verb} ({counts or 'empty'})")
        else:
            lines.append(f"{self.path}: {len(self.errors)} error(s), nothing loaded")
        return "\n".join(lines)


def parse_folder(path: Path, ctx: ParseContext) -> tuple[TariffPlan, list[LoadError], list[str]]:
    """Read every known CSV file of the folder (missing files are empty)."""
    plan = TariffPlan()
    errors: list[LoadError] = []
    known = {name for name, _, _, _ in FILES}
    warnings = [f"{p.name}: not a file callmeter reads, ignored"
                for p in sorted(path.glob("*.csv")) if p.name not in known]
    for name, _, columns, parser in FILES:
        file = path / name
        if not file.exists():
            continue
        for row in read_rows(file, columns, errors):
            parser(plan, row, ctx)
    check_rates(plan, errors)
    return plan, errors, warnings


def check_references(plan: TariffPlan, store: Store | None) -> list[LoadError]:
    """Every id a document refers to must exist in the plan, the store, or be built in."""
    errors: list[LoadError] = []
    known: dict[tuple[str, str], bool] = {}

    def exists(kind: str, ref: str) -> bool:
        if ref in plan.docs[kind] or (kind == TIMINGS and ref in BUILTIN_TIMINGS):
            return True
        if (kind, ref) not in known:
            known[(kind, ref)] = store is not None and store.get(kind, ref) is not None
        return known[(kind, ref)]

    for kind, (rows_key, refs) in REFERENCES.items():
        for doc_id, doc in plan.docs[kind].items():
            rows = [doc] if rows_key is None else list(doc.get(rows_key) or ())
            for index, row in enumerate(rows):
                for path, target, column, how in refs:
                    for ref in _ref_ids(row, path, how):
                        if not exists(target, ref):
                            file, line = plan.where(kind, doc_id, index)
                            errors.append(LoadError(file or FILE_OF[kind], line, column,
                                                    f"{_noun(target)} {ref!r} does not exist"))
    return errors


def _ref_ids(row: dict[str, Any], path: str, how: str) -> list[str]:
    value: Any = row
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if how == "map":
        return list(value or {})
    if how == "opt" and not value:
        return []
    if how == "dest" and value == "*any":
        return []
    return [str(value or "")]


def _noun(kind: str) -> str:
    return kind[:-1].replace("_", " ")


def load_plan(store: Store, plan: TariffPlan, *, dry_run: bool, now_ns: int,
              new_id: Callable[[], str], timezone: tzinfo = UTC, path: str = "",
              errors: list[LoadError] | None = None) -> LoadReport:
    """Check a parsed plan against the store; write it when nothing is wrong."""
    report = LoadReport(path, dry_run, list(errors or ()))
    report.errors += check_references(plan, store)
    report.counts = plan.count()
    if report.ok and not dry_run:
        _write(store, plan, now_ns, new_id)
    return report


def load_folder(path: str, *, dry_run: bool, store: Store | None = None,
                now_ns: int | None = None, new_id: Callable[[], str] | None = None,
                timezone: tzinfo = UTC) -> LoadReport:
    """Load (or with dry_run only check) a tariff-plan folder; see the module docstring.

    Without a store only a dry run is possible (references are checked within the folder).
    Writing needs the clock (`now_ns`, for relative times like "*now") and an id source
    (`new_id`, for action timing and trigger ids); ``Engine.load_folder`` passes its own.
    """
    if store is not None and not dry_run and (now_ns is None or new_id is None):
        raise ValueError("load_folder needs now_ns and new_id to write into a store")
    now = 0 if now_ns is None else now_ns
    ids = new_id or _counter_ids()
    folder = Path(path)
    if not folder.is_dir():
        report = LoadReport(path, dry_run, invalid_path=True)
        report.errors.append(LoadError(str(path), 0, 0, "not a readable folder"))
        return report
    plan, errors, warnings = parse_folder(folder, ParseContext(now, ids, timezone))
    if store is None:
        report = LoadReport(path, dry_run, errors + check_references(plan, None), warnings,
                            plan.count())
        if not dry_run:
            report.errors.append(LoadError(str(path), 0, 0, "no store to load into"))
        return report
    report = load_plan(store, plan, dry_run=dry_run, now_ns=now, new_id=ids,
                       timezone=timezone, path=path, errors=errors)
    report.warnings = warnings
    return report


def _counter_ids() -> Callable[[], str]:
    """Ids for a dry run (never stored): tp-1, tp-2, ..."""
    count = itertools.count(1)
    return lambda: f"tp-{next(count)}"


# -- writing -------------------------------------------------------------------------------

def _write(store: Store, plan: TariffPlan, now_ns: int, new_id: Callable[[], str]) -> None:
    docs = {kind: dict(plan.docs[kind]) for kind in ALL_KINDS}
    _resolve_plan_timings(store, docs)
    links = _link_accounts(store, docs)
    for kind in ALL_KINDS:
        if docs[kind]:
            store.put_many(kind, docs[kind])
    for key, aa in docs[ACCOUNT_ACTIONS].items():
        _apply_account(store, key, aa, docs, now_ns)
    for plan_id, account_ids in links.items():
        _queue_asap(store, docs[ACTION_PLANS][plan_id], account_ids, new_id)
    store.put(META, VERSION_ID, {"Version": new_id(), "LoadedAt": format_time(now_ns)})
    log.info("tariff plan loaded: %s", {k: len(v) for k, v in docs.items() if v})


def _lookup(store: Store, docs: dict[str, dict[str, Any]], kind: str, doc_id: str) -> Any:
    found = docs[kind].get(doc_id)
    return found if found is not None else store.get(kind, doc_id)


def _resolve_plan_timings(store: Store, docs: dict[str, dict[str, Any]]) -> None:
    for plan_doc in docs[ACTION_PLANS].values():
        for at in plan_doc["ActionTimings"]:
            tid = at["TimingID"]
            builtin = BUILTIN_TIMINGS.get(tid)
            timing = builtin.to_json() if builtin else dict(_lookup(store, docs, TIMINGS, tid))
            timing.pop("ID", None)
            at["Timing"] = {"Timing": timing}


def _link_accounts(store: Store, docs: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """Add each AccountActions account to its plan's AccountIDs (kept from the store too)."""
    links: dict[str, list[str]] = {}
    for key, aa in docs[ACCOUNT_ACTIONS].items():
        if aa["ActionPlanId"]:
            links.setdefault(aa["ActionPlanId"], []).append(key)
    for plan_id, keys in links.items():
        plan_doc = dict(_lookup(store, docs, ACTION_PLANS, plan_id))
        stored = store.get(ACTION_PLANS, plan_id) or {}
        ids = dict(stored.get("AccountIDs") or {})
        ids.update(plan_doc.get("AccountIDs") or {})
        ids.update(dict.fromkeys(keys, True))
        plan_doc["AccountIDs"] = ids
        docs[ACTION_PLANS][plan_id] = plan_doc
    return links


def _apply_account(store: Store, key: str, aa: dict[str, Any],
                   docs: dict[str, dict[str, Any]], now_ns: int) -> None:
    triggers = None
    if aa["ActionTriggersId"]:
        group = _lookup(store, docs, ACTION_TRIGGERS, aa["ActionTriggersId"])
        triggers = [ActionTrigger.from_json(t) for t in group["ActionTriggers"]]

    def txn(doc: JSON | None) -> Commit:
        account = Account(key) if doc is None else Account.from_doc(doc)
        account.AllowNegative = aa["AllowNegative"]
        account.Disabled = aa["Disabled"]
        if triggers is not None:
            account.ActionTriggers = triggers
        account.UpdateTime = now_ns
        return Commit(account.to_doc(), "OK")

    store.transact(key, txn)


def _queue_asap(store: Store, plan_doc: dict[str, Any], account_ids: list[str],
                new_id: Callable[[], str]) -> None:
    """Record one ``*asap`` task per newly attached account for the scheduler to run."""
    tasks = {}
    for at in plan_doc["ActionTimings"]:
        if at["Timing"]["Timing"].get("StartTime") != "*asap":
            continue
        for account_id in account_ids:
            task_id = new_id()
            tasks[task_id] = {"Uuid": task_id, "AccountID": account_id,
                              "ActionsID": at["ActionsID"], "ActionPlanID": plan_doc["Id"],
                              "ActionTimingUuid": at["Uuid"]}
    if tasks:
        store.put_many(ACTION_TASKS, money.jsonable(tasks))
