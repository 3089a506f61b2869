"""Accounts: balances by type, flags, triggers; their API shapes and balance selection.

SPEC.md A.1 (model and shapes) and C.1 (which balances a call may use, in which order).
"""

from __future__ import annotations

from datetime import tzinfo
from decimal import Decimal
from typing import Any

from . import money
from .balances import GENERIC, META_DEFAULT, MONETARY, Balance, join_map
from .tariffs import Tariffs
from .timeutil import format_time
from .triggers import ActionTrigger, UnitCounter, time_from_json

META_OUT = "*out"


_UNSET: Any = object()


class Account:
    """An account ``tenant:account`` and everything it holds.

    UnitCounters and ActionTriggers read from a document are parsed only when first used;
    an account whose triggers were never touched writes their stored form back unchanged
    (rating does not use them, so debits skip that work).
    """

    def __init__(self, ID: str, BalanceMap: dict[str, list[Balance]] | None = None,
                 UnitCounters: dict[str, list[UnitCounter]] | None = None,
                 ActionTriggers: list[ActionTrigger] | None = None, AllowNegative: bool = False,
                 Disabled: bool = False, UpdateTime: int | None = None) -> None:
        self.ID = ID
        self.BalanceMap: dict[str, list[Balance]] = {} if BalanceMap is None else BalanceMap
        self._counters = UnitCounters
        self._triggers = ActionTriggers
        self._raw_counters: Any = _UNSET
        self._raw_triggers: Any = _UNSET
        self.AllowNegative = AllowNegative
        self.Disabled = Disabled
        self.UpdateTime = UpdateTime

    @property
    def UnitCounters(self) -> dict[str, list[UnitCounter]] | None:
        """Unit counters by balance type (None when the account has none)."""
        if self._raw_counters is not _UNSET:
            raw, self._raw_counters = self._raw_counters, _UNSET
            self._counters = None if raw is None else {
                str(t): [UnitCounter.from_json(u) for u in ucs or ()] for t, ucs in raw.items()}
        return self._counters

    @UnitCounters.setter
    def UnitCounters(self, value: dict[str, list[UnitCounter]] | None) -> None:
        self._raw_counters = _UNSET
        self._counters = value

    @property
    def ActionTriggers(self) -> list[ActionTrigger] | None:
        """The account's own trigger copies (None when it has none)."""
        if self._raw_triggers is not _UNSET:
            raw, self._raw_triggers = self._raw_triggers, _UNSET
            self._triggers = None if raw is None else [ActionTrigger.from_json(a) for a in raw]
        return self._triggers

    @ActionTriggers.setter
    def ActionTriggers(self, value: list[ActionTrigger] | None) -> None:
        self._raw_triggers = _UNSET
        self._triggers = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Account) and self.to_json() == other.to_json()

    def __repr__(self) -> str:
        return f"Account({self.ID!r}, {self.BalanceMap!r})"

    @property
    def tenant(self) -> str:
        """The tenant part of the ID."""
        return self.ID.split(":", 1)[0]

    @property
    def name(self) -> str:
        """The account part of the ID."""
        return self.ID.split(":", 1)[1] if ":" in self.ID else ""

    def balances(self) -> list[tuple[str, Balance]]:
        """(type, balance) for every balance, types in sorted order."""
        return [(t, b) for t in sorted(self.BalanceMap) for b in self.BalanceMap[t]]

    def find_balance(self, uuid: str, types: tuple[str, ...] = ()) -> Balance | None:
        """The balance with that Uuid (only among `types` if given)."""
        for btype, chain in self.BalanceMap.items():
            if types and btype not in types:
                continue
            for balance in chain:
                if balance.Uuid == uuid:
                    return balance
        return None

    def default_balance(self, new_uuid: str) -> Balance:
        """The ``*default`` monetary balance, created (weight 0, value 0) when missing."""
        chain = self.BalanceMap.setdefault(MONETARY, [])
        for balance in chain:
            if balance.ID == META_DEFAULT:
                return balance
        balance = Balance(new_uuid, META_DEFAULT)
        chain.append(balance)
        return balance

    def remove_expired(self, now_ns: int) -> int:
        """Drop balances expired at now_ns (rals.remove_expired); returns how many went."""
        removed = 0
        for btype, chain in list(self.BalanceMap.items()):
            kept = [b for b in chain if not b.expired_at(now_ns)]
            removed += len(chain) - len(kept)
            self.BalanceMap[btype] = kept
        return removed

    def clone(self) -> Account:
        """A copy whose balances can be changed without touching this one (triggers shared)."""
        new = Account(self.ID, {t: [b.clone() for b in c] for t, c in self.BalanceMap.items()},
                      self._counters, self._triggers, self.AllowNegative, self.Disabled,
                      self.UpdateTime)
        new._raw_counters, new._raw_triggers = self._raw_counters, self._raw_triggers
        return new

    # -- shapes ---------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """The AccountSummary shape."""
        return {"Tenant": self.tenant, "ID": self.name,
                "BalanceSummaries": [b.summary(t) for t, b in self.balances()],
                "AllowNegative": self.AllowNegative, "Disabled": self.Disabled}

    def to_json(self) -> dict[str, Any]:
        """The APIerSv2.GetAccount shape (Decimal numbers for the RPC encoder)."""
        return {
            "ID": self.ID,
            "BalanceMap": {t: [b.to_json() for b in c] for t, c in sorted(self.BalanceMap.items())}
            or None,
            "UnitCounters": self.to_json_counters(),
            "ActionTriggers": None if self.ActionTriggers is None
            else [at.to_json() for at in self.ActionTriggers],
            "AllowNegative": self.AllowNegative, "Disabled": self.Disabled,
            "UpdateTime": format_time(self.UpdateTime),
        }

    def to_doc(self) -> dict[str, Any]:
        """The stored document: the v2 shape with Decimal values as strings."""
        counters = self._raw_counters
        if counters is _UNSET:
            counters = money.jsonable(self.to_json_counters())
        triggers = self._raw_triggers
        if triggers is _UNSET:
            triggers = None if self._triggers is None else [
                money.jsonable(at.to_json()) for at in self._triggers]
        return {"ID": self.ID,
                "BalanceMap": {t: [b.to_doc() for b in c]
                               for t, c in sorted(self.BalanceMap.items())} or None,
                "UnitCounters": counters, "ActionTriggers": triggers,
                "AllowNegative": self.AllowNegative, "Disabled": self.Disabled,
                "UpdateTime": format_time(self.UpdateTime)}

    def to_json_counters(self) -> dict[str, Any] | None:
        """The UnitCounters JSON shape."""
        counters = self.UnitCounters
        if counters is None:
            return None
        return {t: [uc.to_json() for uc in ucs] for t, ucs in counters.items()}

    def to_old_json(self) -> dict[str, Any]:
        """The APIerSv1 "old structure" (Id ``*out:tenant:acc``, map keys suffixed ``*out``)."""
        counters = []
        for btype, ucs in (self.UnitCounters or {}).items():
            for uc in ucs:
                counters.append({"BalanceType": btype, "Balances": [
                    _old_filter_balance(c.Value, c.Filter) for c in uc.Counters]})
        return {
            "Id": f"{META_OUT}:{self.ID}",
            "BalanceMap": {t + META_OUT: [b.to_old_json() for b in c]
                           for t, c in sorted(self.BalanceMap.items())},
            "UnitCounters": counters,
            "ActionTriggers": [_old_trigger(at) for at in self.ActionTriggers or ()],
            "AllowNegative": self.AllowNegative, "Disabled": self.Disabled,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Account:
        """Read a stored document or the v2 shape (triggers and counters parsed lazily)."""
        account = cls(str(data["ID"]),
                      {str(t): [Balance.from_json(b) for b in chain or ()]
                       for t, chain in (data.get("BalanceMap") or {}).items()},
                      None, None, bool(data.get("AllowNegative")), bool(data.get("Disabled")),
                      time_from_json(data.get("UpdateTime")))
        account._raw_counters = data.get("UnitCounters")
        account._raw_triggers = data.get("ActionTriggers")
        return account

    from_doc = from_json


def _old_filter_balance(value: Decimal, bf: Any) -> dict[str, Any]:
    return {"Uuid": (bf and bf.Uuid) or "", "Id": (bf and bf.ID) or "",
            "Value": money.normal(value),
            "ExpirationDate": format_time(bf.ExpirationDate if bf else None),
            "Weight": money.normal((bf and bf.Weight) or money.ZERO),
            "DestinationIds": join_map(bf.DestinationIDs if bf else None),
            "RatingSubject": (bf and bf.RatingSubject) or "",
            "Category": join_map(bf.Categories if bf else None),
            "SharedGroup": join_map(bf.SharedGroups if bf else None),
            "Timings": bf.Timings if bf else None,
            "TimingIDs": join_map(bf.TimingIDs if bf else None),
            "Disabled": bool(bf and bf.Disabled)}


def _old_trigger(at: ActionTrigger) -> dict[str, Any]:
    bf = at.Balance
    return {"Id": at.ID, "ThresholdType": at.ThresholdType,
            "ThresholdValue": money.normal(at.ThresholdValue), "Recurrent": at.Recurrent,
            "MinSleep": at.MinSleep, "BalanceId": (bf and bf.ID) or "",
            "BalanceType": (bf and bf.Type) or "",
            "BalanceDestinationIds": join_map(bf.DestinationIDs if bf else None),
            "BalanceWeight": money.normal((bf and bf.Weight) or money.ZERO),
            "BalanceExpirationDate": format_time(bf.ExpirationDate if bf else None),
            "BalanceTimingTags": join_map(bf.TimingIDs if bf else None),
            "BalanceRatingSubject": (bf and bf.RatingSubject) or "",
            "BalanceCategory": join_map(bf.Categories if bf else None),
            "BalanceSharedGroup": join_map(bf.SharedGroups if bf else None),
            "BalanceDisabled": bool(bf and bf.Disabled), "Weight": money.normal(at.Weight),
            "ActionsId": at.ActionsID, "MinQueuedItems": at.MinQueuedItems,
            "Executed": at.Executed}


# -- balance selection (SPEC.md C.1) -----------------------------------------------------

def select_balances(account: Account, tariffs: Tariffs, destination: str, category: str,
                    balance_type: str, at: int, direction: str) -> list[Balance]:
    """Balances of a type usable for a call, best first (precision, then weight).

    Non-money types also search ``*generic``. Dropped: disabled, expired at `at`, value <= 0
    (unless shared or a blocker), other category or direction, destination not matching.
    Ties keep the account's order (CGRateS's sort is unstable; stable is a valid outcome).
    """
    chain = list(account.BalanceMap.get(balance_type, ()))
    if balance_type not in (MONETARY, GENERIC):
        chain += account.BalanceMap.get(GENERIC, ())
    ranked: list[tuple[int, Balance]] = []
    prefixes: list[tuple[str, tuple[str, ...]]] | None = None
    for b in chain:
        if b.Disabled or b.expired_at(at):
            continue
        if not b.SharedGroups and b.Value <= 0 and not b.Blocker:
            continue
        if not b.matches_category(category) or not b.matches_direction(direction):
            continue
        precision = 0
        if b.has_destination():
            if prefixes is None:
                prefixes = tariffs.destination_ids_for(destination)
            found = destination_precision(b, prefixes)
            if found is None:
                continue
            precision = found
        ranked.append((precision, b))
    ranked.sort(key=lambda pb: (-pb[0], -pb[1].Weight))
    return [b for _, b in ranked]


def destination_precision(b: Balance, prefixes: list[tuple[str, tuple[str, ...]]]) -> int | None:
    """Length of the prefix deciding the balance's destination filter, None if excluded."""
    ids = b.DestinationIDs or {}
    all_exclude = not any(ids.values())
    for prefix, dest_ids in prefixes:
        found = False
        all_include = True
        for dest_id in dest_ids:
            if dest_id in ids:
                found = True
                all_include = all_include and ids[dest_id]
        if found or all_exclude:
            return len(prefix) if all_include else None
    return None


def matching_destination(b: Balance, tariffs: Tariffs, destination: str) -> tuple[str, str]:
    """(prefix, destination ID) through which the balance matches; ("", "") if none."""
    ids = b.DestinationIDs or {}
    if not b.has_destination():
        return "", ""
    for prefix, dest_ids in tariffs.destination_ids_for(destination):
        for dest_id in dest_ids:
            if ids.get(dest_id):
                return prefix, dest_id
    return "", ""


def balance_active(b: Balance, at: int, tz: tzinfo) -> bool:
    """Whether a selected balance may be debited at `at` (active and value > 0)."""
    return b.Value > 0 and b.active_at(at, tz)
