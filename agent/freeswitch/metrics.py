"""The FreeSWITCH agent's Prometheus metrics (exported at GET /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from agent.metrics import REGISTRY

_LATENCY = (0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

SESSIONS = Gauge("callmeter_fs_sessions_active", "Calls callmeter meters now",
                 ["request_type"], registry=REGISTRY)
AUTHORIZATIONS = Counter("callmeter_fs_authorizations_total",
                         "Parked calls answered, by cgr_notify result", ["result"],
                         registry=REGISTRY)
AUTHORIZE_SECONDS = Histogram("callmeter_fs_authorize_seconds",
                              "From reading CHANNEL_PARK to FreeSWITCH accepting uuid_transfer",
                              buckets=_LATENCY, registry=REGISTRY)
DEBITS = Counter("callmeter_fs_debits_total", "Session debits by result", ["result"],
                 registry=REGISTRY)
DEBIT_SECONDS = Histogram("callmeter_fs_debit_seconds", "Time one debit took in the engine",
                          buckets=_LATENCY, registry=REGISTRY)
DEBIT_LATENESS = Histogram("callmeter_fs_debit_lateness_seconds",
                           "How late a debit started after its due time", buckets=_LATENCY,
                           registry=REGISTRY)
CUTOFF_LATENESS = Histogram("callmeter_fs_cutoff_lateness_seconds",
                            "How late a cut-off hangup was sent after its due time",
                            buckets=_LATENCY, registry=REGISTRY)
HANGUPS = Counter("callmeter_fs_hangups_total", "Calls callmeter hung up, by reason",
                  ["reason"], registry=REGISTRY)
SETTLEMENTS = Counter("callmeter_fs_settlements_total", "Calls settled, by result",
                      ["result"], registry=REGISTRY)
WRITTEN_OFF = Counter("callmeter_fs_written_off_seconds_total",
                      "Talk time used beyond what a prepaid account could pay", registry=REGISTRY)
CONNECTED = Gauge("callmeter_fs_connection_up", "1 while the ESL connection is up",
                  ["switch", "link"], registry=REGISTRY)
RECONNECTS = Counter("callmeter_fs_reconnects_total", "ESL connections (re)established",
                     ["switch", "link"], registry=REGISTRY)
EVENTS = Counter("callmeter_fs_events_total", "ESL events received, by name", ["name"],
                 registry=REGISTRY)
EVENTS_DROPPED = Counter("callmeter_fs_events_dropped_total",
                         "Work items dropped because the call queues were full",
                         registry=REGISTRY)
QUEUE_DEPTH = Gauge("callmeter_fs_event_queue_depth", "Work items waiting in per-call queues",
                    registry=REGISTRY)
COMMAND_ERRORS = Counter("callmeter_fs_command_errors_total",
                         "ESL commands that failed or timed out", ["kind"], registry=REGISTRY)
SYNCS = Counter("callmeter_fs_syncs_total", "Channel syncs by result", ["switch", "result"],
                registry=REGISTRY)
STORE_ERRORS = Counter("callmeter_fs_store_errors_total",
                       "Store operations of the agent that failed", ["operation"],
                       registry=REGISTRY)
