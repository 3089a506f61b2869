"""Hangup causes: FreeSWITCH's names, numbers and Q.850 mapping (switch_types.h, switch_channel.c).

`parse_cause` follows switch_channel_str2cause: a number is taken as it is, a name is looked up
case-insensitively, anything else is SWITCH_CAUSE_NONE, which a hangup turns into
NORMAL_CLEARING (so "alloted_timeout", one L, hangs up with NORMAL_CLEARING, as captured).
"""

from __future__ import annotations

NONE = "NONE"
NORMAL_CLEARING = "NORMAL_CLEARING"
ALLOTTED_TIMEOUT = "ALLOTTED_TIMEOUT"
SYSTEM_SHUTDOWN = "SYSTEM_SHUTDOWN"
MANAGER_REQUEST = "MANAGER_REQUEST"
NO_ROUTE_DESTINATION = "NO_ROUTE_DESTINATION"
CALL_REJECTED = "CALL_REJECTED"
ORIGINATOR_CANCEL = "ORIGINATOR_CANCEL"
NO_ANSWER = "NO_ANSWER"
DESTINATION_OUT_OF_ORDER = "DESTINATION_OUT_OF_ORDER"
USER_BUSY = "USER_BUSY"
NO_USER_RESPONSE = "NO_USER_RESPONSE"
CHAN_NOT_IMPLEMENTED = "CHAN_NOT_IMPLEMENTED"

# switch_call_cause_t values (switch_types.h), in CAUSE_CHART order.
CAUSE_CODES: dict[str, int] = {
    "NONE": 0,
    "UNALLOCATED": 1,
    "SUCCESS": 142,
    "NO_ROUTE_TRANSIT_NET": 2,
    "NO_ROUTE_DESTINATION": 3,
    "CHANNEL_UNACCEPTABLE": 6,
    "CALL_AWARDED_DELIVERED": 7,
    "NORMAL_CLEARING": 16,
    "USER_BUSY": 17,
    "NO_USER_RESPONSE": 18,
    "NO_ANSWER": 19,
    "SUBSCRIBER_ABSENT": 20,
    "CALL_REJECTED": 21,
    "NUMBER_CHANGED": 22,
    "REDIRECTION_TO_NEW_DESTINATION": 23,
    "EXCHANGE_ROUTING_ERROR": 25,
    "DESTINATION_OUT_OF_ORDER": 27,
    "INVALID_NUMBER_FORMAT": 28,
    "FACILITY_REJECTED": 29,
    "RESPONSE_TO_STATUS_ENQUIRY": 30,
    "NORMAL_UNSPECIFIED": 31,
    "NORMAL_CIRCUIT_CONGESTION": 34,
    "NETWORK_OUT_OF_ORDER": 38,
    "NORMAL_TEMPORARY_FAILURE": 41,
    "SWITCH_CONGESTION": 42,
    "ACCESS_INFO_DISCARDED": 43,
    "REQUESTED_CHAN_UNAVAIL": 44,
    "PRE_EMPTED": 45,
    "FACILITY_NOT_SUBSCRIBED": 50,
    "OUTGOING_CALL_BARRED": 52,
    "INCOMING_CALL_BARRED": 54,
    "BEARERCAPABILITY_NOTAUTH": 57,
    "BEARERCAPABILITY_NOTAVAIL": 58,
    "SERVICE_UNAVAILABLE": 63,
    "BEARERCAPABILITY_NOTIMPL": 65,
    "CHAN_NOT_IMPLEMENTED": 66,
    "FACILITY_NOT_IMPLEMENTED": 69,
    "SERVICE_NOT_IMPLEMENTED": 79,
    "INVALID_CALL_REFERENCE": 81,
    "INCOMPATIBLE_DESTINATION": 88,
    "INVALID_MSG_UNSPECIFIED": 95,
    "MANDATORY_IE_MISSING": 96,
    "MESSAGE_TYPE_NONEXIST": 97,
    "WRONG_MESSAGE": 98,
    "IE_NONEXIST": 99,
    "INVALID_IE_CONTENTS": 100,
    "WRONG_CALL_STATE": 101,
    "RECOVERY_ON_TIMER_EXPIRE": 102,
    "MANDATORY_IE_LENGTH_ERROR": 103,
    "PROTOCOL_ERROR": 111,
    "INTERWORKING": 127,
    "ORIGINATOR_CANCEL": 487,
    "CRASH": 700,
    "SYSTEM_SHUTDOWN": 701,
    "LOSE_RACE": 702,
    "MANAGER_REQUEST": 503,
    "BLIND_TRANSFER": 800,
    "ATTENDED_TRANSFER": 801,
    "ALLOTTED_TIMEOUT": 602,
    "USER_CHALLENGE": 603,
    "MEDIA_TIMEOUT": 604,
    "PICKED_OFF": 605,
    "USER_NOT_REGISTERED": 606,
    "PROGRESS_TIMEOUT": 607,
    "INVALID_GATEWAY": 608,
    "GATEWAY_DOWN": 609,
    "INVALID_URL": 610,
    "INVALID_PROFILE": 611,
    "NO_PICKUP": 612,
    "SRTP_READ_ERROR": 613,
    "BOWOUT": 614,
    "BUSY_EVERYWHERE": 615,
    "DECLINE": 616,
    "DOES_NOT_EXIST_ANYWHERE": 617,
    "NOT_ACCEPTABLE": 618,
    "UNWANTED": 619,
    "NO_IDENTITY": 620,
    "BAD_IDENTITY_INFO": 621,
    "UNSUPPORTED_CERTIFICATE": 622,
    "INVALID_IDENTITY": 623,
    "STALE_DATE": 624,
    "REJECT_ALL": 625,
}
_BY_CODE = {code: name for name, code in CAUSE_CODES.items()}
_BY_UPPER = {name.upper(): name for name in CAUSE_CODES}


def parse_cause(text: str | None) -> str:
    """switch_channel_str2cause: digits as a number, else a case-insensitive name, else NONE."""
    if not text:
        return NONE
    if text[0].isdigit():
        digits = ""
        for char in text:
            if not char.isdigit():
                break
            digits += char
        return _BY_CODE.get(int(digits), NONE)
    return _BY_UPPER.get(text.upper(), NONE)


def hangup_cause(text: str | None, default: str = NORMAL_CLEARING) -> str:
    """The cause a hangup with this text ends up with (NONE becomes the default)."""
    cause = parse_cause(text)
    return default if cause == NONE else cause


def q850(cause: str) -> int:
    """switch_channel_cause_q850: real Q.850 causes keep their number, the others read 16."""
    code = CAUSE_CODES.get(cause, 0)
    return code if code <= 127 else CAUSE_CODES[NORMAL_CLEARING]
