"""Prefect flows and the `pp` command line.

Prefect is quiet and offline by default here: no telemetry. The project's own loggers reach
each run's logs in the UI beside Prefect's (outside a run they stay local, without a
warning). Users' own settings win."""

import os

for _name, _value in {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_LOGGING_EXTRA_LOGGERS": "adapters,demo,flows,schemas,tasks,warehouse",
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
}.items():
    os.environ.setdefault(_name, _value)
