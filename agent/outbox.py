"""Delivering what actions queued in the store's outbox: HTTP posts and mails.

Jobs are written with the account change that produced them (``Commit.outbox``), so a
crash never loses one. The worker claims due jobs for a lease, delivers them a few at a
time (a bounded gevent pool: one slow server does not hold up the others, and the hub
never waits on a socket), and marks them done, or puts them back with exponential
backoff; after ``outbox.max_attempts`` a job is dropped with an error in the log. A job
may be delivered twice only if a process dies between delivering and marking it done.

The worker is also the engine's ``SideEffects``: ``*http_post`` is posted right after its
commit with ``outbox.http_timeout``; when that fails it goes to the outbox for retries.
"""

from __future__ import annotations

import logging
import os
import smtplib
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING, Any

import gevent
from gevent.event import Event
from gevent.pool import Pool
from prometheus_client import Counter, Gauge

from . import metrics
from .components import Component
from .config import OutboxConfig, SmtpConfig

if TYPE_CHECKING:
    from rating.store import Store

    from .daemon import Daemon

log = logging.getLogger(__name__)

DELIVERED = Counter("callmeter_outbox_delivered_total", "Notifications delivered", ["kind"],
                    registry=metrics.REGISTRY)
FAILED = Counter("callmeter_outbox_failed_attempts_total", "Delivery attempts that failed",
                 ["kind"], registry=metrics.REGISTRY)
DROPPED = Counter("callmeter_outbox_dropped_total", "Notifications given up after every attempt",
                  ["kind"], registry=metrics.REGISTRY)
IN_FLIGHT = Gauge("callmeter_outbox_in_flight", "Notifications being delivered now",
                  registry=metrics.REGISTRY)

CLAIM_BATCH = 50
POLL_SECONDS = 1.0
BACKOFF_START = 1.0


class DeliveryError(Exception):
    """A job could not be delivered this time (the text says why)."""


class Delivery:
    """Performs one job: an HTTP POST or a mail, each bounded by a timeout."""

    def __init__(self, outbox: OutboxConfig, smtp: SmtpConfig) -> None:
        self.outbox = outbox
        self.smtp = smtp

    def __call__(self, job: dict[str, Any]) -> None:
        kind = job.get("kind")
        if kind == "http":
            self.http(job)
        elif kind == "mail":
            self.mail(job)
        else:
            raise DeliveryError(f"unknown job kind {kind!r}")

    def http(self, job: dict[str, Any]) -> None:
        request = urllib.request.Request(
            str(job["url"]), data=str(job.get("body") or "").encode(), method="POST",
            headers={"Content-Type": str(job.get("content_type") or "application/json"),
                     "User-Agent": "callmeter"})
        try:
            with urllib.request.urlopen(request, timeout=self.outbox.http_timeout.seconds) as r:
                r.read(65536)
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"POST {job['url']}: HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryError(f"POST {job['url']}: {reason}") from None

    def mail(self, job: dict[str, Any]) -> None:
        message = EmailMessage()
        message["From"] = self.smtp.sender
        message["To"] = ", ".join(job["to"])
        message["Subject"] = str(job.get("subject") or "")
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain="callmeter")
        message.set_content(str(job.get("body") or ""))
        try:
            with smtplib.SMTP(self.smtp.host, self.smtp.port,
                              timeout=self.smtp.timeout.seconds) as client:
                if self.smtp.starttls:
                    client.starttls()
                if self.smtp.username:
                    client.login(self.smtp.username, self.smtp.password)
                client.send_message(message, to_addrs=list(job["to"]))
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"mail to {message['To']}: {exc}") from None


