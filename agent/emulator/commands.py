"""The api commands (mod_commands), their reply texts and trailing-newline quirks.

Reply texts come from the captures where they show them (tests/fixtures/freeswitch 04, 05,
08, 09: "-ERR No such channel!\\n", "-ERR invalid uuid\\n", "+OK Message sent\\n", "true"
with no newline, "_undef_", '{"row_count": 0}\\n', "-USAGE: <uuid> [cause]\\n", ...) and from
mod_commands.c otherwise (sched_transfer, sched_broadcast, sched_del, hupall, fsctl usage).
Every command takes the switch and its argument string (None when there was none) and
returns the text of the api/response body.
"""

from __future__ import annotations

from collections.abc import Callable

from . import causes, show
from .cnumber import atol
from .core import Switch
from .originate import ORIGINATE_SYNTAX, OriginateRequest, originate
from .scheduler import broadcast, format_uptime

NO_SUCH_CHANNEL = "-ERR No such channel!\n"

Command = Callable[[Switch, "str | None"], str]

KILL_SYNTAX = "<uuid> [cause]"
SETVAR_SYNTAX = "<uuid> <var> [value]"
GETVAR_SYNTAX = "<uuid> <var> [index]"
TRANSFER_SYNTAX = "<uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]"
BROADCAST_SYNTAX = "<uuid> <path> [aleg|bleg|holdb|both]"
SCHED_HANGUP_SYNTAX = "[+]<time> <uuid> [<cause>]"
SCHED_TRANSFER_SYNTAX = "[+]<time> <uuid> <extension> [<dialplan>] [<context>]"
SCHED_BROADCAST_SYNTAX = "[+]<time> <uuid> <path> [aleg|bleg|both]"
HUPALL_SYNTAX = "<cause> [<var> <value>]"
CTL_SYNTAX = ("[recover|send_sighup|hupall|pause [inbound|outbound]|resume [inbound|outbound]|"
              "shutdown [cancel|elegant|asap|now|restart]|sps|sync_clock|sync_clock_when_idle|"
              "reclaim_mem|max_sessions|min_dtmf_duration [num]|max_dtmf_duration [num]|"
              "default_dtmf_duration [num]|min_idle_cpu|loglevel [level]|debug_level [level]]")


def separate(text: str | None, limit: int) -> list[str]:
    """switch_separate_string on spaces: at most `limit` fields, the last keeps the rest."""
    if not text:
        return []
    out: list[str] = []
    rest = text.strip(" ")
    while rest and len(out) < limit - 1:
        head, _, rest = rest.partition(" ")
        out.append(head)
        rest = rest.lstrip(" ")
    if rest:
        out.append(rest)
    return out



def status(sw: Switch, args: str | None) -> str:
    stats = sw.stats
    return (
        f"UP {format_uptime(sw.uptime)}\n"
        f"FreeSWITCH (Version {sw.settings.version}  64bit) is ready\n"
        f"{stats.since_startup} session(s) since startup\n"
        f"{len(sw.sessions)} session(s) - peak {stats.peak}, last 5min "
        f"{stats.peak_five_minutes()} \n"
        f"{stats.last_second()} session(s) per Sec out of max {sw.settings.sessions_per_second}, "
        f"peak {stats.sps_max}, last 5min {stats.sps_five_minutes()} \n"
        f"{sw.settings.max_sessions} session(s) max\n"
        f"min idle cpu 0.00/{sw.scheduler.idle_cpu:.2f}\n"
        "Current Stack Size/Max 240K/8192K\n"
    )


def version(sw: Switch, args: str | None) -> str:
    return f"FreeSWITCH Version {sw.settings.version}~64bit ( 64bit)\n"


def show_cmd(sw: Switch, args: str | None) -> str:
    return show.show(sw.sql, args)


def uuid_exists(sw: Switch, args: str | None) -> str:
    return "true" if sw.locate((args or "").strip()) is not None else "false"


