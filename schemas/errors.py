"""Errors a user can fix: the command line prints them as one line, without a traceback."""


class PipelineError(Exception):
    """A problem with the user's input or setup; the message says what is wrong and how to fix it."""


class WarehouseBusy(PipelineError):
    """Another process holds the warehouse file (DuckDB admits one writer): retry later."""
