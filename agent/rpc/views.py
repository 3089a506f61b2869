"""Reply shapes that differ from the engine's JSON: APIerSv1's "old structure" accounts.

APIerSv2.GetAccount returns the account as the engine writes it (SPEC A.1); APIerSv1's
GetAccount/GetAccounts return ``Account.AsOldStructure()``: ``Id`` with the ``*out:``
prefix, balance map keys suffixed ``*out``, and string maps joined with ``;``.
"""

from __future__ import annotations

from typing import Any

from . import jsonvalue

OUT = "*out"


def joined(string_map: Any) -> str:
    """A CGRateS StringMap as text: keys sorted, excluded ones (false) written ``!key``."""
    if not string_map:
        return ""
    if isinstance(string_map, list | tuple):
        return ";".join(string_map)
    return ";".join(key if keep else f"!{key}" for key, keep in sorted(string_map.items()))


def as_json(value: Any) -> Any:
    """The engine's value as plain JSON-compatible data (calls to_json when present)."""
    return value.to_json() if hasattr(value, "to_json") else value


def account_v1(account: Any) -> dict[str, Any]:
    """APIerSv1's old account structure from the v0.10 account JSON."""
    doc = as_json(account)
    return {
        "Id": f"{OUT}:{doc.get('ID', '')}",
        "BalanceMap": {f"{kind}{OUT}": [_balance_v1(b) for b in balances]
                       for kind, balances in (doc.get("BalanceMap") or {}).items() if balances},
        "UnitCounters": _counters_v1(doc.get("UnitCounters")),
        "ActionTriggers": [_trigger_v1(t) for t in doc.get("ActionTriggers") or []],
        "AllowNegative": bool(doc.get("AllowNegative")),
        "Disabled": bool(doc.get("Disabled")),
    }


def _balance_v1(b: dict[str, Any]) -> dict[str, Any]:
    return {
        "Uuid": b.get("Uuid", ""), "Id": b.get("ID", ""), "Value": b.get("Value", 0),
        "ExpirationDate": b.get("ExpirationDate") or _ZERO_TIME, "Weight": b.get("Weight", 0),
        "DestinationIds": joined(b.get("DestinationIDs")),
        "RatingSubject": b.get("RatingSubject", ""), "Category": joined(b.get("Categories")),
        "SharedGroup": joined(b.get("SharedGroups")), "Timings": b.get("Timings"),
        "TimingIDs": joined(b.get("TimingIDs")), "Disabled": bool(b.get("Disabled")),
    }


def _trigger_v1(t: dict[str, Any]) -> dict[str, Any]:
    balance = t.get("Balance") or {}
    return {
        "Id": t.get("ID", ""), "ThresholdType": t.get("ThresholdType", ""),
        "ThresholdValue": t.get("ThresholdValue", 0), "Recurrent": bool(t.get("Recurrent")),
        "MinSleep": t.get("MinSleep", 0), "BalanceId": balance.get("ID") or "",
        "BalanceType": balance.get("Type") or "", "BalanceDirection": OUT,
        "BalanceDestinationIds": joined(balance.get("DestinationIDs")),
        "BalanceWeight": balance.get("Weight") or 0,
        "BalanceExpirationDate": balance.get("ExpirationDate") or _ZERO_TIME,
        "BalanceTimingTags": joined(balance.get("TimingIDs")),
        "BalanceRatingSubject": balance.get("RatingSubject") or "",
        "BalanceCategory": joined(balance.get("Categories")),
        "BalanceSharedGroup": joined(balance.get("SharedGroups")),
        "BalanceDisabled": bool(balance.get("Disabled")), "Weight": t.get("Weight", 0),
        "ActionsId": t.get("ActionsID", ""), "MinQueuedItems": t.get("MinQueuedItems", 0),
        "Executed": bool(t.get("Executed")),
    }


def _counters_v1(counters: Any) -> list[dict[str, Any]]:
    result = []
    for kind, unit_counters in (counters or {}).items():
        for uc in unit_counters or []:
            balances = [{**_balance_v1(c.get("Filter") or {}), "Value": c.get("Value", 0)}
                        for c in uc.get("Counters") or []]
            result.append({"BalanceType": kind, "Balances": balances})
    return result


_ZERO_TIME = jsonvalue.RawJson('"0001-01-01T00:00:00Z"')
