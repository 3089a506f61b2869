"""Dialplan applications the emulator runs (mod_dptools and the core IVR functions behind them).

Each takes the session and its (already expanded) argument and returns when the application
would: park and playback block until the call is hung up, transferred, or (for playback) the
file is done; they run queued private commands (uuid_broadcast, sendmsg) while they wait.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from . import causes
from .cnumber import atol

if TYPE_CHECKING:
    from .session import Session

log = logging.getLogger(__name__)

Application = Callable[["Session", str], None]


def answer(session: Session, arg: str) -> None:
    session.answer()


def pre_answer(session: Session, arg: str) -> None:
    session.pre_answer()


def park(session: Session, arg: str) -> None:
    """switch_ivr_park: CHANNEL_PARK, wait, CHANNEL_UNPARK."""
    session.fire("CHANNEL_PARK")
    session.wait()
    session.fire("CHANNEL_UNPARK")


def playback_seconds(session: Session, path: str) -> float | None:
    """How long a file plays: silence_stream://<ms> as asked (-1 = forever), others a setting."""
    if path.startswith("silence_stream://"):
        spec = path[len("silence_stream://"):].split(",")[0]
        try:
            ms = int(spec)
        except ValueError:
            ms = 0
        return None if ms < 0 else ms / 1000
    return session.switch.settings.file_seconds


def playback(session: Session, arg: str) -> None:
    """switch_ivr_play_file: PLAYBACK_START, play, playback_* variables, PLAYBACK_STOP."""
    ch = session.channel
    if not ch.answered:
        session.pre_answer()
    length = playback_seconds(session, arg)
    started = session.switch.clock.time()
    session.fire("PLAYBACK_START", post=[("Playback-File-Path", arg)])
    finished = session.wait(length)
    elapsed = session.switch.clock.time() - started
    if length is not None and finished:
        elapsed = length
    samples = int(elapsed * 8000)
    ch.set_var("playback_last_offset_pos", str(samples))
    ch.set_var("playback_seconds", str(samples // 8000))
    ch.set_var("playback_ms", str(samples // 8))
    ch.set_var("playback_samples", str(samples))
    session.fire("PLAYBACK_STOP", post=[("Playback-File-Path", arg), ("Playback-Status", "done")])
    ch.set_var("current_application_response", "FILE PLAYED" if finished else "PLAYBACK ERROR")


def sleep(session: Session, arg: str) -> None:
    """mod_dptools sleep: milliseconds, interrupted by hangup or transfer."""
    try:
        ms = int(arg)
    except ValueError:
        log.info("%s: sleep without a time", session.channel.name)
        return
    session.wait(ms / 1000)


def hangup(session: Session, arg: str) -> None:
    session.hangup(causes.hangup_cause(arg))


def set_variable(session: Session, arg: str) -> None:
    """mod_dptools set: name=value (an empty value unsets)."""
    name, sep, value = arg.partition("=")
    if not sep or not name:
        log.info("%s: set needs name=value, got %r", session.channel.name, arg)
        return
    session.channel.set_var(name.strip(), value or None)


def unset(session: Session, arg: str) -> None:
    session.channel.set_var(arg.strip(), None)


def transfer(session: Session, arg: str) -> None:
    """mod_dptools transfer: <extension> [<dialplan>] [<context>]."""
    parts = arg.split()
    if not parts:
        return
    session.transfer(parts[0], parts[1] if len(parts) > 1 else None,
                     parts[2] if len(parts) > 2 else None)


def _when(spec: str, session: Session) -> tuple[int, int]:
    """[+]<time>: (epoch second it is due, the number after the +)."""
    seconds = atol(spec[1:] if spec.startswith(("+", "@")) else spec)
    if spec.startswith("+"):
        return session.switch.clock.epoch() + seconds, seconds
    return seconds, seconds


def sched_hangup(session: Session, arg: str) -> None:
    """mod_dptools sched_hangup: [+]<time> [<cause>]; +0 hangs up now."""
    argv = arg.split()
    if not argv:
        log.info("%s: sched_hangup: no time specified", session.channel.name)
        return
    when, seconds = _when(argv[0], session)
    cause = causes.parse_cause(argv[1]) if len(argv) > 1 else causes.ALLOTTED_TIMEOUT
    if argv[0].startswith("+") and seconds == 0:
        session.hangup(cause)
    else:
        session.switch.scheduler.schedule_hangup(when, session.uuid, cause)


def sched_transfer(session: Session, arg: str) -> None:
    """mod_dptools sched_transfer: [+]<time> <extension> <dialplan> <context>."""
    argv = arg.split()
    if len(argv) < 2:
        log.info("%s: sched_transfer: invalid arguments", session.channel.name)
        return
    when, _ = _when(argv[0], session)
    session.switch.scheduler.schedule_transfer(
        when, session.uuid, argv[1], argv[2] if len(argv) > 2 else None,
        argv[3] if len(argv) > 3 else None)


def sched_broadcast(session: Session, arg: str) -> None:
    """mod_dptools sched_broadcast: [+]<time> <path> [aleg|bleg|both]."""
    argv = arg.split()
    if len(argv) < 2:
        log.info("%s: sched_broadcast: invalid arguments", session.channel.name)
        return
    when, _ = _when(argv[0], session)
    session.switch.scheduler.schedule_broadcast(when, session.uuid, argv[1],
                                                argv[2] if len(argv) > 2 else "aleg")


def bridge(session: Session, arg: str) -> None:
    from .bridge import bridge as do_bridge
    do_bridge(session, arg)



def _noop(session: Session, arg: str) -> None:
    """log, info and friends: nothing to emulate beyond their EXECUTE events."""


APPLICATIONS: dict[str, Application] = {
    "answer": answer,
    "pre_answer": pre_answer,
    "park": park,
    "playback": playback,
    "sleep": sleep,
    "hangup": hangup,
    "set": set_variable,
    "export": set_variable,
    "unset": unset,
    "transfer": transfer,
    "sched_hangup": sched_hangup,
    "sched_transfer": sched_transfer,
    "sched_broadcast": sched_broadcast,
    "bridge": bridge,
    "log": _noop,
    "info": _noop,
}
