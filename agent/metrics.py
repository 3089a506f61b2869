"""Prometheus metrics on one registry of our own, exported at GET /metrics.

Subsystems define their metrics next to their code with ``registry=REGISTRY``; the
process-wide ones live here.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

REGISTRY = CollectorRegistry(auto_describe=True)

UP = Gauge("callmeter_up", "1 once callmeter is ready, 0 while starting or stopping",
           registry=REGISTRY)
INFO = Gauge("callmeter_build_info", "Version and store backend", ["version", "store"],
             registry=REGISTRY)
GREENLET_RESTARTS = Counter("callmeter_greenlet_restarts_total",
                            "Supervised greenlets restarted after a crash", ["name"],
                            registry=REGISTRY)
RELOADS = Counter("callmeter_config_reloads_total", "SIGHUP reloads by result", ["result"],
                  registry=REGISTRY)

CONTENT_TYPE = CONTENT_TYPE_LATEST


def render() -> bytes:
    """The registry in the Prometheus text exposition format."""
    return generate_latest(REGISTRY)
