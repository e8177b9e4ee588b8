"""The exceptions npscli raises, and the exit codes the CLI maps them to.

Every error a user can cause (a bad file, a bad flag value, an unknown ticket) is an ``NpsError``.
The CLI's single error wrapper (``npscli.cli.errors``) prints ``str(error)`` as one line, then the
``hint`` if there is one, and exits with ``exit_code``. Messages must never contain the contents of a
survey row (patient data): name the file, the row number and the column instead.

Exit codes (documented in the README):

    0  success
    1  internal error (a bug; re-run with --debug for the traceback)
    2  usage error (bad flag or argument)
    3  input error (a file that cannot be read, a column that cannot be found, a rejected row under --strict)
    4  store error (database unreachable, schema newer than this version, integrity problem)
    5  not found (unknown ticket id, import batch, template)
    6  conflict (invalid ticket transition, another run holds the lock)
    7  delivery failure (some alerts or reports could not be sent; they stay pending)
    8  configuration error (broken npscli.toml, unknown setting)
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    INTERNAL = 1
    USAGE = 2
    INPUT = 3
    STORE = 4
    NOT_FOUND = 5
    CONFLICT = 6
    DELIVERY = 7
    CONFIG = 8


class NpsError(Exception):
    """Base of every error a user can cause. ``hint`` says how to fix it."""

    exit_code: ExitStatus = ExitStatus.INTERNAL

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(NpsError, ValueError):
    """A flag or argument value that cannot be understood (``--since 7x``, ``--by colour``)."""

    exit_code = ExitStatus.USAGE


class InputFileError(NpsError, OSError):
    """A file that is missing, empty, corrupt, undecodable or not a survey export."""

    exit_code = ExitStatus.INPUT


class ColumnError(NpsError, KeyError):
    """A required column (the score, the time) could not be found or is not what it claims to be."""

    exit_code = ExitStatus.INPUT

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return self.message


class RowError(NpsError, ValueError):
    """A row that cannot be imported, raised only under ``--strict`` (otherwise rows are rejected)."""

    exit_code = ExitStatus.INPUT


class StoreError(NpsError, RuntimeError):
    """The store cannot be opened, migrated or written."""

    exit_code = ExitStatus.STORE


class NotFoundError(NpsError, LookupError):
    """An id (ticket, batch, template) that does not exist."""

    exit_code = ExitStatus.NOT_FOUND


class ConflictError(NpsError, RuntimeError):
    """An action that the current state forbids: an invalid ticket transition, a held lock."""

    exit_code = ExitStatus.CONFLICT


class DeliveryError(NpsError, RuntimeError):
    """Some messages could not be delivered; what was not sent stays pending for the next run."""

    exit_code = ExitStatus.DELIVERY


class ConfigError(NpsError, ValueError):
    """A configuration file or setting that cannot be used."""

    exit_code = ExitStatus.CONFIG


class TemplateError(NpsError, ValueError):
    """A template that cannot be found or rendered (a missing variable, a syntax error, a sandbox breach)."""

    exit_code = ExitStatus.CONFIG
