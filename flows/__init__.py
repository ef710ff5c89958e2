"""Prefect flows and the `pp` command line.

Prefect is quiet and offline by default here: no telemetry. The project's own loggers reach
each run's logs in the UI beside Prefect's (outside a run they stay local, without a
warning). Users' own settings win."""

import logging
import os

PROJECT_LOGGERS = "adapters,demo,flows,schemas,tasks,warehouse"  # prefect.yaml's runs name them too

for _name, _value in {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_LOGGING_EXTRA_LOGGERS": PROJECT_LOGGERS,
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
}.items():
    os.environ.setdefault(_name, _value)

# Prefect hands its extra loggers its handlers, not its level: the project's own lines (a
# run's outcome, at INFO) are kept at Prefect's level instead of the root logger's WARNING.
_level = os.environ.get("PREFECT_LOGGING_LEVEL", "INFO").upper()
if isinstance(logging.getLevelName(_level), int):
    for _logger in PROJECT_LOGGERS.split(","):
        logging.getLogger(_logger).setLevel(_level)
