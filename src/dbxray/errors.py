"""User-facing errors: one clear line, never a traceback, never a password."""

EXIT_ERROR = 2  # bad input, cannot connect
EXIT_INTERNAL = 3  # a bug in dbxray


class DbxrayError(Exception):
    """An error the CLI prints as one line and turns into a non-zero exit code."""

    exit_code = EXIT_ERROR


class ConnectionFailed(DbxrayError):
    """The server could not be reached or refused us (bad DSN, host down, auth, missing database)."""


class BadInput(DbxrayError):
    """The user gave us something we cannot use (a malformed plan, several statements, a bad option)."""


class UnsafeStatement(BadInput):
    """A statement dbxray refuses to run (data-changing without --analyze, multiple statements)."""
