"""One error hierarchy for data that cannot be used.

::

    ValueError
    └── DataError          data that cannot be used as it is (a validation report, or a message)
        ├── ReadFailure    a table file that cannot be read at all
        └── EventLogError  a file that cannot be read as an event log

Catching :class:`DataError` catches them all; each is a :class:`ValueError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only (validate imports this package)
    from ..validate import ValidationReport

__all__ = ["DataError", "EventLogError", "ReadFailure"]


class DataError(ValueError):
    """Data that cannot be used as it is; the message says why.

    Built from a message, or from a :class:`~effmuni.validate.ValidationReport` whose errors
    become the message (the first 20 of them). The report is the ``report`` attribute
    (``None`` when the error was built from a message).

    Examples
    --------
    >>> err = DataError("cases.csv is empty")
    >>> str(err), err.report is None, isinstance(err, ValueError)
    ('cases.csv is empty', True, True)
    """

    report: ValidationReport | None

    def __init__(self, problem: str | ValidationReport):
        if isinstance(problem, str):
            self.report = None
            message = problem
        else:
            self.report = problem
            message = problem.describe_errors(limit=20)
        super().__init__(message)


class ReadFailure(DataError):
    """A table file that cannot be read at all; the message says why in plain words."""


class EventLogError(DataError):
    """A file that cannot be read as an event log; the message names the file and the problem."""
