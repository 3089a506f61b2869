"""Fuzzing the API with generated and mutated requests (hypothesis).

Every request, valid or not, must get a well-formed reply of its dialect, never crash the
dispatcher, and leave the store unchanged when it is rejected. A share of the batches is
pipelined over a real TCP connection. Requests per run: CALLMETER_FUZZ_EXAMPLES
(default 20,000), in batches of BATCH: a few requests drawn by hypothesis (valid
arguments of every method with fields replaced, dropped or renamed; arbitrary JSON;
broken envelopes) and mutants of their bytes (flips, cuts, inserted brackets).
"""

from __future__ import annotations

import os
import random
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.rpc import jsonvalue
from agent.rpc.context import CallContext
from agent.rpc.dispatcher import Dispatcher
from agent.rpc.methods import build_table
from agent.rpc.schema import Struct
from rating.store.memory import MemoryStore

from .support import snapshot
from .test_schemas import _full_args
from .transport import LineClient, tcp_server

BATCH = 25
GENERATED = 4  # requests drawn by hypothesis per batch; the rest are mutants of them
TOTAL = int(os.environ.get("CALLMETER_FUZZ_EXAMPLES", "20000"))
TCP_EVERY = 10  # one batch in this many also goes over TCP

TABLE = build_table()
NAMES = TABLE.names()
VALID_ARGS = {name: _full_args(TABLE.resolve(name)) for name in NAMES
              if isinstance(TABLE.resolve(name).schema, Struct)}

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(1 << 70), max_value=1 << 70),
    st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
        lambda d: abs(d.adjusted()) < 400),
    st.text(max_size=20),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.text(max_size=12), children, max_size=4)),
    max_leaves=12,
)
method_names = st.one_of(st.sampled_from(NAMES), st.text(max_size=30),
                         st.sampled_from(["APIerSv1.", ".Ping", "APIerSv9.Ping", "Responder"]))


@st.composite
def mutated_args(draw: st.DrawFn) -> tuple[str, Any]:
    """A method's valid arguments with some fields replaced, dropped or renamed."""
    name = draw(st.sampled_from(sorted(VALID_ARGS)))
    args = dict(VALID_ARGS[name])
    for key in draw(st.lists(st.sampled_from(sorted(args) or ["x"]), max_size=3)):
        action = draw(st.sampled_from(["replace", "drop", "case"]))
        if action == "replace":
            args[key] = draw(json_values)
        elif action == "drop":
            args.pop(key, None)
        else:
            args[key.lower()] = args.pop(key, None)
    return name, args


@st.composite
def request_docs(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 9)) == 0:
        return draw(json_values)  # not even an object
    if draw(st.booleans()):
        method, params = draw(mutated_args())
        params = [params]
    else:
        method, params = draw(method_names), draw(json_values)
    doc: dict[str, Any] = {"method": method, "params": params}
    if draw(st.booleans()):
        doc["id"] = draw(st.one_of(st.integers(), st.text(max_size=8), st.none(),
                                   st.decimals(allow_nan=False, allow_infinity=False, places=2)))
    if draw(st.integers(0, 3)) == 0:
        doc["jsonrpc"] = "2.0"
    if draw(st.integers(0, 5)) == 0:
        doc.pop(draw(st.sampled_from(["method", "params"])), None)
    return doc


MUTATION_BYTES = [b"{", b"}", b"[", b"]", b'"', b"\\", b",", b":", b"\xff", b"\x00", b"1e999"]


def mutate(data: bytes, rnd: random.Random) -> bytes:
    """Byte-level damage: flips, cuts and inserted structural bytes."""
    raw = bytearray(data)
    for _ in range(rnd.randint(1, 4)):
        pos = rnd.randint(0, max(len(raw) - 1, 0))
        op = rnd.random()
        if op < 0.4 and raw:
            raw[pos] = rnd.randint(0, 255)
        elif op < 0.7:
            del raw[pos:pos + rnd.randint(1, 5)]
        else:
            raw[pos:pos] = rnd.choice(MUTATION_BYTES)
    return bytes(raw)


def expand(docs: list[Any], rnd: random.Random) -> list[bytes]:
    """A batch: the generated requests as they are, then mutants of them up to BATCH."""
    texts = [jsonvalue.dumps(doc).encode() for doc in docs]
    while len(texts) < BATCH:
        texts.append(mutate(rnd.choice(texts[:len(docs)]), rnd))
    return texts


def _check_reply(data: bytes, reply: dict[str, Any] | None, before: str,
                 store: MemoryStore) -> None:
    if reply is None:  # only 2.0 notifications go unanswered
        doc = jsonvalue.loads(data)
        assert doc.get("jsonrpc") == "2.0" and "id" not in doc
        return
    if reply.get("jsonrpc") == "2.0":
        assert set(reply) in ({"jsonrpc", "id", "result"}, {"jsonrpc", "id", "error"})
        failed = "error" in reply
        if failed:
            assert isinstance(reply["error"]["code"], int)
            assert isinstance(reply["error"]["message"], str) and reply["error"]["message"]
    else:
        assert set(reply) == {"id", "result", "error"}
        failed = reply["error"] is not None
        assert not failed or (isinstance(reply["error"], str) and reply["result"] is None)
    assert "internal error" not in str(reply), (data, reply)
    if failed:
        assert snapshot(store) == before, (data, reply)


@settings(max_examples=max(TOTAL // BATCH, 1), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.filter_too_much])
@given(docs=st.lists(request_docs(), min_size=GENERATED, max_size=GENERATED),
       rnd=st.randoms(use_true_random=False), over_tcp=st.integers(0, TCP_EVERY - 1))
def test_every_request_gets_a_well_formed_reply_and_rejected_ones_change_nothing(
        docs: list[Any], rnd: random.Random, over_tcp: int) -> None:
    batch = expand(docs, rnd)
    store = MemoryStore()
    dispatcher = Dispatcher(TABLE, CallContext(store=store))
    for data in batch:
        before = snapshot(store)
        reply = dispatcher.handle_text(data)
        encoded = dispatcher.handle_bytes(data) if reply is not None else None
        assert encoded is None or jsonvalue.loads(encoded) is not None
        _check_reply(data, reply, before, store)
    if over_tcp == 0:
        _pipeline_over_tcp(dispatcher, batch)


def _pipeline_over_tcp(dispatcher: Dispatcher, batch: list[bytes]) -> None:
    """Well-formed requests of the batch, pipelined: one reply each, server still up."""
    texts: list[bytes] = []
    for data in batch:
        try:
            doc = jsonvalue.loads(data)
        except Exception:
            continue
        if isinstance(doc, dict):
            doc["id"] = len(texts)
            doc.pop("jsonrpc", None)
            texts.append(jsonvalue.dumps(doc).encode())
    with tcp_server(dispatcher) as port:
        client = LineClient(port)
        client.send(b"\n".join(texts))
        ids = sorted(client.reply()["id"] for _ in texts)
        assert ids == list(range(len(texts)))
        assert LineClient(port).call("APIerSv1.Ping", {})["result"] == "Pong"


def test_decimals_survive_any_round_trip_exactly() -> None:
    @given(st.decimals(allow_nan=False, allow_infinity=False))
    def check(value: Decimal) -> None:
        assert Decimal(jsonvalue.dumps(value)) == value

    check()
