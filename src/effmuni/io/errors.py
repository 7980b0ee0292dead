"""One error hierarchy for data that cannot be used, and the problems it names.

::

    ValueError
    └── DataError          data that cannot be used as it is (a validation report, or a message)
        ├── ReadFailure    a table file that cannot be read at all (a :class:`Problem`)
        └── EventLogError  a file that cannot be read as an event log

Catching :class:`DataError` catches them all; each is a :class:`ValueError`.

A :class:`Problem` is a code and its parameters, free of any language: it is worded from the
catalogue of words (keys ``val_<code>``) only where it is shown, in Russian or English.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only (validate imports this package)
    from ..validate import ValidationReport

__all__ = ["DataError", "EventLogError", "Problem", "ReadFailure"]


@dataclass(frozen=True)
class Problem:
    """A problem found in data: a ``code`` (catalogue key ``val_<code>``) and its parameters.

    Examples
    --------
    >>> p = Problem("read_empty", {"name": "cases.csv"})
    >>> p.text("ru"), p.text("en")
    ('файл cases.csv пуст', 'cases.csv is empty')
    """

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str = "ru") -> str:
        """The problem worded in ``lang`` ("ru" or "en")."""
        from ..text import problem_text

        return problem_text(self.code, lang, **self.params)


class DataError(ValueError):
    """Data that cannot be used as it is; the message says why.

    Built from a message, or from a :class:`~effmuni.validate.ValidationReport` whose errors
    become the message (grouped by file, column and problem, each kind with its number of rows
    and first rows; the first 20 kinds, in the report's language). The report is the
    ``report`` attribute (``None`` when the error was built from a message);
    :meth:`message` words it in another language.

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
            message = problem.describe_errors(limit=20, grouped=True)
        super().__init__(message)

    def message(self, lang: str = "ru", *, limit: int | None = 20) -> str:
        """The message in ``lang``: a report's errors grouped (at most ``limit`` kinds), else
        as given."""
        if self.report is not None:
            return self.report.describe_errors(limit=limit, lang=lang, grouped=True)
        return str(self)


class ReadFailure(DataError):
    """A table file that cannot be read at all: a :class:`Problem` worded in plain words.

    ``str()`` is the Russian wording; :meth:`message` gives either language.

    Examples
    --------
    >>> err = ReadFailure("read_empty", name="cases.csv")
    >>> err.problem.code, err.message("en")
    ('read_empty', 'cases.csv is empty')
    """

    def __init__(self, code: str, **params):
        self.problem = Problem(code, params)
        super().__init__(self.problem.text("ru"))

    def message(self, lang: str = "ru", *, limit: int | None = 20) -> str:
        return self.problem.text(lang)

    def __reduce__(self):  # keyword parameters survive pickling (process pools)
        return _read_failure, (self.problem.code, self.problem.params)


def _read_failure(code: str, params: dict) -> ReadFailure:
    return ReadFailure(code, **params)


class EventLogError(DataError):
    """A file that cannot be read as an event log; the message names the file and the problem."""
