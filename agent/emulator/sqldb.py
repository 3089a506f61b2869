"""The core SQL view behind "show channels/calls/tasks" (switch_core_sqldb.c core_event_handler).

FreeSWITCH does not answer "show channels" from its live sessions: an event handler turns
channel and scheduler events into SQL, a queue thread writes them in batches, and "show"
reads the tables. This mirror keeps the same three tables, fed by the same events with the
same update rules. Timing, as the captures show it: channel writes are in before the next
"show" (capture 05 saw no rows 1 ms after CHANNEL_DESTROY), but the batch runs its inserts
before its updates; task writes lag `lag` seconds ("show tasks" did not list a task armed 1 ms
before, and still listed one deleted 40 ms before: captures 08 and 09).
"""

from __future__ import annotations

from collections.abc import Callable

from .clock import Clock
from .events import OutEvent

CHANNEL_COLUMNS = (
    "uuid", "direction", "created", "created_epoch", "name", "state", "cid_name", "cid_num",
    "ip_addr", "dest", "application", "application_data", "dialplan", "context", "read_codec",
    "read_rate", "read_bit_rate", "write_codec", "write_rate", "write_bit_rate", "secure",
    "hostname", "presence_id", "presence_data", "accountcode", "callstate", "callee_name",
    "callee_num", "callee_direction", "call_uuid", "sent_callee_name", "sent_callee_num",
    "initial_cid_name", "initial_cid_num", "initial_ip_addr", "initial_dest",
    "initial_dialplan", "initial_context",
)
# basic_calls view columns ("show calls"), a = the caller, b = its bridged callee.
_CALL_A = ("uuid", "direction", "created", "created_epoch", "name", "state", "cid_name",
           "cid_num", "ip_addr", "dest", "presence_id", "presence_data", "accountcode",
           "callstate", "callee_name", "callee_num", "callee_direction", "call_uuid", "hostname",
           "sent_callee_name", "sent_callee_num")
_CALL_B = ("uuid", "direction", "created", "created_epoch", "name", "state", "cid_name",
           "cid_num", "ip_addr", "dest", "presence_id", "presence_data", "accountcode",
           "callstate", "callee_name", "callee_num", "callee_direction", "sent_callee_name",
           "sent_callee_num")
CALL_COLUMNS = (*_CALL_A, *(f"b_{c}" for c in _CALL_B), "call_created_epoch")
TASK_COLUMNS = ("task_id", "task_desc", "task_group", "task_runtime", "task_sql_manager",
                "hostname")

Row = dict[str, str]
Op = Callable[[], None]
# switch_sql_queue_manager: "update channels"/"delete from channels" go to queue 1, everything
# else (inserts, calls, tasks) to queue 0, and each batch runs queue 0 before queue 1. So a
# channel's CODEC updates, fired before its CHANNEL_CREATE insert, still land (capture 06: the
# b-leg row has its codecs) unless they named a uuid that is gone (the a-leg's temporary one).
INSERTS, UPDATES = 0, 1


