"""Notifications leave through the outbox: real HTTP and SMTP servers, retries, restarts."""

from __future__ import annotations

import logging
import threading
from decimal import Decimal
from pathlib import Path

import pytest

from agent.config import Duration, OutboxConfig, SmtpConfig
from agent.outbox import DeliveryError, OutboxWorker
from rating.engine import Engine
from rating.store import Store
from rating.store.sqlite import SqliteStore

from .servers import http_hook, smtp_server
from .support import make_engine

ACCOUNT = ("cgrates.org", "1001")


class Clock:
    """Seconds since the epoch that tests move by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def worker(store: Store, clock: Clock | None = None, *, attempts: int = 3,
           timeout: str = "2s", smtp_port: int = 25) -> OutboxWorker:
    config = OutboxConfig(http_timeout=Duration.parse(timeout), max_attempts=attempts,
                          max_backoff=Duration.parse("1m"), concurrency=4)
    smtp = SmtpConfig(host="127.0.0.1", port=smtp_port, sender="billing@example.org",
                      timeout=Duration.parse("5s"))
    return OutboxWorker(store, config, smtp, "test-worker", clock=clock or Clock())


def post_action(engine: Engine, url: str, kind: str = "*http_post_async") -> None:
    engine.set_actions("NOTIFY", [{"Identifier": "*topup", "BalanceId": "main",
                                   "BalanceType": "*monetary", "Units": Decimal(5),
                                   "Weight": Decimal(20)},
                                  {"Identifier": kind, "ExtraParameters": url,
                                   "Weight": Decimal(10)}], overwrite=True)
    engine.execute_action(*ACCOUNT, "NOTIFY")


@pytest.fixture
def engine(any_store: Store) -> Engine:
    eng = make_engine(any_store)
    eng.set_account(*ACCOUNT)
    return eng


def test_async_post_is_delivered_with_the_account_json(engine: Engine, any_store: Store) -> None:
    with http_hook() as hook:
        post_action(engine, hook.url)
        assert hook.bodies() == []  # nothing leaves before the worker delivers
        assert worker(any_store).deliver_due() == 1
        (body,) = hook.bodies()
    assert body is not None and body["ID"] == "cgrates.org:1001"
    assert body["BalanceMap"]["*monetary"][0]["Value"] == 5
    assert worker(any_store).deliver_due() == 0  # done: never delivered twice


def test_failed_posts_are_retried_with_backoff(engine: Engine, any_store: Store) -> None:
    clock = Clock()
    with http_hook(statuses=[500, 503]) as hook:
        post_action(engine, hook.url)
        w = worker(any_store, clock, attempts=5)
        assert w.deliver_due() == 1  # first attempt: 500
        assert w.deliver_due() == 0  # not due before its backoff (1 s)
        clock.now += 1.5
        assert w.deliver_due() == 1  # second attempt: 503
        clock.now += 1.5
        assert w.deliver_due() == 0  # the backoff doubled (2 s)
        clock.now += 1
        assert w.deliver_due() == 1
        assert len(hook.bodies()) == 1


def test_a_job_is_dropped_after_max_attempts(engine: Engine, any_store: Store,
                                              caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    with http_hook(statuses=[500] * 10) as hook:
        post_action(engine, hook.url)
        w = worker(any_store, clock, attempts=2)
        w.deliver_due()
        clock.now += 60
        with caplog.at_level(logging.ERROR, logger="agent.outbox"):
            w.deliver_due()
        clock.now += 3600
        assert w.deliver_due() == 0
        assert hook.bodies() == []
    assert "dropped after 2 attempts" in caplog.text


def test_a_server_that_does_not_answer_times_out(engine: Engine, any_store: Store) -> None:
    stuck = threading.Event()
    with http_hook(delay=stuck) as hook:
        post_action(engine, hook.url)
        w = worker(any_store, timeout="200ms")
        with pytest.raises(DeliveryError, match="timed out"):
            w.deliver({"kind": "http", "url": hook.url, "body": "{}"})
        assert w.deliver_due() == 1  # the attempt failed and was put back
        stuck.set()


def test_sync_post_happens_right_after_the_commit(engine: Engine, any_store: Store) -> None:
    with http_hook() as hook:
        engine.side_effects = worker(any_store)
        post_action(engine, hook.url, "*http_post")
        (body,) = hook.bodies()  # posted before execute_action returned
    assert body is not None and body["ID"] == "cgrates.org:1001"
    assert worker(any_store).deliver_due() == 0


def test_a_failed_sync_post_is_queued_for_retries(engine: Engine, any_store: Store) -> None:
    with http_hook(statuses=[500]) as hook:
        engine.side_effects = worker(any_store)
        post_action(engine, hook.url, "*http_post")
        assert hook.bodies() == []
        assert worker(any_store).deliver_due() == 1
        assert len(hook.bodies()) == 1


def test_queued_posts_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "callmeter.db"
    with http_hook() as hook:
        first = SqliteStore(path)
        engine = make_engine(first)
        engine.set_account(*ACCOUNT)
        post_action(engine, hook.url)
        first.close()  # the process stops before delivering
        second = SqliteStore(path)
        try:
            assert worker(second).deliver_due() == 1
        finally:
            second.close()
        assert len(hook.bodies()) == 1


def test_mail_async_is_sent_through_the_configured_smtp_server(engine: Engine,
                                                               any_store: Store) -> None:
    with smtp_server() as (mailbox, port):
        engine.set_actions("MAIL", [{"Identifier": "*mail_async",
                                     "ExtraParameters": "ops@example.org;owner@example.org",
                                     "Weight": Decimal(1)}])
        engine.execute_action(*ACCOUNT, "MAIL")
        assert worker(any_store, smtp_port=port).deliver_due() == 1
    ((sender, rcpts, content),) = mailbox.messages
    assert sender == "billing@example.org"
    assert rcpts == ["ops@example.org", "owner@example.org"]
    assert "Subject: [CGR Notification] Threshold hit on Balance: cgrates.org:1001" in content
    assert "CGR Balance Monitor" in content


def test_unreachable_smtp_server_is_a_delivery_error(any_store: Store) -> None:
    from tests.support.net import free_port

    w = worker(any_store, smtp_port=free_port())
    with pytest.raises(DeliveryError, match=r"mail to a@example\.org"):
        w.deliver({"kind": "mail", "to": ["a@example.org"], "subject": "s", "body": "b"})
