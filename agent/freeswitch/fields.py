"""From a FreeSWITCH channel event to the call facts the agent works with (SPEC.md G.2).

Each CGR field takes the first non-empty of its sources; defaults come from ``general``.
Times in channel events are epoch microseconds; we keep epoch nanoseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

from rating.sessions import NONE, usage_from_event

from .wire import Event

PARK = "CHANNEL_PARK"
ANSWER = "CHANNEL_ANSWER"
HANGUP_COMPLETE = "CHANNEL_HANGUP_COMPLETE"
HEARTBEAT = "HEARTBEAT"
CALL_EVENTS = frozenset({PARK, ANSWER, HANGUP_COMPLETE})


@dataclass(frozen=True)
class Defaults:
    """general.default_* from the config."""

    tenant: str = "cgrates.org"
    category: str = "call"
    request_type: str = "*rated"


@dataclass(frozen=True, slots=True)
class CallEvent:
    """One channel event of a metered leg, reduced to what the agent needs."""

    name: str
    uuid: str
    alias: str
    request_type: str
    tenant: str
    category: str
    account: str
    subject: str
    destination: str
    dial: str  # what uuid_transfer sends the call back to
    setup_ns: int
    answer_ns: int
    usage: int | None  # HANGUP_COMPLETE: billmsec (else billsec) in ns
    answered: bool
    cause: str
    received_ns: int  # local epoch ns when the event was read

    def missing(self) -> list[str]:
        """Mandatory fields that are empty (MANDATORY_IE_MISSING), in CGRateS's order."""
        fields = (("Account", self.account), ("Subject", self.subject),
                  ("Destination", self.destination), ("Category", self.category),
                  ("OriginID", self.uuid), ("Tenant", self.tenant))
        return [name for name, value in fields if not value]


def _first(event: Event, *names: str) -> str:
    for name in names:
        value = event.get(name)
        if value:
            return value
    return ""


def _micros(value: str | None) -> int:
    """An epoch-microseconds header as ns (0 when absent or not a number)."""
    if value and value.isdigit():
        return int(value) * 1000
    return 0


def request_type(event: Event, default: str) -> str:
    """cgr_reqtype; *none when process_cdr=false or an inline dialplan; else the default."""
    value = event.get("variable_cgr_reqtype") or ""
    if value:
        return value
    if event.get("variable_process_cdr") == "false" or event.get("Caller-Dialplan") == "inline":
        return NONE
    return default


def call_event(event: Event, alias: str, defaults: Defaults, received_ns: int) -> CallEvent:
    """The CallEvent of a CHANNEL_* event (the caller checked it has a Unique-ID)."""
    account = _first(event, "variable_cgr_account", "Caller-Username")
    destination = _first(event, "variable_cgr_destination", "Caller-Destination-Number",
                         "variable_sip_req_user")
    answered_at = _micros(event.get("Caller-Channel-Answered-Time"))
    epoch = event.get("variable_answer_epoch")
    answered = answered_at > 0 if epoch is None else epoch not in ("", "0")
    return CallEvent(
        name=event.name,
        uuid=event.unique_id or "",
        alias=alias,
        request_type=request_type(event, defaults.request_type),
        tenant=_first(event, "variable_cgr_tenant") or defaults.tenant,
        category=_first(event, "variable_cgr_category") or defaults.category,
        account=account,
        subject=_first(event, "variable_cgr_subject") or account,
        destination=destination,
        dial=_first(event, "Caller-Destination-Number", "variable_sip_req_user") or destination,
        setup_ns=_micros(event.get("Caller-Channel-Created-Time")),
        answer_ns=answered_at,
        usage=usage_from_event(event.get("variable_billmsec"), event.get("variable_billsec")),
        answered=answered,
        cause=_first(event, "variable_cgr_disconnectcause", "Hangup-Cause"),
        received_ns=received_ns,
    )