class SqlMirror:
    """channels, calls and tasks, updated from events with FreeSWITCH's rules and lag."""

    def __init__(self, clock: Clock, lag: float, hostname: str,
                 exists: Callable[[str], bool]) -> None:
        self.clock = clock
        self.lag = lag
        self.hostname = hostname
        self.exists = exists
        self.channels: dict[str, Row] = {}
        self.calls: list[Row] = []
        self.tasks: dict[int, Row] = {}
        self._pending: list[tuple[float, int, Op]] = []

    # --- reading

    def flush(self, everything: bool = False) -> None:
        """Run the writes that are due as one batch: queue 0, then queue 1."""
        now = self.clock.time()
        batch = [p for p in self._pending if everything or p[0] <= now]
        if not batch:
            return
        self._pending = [p for p in self._pending if not (everything or p[0] <= now)]
        for queue in (INSERTS, UPDATES):
            for _, q, op in batch:
                if q == queue:
                    op()

    def flush_all(self) -> None:
        """Apply every pending write now (at startup: the core has been up before anyone asks)."""
        self.flush(everything=True)

    def channel_rows(self) -> list[Row]:
        self.flush()
        rows = list(self.channels.values())
        return sorted(rows, key=lambda r: int(r["created_epoch"] or 0))

    def call_rows(self) -> list[Row]:
        """The basic_calls view: channels that are not someone's callee, with that callee."""
        self.flush()
        callees = {c["callee_uuid"] for c in self.calls}
        by_caller = {c["caller_uuid"]: c for c in self.calls}
        rows = []
        for a in self.channel_rows():
            call = by_caller.get(a["uuid"])
            if call is None and a["uuid"] in callees:
                continue
            b = self.channels.get(call["callee_uuid"]) if call else None
            row = {c: a.get(c, "") for c in _CALL_A}
            for col in _CALL_B:
                row[f"b_{col}"] = b.get(col, "") if b else ""
            row["call_created_epoch"] = call["call_created_epoch"] if call else ""
            rows.append(row)
        # SQLite returns the rows with a callee after the others when created_epoch ties.
        return sorted(rows, key=lambda r: (int(r["created_epoch"] or 0), bool(r["b_uuid"])))

    def task_rows(self) -> list[Row]:
        self.flush()
        return [self.tasks[k] for k in sorted(self.tasks)]

    # --- writing (core_event_handler)

    def _later(self, op: Op, queue: int = INSERTS, lag: float = 0.0) -> None:
        self._pending.append((self.clock.time() + lag, queue, op))

    def on_event(self, event: OutEvent) -> None:
        handler = getattr(self, "_on_" + event.name.lower(), None)
        if handler is None:
            return
        uuid = event.first("Unique-ID")
        if uuid is not None and event.name not in ("CHANNEL_DESTROY",) and not self.exists(uuid):
            return
        handler(event, _Getter(event))

    def _update(self, uuid: str | None, **values: str) -> None:
        def op() -> None:
            row = self.channels.get(uuid or "")
            if row is not None:
                row.update(values)
        self._later(op, UPDATES)

    def _on_channel_create(self, event: OutEvent, h: _Getter) -> None:
        row = dict.fromkeys(CHANNEL_COLUMNS, "")
        row.update(uuid=h("unique-id"), direction=h("call-direction"),
                   created=h("event-date-local"), created_epoch=str(self.clock.epoch()),
                   name=h("channel-name"), state=h("channel-state"),
                   callstate=h("channel-call-state"), dialplan=h("caller-dialplan"),
                   context=h("caller-context"), hostname=self.hostname,
                   initial_cid_name=h("caller-caller-id-name"),
                   initial_cid_num=h("caller-caller-id-number"),
                   initial_ip_addr=h("caller-network-addr"),
                   initial_dest=h("caller-destination-number"),
                   initial_dialplan=h("caller-dialplan"), initial_context=h("caller-context"))
        self._later(lambda: self.channels.__setitem__(row["uuid"], row))

    def _on_channel_destroy(self, event: OutEvent, h: _Getter) -> None:
        uuid = h("unique-id")

        def delete_calls() -> None:
            self.calls[:] = [c for c in self.calls
                             if uuid not in (c["caller_uuid"], c["callee_uuid"])]
        self._later(lambda: self._forget(uuid), UPDATES)
        self._later(delete_calls)

    def _forget(self, uuid: str) -> None:
        self.channels.pop(uuid, None)

    def _on_channel_uuid(self, event: OutEvent, h: _Getter) -> None:
        old, new = h("old-unique-id"), h("unique-id")

        def op() -> None:
            row = self.channels.pop(old, None)
            if row is not None:
                row["uuid"] = new
                self.channels[new] = row
            for row in self.channels.values():
                if row["call_uuid"] == old:
                    row["call_uuid"] = new
        self._later(op, UPDATES)

    def _codecs(self, event: OutEvent, h: _Getter) -> None:
        self._update(h("unique-id"), read_codec=h("channel-read-codec-name"),
                     read_rate=h("channel-read-codec-rate"),
                     read_bit_rate=h("channel-read-codec-bit-rate"),
                     write_codec=h("channel-write-codec-name"),
                     write_rate=h("channel-write-codec-rate"),
                     write_bit_rate=h("channel-write-codec-bit-rate"))

    _on_channel_answer = _codecs
    _on_channel_progress_media = _codecs
    _on_codec = _codecs

    def _on_channel_execute(self, event: OutEvent, h: _Getter) -> None:
        self._update(h("unique-id"), application=h("application"),
                     application_data=h("application-data"),
                     presence_id=h("channel-presence-id"), presence_data=h("channel-presence-data"))

    def _on_channel_originate(self, event: OutEvent, h: _Getter) -> None:
        self._update(h("unique-id"), presence_id=h("channel-presence-id"),
                     presence_data=h("channel-presence-data"), call_uuid=h("channel-call-uuid"))

    def _on_call_update(self, event: OutEvent, h: _Getter) -> None:
        self._update(h("unique-id"), callee_name=h("caller-callee-id-name"),
                     callee_num=h("caller-callee-id-number"),
                     sent_callee_name=h("sent-callee-id-name"),
                     sent_callee_num=h("sent-callee-id-number"), callee_direction=h("direction"),
                     cid_name=h("caller-caller-id-name"), cid_num=h("caller-caller-id-number"))

    def _on_channel_callstate(self, event: OutEvent, h: _Getter) -> None:
        if h("channel-call-state-number") not in ("0", "7", ""):
            self._update(h("unique-id"), callstate=h("channel-call-state"))

    def _on_channel_state(self, event: OutEvent, h: _Getter) -> None:
        number = h("channel-state-number")
        if number in ("", "0", "1", "10", "11", "12"):
            return
        if number == "2":
            self._update(h("unique-id"), state=h("channel-state"),
                         cid_name=h("caller-caller-id-name"), cid_num=h("caller-caller-id-number"),
                         callee_name=h("caller-callee-id-name"),
                         callee_num=h("caller-callee-id-number"),
                         sent_callee_name=h("sent-callee-id-name"),
                         sent_callee_num=h("sent-callee-id-number"),
                         ip_addr=h("caller-network-addr"), dest=h("caller-destination-number"),
                         dialplan=h("caller-dialplan"), context=h("caller-context"),
                         presence_id=h("channel-presence-id"),
                         presence_data=h("channel-presence-data"))
        else:
            self._update(h("unique-id"), state=h("channel-state"))

    def _on_channel_bridge(self, event: OutEvent, h: _Getter) -> None:
        a_uuid, b_uuid = h("bridge-a-unique-id"), h("bridge-b-unique-id")
        if not a_uuid or not b_uuid:
            a_uuid, b_uuid = h("caller-unique-id"), h("other-leg-unique-id")
        call_uuid = h("channel-call-uuid")
        call = {"call_uuid": call_uuid, "call_created": h("event-date-local"),
                "call_created_epoch": str(self.clock.epoch()), "caller_uuid": a_uuid,
                "callee_uuid": b_uuid, "hostname": self.hostname}

        def update() -> None:
            for uuid in (a_uuid, b_uuid):
                if uuid in self.channels:
                    self.channels[uuid]["call_uuid"] = call_uuid
        self._later(update, UPDATES)
        self._later(lambda: self.calls.append(call))

    def _on_channel_unbridge(self, event: OutEvent, h: _Getter) -> None:
        caller, call_uuid = h("caller-unique-id"), h("channel-call-uuid")

        def update() -> None:
            for row in self.channels.values():
                if row["call_uuid"] == call_uuid:
                    row["call_uuid"] = row["uuid"]

        def delete_calls() -> None:
            self.calls[:] = [c for c in self.calls
                             if caller not in (c["caller_uuid"], c["callee_uuid"])]
        self._later(update, UPDATES)
        self._later(delete_calls)

    def _on_shutdown(self, event: OutEvent, h: _Getter) -> None:
        def op() -> None:
            self.channels.clear()
            self.calls.clear()
        self._later(op, UPDATES)

    def _on_add_schedule(self, event: OutEvent, h: _Getter) -> None:
        task_id = h("task-id")
        if not task_id:
            return
        row = {"task_id": task_id, "task_desc": h("task-desc"), "task_group": h("task-group"),
               "task_runtime": h("task-runtime"), "task_sql_manager": h("task-sql_manager") or "0",
               "hostname": self.hostname}
        self._later(lambda: self.tasks.__setitem__(int(task_id), row), lag=self.lag)

    def _on_del_schedule(self, event: OutEvent, h: _Getter) -> None:
        task_id = h("task-id")
        if task_id.isdigit():
            self._later(lambda: self._drop_task(int(task_id)), lag=self.lag)

    def _drop_task(self, task_id: int) -> None:
        self.tasks.pop(task_id, None)

    _on_exe_schedule = _on_del_schedule

    def _on_re_schedule(self, event: OutEvent, h: _Getter) -> None:
        task_id = h("task-id")
        if task_id.isdigit():
            self._later(lambda: self.tasks.get(int(task_id), {}).update(
                task_desc=h("task-desc"), task_group=h("task-group"),
                task_runtime=h("task-runtime")), lag=self.lag)


class _Getter:
    """switch_event_get_header_nil: first header of a name, case-insensitive, "" if absent."""

    __slots__ = ("_headers",)

    def __init__(self, event: OutEvent) -> None:
        self._headers: dict[str, str] = {}
        for key, value in event.headers:
            self._headers.setdefault(key.lower(), value)

    def __call__(self, name: str) -> str:
        return self._headers.get(name, "")
