"""The variables a channel gets when it hangs up (switch_channel_set_timestamps and friends).

Seconds are differences of whole epoch seconds (so a 4.5 s call reads 4 or 5 billsec, as the
README says), milliseconds differences of millisecond-truncated times, microseconds exact;
every span whose event did not happen is 0. flow_bill* run from the channel's creation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import causes
from .events import date_local

if TYPE_CHECKING:
    from .session import Session


def _span(end: int, start: int, divisor: int) -> int:
    if not end or not start:
        return 0
    return end // divisor - start // divisor


def set_cdr_variables(session: Session) -> None:
    ch = session.channel
    t = ch.times
    cause = ch.hangup_cause or causes.NORMAL_CLEARING
    ch.set_var("hangup_cause", cause)
    ch.set_var("hangup_cause_q850", str(causes.q850(cause)))
    ch.set_var("digits_dialed", "none")
    profile_created = ch.profile.profile_created or t.created
    for name, when in (("start_stamp", t.created), ("profile_start_stamp", profile_created),
                       ("answer_stamp", t.answered), ("bridge_stamp", t.bridged),
                       ("hold_stamp", t.last_hold), ("resurrect_stamp", t.resurrected),
                       ("progress_stamp", t.progress), ("progress_media_stamp", t.progress_media),
                       ("end_stamp", t.hungup)):
        if when:
            ch.set_var(name, date_local(when / 1e6))
    for name, when in (("start", t.created), ("profile_start", profile_created),
                       ("answer", t.answered), ("bridge", t.bridged), ("last_hold", t.last_hold)):
        ch.set_var(f"{name}_epoch", str(when // 1_000_000))
        ch.set_var(f"{name}_uepoch", str(when))
    ch.set_var("hold_accum_seconds", str(t.hold_accum // 1_000_000))
    ch.set_var("hold_accum_usec", str(t.hold_accum))
    ch.set_var("hold_accum_ms", str(t.hold_accum // 1000))
    for name, when in (("resurrect", t.resurrected), ("progress", t.progress),
                       ("progress_media", t.progress_media), ("end", t.hungup)):
        ch.set_var(f"{name}_epoch", str(when // 1_000_000))
        ch.set_var(f"{name}_uepoch", str(when))
    if session.last_app:
        ch.set_var("last_app", session.last_app)
        if session.last_arg:
            ch.set_var("last_arg", session.last_arg)
    p = ch.profile
    ch.set_var("caller_id", f'"{p.caller_id_name}" <{p.caller_id_number}>'
               if p.caller_id_name else p.caller_id_number)
    start, end = t.created, t.hungup
    for unit, divisor in (("sec", 1_000_000), ("msec", 1000), ("usec", 1)):
        duration = {"sec": "duration", "msec": "mduration", "usec": "uduration"}[unit]
        ch.set_var(duration, str(_span(end, start, divisor)))
        ch.set_var(f"bill{unit}", str(_span(end, t.answered, divisor)))
        ch.set_var(f"progress{unit}", str(_span(t.progress, start, divisor)))
        ch.set_var(f"answer{unit}", str(_span(t.answered, start, divisor)))
        ch.set_var(f"wait{unit}", str(_span(t.bridged, start, divisor)))
        ch.set_var(f"progress_media{unit}", str(_span(t.progress_media, start, divisor)))
        ch.set_var(f"flow_bill{unit}", str(_span(end, start, divisor)))
