"""The Engine: the one facade callers use to rate, charge and manage accounts.

It owns the compiled tariffs (reloaded when another process loads a plan into the shared
store) and runs every account change as one store transaction whose function is pure: it
reads the account document, computes with the functions of ``rating.charging``, and
returns the new document and the result. A debit or refund id is the transaction id, so
a retried call changes nothing and returns the first result.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Any

from . import charging, costdoc
from .accounts import Account
from .callcost import CallCost
from .calldesc import CallDescriptor
from .engine_parts import ActionSide
from .errors import AccountDisabled, AccountNotFound, MaxUsageExceeded, NotFound
from .eventcost import event_cost
from .loader import LoadReport, load_folder, load_plan
from .store.base import JSON, Commit, Store
from .tariffdocs import META, RATING_KINDS, VERSION_ID, compile_tariffs
from .tariffs import Tariffs
from .timeutil import HOUR, to_ns
from .tpplan import TariffPlan
from .trigger_watch import DebitWatcher

log = logging.getLogger(__name__)

#: rals.max_computed_usage defaults, by ToR (``*any`` for the others).
MAX_COMPUTED_USAGE = {"*any": 189 * HOUR, "*voice": 72 * HOUR, "*data": 107374182400,
                      "*sms": 10000, "*mms": 10000}
TARIFF_CHECK_NS = 1_000_000_000


class Engine(ActionSide):
    """Rating and charging against one store; `clock` and `new_id` are injected.

    Actions, action plans, triggers, account set-up (SetAccount) and CDRs come from
    ActionSide (rating/engine_parts.py).
    """

    def __init__(self, store: Store, *, clock: Callable[[], datetime], new_id: Callable[[], str],
                 rounding_decimals: int = 5, default_tenant: str = "cgrates.org",
                 default_category: str = "call", timezone: tzinfo = UTC,
                 max_computed_usage: dict[str, int] | None = None,
                 remove_expired: bool = True) -> None:
        self.store = store
        self.clock = clock
        self.new_id = new_id
        self.settings = charging.Settings(rounding_decimals)
        self.default_tenant = default_tenant
        self.default_category = default_category
        self.timezone = timezone
        self.max_computed_usage = dict(max_computed_usage or MAX_COMPUTED_USAGE)
        self.remove_expired = remove_expired  # rals.remove_expired
        self._tariffs: Tariffs | None = None
        self._checked_at = 0

    # -- tariffs --------------------------------------------------------------------------
    def now_ns(self) -> int:
        """The injected clock, in epoch nanoseconds."""
        return to_ns(self.clock())

    def tariffs(self) -> Tariffs:
        """The compiled tariffs; the store's version is checked at most once a second."""
        now = self.now_ns()
        if self._tariffs is None or now - self._checked_at >= TARIFF_CHECK_NS:
            self._checked_at = now
            meta = self.store.get(META, VERSION_ID)
            version = str(meta.get("Version", "")) if meta else ""
            if self._tariffs is None or version != self._tariffs.version:
                self._tariffs = self._compile(version)
        return self._tariffs

    def reload_tariffs(self) -> Tariffs:
        """Recompile from the store now (after a load in this process)."""
        self._tariffs = None
        return self.tariffs()

    def _compile(self, version: str) -> Tariffs:
        docs = {kind: self.store.get_many(kind, self.store.list_ids(kind)) for kind in RATING_KINDS}
        tariffs = compile_tariffs(docs, version)
        log.info("tariffs %s compiled: %d destinations, %d plans, %d profiles", version or "-",
                 len(tariffs.destinations), len(tariffs.plans), len(tariffs.profiles))
        return tariffs

    def load_tariff_plan(self, plan: TariffPlan, *, dry_run: bool = False) -> LoadReport:
        """Validate a parsed plan against itself and the store; write it unless dry_run."""
        report = load_plan(self.store, plan, dry_run=dry_run, now_ns=self.now_ns(),
                           new_id=self.new_id, timezone=self.timezone)
        if report.ok and not dry_run:
            self.reload_tariffs()
        return report

    def load_folder(self, path: str, *, dry_run: bool = False) -> LoadReport:
        """Load a CGRateS CSV tariff-plan folder (all or nothing)."""
        report = load_folder(path, dry_run=dry_run, store=self.store, now_ns=self.now_ns(),
                             new_id=self.new_id, timezone=self.timezone)
        if report.ok and not dry_run:
            self.reload_tariffs()
        return report

    def get_tariff(self, kind: str, doc_id: str) -> dict[str, Any]:
        """A stored tariff document (kinds in rating.tariffdocs), or NotFound."""
        doc = self.store.get(kind, doc_id)
        if doc is None:
            raise NotFound(f"{kind}/{doc_id}")
        return dict(doc)

    # -- rating and charging ----------------------------------------------------------------
    def prepare(self, cd: CallDescriptor) -> CallDescriptor:
        """Defaults (tenant, category, subject from account) and the usage bound check."""
        cd = cd.copy(Tenant=cd.Tenant or self.default_tenant,
                      Category=cd.Category or self.default_category,
                      Subject=cd.Subject or cd.Account)
        limit = self.max_computed_usage.get(cd.tor, self.max_computed_usage["*any"])
        if cd.duration < 0 or cd.duration > limit:
            raise MaxUsageExceeded(f"usage {cd.duration} outside [0, {limit}]")
        return cd

    def get_cost(self, cd: CallDescriptor) -> CallCost:
        """Responder.GetCost: price the call, no account involved."""
        return charging.get_cost(self.tariffs(), self.prepare(cd), self.settings)

    def get_event_cost(self, cd: CallDescriptor) -> dict[str, Any]:
        """APIerSv1.GetCost: the EventCost shape (Cost = Σ increments, no DR rounding)."""
        return event_cost(self.get_cost(cd), self.settings.decimals, cd.CgrID, cd.RunID)

    def max_session_time(self, cd: CallDescriptor) -> int:
        """Responder.GetMaxSessionTime in ns; -1 = unlimited (AllowNegative)."""
        cd = self.prepare(cd)
        account = self._load(self.store.get_account(cd.account_key), cd.account_key)
        return charging.max_session_time(account, self.tariffs(), cd, self.settings,
                                         new_uuid=self.new_id())

    def debit(self, cd: CallDescriptor, *, debit_id: str) -> CallCost:
        """Responder.Debit: charge the whole call (the *default balance may go negative)."""
        cd = self.prepare(cd)
        return self._charge(cd, debit_id, lambda acc, tariffs, uuid, watcher: charging.debit(
            acc, tariffs, cd, self.settings, dry_run=cd.DryRun,
            go_negative=not cd.DenyNegativeAccount, new_uuid=uuid, watcher=watcher))

    def max_debit(self, cd: CallDescriptor, *, debit_id: str) -> CallCost:
        """Responder.MaxDebit: charge as much of the call as the account can pay."""
        cd = self.prepare(cd)
        return self._charge(cd, debit_id, lambda acc, tariffs, uuid, watcher: charging.max_debit(
            acc, tariffs, cd, self.settings, new_uuid=uuid, watcher=watcher))

    def _charge(self, cd: CallDescriptor, debit_id: str,
                operation: Callable[[Account, Tariffs, str, DebitWatcher | None], CallCost],
                ) -> CallCost:
        tariffs = self.tariffs()
        now = self.now_ns()
        uuid = self.new_id()
        live: list[tuple[str, CallCost]] = []
        watched: list[DebitWatcher] = []
        prep = None if cd.DryRun else self.watch_prep()

        def txn(doc: JSON | None) -> Commit:
            nonce = self.new_id()
            account = self._load(doc, cd.account_key)
            watcher = None if prep is None else self.debit_watcher(
                account, now, prep, cd.Category, cd.Destination)
            watched[:] = [] if watcher is None else [watcher]
            cc = operation(account, tariffs, uuid, watcher)
            if cd.PerformRounding and not cd.DryRun:
                charging.perform_rounding(account, cc, self.settings)
            if self.remove_expired and not cd.DryRun and cc.Timespans:
                account.remove_expired(now)  # as CGRateS does after counting a debit
            cc.AccountSummary = account.summary()
            live[:] = [(nonce, cc)]
            result = {**self._result(cc), "Nonce": nonce}
            if cd.DryRun:
                return Commit.keep(result)
            account.UpdateTime = now
            return Commit(account.to_doc(), result, **self.watcher_commit(watcher))

        result = self.store.transact(cd.account_key, txn, None if cd.DryRun else debit_id)
        self.after_watch(watched, cd.account_key)
        # The function may have run more than once (conflicts, or another host applying the
        # same debit id first): only the committed attempt's nonce is in the result.
        if live and live[0][0] == result.get("Nonce"):
            return live[0][1]
        return costdoc.from_doc(result)

    @staticmethod
    def _result(cc: CallCost) -> JSON:
        return costdoc.to_doc(cc)

    def refund_increments(self, cd: CallDescriptor, *, refund_id: str) -> Account:
        """Responder.RefundIncrements: give back what cd.Increments took."""
        cd = cd.copy(Tenant=cd.Tenant or self.default_tenant, ToR=cd.tor)
        return self._change(cd.account_key, refund_id, lambda acc, watcher: (
            charging.refund_increments(acc, cd.Increments, cd.ToR, self.settings, watcher)),
            cd.Category, cd.Destination)

    def refund_rounding(self, cd: CallDescriptor, *, refund_id: str) -> Account:
        """Responder.RefundRounding: charge the rounding increments in cd.Increments."""
        cd = cd.copy(Tenant=cd.Tenant or self.default_tenant)
        return self._change(cd.account_key, refund_id, lambda acc, watcher: (
            charging.refund_rounding(acc, cd.Increments, self.settings)))

    def _change(self, account_key: str, txn_id: str | None,
                change: Callable[[Account, DebitWatcher], object], category: str = "",
                destination: str = "") -> Account:
        now = self.now_ns()
        live: list[tuple[str, Account]] = []
        watched: list[DebitWatcher] = []
        prep = self.watch_prep()

        def txn(doc: JSON | None) -> Commit:
            nonce = self.new_id()
            account = self._load(doc, account_key, check_disabled=False)
            watcher = self.debit_watcher(account, now, prep, category, destination)
            watched[:] = [watcher]
            change(account, watcher)
            account.UpdateTime = now
            live[:] = [(nonce, account)]
            new_doc = account.to_doc()
            return Commit(new_doc, {"Nonce": nonce, "Account": new_doc},
                          **self.watcher_commit(watcher))

        result = self.store.transact(account_key, txn, txn_id)
        self.after_watch(watched, account_key)
        if live and live[0][0] == result["Nonce"]:
            return live[0][1]
        return Account.from_doc(result["Account"])

    @staticmethod
    def _load(doc: JSON | None, account_key: str, check_disabled: bool = True) -> Account:
        if doc is None:
            raise AccountNotFound(account_key)
        account = Account.from_doc(doc)
        if check_disabled and account.Disabled:
            raise AccountDisabled(account_key)
        return account

    # -- accounts -------------------------------------------------------------------------
    def get_account(self, tenant: str, account: str) -> Account:
        """The account, or NotFound ("NOT_FOUND")."""
        doc = self.store.get_account(f"{tenant}:{account}")
        if doc is None:
            raise NotFound(f"{tenant}:{account}")
        return Account.from_doc(doc)

    def list_accounts(self, tenant: str | None = None, ids: list[str] | None = None,
                      offset: int = 0, limit: int = 0) -> list[Account]:
        """Accounts of a tenant (or all), optionally only `ids`, paginated (limit 0 = all)."""
        if ids:
            keys = [f"{tenant or self.default_tenant}:{i}" for i in ids]
        else:
            keys = self.store.list_accounts(tenant or None)
        keys = keys[offset:offset + limit] if limit > 0 else keys[offset:]
        out = []
        for key in keys:
            doc = self.store.get_account(key)
            if doc is not None:
                out.append(Account.from_doc(doc))
        return out

