"""Account-held trigger data: BalanceFilter, ActionTrigger, UnitCounter (SPEC.md A.4, A.5).

These are the data models only, complete and round-tripping through documents and the API
shapes; evaluating triggers and counting units is the actions/triggers layer's job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import money
from .timeutil import ZERO_TIME_NS, format_time, parse_rfc3339

StringMap = dict[str, bool]


def string_map_from_json(value: Any) -> StringMap | None:
    """A CGRateS StringMap ({"X": true}) from JSON; null stays None."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError("expected a JSON object of booleans")
    return {str(k): bool(v) for k, v in value.items()}


def time_from_json(value: Any) -> int | None:
    """Epoch ns from an RFC3339 string; the zero time and null read as None."""
    if value in (None, ""):
        return None
    ns = parse_rfc3339(str(value))[0]
    return None if ns == ZERO_TIME_NS else ns


def _opt_decimal(value: Any) -> Decimal | None:
    return None if value is None else money.to_decimal(value)


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _opt_bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


@dataclass
class BalanceFilter:
    """Which balances an action or trigger concerns; None fields are "not specified"."""

    Uuid: str | None = None
    ID: str | None = None
    Type: str | None = None
    Value: dict[str, Any] | None = None  # ValueFormula {Method, Params, Static}
    ExpirationDate: int | None = None  # epoch ns; ZERO_TIME_NS = "never" explicitly
    Weight: Decimal | None = None
    DestinationIDs: StringMap | None = None
    RatingSubject: str | None = None
    Categories: StringMap | None = None
    SharedGroups: StringMap | None = None
    TimingIDs: StringMap | None = None
    Timings: list[dict[str, Any]] | None = None
    Disabled: bool | None = None
    Factor: dict[str, Decimal] | None = None
    Blocker: bool | None = None

    def to_json(self) -> dict[str, Any]:
        """The BalanceFilter JSON shape."""
        value = None
        if self.Value is not None:
            value = {"Method": self.Value.get("Method", ""), "Params": self.Value.get("Params"),
                     "Static": money.normal(money.to_decimal(self.Value.get("Static") or 0))}
        return {
            "Uuid": self.Uuid, "ID": self.ID, "Type": self.Type, "Value": value,
            "ExpirationDate": None if self.ExpirationDate is None
            else format_time(self.ExpirationDate),
            "Weight": None if self.Weight is None else money.normal(self.Weight),
            "DestinationIDs": self.DestinationIDs, "RatingSubject": self.RatingSubject,
            "Categories": self.Categories, "SharedGroups": self.SharedGroups,
            "TimingIDs": self.TimingIDs, "Timings": self.Timings, "Disabled": self.Disabled,
            "Factor": None if self.Factor is None
            else {k: money.normal(v) for k, v in self.Factor.items()},
            "Blocker": self.Blocker,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> BalanceFilter | None:
        """Read the JSON shape (None stays None)."""
        if data is None:
            return None
        exp = data.get("ExpirationDate")
        factor = data.get("Factor")
        return cls(
            _opt_str(data.get("Uuid")), _opt_str(data.get("ID")), _opt_str(data.get("Type")),
            None if data.get("Value") is None else dict(data["Value"]),
            None if exp is None else (parse_rfc3339(str(exp))[0]),
            _opt_decimal(data.get("Weight")), string_map_from_json(data.get("DestinationIDs")),
            _opt_str(data.get("RatingSubject")), string_map_from_json(data.get("Categories")),
            string_map_from_json(data.get("SharedGroups")),
            string_map_from_json(data.get("TimingIDs")),
            None if data.get("Timings") is None else list(data["Timings"]),
            _opt_bool(data.get("Disabled")),
            None if factor is None else {str(k): money.to_decimal(v) for k, v in factor.items()},
            _opt_bool(data.get("Blocker")))


@dataclass
class ActionTrigger:
    """A threshold on the account that runs an action set (per-account copy)."""

    ID: str = ""
    UniqueID: str = ""
    ThresholdType: str = ""
    ThresholdValue: Decimal = money.ZERO
    Recurrent: bool = False
    MinSleep: int = 0
    ExpirationDate: int | None = None
    ActivationDate: int | None = None
    Balance: BalanceFilter | None = None
    Weight: Decimal = money.ZERO
    ActionsID: str = ""
    MinQueuedItems: int = 0
    Executed: bool = False
    LastExecutionTime: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The ActionTrigger JSON shape."""
        return {
            "ID": self.ID, "UniqueID": self.UniqueID, "ThresholdType": self.ThresholdType,
            "ThresholdValue": money.normal(self.ThresholdValue), "Recurrent": self.Recurrent,
            "MinSleep": self.MinSleep, "ExpirationDate": format_time(self.ExpirationDate),
            "ActivationDate": format_time(self.ActivationDate),
            "Balance": None if self.Balance is None else self.Balance.to_json(),
            "Weight": money.normal(self.Weight), "ActionsID": self.ActionsID,
            "MinQueuedItems": self.MinQueuedItems, "Executed": self.Executed,
            "LastExecutionTime": format_time(self.LastExecutionTime),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ActionTrigger:
        """Read the JSON shape."""
        return cls(
            str(data.get("ID", "")), str(data.get("UniqueID", "")),
            str(data.get("ThresholdType", "")),
            money.to_decimal(data.get("ThresholdValue") or 0), bool(data.get("Recurrent")),
            int(data.get("MinSleep") or 0), time_from_json(data.get("ExpirationDate")),
            time_from_json(data.get("ActivationDate")),
            BalanceFilter.from_json(data.get("Balance")),
            money.to_decimal(data.get("Weight") or 0), str(data.get("ActionsID", "")),
            int(data.get("MinQueuedItems") or 0), bool(data.get("Executed")),
            time_from_json(data.get("LastExecutionTime")))


@dataclass
class CounterFilter:
    """One counter of a UnitCounter: a running value for balances matching a filter."""

    Value: Decimal = money.ZERO
    Filter: BalanceFilter | None = None

    def to_json(self) -> dict[str, Any]:
        """The CounterFilter JSON shape."""
        return {"Value": money.normal(self.Value),
                "Filter": None if self.Filter is None else self.Filter.to_json()}


@dataclass
class UnitCounter:
    """Counters of one kind (``*event`` or ``*balance``) for one balance type."""

    CounterType: str = "*event"
    Counters: list[CounterFilter] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The UnitCounter JSON shape."""
        return {"CounterType": self.CounterType, "Counters": [c.to_json() for c in self.Counters]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UnitCounter:
        """Read the JSON shape."""
        counters = [CounterFilter(money.to_decimal(c.get("Value") or 0),
                                  BalanceFilter.from_json(c.get("Filter")))
                    for c in data.get("Counters") or ()]
        return cls(str(data.get("CounterType", "*event")), counters)