class OutboxWorker:
    """Claims due jobs and delivers them (see the module docstring)."""

    def __init__(self, store: Store, outbox: OutboxConfig, smtp: SmtpConfig, owner: str,
                 *, deliver: Callable[[dict[str, Any]], None] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.config = outbox
        self.owner = owner
        self.deliver = deliver or Delivery(outbox, smtp)
        self.clock = clock
        self.pool = Pool(outbox.concurrency)
        self._wake = Event()
        self._stopping = Event()
        # a claim lasts well beyond one attempt, so a job is not taken twice meanwhile
        self.lease_ms = int(max(60.0, 3 * outbox.http_timeout.seconds) * 1000)

    # -- SideEffects ----------------------------------------------------------------------------
    def post_now(self, job: dict[str, Any]) -> bool:
        """``*http_post``: deliver right away; False when it failed (it is then queued)."""
        try:
            self.deliver(job)
        except DeliveryError as exc:
            log.warning("%s failed, queued for retries: %s", job.get("action"), exc)
            FAILED.labels(str(job.get("kind"))).inc()
            return False
        DELIVERED.labels(str(job.get("kind"))).inc()
        self._wake.set()  # the failed ones of others may be due too
        return True

    # -- the loop ---------------------------------------------------------------------------------
    def kick(self) -> None:
        """Look for due jobs now (jobs were just queued)."""
        self._wake.set()

    queued = kick  # SideEffects: the engine committed jobs to the outbox

    def run(self) -> None:
        """The supervised loop: deliver what is due, then wait for a kick or the poll."""
        while not self._stopping.is_set():
            self._wake.clear()
            if self.deliver_due() == CLAIM_BATCH:
                continue  # there may be more right away
            self._wake.wait(POLL_SECONDS)

    def stop(self, timeout: float) -> None:
        """Stop claiming; let deliveries in flight finish within timeout."""
        self._stopping.set()
        self._wake.set()
        self.pool.join(timeout=timeout)

    def deliver_due(self) -> int:
        """Claim one batch of due jobs and deliver them; how many were claimed."""
        now_ms = int(self.clock() * 1000)
        claimed = self.store.outbox_claim(self.owner, CLAIM_BATCH, self.lease_ms, now_ms)
        for entry in claimed:
            self.pool.spawn(self._attempt, entry)
        self.pool.join()
        return len(claimed)

    def _attempt(self, entry: dict[str, Any]) -> None:
        job, attempts = entry["job"], int(entry.get("attempts") or 0) + 1
        kind = str(job.get("kind"))
        IN_FLIGHT.inc()
        try:
            self.deliver(job)
        except DeliveryError as exc:
            FAILED.labels(kind).inc()
            self._failed(entry, attempts, exc)
            return
        except Exception:  # a bug in a job or in delivery: never lose the job silently
            log.exception("delivering outbox job %s failed unexpectedly", entry["id"])
            FAILED.labels(kind).inc()
            self._failed(entry, attempts, DeliveryError("unexpected error"))
            return
        finally:
            IN_FLIGHT.dec()
        DELIVERED.labels(kind).inc()
        self.store.outbox_done(entry["id"])

    def _failed(self, entry: dict[str, Any], attempts: int, exc: DeliveryError) -> None:
        job = entry["job"]
        if attempts >= self.config.max_attempts:
            DROPPED.labels(str(job.get("kind"))).inc()
            log.error("outbox job %s (%s for %s) dropped after %d attempts: %s", entry["id"],
                      job.get("action"), job.get("account") or "no account", attempts, exc)
            self.store.outbox_done(entry["id"])
            return
        delay = min(self.config.max_backoff.seconds, BACKOFF_START * 2 ** (attempts - 1))
        log.warning("outbox job %s attempt %d failed, next in %.0fs: %s", entry["id"], attempts,
                    delay, exc)
        self.store.outbox_retry(entry["id"], int((self.clock() + delay) * 1000), attempts)


class OutboxComponent(Component):
    """Starts the outbox worker and makes it the engine's SideEffects."""

    name = "outbox"

    def __init__(self, daemon: Daemon, engine: Any) -> None:
        """`engine`: the Engine, or the component that holds it once started (``.engine``)."""
        self.daemon = daemon
        self._engine = engine
        self.engine: Any = None
        self.worker: OutboxWorker | None = None

    def start(self) -> None:
        self.engine = getattr(self._engine, "engine", None) or self._engine
        config = self.daemon.config
        owner = f"outbox:{self.daemon.node_id}:{os.getpid()}"
        self.worker = OutboxWorker(self.engine.store, config.outbox, config.smtp, owner)
        self.engine.side_effects = self.worker
        self.daemon.supervisor.spawn("outbox", self.worker.run)
        log.info("outbox worker started (concurrency %d, %d attempts at most)",
                 config.outbox.concurrency, config.outbox.max_attempts)

    def stop(self, timeout: float) -> None:
        if self.worker is not None:
            self.engine.side_effects = None
            with gevent.Timeout(timeout + 1.0, False):
                self.worker.stop(timeout)

    def status(self) -> str:
        return "outbox worker" if self.worker else ""
