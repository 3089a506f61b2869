"""Balances: money or units held by an account (SPEC.md A.2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from decimal import Decimal
from typing import Any

from . import money
from .tariffs import ANY, Timing
from .timeutil import ZERO_TIME_TEXT, LocalDay, format_time
from .triggers import StringMap, string_map_from_json, time_from_json

MONETARY = "*monetary"
VOICE = "*voice"
DATA = "*data"
SMS = "*sms"
MMS = "*mms"
GENERIC = "*generic"
BALANCE_TYPES = (MONETARY, VOICE, DATA, SMS, MMS, GENERIC)
META_DEFAULT = "*default"


@dataclass(slots=True)
class Balance:
    """One balance; Value is money, or units (``*voice``: nanoseconds)."""

    Uuid: str
    ID: str = ""
    Value: Decimal = money.ZERO
    ExpirationDate: int | None = None  # epoch ns; None = never
    Weight: Decimal = money.ZERO
    DestinationIDs: StringMap | None = None
    RatingSubject: str = ""
    Categories: StringMap | None = None
    SharedGroups: StringMap | None = None
    Timings: list[Timing] | None = None
    TimingIDs: StringMap | None = None
    Disabled: bool = False
    Factor: dict[str, Decimal] | None = None
    Blocker: bool = False
    Directions: StringMap | None = None
    dirty: bool = False

    # -- predicates used by balance selection and debits ---------------------------------
    def expired_at(self, ns: int) -> bool:
        """Expired iff an expiration date is set and lies before `ns`."""
        return self.ExpirationDate is not None and self.ExpirationDate < ns

    def active_at(self, ns: int, tz: tzinfo) -> bool:
        """Usable at `ns`: not disabled and, if it has timings, one of them is active."""
        if self.Disabled:
            return False
        if not self.Timings:
            return True
        day = LocalDay(ns, tz)
        return any(t.active_at(day) for t in self.Timings)

    def has_destination(self) -> bool:
        """Whether the balance is limited to some destinations."""
        ids = self.DestinationIDs
        return bool(ids) and not (ids or {}).get(ANY, False)

    def matches_category(self, category: str) -> bool:
        """No category list, or the category is in it."""
        return not self.Categories or self.Categories.get(category, False)

    def matches_direction(self, direction: str) -> bool:
        """No direction list, or the call's direction is in it."""
        return not self.Directions or self.Directions.get(direction, False)

    def factor_for(self, tor: str) -> Decimal | None:
        """The unit factor for a ToR, None when the balance has no factor for it."""
        if not self.Factor:
            return None
        return self.Factor.get(tor)

    def set_value(self, value: Decimal, decimals: int) -> None:
        """Set Value rounded *middle to `decimals`, marking the balance dirty (CGRateS SetValue)."""
        self.Value = money.round_middle(value, decimals)
        self.dirty = True

    def clone(self) -> Balance:
        """A copy safe to modify (maps copied)."""
        return Balance(self.Uuid, self.ID, self.Value, self.ExpirationDate, self.Weight,
                       _copy(self.DestinationIDs), self.RatingSubject, _copy(self.Categories),
                       _copy(self.SharedGroups), None if self.Timings is None else list(
                           self.Timings), _copy(self.TimingIDs), self.Disabled,
                       None if self.Factor is None else dict(self.Factor), self.Blocker,
                       _copy(self.Directions), self.dirty)

    # -- shapes ---------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """The APIerSv2.GetAccount balance shape (Decimal numbers for the RPC encoder).

        Directions is a callmeter extension and only appears when the balance has one.
        """
        out: dict[str, Any] = {
            "Uuid": self.Uuid, "ID": self.ID, "Value": money.normal(self.Value),
            "ExpirationDate": format_time(self.ExpirationDate),
            "Weight": money.normal(self.Weight), "DestinationIDs": self.DestinationIDs,
            "RatingSubject": self.RatingSubject, "Categories": self.Categories,
            "SharedGroups": self.SharedGroups,
            "Timings": None if self.Timings is None else [t.to_json() for t in self.Timings],
            "TimingIDs": self.TimingIDs, "Disabled": self.Disabled,
            "Factor": None if self.Factor is None
            else {k: money.normal(v) for k, v in self.Factor.items()},
            "Blocker": self.Blocker,
        }
        if self.Directions:
            out["Directions"] = self.Directions
        return out

    def to_doc(self) -> dict[str, Any]:
        """The stored form: to_json with Decimal values as strings."""
        out: dict[str, Any] = {
            "Uuid": self.Uuid, "ID": self.ID, "Value": money.to_str(self.Value),
            "ExpirationDate": format_time(self.ExpirationDate),
            "Weight": money.to_str(self.Weight), "DestinationIDs": self.DestinationIDs,
            "RatingSubject": self.RatingSubject, "Categories": self.Categories,
            "SharedGroups": self.SharedGroups,
            "Timings": None if self.Timings is None else [t.to_json() for t in self.Timings],
            "TimingIDs": self.TimingIDs, "Disabled": self.Disabled,
            "Factor": None if self.Factor is None
            else {k: money.to_str(v) for k, v in self.Factor.items()},
            "Blocker": self.Blocker,
        }
        if self.Directions:
            out["Directions"] = self.Directions
        return out

    def to_old_json(self) -> dict[str, Any]:
        """The APIerSv1 "old structure" balance shape."""
        return {
            "Uuid": self.Uuid, "Id": self.ID, "Value": money.normal(self.Value),
            "ExpirationDate": format_time(self.ExpirationDate),
            "Weight": money.normal(self.Weight),
            "DestinationIds": join_map(self.DestinationIDs),
            "RatingSubject": self.RatingSubject, "Category": join_map(self.Categories),
            "SharedGroup": join_map(self.SharedGroups),
            "Timings": None if self.Timings is None else [t.to_json() for t in self.Timings],
            "TimingIDs": join_map(self.TimingIDs), "Disabled": self.Disabled,
        }

    def summary(self, balance_type: str) -> dict[str, Any]:
        """The BalanceSummary shape (ID falls back to the Uuid)."""
        return {"UUID": self.Uuid, "ID": self.ID or self.Uuid, "Type": balance_type,
                "Value": money.normal(self.Value), "Disabled": self.Disabled}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Balance:
        """Read the v2 shape or a stored document (numbers as JSON numbers or strings)."""
        get = data.get
        factor = get("Factor")
        timings = get("Timings")
        expiry = get("ExpirationDate")
        return cls(
            str(get("Uuid", "")), str(get("ID", "")), money.to_decimal(get("Value") or 0),
            None if expiry in (None, "", ZERO_TIME_TEXT) else time_from_json(expiry),
            money.to_decimal(get("Weight") or 0), _map(get("DestinationIDs")),
            str(get("RatingSubject") or ""), _map(get("Categories")), _map(get("SharedGroups")),
            None if timings is None else [timing_from_json(t) for t in timings],
            _map(get("TimingIDs")), bool(get("Disabled")),
            None if factor is None else {str(k): money.to_decimal(v) for k, v in factor.items()},
            bool(get("Blocker")), _map(get("Directions")))


def timing_from_json(data: dict[str, Any]) -> Timing:
    """A Timing from the RITiming JSON shape."""
    return Timing.build(str(data.get("ID", "")), tuple(data.get("Years") or ()),
                        tuple(data.get("Months") or ()), tuple(data.get("MonthDays") or ()),
                        tuple(data.get("WeekDays") or ()),
                        str(data.get("StartTime") or "00:00:00"), str(data.get("EndTime") or ""))


def _map(value: Any) -> StringMap | None:
    return None if value is None else string_map_from_json(value)


def join_map(value: StringMap | None) -> str:
    """Go's StringMap.String(): the keys joined with ";" (sorted here, for stable output)."""
    return ";".join(sorted(value)) if value else ""


def _copy(value: StringMap | None) -> StringMap | None:
    return None if value is None else dict(value)
