"""Every method's parameter schema: mandatory lists, aliases, types (generated from the
table, so a method added later is covered), plus the CGRateS texts checked by hand."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from agent.rpc.errors import InvalidParams
from agent.rpc.methods import build_table
from agent.rpc.schema import (
    AnyJson,
    Bool,
    Duration,
    DurationText,
    IdList,
    Int,
    ListOf,
    MapOf,
    Number,
    Scalar,
    Str,
    Struct,
    Text,
    Time,
    Type,
)
from agent.rpc.table import Method

TABLE = build_table()
METHODS: list[tuple[str, Method]] = [
    (name, TABLE.resolve(name)) for name in TABLE.canonical_names()
]
STRUCT_METHODS = [(n, m) for n, m in METHODS if isinstance(m.schema, Struct)]


def _validate(method: Method, params: Any) -> Any:
    return method.validate(params)


def _error(method: Method, params: Any) -> str:
    with pytest.raises(InvalidParams) as info:
        method.validate(params)
    return info.value.text


# -- mandatory fields as CGRateS names them, checked by hand -------------------------------


@pytest.mark.parametrize(
    ("method", "text"),
    [
        ("APIerSv1.SetAccount", "MANDATORY_IE_MISSING: [Tenant Account]"),
        ("APIerSv2.SetAccount", "MANDATORY_IE_MISSING: [Tenant Account]"),
        ("APIerSv2.GetAccount", "MANDATORY_IE_MISSING: [Tenant Account]"),
        ("APIerSv2.GetAccounts", "MANDATORY_IE_MISSING: [Tenant]"),
        ("APIerSv1.SetBalance", "MANDATORY_IE_MISSING: [Tenant Account BalanceType]"),
        ("APIerSv1.AddBalance", "MANDATORY_IE_MISSING: [Tenant Account BalanceType]"),
        ("APIerSv1.SetActions", "MANDATORY_IE_MISSING: [ActionsId Actions]"),
        ("APIerSv1.SetActionPlan", "MANDATORY_IE_MISSING: [Id ActionPlan]"),
        ("APIerSv1.ExecuteAction", "MANDATORY_IE_MISSING: [ActionsId]"),
        ("APIerSv1.SetTPActionTriggers", "MANDATORY_IE_MISSING: [TPid ID]"),
        ("APIerSv1.GetTPActionTriggers", "MANDATORY_IE_MISSING: [TPid ID]"),
        ("APIerSv1.GetTPActionTriggerIds", "MANDATORY_IE_MISSING: [TPid]"),
        ("APIerSv1.SetTPDestination", "MANDATORY_IE_MISSING: [TPid ID Prefixes]"),
        (
            "APIerSv1.SetTPTiming",
            "MANDATORY_IE_MISSING: [TPid ID Years Months MonthDays WeekDays Time]",
        ),
        (
            "APIerSv1.SetTPRatingProfile",
            "MANDATORY_IE_MISSING: [TPid LoadId Tenant Category Subject RatingPlanActivations]",
        ),
        (
            "APIerSv1.SetTPAccountActions",
            "MANDATORY_IE_MISSING: [TPid LoadId Tenant Account ActionPlanId]",
        ),
        ("APIerSv1.GetTPRatingProfile", "MANDATORY_IE_MISSING: [TPid RatingProfileID]"),
        ("APIerSv1.GetTPAccountActions", "MANDATORY_IE_MISSING: [TPid AccountActionsId]"),
        ("APIerSv1.RemTP", "MANDATORY_IE_MISSING: [TPid]"),
        ("APIerSv1.LoadTariffPlanFromStorDb", "MANDATORY_IE_MISSING: [TPid]"),
        ("APIerSv1.LoadTariffPlanFromFolder", "MANDATORY_IE_MISSING:FolderPath"),
        ("APIerSv1.GetMaxUsage", "MANDATORY_IE_MISSING: [Account Destination Usage]"),
        ("APIerSv1.SetAccountActionTriggers", "MANDATORY_IE_MISSING: [Tenant Account]"),
        ("CoreSv1.Auth", "MANDATORY_IE_MISSING: [Token]"),
    ],
)
def test_empty_arguments_name_the_mandatory_fields_in_cgrates_order(method: str, text: str) -> None:
    assert _error(TABLE.resolve(method), {}) == text


def test_set_balance_needs_a_balance_id_or_uuid() -> None:
    method = TABLE.resolve("APIerSv1.SetBalance")
    args = {"Tenant": "t", "Account": "a", "BalanceType": "*monetary", "Value": 1}
    assert _error(method, args) == "MANDATORY_IE_MISSING: [BalanceID or BalanceUUID]"


def test_each_action_needs_identifier_weight_and_units_when_it_names_a_balance_type() -> None:
    method = TABLE.resolve("APIerSv1.SetActions")
    args = {
        "ActionsId": "A",
        "Actions": [{"Identifier": "*topup", "BalanceType": "*monetary", "Weight": 10}],
    }
    assert _error(method, args) == "MANDATORY_IE_MISSING:Action:*topup:[Units]"


def test_each_plan_timing_needs_actions_time_and_weight() -> None:
    method = TABLE.resolve("APIerSv1.SetActionPlan")
    args = {"Id": "P", "ActionPlan": [{"ActionsId": "A", "Weight": 10}]}
    assert _error(method, args) == "MANDATORY_IE_MISSING:Action:A:[Time]"


# -- generated over every schema -------------------------------------------------------------


def _sample(kind: Type) -> Any:
    """A valid JSON value for a field type."""
    samples: dict[type, Any] = {
        Str: "x",
        Text: "7",
        Bool: True,
        Number: Decimal("1.5"),
        Int: 3,
        Duration: "1m",
        Time: "2014-08-04T13:00:00Z",
        AnyJson: {"k": 1},
        IdList: "a;b",
        DurationText: "2m10s",
    }
    for cls, value in samples.items():
        if type(kind) is cls:
            return value
    if isinstance(kind, ListOf):
        return [_sample(kind.item)]
    if isinstance(kind, MapOf):
        return {"k": _sample(kind.item)}
    if isinstance(kind, Struct):
        return {f.name: _sample(f.type) for f in kind.fields}
    return "x"  # DurationText and other string forms


def _wrong(kind: Type) -> Any:
    """A JSON value of the wrong type for a field type, or None when every value fits."""
    if isinstance(kind, AnyJson):
        return None
    if isinstance(kind, Duration):
        return [1]
    if isinstance(kind, Text | IdList):
        return {"not": "text"}
    if isinstance(kind, Str | Time):
        return {"not": "a string"}
    return "not-a-number" if isinstance(kind, Number | Int | Duration) else 12


def _full_args(method: Method) -> dict[str, Any]:
    assert isinstance(method.schema, Struct)
    return {f.name: _sample(f.type) for f in method.schema.fields}


@pytest.mark.parametrize(("name", "method"), STRUCT_METHODS, ids=[n for n, _ in STRUCT_METHODS])
def test_every_schema_lists_exactly_its_mandatory_fields_when_all_are_absent(
    name: str, method: Method
) -> None:
    schema = method.schema
    assert isinstance(schema, Struct)
    if not schema.mandatory:
        return
    assert _error(method, {}) == f"MANDATORY_IE_MISSING: [{' '.join(schema.mandatory)}]"


@pytest.mark.parametrize(("name", "method"), STRUCT_METHODS, ids=[n for n, _ in STRUCT_METHODS])
def test_every_schema_reports_a_wrongly_typed_field_by_name(name: str, method: Method) -> None:
    schema = method.schema
    assert isinstance(schema, Struct)
    for fld in schema.fields:
        wrong = _wrong(fld.type)
        if wrong is None:
            continue
        args = {**_full_args(method), fld.name: wrong}
        text = _error(method, args)
        assert text.startswith(f"SERVER_ERROR: field {fld.name}: expected "), (fld.name, text)


@pytest.mark.parametrize(("name", "method"), STRUCT_METHODS, ids=[n for n, _ in STRUCT_METHODS])
def test_every_schema_reads_each_alias_into_its_field(name: str, method: Method) -> None:
    schema = method.schema
    assert isinstance(schema, Struct)
    for fld in schema.fields:
        for alias in fld.aliases:
            value = _sample(fld.type)
            args = schema.convert({alias: value})
            assert args[fld.name] == fld.type.convert(value, fld.name), (fld.name, alias)


@pytest.mark.parametrize(("name", "method"), STRUCT_METHODS, ids=[n for n, _ in STRUCT_METHODS])
def test_every_schema_treats_null_as_not_given_and_ignores_unknown_fields(
    name: str, method: Method
) -> None:
    schema = method.schema
    assert isinstance(schema, Struct)
    args = schema.convert({f.name: None for f in schema.fields} | {"NoSuchField": 1})
    assert all(value is None for value in args.values())
    assert "NoSuchField" not in args


@pytest.mark.parametrize(("name", "method"), METHODS, ids=[n for n, _ in METHODS])
def test_every_schema_rejects_non_object_params_unless_it_takes_a_bare_value(
    name: str, method: Method
) -> None:
    if isinstance(method.schema, Struct):
        assert _error(method, 5) == "SERVER_ERROR: params: expected an object, got number"
    elif isinstance(method.schema, Scalar):
        assert _error(method, {"a": 1}).startswith("SERVER_ERROR: params: expected a string")


# -- conversions ---------------------------------------------------------------------------------


def test_keys_match_case_insensitively_like_go() -> None:
    method = TABLE.resolve("APIerSv1.AddBalance")
    args = _validate(
        method,
        {"tenant": "t", "ACCOUNT": "a", "balancetype": "*monetary", "Value": 10, "BalanceId": "b1"},
    )
    assert (args["Tenant"], args["Account"], args["Balance"]["ID"]) == ("t", "a", "b1")
    assert not args.legacy


def test_the_v0_10_name_wins_over_an_older_alias_whatever_the_order() -> None:
    schema = TABLE.resolve("APIerSv1.SetTPActionTriggers").schema
    assert isinstance(schema, Struct)
    assert schema.convert({"ID": "new", "ActionTriggersId": "old"})["ID"] == "new"
    assert schema.convert({"ActionTriggersId": "old", "ID": "new"})["ID"] == "new"


def test_numbers_are_exact_decimals_and_durations_integer_nanoseconds() -> None:
    cd = _validate(
        TABLE.resolve("Responder.GetCost"),
        {
            "MaxRate": Decimal("0.1"),
            "DurationIndex": "1m30s",
            "MaxRateUnit": 60000000000,
            "TimeStart": "2014-08-04T13:00:00Z",
            "TimeEnd": "0001-01-01T00:00:00Z",
        },
    )
    assert cd["MaxRate"] == Decimal("0.1") and isinstance(cd["MaxRate"], Decimal)
    assert cd["DurationIndex"] == 90_000_000_000
    assert cd["MaxRateUnit"] == 60_000_000_000
    assert cd["TimeStart"].isoformat() == "2014-08-04T13:00:00+00:00"
    assert cd["TimeEnd"] is None  # Go's zero time


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (Decimal("1e40"), "out of range"),
        (Decimal("1e-30"), "out of range"),
        (Decimal("0.1234567890123456789012345678"), "too many decimal places"),
    ],
)
def test_numbers_beyond_exact_decimal_arithmetic_are_refused(value: Decimal, message: str) -> None:
    method = TABLE.resolve("APIerSv1.AddBalance")
    args = {"Tenant": "t", "Account": "a", "BalanceType": "*monetary", "Value": value}
    assert message in _error(method, args)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (1, True),
        (Decimal("60e9"), True),
        (Decimal("1.5"), False),
        (True, False),
        ("1", False),
        (1 << 63, False),
    ],
)
def test_integers_accept_integral_numbers_only(value: Any, ok: bool) -> None:
    method = TABLE.resolve("APIerSv2.GetAccounts")
    params = {"Tenant": "t", "Limit": value}
    if ok:
        assert _validate(method, params)["Limit"] == int(value)
    else:
        assert "field Limit" in _error(method, params)


def test_strings_with_unpaired_surrogates_are_refused() -> None:
    method = TABLE.resolve("APIerSv2.GetAccount")
    assert "surrogate" in _error(method, {"Tenant": "t", "Account": "\ud800"})


def test_the_seed_flat_balance_fields_fold_into_balance() -> None:
    method = TABLE.resolve("APIerSv1.SetBalance")
    args = _validate(
        method,
        {
            "Tenant": "cgrates.org",
            "Account": "1003",
            "BalanceType": "*voice",
            "BalanceID": "23456",
            "Directions": "*out",
            "Value": 12,
            "DestinationIds": "DST_1;DST_2",
            "Weight": 10,
        },
    )
    balance = args["Balance"]
    assert (balance["ID"], balance["DestinationIDs"], balance["Weight"]) == (
        "23456",
        "DST_1;DST_2",
        10,
    )


def test_a_bare_string_argument_is_taken_as_it_is() -> None:
    method = TABLE.resolve("APIerSv1.GetActions")
    assert _validate(method, "ACTS_1") == "ACTS_1"
    assert _error(method, "") == "MANDATORY_IE_MISSING: [ActionsId]"
