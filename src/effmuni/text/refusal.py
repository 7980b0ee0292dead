"""An error worded from the catalogue: refused arguments, said in the reader's language."""

from __future__ import annotations

from typing import Any

from .catalogue import label

__all__ = ["Refusal"]


class Refusal(ValueError):
    """A request refused before anything ran (an unknown id, a missing file, an unreachable
    scheduler): a catalogue ``key`` and its parameters.

    ``str()`` is the English wording, like the other argument errors of the Python API;
    :meth:`message` words it in Russian or English (the command line uses the language it
    speaks).

    Examples
    --------
    >>> err = Refusal("batch_err_no_notebook", path="report.ipynb")
    >>> str(err), err.message("ru")
    ('notebook not found: report.ipynb', 'блокнот не найден: report.ipynb')
    """

    def __init__(self, key: str, **params: Any):
        self.key = key
        self.params = params
        super().__init__(label(key, "en", **params))

    def message(self, lang: str = "ru") -> str:
        """The refusal worded in ``lang`` ("ru" or "en")."""
        return label(self.key, lang, **self.params)

    def __reduce__(self):  # keyword parameters survive pickling (process pools, Dask)
        return _refusal, (self.key, self.params)


def _refusal(key: str, params: dict) -> Refusal:
    return Refusal(key, **params)
