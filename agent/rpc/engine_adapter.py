"""``EngineApi`` (what the API handlers call) on top of ``rating.engine.Engine``.

The handlers speak the API's terms: validated argument dicts, optional debit ids. The
Engine speaks the domain's: ``CallDescriptor`` objects, mandatory transaction ids, load
reports. This adapter translates one into the other and nothing more:

- Responder.*: argument dict → CallDescriptor (``calldescs``); a debit or refund without an
  id from the caller gets a fresh one (so it is applied once, and a retry of the *same*
  call inside the store is idempotent);
- results are the engine's objects (``CallCost``, ``Account``) whose ``to_json`` is the
  CGRateS shape, or plain CGRateS-shaped dicts (EventCost, LoadInstance, RatingPlan...);
- errors are the engine's ``RatingError`` values (the dispatcher writes their text).

Methods of actions, action plans, triggers, balances and CDRs are passed on to the Engine
method of the same name when the Engine has one, else they answer ``NOT_IMPLEMENTED``.
"""

from __future__ import annotations

import logging
from typing import Any

from rating.accounts import Account
from rating.callcost import CallCost
from rating.engine import Engine
from rating.errors import ServerError
from rating.loader import LoadReport
from rating.tariffdocs import META, VERSION_ID
from rating.timeutil import ZERO_TIME_TEXT
from rating.tpplan import ParseContext

from . import calldescs, ratingdata, tploading
from .engine_delegation import ActionsDelegation
from .errors import RpcError

log = logging.getLogger(__name__)

DRY_RUN_LOAD_ID = "dry_run"  # CGRateS's utils.DryRunCfg, in a dry run's LoadInstance