def uuid_getvar(sw: Switch, args: str | None) -> str:
    argv = separate(args, 3)
    if len(argv) < 2:
        return f"-USAGE: {GETVAR_SYNTAX}\n"
    session = sw.locate(argv[0])
    if session is None:
        return NO_SUCH_CHANNEL
    value = session.channel.get_var(argv[1])
    return "_undef_" if value is None else value


def uuid_setvar(sw: Switch, args: str | None) -> str:
    argv = separate(args, 3)
    if len(argv) not in (2, 3):
        return f"-USAGE: {SETVAR_SYNTAX}\n"
    session = sw.locate(argv[0])
    if session is None:
        return NO_SUCH_CHANNEL
    if not argv[1]:
        return "-ERR No variable specified\n"
    session.channel.set_var(argv[1], argv[2] if len(argv) == 3 else None)
    return "+OK\n"


def uuid_kill(sw: Switch, args: str | None) -> str:
    if not args:
        return f"-USAGE: {KILL_SYNTAX}\n"
    uuid, _, cause_text = args.partition(" ")
    cause = causes.hangup_cause(cause_text) if cause_text else causes.NORMAL_CLEARING
    session = sw.locate(uuid)
    if session is None:
        return NO_SUCH_CHANNEL
    session.hangup(cause)
    return "+OK\n"


def uuid_transfer(sw: Switch, args: str | None) -> str:
    argv = separate(args, 5)
    if len(argv) < 2 or len(argv) > 5:
        return f"-USAGE: {TRANSFER_SYNTAX}\n"
    session = sw.locate(argv[0])
    if session is None:
        return NO_SUCH_CHANNEL
    dest, rest = argv[1], argv[2:]
    leg = None
    if dest.startswith("-"):
        leg, dest, rest = dest[1:].lower(), (argv[2] if len(argv) > 2 else ""), argv[3:]
    dialplan = rest[0] if rest else None
    context = rest[1] if len(rest) > 1 else None
    if leg in ("bleg", "both") and session.partner is not None:
        session.partner.transfer(dest, dialplan, context)
        if leg == "bleg":
            return "+OK\n"
    return "+OK\n" if session.transfer(dest, dialplan, context) else "-ERR\n"


def uuid_broadcast(sw: Switch, args: str | None) -> str:
    argv = separate(args, 4)
    if len(argv) < 2:
        return f"-USAGE: {BROADCAST_SYNTAX}\n"
    if not broadcast(sw, argv[0], argv[1], argv[2].lower() if len(argv) > 2 else "aleg"):
        return "-ERR invalid uuid\n"
    return "+OK Message sent\n"


def _when(sw: Switch, spec: str) -> tuple[int, int]:
    seconds = atol(spec[1:])
    return (sw.clock.epoch() + seconds if spec.startswith("+") else atol(spec)), seconds


def sched_hangup(sw: Switch, args: str | None) -> str:
    argv = separate(args, 4)
    if not argv or not argv[0]:
        return f"-USAGE: {SCHED_HANGUP_SYNTAX}\n"
    when, seconds = _when(sw, argv[0])
    cause = causes.parse_cause(argv[2]) if len(argv) > 2 else causes.ALLOTTED_TIMEOUT
    session = sw.locate(argv[1] if len(argv) > 1 else None)
    if session is None:
        return NO_SUCH_CHANNEL
    if seconds == 0:
        session.hangup(cause)
    else:
        sw.scheduler.schedule_hangup(when, session.uuid, cause)
    return "+OK\n"


def sched_transfer(sw: Switch, args: str | None) -> str:
    argv = separate(args, 6)
    if len(argv) < 2 or len(argv) > 5 or not argv[0]:
        return f"-USAGE: {SCHED_TRANSFER_SYNTAX}\n"
    when, _ = _when(sw, argv[0])
    session = sw.locate(argv[1])
    if session is None or len(argv) < 3:
        return NO_SUCH_CHANNEL
    sw.scheduler.schedule_transfer(when, session.uuid, argv[2],
                                   argv[3] if len(argv) > 3 else None,
                                   argv[4] if len(argv) > 4 else None)
    return "+OK\n"


