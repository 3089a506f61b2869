"""Logging to stderr, one line per event; journald adds the time when run by systemd."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import MutableMapping
from typing import Any

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JOURNAL_FORMAT = "<%(syslog_level)s>%(levelname)s %(name)s: %(message)s"
_SYSLOG = {"DEBUG": 7, "INFO": 6, "WARNING": 4, "ERROR": 3, "CRITICAL": 2}


class _JournalFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        record.syslog_level = _SYSLOG.get(record.levelname, 6)
        return super().format(record)


def setup_logging(level: str) -> None:
    """Send every log line to stderr at `level`; under journald use its priority prefixes."""
    handler = logging.StreamHandler(sys.stderr)
    if os.environ.get("JOURNAL_STREAM"):
        handler.setFormatter(_JournalFormatter(JOURNAL_FORMAT))
    else:
        handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def set_level(level: str) -> None:
    logging.getLogger().setLevel(level)


class CallLog(logging.LoggerAdapter):  # type: ignore[type-arg]
    """A logger that prefixes every line with the call's UUID and account."""

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        extra = self.extra or {}
        return f"[call={extra.get('uuid', '-')} account={extra.get('account', '-')}] {msg}", kwargs


def call_log(logger: logging.Logger, uuid: str, account: str) -> CallLog:
    """The logger to use for everything that concerns one call."""
    return CallLog(logger, {"uuid": uuid, "account": account})
