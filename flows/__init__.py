"""Prefect flows and the `pp` command line.

Prefect is quiet and offline by default here: no telemetry, and enough time for its
temporary server to migrate its database on a first run. Users' own settings win."""

import os

for _name, _value in {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
}.items():
    os.environ.setdefault(_name, _value)
