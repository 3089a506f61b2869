"""The commands an ESL client sends (mod_event_socket.c parse_command), in its order of tests.

Matching is by case-insensitive prefix, exactly as the C code's strncasecmp calls do (so
"events ..." is an "event" command and "logout" a "log" command); the reply texts, including
"-ERR aready enabled." [sic] and "+OK filter deleted. [all][]", are FreeSWITCH's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.freeswitch import wire

from .cnumber import atol
from .events import event_type
from .private import PrivateCommand

if TYPE_CHECKING:
    from .listener import Listener


def handle_command(listener: Listener, command: wire.Command) -> None:
    text = command.line.split("\r")[0]
    low = text.lower()
    if low.startswith(("exit", "...")):
        listener.running = False
        listener._reply("+OK bye")
        return
    if not listener.authed:
        _before_auth(listener, text, low)
        return
    for prefix, handler in _HANDLERS:
        if low.startswith(prefix):
            reply = handler(listener, text, command)
            if isinstance(reply, _NotHandled):
                continue
            if reply is not None:
                listener._reply(reply)
            return
    if listener.session is not None and low.startswith("getvar"):
        _, _, name = text.partition(" ")
        listener._reply(listener.session.channel.get_var(name) or "" if name else "")
        return
    listener._reply("-ERR command not found")


def _before_auth(listener: Listener, text: str, low: str) -> None:
    if low.startswith("auth "):
        if text[5:] == listener.switch.settings.password:
            listener.authed = True
            listener._reply("+OK accepted")
        else:
            listener.running = False
            listener._reply("-ERR invalid")
    elif low.startswith("userauth "):
        # No user directory here: every userauth fails as an unknown user does in FreeSWITCH.
        listener.running = False
        listener._reply("-ERR invalid")
    else:
        listener._reply("-ERR command not found")


def _filter(listener: Listener, text: str, command: wire.Command) -> str:
    name, sep, value = text[7:].lstrip(" ").partition(" ")
    sub = listener.sub
    if name.lower() == "delete" and sep:
        name, sep2, rest = value.partition(" ")
        sub.delete_filter(name, rest if sep2 else None)
        return f"+OK filter deleted. [{name}][{rest if sep2 else ''}]"
    if not sep:
        return "-ERR invalid syntax"
    if name.lower() == "add":
        name, sep2, value = value.partition(" ")
        if not sep2:
            return f"+OK filter added. [{name}]=[(null)]"
    sub.add_filter(name, value)
    return f"+OK filter added. [{name}]=[{value}]"


def _myevents(listener: Listener, text: str, command: wire.Command) -> str | None:
    low = text.lower()
    if listener.session is None and not low.startswith("myevents "):
        return _NOT_HANDLED
    if not low.startswith("myevents"):
        return _NOT_HANDLED
    if listener.sub.myevents:
        return "-ERR aready enabled."
    truncated = text
    uuid = None
    if listener.session is None:
        uuid, sep, _fmt = text[9:].partition(" ")
        # mod_event_socket cuts the string at the space after the uuid before it looks for a
        # format, so "myevents <uuid> json" still sends plain events (README).
        truncated = text[:9] + uuid
        session = listener.switch.locate(uuid)
        if session is None:
            if sep:
                return "-ERR invalid uuid"
        else:
            listener.bind_session(session)
    listener.sub.set_myevents(listener.session.uuid if listener.session else None)
    if "xml" in truncated or "XML" in truncated:
        listener.format = "xml"
    if "json" in truncated or "JSON" in truncated:
        listener.format = "json"
    return "+OK Events Enabled"


def _resume(listener: Listener, text: str, command: wire.Command) -> str | None:
    if listener.session is None:
        return _NOT_HANDLED
    listener.session.channel.set_var("socket_resume", "true")
    return "+OK"


def _divert_events(listener: Listener, text: str, command: wire.Command) -> str:
    if listener.session is None:
        return "-ERR not controlling a session."
    value = text[13:].strip(" ")
    if not value:
        return "-ERR missing value."
    return "+OK events diverted" if value.lower() == "on" else "+OK events not diverted"


def _sendmsg(listener: Listener, text: str, command: wire.Command) -> str:
    uuid = text[7:].strip(" ") or command.header("session-id") or ""
    if uuid and listener.session is not None and uuid == listener.session.uuid:
        uuid = ""
    target = listener.session if not uuid else listener.switch.locate(uuid)
    if target is None:
        return f"-ERR invalid session id [{uuid or '(null)'}]"
    headers = [("Command", text), *command.headers]
    call_command = (command.header("call-command") or "").lower()
    if call_command == "hangup":
        from . import causes
        cause = causes.hangup_cause(command.header("hangup-cause"))
        target.queue_private(PrivateCommand("hangup", headers, cause=cause))
    elif call_command == "execute":
        loops = command.header("loops") or "1"
        target.queue_private(PrivateCommand(
            "execute", headers, app=command.header("execute-app-name") or "",
            arg=command.header("execute-app-arg") or (command.body or b"").decode(),
            loops=int(loops) if loops.isdigit() and int(loops) > 0 else 1))
    else:
        target.queue_private(PrivateCommand(call_command or "noop", headers))
    return "+OK"


def _sendevent(listener: Listener, text: str, command: wire.Command) -> str:
    sw = listener.switch
    uuid = sw.new_uuid()
    name = event_type(text[9:].strip(" \t")) or "CUSTOM"
    subclass = command.header("Event-Subclass") if name == "CUSTOM" else None
    from .events import OutEvent
    headers = [("Command", text), *command.headers, ("Event-UUID", uuid),
               *sw.events.core(name, "API")]
    body = command.body.decode("utf-8", "replace") if command.body else None
    sw.fire(OutEvent(name, headers, body, subclass))
    return f"+OK {uuid}"


def _api(listener: Listener, text: str, command: wire.Command) -> None:
    listener.api(text[4:])


def _bgapi(listener: Listener, text: str, command: wire.Command) -> None:
    listener.bgapi(text[6:], command.header("job-uuid"))


def _log(listener: Listener, text: str, command: wire.Command) -> str:
    level = text[3:].strip(" ") or "debug"
    levels = {"console": 0, "alert": 1, "crit": 2, "err": 3, "warning": 4, "notice": 5,
              "info": 6, "debug": 7}
    number = int(level) if level.isdigit() else levels.get(level.lower())
    if number is None:
        return "-ERR invalid log level"
    listener.log_level = level
    return f"+OK log level {text[4:] if len(text) > 4 else ''} [{number}]"


def _linger(listener: Listener, text: str, command: wire.Command) -> str:
    if listener.session is None:
        return "-ERR not controlling a session"
    seconds = -1
    if text[6:7] == " " and text[7:8]:
        seconds = atol(text[7:])
    listener.linger = True
    listener.linger_seconds = seconds
    return "+OK will linger" if seconds == -1 else f"+OK will linger {seconds} seconds"


def _nolinger(listener: Listener, text: str, command: wire.Command) -> str:
    if listener.session is None:
        return "-ERR not controlling a session"
    listener.linger = False
    return "+OK will not linger"


def _nolog(listener: Listener, text: str, command: wire.Command) -> str:
    if listener.log_level is None:
        return "-ERR not loging"
    listener.log_level = None
    return "+OK no longer logging"


def _event(listener: Listener, text: str, command: wire.Command) -> str:
    _, sep, rest = text[5:].partition(" ")
    tokens = rest.split(" ") if sep else []
    if tokens and tokens[0].lower() in ("plain", "json", "xml"):
        listener.format = tokens[0].lower()
        tokens = tokens[1:]
    if not listener.sub.subscribe(tokens):
        return "-ERR no keywords supplied"
    return f"+OK event listener enabled {listener.format}"


def _nixevent(listener: Listener, text: str, command: wire.Command) -> str:
    _, sep, rest = text[5:].partition(" ")
    if not listener.sub.unsubscribe(rest.split(" ") if sep else []):
        return "-ERR no keywords supplied"
    return "+OK events nixed"


def _noevents(listener: Listener, text: str, command: wire.Command) -> str:
    listener.queue.clear()
    if not listener.sub.stop():
        return "-ERR not listening for events"
    return "+OK no longer listening for events"



class _NotHandled(str):
    """A handler saying "not mine": the next prefix is tried (parse_command falls through)."""


_NOT_HANDLED = _NotHandled("")

# parse_command's order of tests after authentication.
_HANDLERS = (
    ("filter ", _filter),
    ("resume", _resume),
    ("myevents", _myevents),
    ("divert_events", _divert_events),
    ("sendmsg", _sendmsg),
    ("sendevent", _sendevent),
    ("api ", _api),
    ("bgapi ", _bgapi),
    ("log", _log),
    ("linger", _linger),
    ("nolinger", _nolinger),
    ("nolog", _nolog),
    ("event", _event),
    ("nixevent", _nixevent),
    ("noevents", _noevents),
)
