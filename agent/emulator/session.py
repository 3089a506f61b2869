"""A session: one channel's state machine, run in its own greenlet like FreeSWITCH's session thread.

The order of events and variables follows switch_core_state_machine.c, switch_channel.c and
switch_core_session.c as the captures show them:
- CS_INIT: CHANNEL_STATE, the endpoint's on_init (mod_loopback makes the other leg here),
  CHANNEL_CREATE (and CHANNEL_ORIGINATE for an originated leg);
- CS_ROUTING: CHANNEL_STATE (an inbound leg first goes RINGING), the XML dialplan hunt;
- CS_EXECUTE: CHANNEL_STATE, then each application: CHANNEL_EXECUTE, the application's own
  events, CHANNEL_EXECUTE_COMPLETE; when the extension runs out, hang up NORMAL_CLEARING;
- hangup (any greenlet): CHANNEL_HANGUP at once, the running application returns (UNPARK,
  PLAYBACK_STOP, EXECUTE_COMPLETE), then CS_HANGUP (CHANNEL_STATE, CALLSTATE HANGUP, the
  endpoint's on_hangup), CS_REPORTING (CHANNEL_STATE, CDR variables, HANGUP_COMPLETE), and
  CHANNEL_DESTROY + CHANNEL_STATE CS_DESTROY once no myevents socket holds the session.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import gevent
from gevent.event import Event

from . import causes
from .channel import (
    CS_CONSUME_MEDIA,
    CS_DESTROY,
    CS_EXCHANGE_MEDIA,
    CS_EXECUTE,
    CS_HANGUP,
    CS_INIT,
    CS_REPORTING,
    CS_ROUTING,
    Channel,
)
from .dialplan import Action, expand
from .events import OutEvent

if TYPE_CHECKING:
    from .bridge import Bridge
    from .core import Switch

log = logging.getLogger(__name__)

# switch_channel_callstate_t values used here
DOWN, RINGING, EARLY, ACTIVE, HANGUP = 0, 2, 3, 4, 7

Headers = Sequence[tuple[str, str]]


class Endpoint(Protocol):
    """What an endpoint module adds to the core state machine (mod_loopback here)."""

    def on_init(self, session: Session) -> None: ...
    def on_hangup(self, session: Session) -> None: ...
    def on_kill(self, session: Session) -> None: ...
    def indicate_answer(self, session: Session) -> None: ...
    def indicate_progress(self, session: Session) -> None: ...
    def indicate_display(self, session: Session, name: str, number: str) -> None: ...
    def indicate_bridge(self, session: Session, peer: Session) -> None: ...


@dataclass
class PrivateCommand:
    """A queued private event (uuid_broadcast, sendmsg): what switch_ivr_parse_event runs."""

    command: str
    headers: list[tuple[str, str]]
    app: str = ""
    arg: str = ""
    loops: int = 1
    cause: str = causes.NORMAL_CLEARING
    command_block: list[tuple[str, str]] | None = None


class Session:
    """One channel and the greenlet that runs it."""

    def __init__(self, switch: Switch, channel: Channel, endpoint: Endpoint | None = None,
                 originated: bool = False) -> None:
        self.switch = switch
        self.channel = channel
        self.endpoint = endpoint
        self.originated = originated
        self.extension: list[Action] = []
        self.wake = Event()
        self.private: deque[PrivateCommand] = deque()
        self.breaking = False
        self.media_lost = False
        self.early = False
        self.answered = Event()
        self.hungup = Event()
        self.reported = Event()
        self.destroyed = Event()
        self.holders = 0
        self.last_app: str | None = None
        self.last_arg: str | None = None
        self.bridge: Bridge | None = None  # set while bridged (CF_BRIDGED)
        self.greenlet: gevent.Greenlet | None = None

    @property
    def uuid(self) -> str:
        return self.channel.uuid

    @property
    def partner(self) -> Session | None:
        """switch_channel_get_partner_uuid: the session named by signal_bond."""
        ch = self.channel
        return self.switch.locate(ch.get_var("signal_bond") or ch.get_var("originate_signal_bond"))

    def __repr__(self) -> str:
        return f"<Session {self.channel.name} {self.uuid}>"

    # --- events

    def fire(self, name: str, site: str | None = None, pre: Headers = (), post: Headers = (),
             data: Headers | None = None) -> None:
        """Fire a channel event: core block, pre, channel data (or `data`), post."""
        headers = self.switch.events.core(name, site or name)
        headers += pre
        headers += self.channel.event_data(name) if data is None else data
        headers += post
        self.switch.fire(OutEvent(name, headers))

    def now(self) -> int:
        return self.switch.clock.micros()

    # --- state (switch_channel.c)

    def set_state(self, state: int) -> None:
        """switch_channel_set_state: ask the session thread to move (never out of hangup)."""
        if self.channel.state >= CS_HANGUP and state < CS_HANGUP:
            return
        self.channel.state = state
        self.wake.set()

    def set_running_state(self, state: int) -> None:
        """switch_channel_perform_set_running_state: the call state follows, then CHANNEL_STATE."""
        ch = self.channel
        ch.running_state = state
        if state < CS_HANGUP:
            if state == CS_ROUTING and ch.direction == "inbound":
                self.set_callstate(RINGING)
            elif ch.answered:
                self.set_callstate(ACTIVE)
            elif self.early:
                self.set_callstate(EARLY)
        self.fire("CHANNEL_STATE")

    def set_callstate(self, callstate: int) -> None:
        ch = self.channel
        if ch.callstate == callstate:
            return
        original = ch.callstate_name
        ch.callstate = callstate
        self.fire("CHANNEL_CALLSTATE", pre=[("Original-Channel-Call-State", original),
                                            ("Channel-Call-State-Number", str(callstate))])

    # --- the session thread

    def start(self) -> None:
        self.greenlet = self.switch.spawn(self._run)

    def _run(self) -> None:
        try:
            self._state_machine()
        except gevent.GreenletExit:
            raise
        except Exception:
            log.exception("session %s crashed", self.uuid)
            self.switch.unregister(self)
            self.destroyed.set()

    def _state_machine(self) -> None:
        ch = self.channel
        self.set_running_state(CS_INIT)
        if self.endpoint is not None:
            self.endpoint.on_init(self)
        elif ch.state < CS_HANGUP:
            self.set_state(CS_ROUTING)
        self.fire("CHANNEL_CREATE")
        if self.originated:
            self.fire("CHANNEL_ORIGINATE")
        while ch.state < CS_HANGUP:
            state = ch.state
            if state != ch.running_state:
                self.set_running_state(state)
            self.wake.clear()
            if state == CS_ROUTING:
                self._routing()
            elif state == CS_EXECUTE:
                self._execute()
            elif state == CS_EXCHANGE_MEDIA and self.bridge is not None:
                self.bridge.run_originatee()
            elif ch.state == state:
                self.wake.wait()
        self._hangup_states()

    def _routing(self) -> None:
        ch = self.channel
        if self.originated and ch.direction == "outbound":
            # switch_ivr_originate parks the new leg in CS_CONSUME_MEDIA until it answers.
            self.set_state(CS_CONSUME_MEDIA)
            return
        profile = ch.profile
        actions = self.switch.dialplan.hunt(profile.context, self.lookup_field)
        if ch.state != CS_ROUTING:
            return
        if actions is None:
            self.hangup(causes.NO_ROUTE_DESTINATION)
            return
        self.extension = list(actions)
        self.set_state(CS_EXECUTE)

    def _execute(self) -> None:
        ch = self.channel
        ch.set_var("call_uuid", ch.get_var("call_uuid") or self.uuid)
        self.breaking = False
        extension, self.extension = self.extension, []
        for action in extension:
            if not ch.up or ch.state != CS_EXECUTE or self.breaking:
                return
            self.execute(action.application, action.data)
        if ch.up and ch.state == CS_EXECUTE and not self.breaking:
            self.hangup(causes.NORMAL_CLEARING)

    def _hangup_states(self) -> None:
        # switch_core_session_hangup_state: the hangup time and every CDR variable are set
        # before CALLSTATE HANGUP (the shutdown captures' verbose events show them there), then
        # the endpoint's on_hangup; CS_REPORTING fires HANGUP_COMPLETE.
        ch = self.channel
        self.set_running_state(CS_HANGUP)
        ch.times.hungup = self.now()
        from .cdr import set_cdr_variables  # the CDR variables need the session's app history
        set_cdr_variables(self)
        self.set_callstate(HANGUP)
        if self.endpoint is not None:
            self.endpoint.on_hangup(self)
        ch.state = CS_REPORTING
        self.set_running_state(CS_REPORTING)
        self.fire("CHANNEL_HANGUP_COMPLETE", pre=[("Hangup-Cause", ch.hangup_cause or "")])
        self.reported.set()
        while self.holders > 0:
            self.wake.clear()
            self.wake.wait()
        ch.state = CS_DESTROY
        self.fire("CHANNEL_DESTROY")
        self.set_running_state(CS_DESTROY)
        self.switch.unregister(self)
        self.destroyed.set()

    # --- what other greenlets (commands, the other leg, the scheduler) do to a session

    def hangup(self, cause: str) -> bool:
        """switch_channel_perform_hangup: CHANNEL_HANGUP now, the session thread does the rest."""
        ch = self.channel
        if not ch.up:
            return False
        if cause == causes.NONE:
            cause = causes.NORMAL_CLEARING
        ch.state = CS_HANGUP
        ch.hangup_cause = cause
        ch.answer_state = "hangup"
        # switch_channel_set_variable_partner: the bridge partner, if still up, learns the cause
        partner = self.partner
        if partner is not None and partner.channel.up:
            partner.channel.set_var("last_bridge_hangup_cause", cause)
        if self.bridge is not None:
            ch.set_var("last_bridge_role", self.bridge.role(self))
        self.fire("CHANNEL_HANGUP")
        self.hungup.set()
        if self.endpoint is not None:
            self.endpoint.on_kill(self)
        self.wake.set()
        return True

    def mark_pre_answered(self) -> None:
        """switch_channel_perform_mark_pre_answered: early media."""
        ch = self.channel
        if self.early or ch.answered or not ch.up:
            return
        self.early = True
        ch.set_var("endpoint_disposition", "EARLY MEDIA")
        ch.times.progress_media = self.now()
        ch.answer_state = "early"
        self.fire("CHANNEL_PROGRESS_MEDIA")
        self.set_callstate(EARLY)

    def mark_answered(self) -> None:
        """switch_channel_perform_mark_answered: CHANNEL_ANSWER, execute_on_answer, ACTIVE."""
        ch = self.channel
        if ch.answered or not ch.up:
            return
        ch.times.answered = self.now()
        ch.answer_state = "answered"
        self.fire("CHANNEL_ANSWER")
        self._execute_on("execute_on_answer")
        self.set_callstate(ACTIVE)
        self.answered.set()
        self.wake.set()

    def answer(self) -> None:
        """switch_channel_perform_answer: the endpoint answers, then this channel is answered."""
        if self.channel.answered or not self.channel.up:
            return
        if self.endpoint is not None:
            self.endpoint.indicate_answer(self)
        self.mark_answered()
        self.channel.set_var("endpoint_disposition", "ANSWER")

    def pre_answer(self) -> None:
        if self.channel.answered or self.early:
            return
        if self.endpoint is not None:
            self.endpoint.indicate_progress(self)
        self.mark_pre_answered()

    def transfer(self, extension: str, dialplan: str | None = None,
                 context: str | None = None) -> bool:
        """switch_ivr_session_transfer: a new caller profile, back to CS_ROUTING."""
        from .transfer import transfer
        return transfer(self, extension, dialplan, context)

    def queue_private(self, command: PrivateCommand) -> None:
        """switch_core_session_queue_private_event: the running application picks it up."""
        self.private.append(command)
        self.wake.set()

    def hold(self) -> None:
        """A myevents socket binds the session: its destroy waits (switch_core_session_locate)."""
        self.holders += 1

    def release(self) -> None:
        self.holders = max(0, self.holders - 1)
        self.wake.set()

    # --- applications (switch_core_session_exec)

    def execute(self, application: str, data: str = "") -> None:
        """Run one dialplan application with its CHANNEL_EXECUTE / _COMPLETE events."""
        from .apps import APPLICATIONS
        ch = self.channel
        function = APPLICATIONS.get(application.lower())
        if function is None:
            log.info("%s: invalid application %s", ch.name, application)
            self.hangup(causes.DESTINATION_OUT_OF_ORDER)
            return
        arg = expand(data, self.lookup_var) if "${" in data else data
        ch.set_var("current_application", application)
        ch.set_var("current_application_data", arg or None)
        app_uuid = self.switch.new_uuid()
        described = [("Application", application)] + ([("Application-Data", arg)] if arg else [])
        self.fire("CHANNEL_EXECUTE", post=[*described, ("Application-UUID", app_uuid)])
        ch.set_var("current_application", application)
        self.last_app, self.last_arg = application, arg
        function(self, arg)
        response = ch.get_var("current_application_response") or "_none_"
        self.fire("CHANNEL_EXECUTE_COMPLETE", post=[
            *described, ("Application-Response", response), ("Application-UUID", app_uuid)])

    def _execute_on(self, prefix: str) -> None:
        """switch_channel_execute_on: run every "app arg" stored in variables named prefix*."""
        for name, value in list(self.channel.variables.items()):
            if name.startswith(prefix) and value:
                app, _, arg = value.strip().partition(" ")
                self.execute(app, arg.strip())

    def interrupted(self) -> bool:
        """The running application must return: hangup, transfer, or its media is gone."""
        return not self.channel.up or self.breaking or self.media_lost

    def wait(self, timeout: float | None = None) -> bool:
        """Block a running application, running private commands as they come.

        Returns True when the timeout ran out, False when the application was interrupted.
        """
        deadline = None if timeout is None else self.switch.clock.time() + timeout
        while not self.interrupted():
            if self.private:
                self._run_private(self.private.popleft())
                continue
            remaining = None if deadline is None else deadline - self.switch.clock.time()
            if remaining is not None and remaining <= 0:
                return True
            self.wake.clear()
            if self.private or self.interrupted():
                continue
            self.wake.wait(remaining)
        return False

    def _run_private(self, command: PrivateCommand) -> None:
        """switch_ivr_parse_event, then the event is fired as PRIVATE_COMMAND."""
        if command.command == "hangup":
            self.hangup(command.cause)
        elif command.command == "execute":
            for loop in range(1, command.loops + 1):
                self.channel.set_var("current_loop", str(loop))
                self.channel.set_var("total_loops", str(command.loops))
                self.execute(command.app, command.arg)
                if not self.channel.up:
                    break
            self.channel.set_var("current_loop", None)
            self.channel.set_var("total_loops", None)
        block = command.command_block or []
        headers = [*block, *command.headers]
        headers += self.switch.events.core("PRIVATE_COMMAND", "PRIVATE_COMMAND")
        headers += self.channel.basic() + self.channel.profiles()
        self.switch.fire(OutEvent("PRIVATE_COMMAND", headers))

    # --- lookups for the dialplan

    def lookup_var(self, name: str) -> str:
        return self.channel.get_var(name) or ""

    def lookup_field(self, name: str) -> str:
        """A dialplan condition field: a caller-profile field or a variable."""
        profile = self.channel.profile
        fields = {
            "destination_number": profile.destination_number, "context": profile.context,
            "dialplan": profile.dialplan, "caller_id_name": profile.caller_id_name,
            "caller_id_number": profile.caller_id_number, "ani": profile.ani,
            "uuid": profile.uuid, "source": profile.source, "rdnis": profile.rdnis,
            "chan_name": profile.chan_name, "network_addr": profile.network_addr,
            "username": profile.username,
        }
        if name in fields:
            return fields[name]
        return self.lookup_var(name)
