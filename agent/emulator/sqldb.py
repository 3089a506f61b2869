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
#: Pending writes that trigger a flush of the due ones without a query (far more than a
#: capture's calls produce, so the batches the captures show are unchanged).
FLUSH_AT = 10_000


class SqlMirror:
    """channels, calls and tasks, updated from events with FreeSWITCH's rules and lag."""

    def __init__(self, clock: Clock, lag: float, hostname: str,
                 exists: Callable[[str], bool]) -> None:
        self.clock = clock
        self.lag = lag
        self.hostname = hostname
        self.exists = exists
        self.channels: dict[str, Row] = {}
        # call_uuid -> the rows carrying it (by id), so "where call_uuid = x" is not a scan.
        self._by_call: dict[str, dict[int, Row]] = {}
        self.calls: list[Row] = []
        self.tasks: dict[int, Row] = {}
        self._pending: list[tuple[float, int, Op]] = []
        self._flush_at = FLUSH_AT

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
        if len(self._pending) >= self._flush_at:
            # FreeSWITCH's SQL queue manager writes continuously; without a query to flush
            # them, pending writes would pile up (memory, and a long stall at the next show).
            self.flush()
            self._flush_at = max(FLUSH_AT, 2 * len(self._pending))

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
                if "call_uuid" in values:
                    self._set_call_uuid(row, values["call_uuid"])
                row.update(values)
        self._later(op, UPDATES)

    def _on_channel_create(self, event: OutEvent, h: _Getter) -> None:
        row = dict.fromkeys(CHANNEL_COLUMNS, "")
        row.update(uuid=h("Unique-ID"), direction=h("Call-Direction"),
                   created=h("Event-Date-Local"), created_epoch=str(self.clock.epoch()),
                   name=h("Channel-Name"), state=h("Channel-State"),
                   callstate=h("Channel-Call-State"), dialplan=h("Caller-Dialplan"),
                   context=h("Caller-Context"), hostname=self.hostname,
                   initial_cid_name=h("Caller-Caller-ID-Name"),
                   initial_cid_num=h("Caller-Caller-ID-Number"),
                   initial_ip_addr=h("Caller-Network-Addr"),
                   initial_dest=h("Caller-Destination-Number"),
                   initial_dialplan=h("Caller-Dialplan"), initial_context=h("Caller-Context"))
        self._later(lambda: self._insert(row))

    def _on_channel_destroy(self, event: OutEvent, h: _Getter) -> None:
        uuid = h("Unique-ID")

        def delete_calls() -> None:
            self.calls[:] = [c for c in self.calls
                             if uuid not in (c["caller_uuid"], c["callee_uuid"])]
        self._later(lambda: self._forget(uuid), UPDATES)
        self._later(delete_calls)

    def _insert(self, row: Row) -> None:
        self._forget(row["uuid"])
        self.channels[row["uuid"]] = row

    def _forget(self, uuid: str) -> None:
        row = self.channels.pop(uuid, None)
        if row is not None:
            self._set_call_uuid(row, "")

    def _set_call_uuid(self, row: Row, value: str) -> None:
        """Set a row's call_uuid, keeping the call_uuid index right."""
        members = self._by_call.get(row["call_uuid"])
        if members is not None:
            members.pop(id(row), None)
            if not members:
                del self._by_call[row["call_uuid"]]
        row["call_uuid"] = value
        if value:
            self._by_call.setdefault(value, {})[id(row)] = row

    def _with_call_uuid(self, call_uuid: str) -> list[Row]:
        return list(self._by_call.get(call_uuid, {}).values())

    def _on_channel_uuid(self, event: OutEvent, h: _Getter) -> None:
        old, new = h("Old-Unique-ID"), h("Unique-ID")

        def op() -> None:
            row = self.channels.pop(old, None)
            if row is not None:
                row["uuid"] = new
                self._insert(row)
            for row in self._with_call_uuid(old):
                self._set_call_uuid(row, new)
        self._later(op, UPDATES)

    def _codecs(self, event: OutEvent, h: _Getter) -> None:
        self._update(h("Unique-ID"), read_codec=h("Channel-Read-Codec-Name"),
                     read_rate=h("Channel-Read-Codec-Rate"),
                     read_bit_rate=h("Channel-Read-Codec-Bit-Rate"),
                     write_codec=h("Channel-Write-Codec-Name"),
                     write_rate=h("Channel-Write-Codec-Rate"),
                     write_bit_rate=h("Channel-Write-Codec-Bit-Rate"))

    _on_channel_answer = _codecs
    _on_channel_progress_media = _codecs
    _on_codec = _codecs

    def _on_channel_execute(self, event: OutEvent, h: _Getter) -> None:
        self._update(h("Unique-ID"), application=h("Application"),
                     application_data=h("Application-Data"),
                     presence_id=h("Channel-Presence-ID"), presence_data=h("Channel-Presence-Data"))

    def _on_channel_originate(self, event: OutEvent, h: _Getter) -> None:
        self._update(h("Unique-ID"), presence_id=h("Channel-Presence-ID"),
                     presence_data=h("Channel-Presence-Data"), call_uuid=h("Channel-Call-UUID"))

    def _on_call_update(self, event: OutEvent, h: _Getter) -> None:
        self._update(h("Unique-ID"), callee_name=h("Caller-Callee-ID-Name"),
                     callee_num=h("Caller-Callee-ID-Number"),
                     sent_callee_name=h("Sent-Callee-ID-Name"),
                     sent_callee_num=h("Sent-Callee-ID-Number"), callee_direction=h("Direction"),
                     cid_name=h("Caller-Caller-ID-Name"), cid_num=h("Caller-Caller-ID-Number"))

    def _on_channel_callstate(self, event: OutEvent, h: _Getter) -> None:
        if h("Channel-Call-State-Number") not in ("0", "7", ""):
            self._update(h("Unique-ID"), callstate=h("Channel-Call-State"))

    def _on_channel_state(self, event: OutEvent, h: _Getter) -> None:
        number = h("Channel-State-Number")
        if number in ("", "0", "1", "10", "11", "12"):
            return
        if number == "2":
            self._update(h("Unique-ID"), state=h("Channel-State"),
                         cid_name=h("Caller-Caller-ID-Name"), cid_num=h("Caller-Caller-ID-Number"),
                         callee_name=h("Caller-Callee-ID-Name"),
                         callee_num=h("Caller-Callee-ID-Number"),
                         sent_callee_name=h("Sent-Callee-ID-Name"),
                         sent_callee_num=h("Sent-Callee-ID-Number"),
                         ip_addr=h("Caller-Network-Addr"), dest=h("Caller-Destination-Number"),
                         dialplan=h("Caller-Dialplan"), context=h("Caller-Context"),
                         presence_id=h("Channel-Presence-ID"),
                         presence_data=h("Channel-Presence-Data"))
        else:
            self._update(h("Unique-ID"), state=h("Channel-State"))

    def _on_channel_bridge(self, event: OutEvent, h: _Getter) -> None:
        a_uuid, b_uuid = h("Bridge-A-Unique-ID"), h("Bridge-B-Unique-ID")
        if not a_uuid or not b_uuid:
            a_uuid, b_uuid = h("Caller-Unique-ID"), h("Other-Leg-Unique-ID")
        call_uuid = h("Channel-Call-UUID")
        call = {"call_uuid": call_uuid, "call_created": h("Event-Date-Local"),
                "call_created_epoch": str(self.clock.epoch()), "caller_uuid": a_uuid,
                "callee_uuid": b_uuid, "hostname": self.hostname}

        def update() -> None:
            for uuid in (a_uuid, b_uuid):
                if uuid in self.channels:
                    self._set_call_uuid(self.channels[uuid], call_uuid)
        self._later(update, UPDATES)
        self._later(lambda: self.calls.append(call))

    def _on_channel_unbridge(self, event: OutEvent, h: _Getter) -> None:
        caller, call_uuid = h("Caller-Unique-ID"), h("Channel-Call-UUID")

        def update() -> None:
            for row in self._with_call_uuid(call_uuid):
                self._set_call_uuid(row, row["uuid"])

        def delete_calls() -> None:
            self.calls[:] = [c for c in self.calls
                             if caller not in (c["caller_uuid"], c["callee_uuid"])]
        self._later(update, UPDATES)
        self._later(delete_calls)

    def _on_shutdown(self, event: OutEvent, h: _Getter) -> None:
        def op() -> None:
            self.channels.clear()
            self._by_call.clear()
            self.calls.clear()
        self._later(op, UPDATES)

    def _on_add_schedule(self, event: OutEvent, h: _Getter) -> None:
        task_id = h("Task-ID")
        if not task_id:
            return
        row = {"task_id": task_id, "task_desc": h("Task-Desc"), "task_group": h("Task-Group"),
               "task_runtime": h("Task-Runtime"), "task_sql_manager": h("task-sql_manager") or "0",
               "hostname": self.hostname}
        self._later(lambda: self.tasks.__setitem__(int(task_id), row), lag=self.lag)

    def _on_del_schedule(self, event: OutEvent, h: _Getter) -> None:
        task_id = h("Task-ID")
        if task_id.isdigit():
            self._later(lambda: self._drop_task(int(task_id)), lag=self.lag)

    def _drop_task(self, task_id: int) -> None:
        self.tasks.pop(task_id, None)

    _on_exe_schedule = _on_del_schedule

    def _on_re_schedule(self, event: OutEvent, h: _Getter) -> None:
        task_id = h("Task-ID")
        if task_id.isdigit():
            self._later(lambda: self.tasks.get(int(task_id), {}).update(
                task_desc=h("Task-Desc"), task_group=h("Task-Group"),
                task_runtime=h("Task-Runtime")), lag=self.lag)


class _Getter:
    """switch_event_get_header_nil: first header of a name, case-insensitive, "" if absent.

    Names are written as the emulator's events spell them (the exact lookup is the fast one).
    """

    __slots__ = ("_event",)

    def __init__(self, event: OutEvent) -> None:
        self._event = event

    def __call__(self, name: str) -> str:
        return self._event.first(name) or ""