class EngineAdapter(ActionsDelegation):
    """Every ``context.EngineApi`` call, answered by one ``Engine``."""

    engine: Engine

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- Responder ------------------------------------------------------------------------
    def get_cost(self, cd: dict[str, Any]) -> CallCost:
        return self.engine.get_cost(calldescs.from_args(cd))

    def debit(self, cd: dict[str, Any], debit_id: str | None = None) -> CallCost:
        return self.engine.debit(calldescs.from_args(cd), debit_id=debit_id or self._new_id())

    def max_debit(self, cd: dict[str, Any], debit_id: str | None = None) -> CallCost:
        return self.engine.max_debit(calldescs.from_args(cd),
                                     debit_id=debit_id or self._new_id())

    def max_session_time(self, cd: dict[str, Any]) -> int:
        return self.engine.max_session_time(calldescs.from_args(cd))

    def refund_increments(self, cd: dict[str, Any], refund_id: str | None = None) -> Account:
        desc = calldescs.from_args(cd)
        self.engine.prepare(desc)  # the usage bound every Responder call checks
        return self.engine.refund_increments(desc, refund_id=refund_id or self._new_id())

    def refund_rounding(self, cd: dict[str, Any], refund_id: str | None = None) -> Account:
        desc = calldescs.from_args(cd)
        self.engine.prepare(desc)
        return self.engine.refund_rounding(desc, refund_id=refund_id or self._new_id())

    def _new_id(self) -> str:
        return self.engine.new_id()

    # -- accounts -------------------------------------------------------------------------
    def get_account(self, tenant: str, account: str) -> Account:
        return self.engine.get_account(tenant, account)

    def set_account(self, tenant: str, account: str, *, allow_negative: bool | None = None,
                    disabled: bool | None = None, action_plan_ids: list[str] | None = None,
                    action_plans_overwrite: bool = False,
                    action_trigger_ids: list[str] | None = None,
                    action_triggers_overwrite: bool = False,
                    reload_scheduler: bool = False) -> Account:
        return self.engine.set_account(
            tenant, account, allow_negative=allow_negative, disabled=disabled,
            action_plan_ids=action_plan_ids, action_plans_overwrite=action_plans_overwrite,
            action_trigger_ids=action_trigger_ids,
            action_triggers_overwrite=action_triggers_overwrite,
            reload_scheduler=reload_scheduler)

    def remove_account(self, tenant: str, account: str, *,
                       reload_scheduler: bool = False) -> None:
        self.engine.remove_account(tenant, account, reload_scheduler=reload_scheduler)

    def list_accounts(self, tenant: str, ids: list[str], offset: int, limit: int, *,
                      allow_negative: bool | None = None,
                      disabled: bool | None = None) -> list[Account]:
        """GetAccounts: the page first, then the Filter flags (as CGRateS does)."""
        found = self.engine.list_accounts(tenant, ids, max(offset, 0), max(limit, 0))
        return [acc for acc in found
                if (allow_negative is None or acc.AllowNegative == allow_negative)
                and (disabled is None or acc.Disabled == disabled)]

    def count_accounts(self, tenant: str) -> int:
        return len(self.engine.store.list_accounts(tenant))

    # -- tariff plans -----------------------------------------------------------------------
    def load_folder(self, path: str, dry_run: bool = False) -> dict[str, Any]:
        """Load (or check) a CSV folder; the LoadInstance APIerSv2 answers."""
        report = self.engine.load_folder(path, dry_run=dry_run)
        _raise_for(report, f"LoadTariffPlanFromFolder {path}")
        return self._load_instance(dry_run)

    def load_tp(self, tp_id: str, dry_run: bool = False) -> dict[str, Any]:
        """LoadTariffPlanFromStorDb: compile the staged TPid and load it like a folder."""
        engine = self.engine
        ctx = ParseContext(engine.now_ns(), engine.new_id, engine.timezone)
        plan, errors = tploading.staged_plan(engine.store, tp_id, ctx)
        if errors:
            _log_errors(f"LoadTariffPlanFromStorDb {tp_id}", [str(e) for e in errors])
            raise tploading.first_error(errors)
        if not any(plan.count().values()):
            log.warning("LoadTariffPlanFromStorDb: nothing is staged under TPid %s", tp_id)
            return self._load_instance(True)
        _raise_for(engine.load_tariff_plan(plan, dry_run=dry_run),
                   f"LoadTariffPlanFromStorDb {tp_id}")
        return self._load_instance(dry_run)

    def _load_instance(self, dry_run: bool) -> dict[str, Any]:
        """CGRateS's LoadInstance; the load id is the tariff version a load writes."""
        if dry_run:
            return {"LoadID": "", "RatingLoadID": DRY_RUN_LOAD_ID,
                    "AccountingLoadID": DRY_RUN_LOAD_ID, "LoadTime": ZERO_TIME_TEXT}
        meta = self.engine.store.get(META, VERSION_ID) or {}
        version = str(meta.get("Version", ""))
        return {"LoadID": version, "RatingLoadID": version, "AccountingLoadID": version,
                "LoadTime": meta.get("LoadedAt", ZERO_TIME_TEXT)}

    def import_tp_folder(self, tp_id: str, path: str, separator: str = ",",
                         run_id: str = "") -> dict[str, int]:
        return tploading.import_folder(self.engine.store, tp_id, path, separator, run_id)

    def export_tp_folder(self, tp_id: str, path: str, separator: str = ",",
                         file_format: str = "csv", compress: bool = False) -> dict[str, Any]:
        return tploading.export_folder(self.engine.store, tp_id, path, separator, file_format,
                                       compress)

    # -- rating data --------------------------------------------------------------------------
    def set_destination(self, dest_id: str, prefixes: list[str], overwrite: bool) -> None:
        ratingdata.set_destination(self.engine, dest_id, prefixes, overwrite)

    def get_destination(self, dest_id: str) -> dict[str, Any]:
        return ratingdata.get_destination(self.engine, dest_id)

    def get_rating_plan(self, plan_id: str) -> dict[str, Any]:
        return ratingdata.get_rating_plan(self.engine, plan_id)

    def set_rating_profile(self, tenant: str, category: str, subject: str,
                           activations: list[dict[str, Any]], overwrite: bool) -> None:
        ratingdata.set_rating_profile(self.engine, tenant, category, subject, activations,
                                      overwrite)

    def get_rating_profile(self, tenant: str, category: str, subject: str) -> dict[str, Any]:
        return ratingdata.get_rating_profile(self.engine, tenant, category, subject)

    # -- APIerSv1 rating calls -----------------------------------------------------------------
    def api_get_cost(self, tenant: str, category: str, subject: str, answer_time: str,
                     destination: str, usage: int) -> dict[str, Any]:
        """APIerSv1.GetCost: the EventCost of pricing ``usage`` from ``answer_time``."""
        engine = self.engine
        cd = calldescs.for_api_cost(tenant, category, subject, answer_time, destination, usage,
                                    engine.now_ns(), engine.timezone)
        return engine.get_event_cost(cd)

    def max_usage(self, usage_record: dict[str, Any]) -> int:
        """APIerSv1.GetMaxUsage: GetMaxSessionTime of the record (-1 = unlimited)."""
        engine = self.engine
        cd = calldescs.from_usage_record(usage_record, now_ns=engine.now_ns(),
                                         tz=engine.timezone)
        return engine.max_session_time(cd)

    def debit_usage(self, usage_record: dict[str, Any], allow_negative: bool = True) -> CallCost:
        """APIerSv1.DebitUsage(WithOptions): Responder.Debit of the record."""
        engine = self.engine
        cd = calldescs.from_usage_record(usage_record, now_ns=engine.now_ns(),
                                         tz=engine.timezone, deny_negative=not allow_negative)
        return engine.debit(cd, debit_id=self._new_id())


def _raise_for(report: LoadReport, what: str) -> None:
    if report.ok:
        return
    _log_errors(what, [str(e) for e in report.errors])
    text = report.cgrates_error() or "SERVER_ERROR"
    if report.invalid_path:
        raise RpcError(text)
    more = f" (and {len(report.errors) - 1} more)" if len(report.errors) > 1 else ""
    raise ServerError(f"{report.errors[0]}{more}")


def _log_errors(what: str, errors: list[str]) -> None:
    for error in errors:
        log.info("%s: %s", what, error)