def sched_broadcast(sw: Switch, args: str | None) -> str:
    argv = separate(args, 4)
    if len(argv) < 3 or not argv[0]:
        return f"-USAGE: {SCHED_BROADCAST_SYNTAX}\n"
    when, _ = _when(sw, argv[0])
    sw.scheduler.schedule_broadcast(when, argv[1], argv[2],
                                    argv[3].lower() if len(argv) > 3 else "aleg")
    return "+OK Message Scheduled\n"


def sched_del(sw: Switch, args: str | None) -> str:
    if args is None:
        return "-ERR Invalid syntax\n"
    if args.isdigit():
        count = sw.scheduler.delete_id(int(args)) if int(args) > 0 else 0
    else:
        count = sw.scheduler.delete_group(args)
    return f"+OK Deleted: {count}\n"


def hupall(sw: Switch, args: str | None) -> str:
    argv = separate(args, 3)
    cause = causes.MANAGER_REQUEST
    if argv:
        parsed = causes.parse_cause(argv[0])
        cause = causes.MANAGER_REQUEST if parsed == causes.NONE else parsed
    var = argv[1] if len(argv) > 2 else None
    value = argv[2] if len(argv) > 2 else None
    sw.hupall(cause, var, value)
    if var is None:
        return f"+OK hangup all channels with cause {cause}\n"
    return f"+OK hangup all channels matching [{var}]=[{value}] with cause: {cause}\n"


def fsctl(sw: Switch, args: str | None) -> str:
    argv = separate(args, 5)
    if not argv:
        return f"-USAGE: {CTL_SYNTAX}\n"
    command = argv[0].lower()
    if command == "shutdown":
        if "cancel" not in [a.lower() for a in argv[1:]] and sw.shutdown_requested is not None:
            sw.shutdown_requested("fsctl")
        return "+OK\n"
    if command == "hupall":
        sw.hupall(causes.MANAGER_REQUEST)
        return "+OK\n"
    if command == "max_sessions":
        return f"+OK max sessions: {sw.settings.max_sessions}\n"
    return f"-ERR INVALID COMMAND\nUSAGE: fsctl {CTL_SYNTAX}"


def originate_cmd(sw: Switch, args: str | None) -> str:
    request = OriginateRequest.parse(args or "")
    if request is None:
        return f"-USAGE: {ORIGINATE_SYNTAX}\n"
    return originate(sw, request)


COMMANDS: dict[str, Command] = {
    "status": status,
    "version": version,
    "show": show_cmd,
    "uuid_exists": uuid_exists,
    "uuid_getvar": uuid_getvar,
    "uuid_setvar": uuid_setvar,
    "uuid_kill": uuid_kill,
    "uuid_transfer": uuid_transfer,
    "uuid_broadcast": uuid_broadcast,
    "sched_hangup": sched_hangup,
    "sched_transfer": sched_transfer,
    "sched_broadcast": sched_broadcast,
    "sched_del": sched_del,
    "hupall": hupall,
    "fsctl": fsctl,
    "originate": originate_cmd,
}


def api_execute(sw: Switch, command: str, args: str | None) -> str | None:
    """switch_api_execute; None when the command does not exist.

    The API event is made (and numbered) before the command runs but fired after it returns:
    that is why a bgapi originate's API event arrives after the call's events (capture 06)
    with an Event-Sequence lower than all of them.
    """
    headers = [("API-Command", command)]
    if args is not None:
        headers.append(("API-Command-Argument", args))
    event = sw.make_event("API", "API", headers)
    function = COMMANDS.get(command)
    try:
        return None if function is None else function(sw, args)
    finally:
        sw.fire(event)
