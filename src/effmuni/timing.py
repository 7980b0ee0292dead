"""Per-case timings of an event log: lead time, work and wait time, handoffs.

:func:`case_timings` turns an event log (as returned by :func:`effmuni.io.read_event_log`)
into one row per case. Everything is vectorised with numpy and pandas; no Python loop runs over
events or cases:

- case ids are dictionary-encoded. When each case's events are contiguous (the usual export
  order) the codes are the run numbers of the column, found by comparing neighbours (with
  Arrow kernels for Arrow-backed text), and no hashing of the whole column is needed;
  otherwise :func:`pandas.factorize` is used;
- activities and resources read from CSV by :func:`effmuni.io.read_event_log` come with the
  integer codes of pyarrow's dictionary-encoded read (kept for the unchanged column), so they
  are not hashed or compared as text again; other logs are factorized here;
- events are put in (case, end) order only when they are not in it already (checked in one
  vectorised pass), so an ordered log is never sorted;
- per-case first/last timestamps and counts are ``reduceat`` reductions over the case
  segments; distinct activities are a bitwise OR of one-hot masks per case (a hashed
  (case, activity) key when there are more than 64 activities); handoffs compare
  neighbouring resources directly;
- work time is the length of the union of the intervals ``[start, end]`` of a case, swept in
  (case, start) order: a new block of the union begins where a start lies after the running
  maximum of the case's previous ends (the previous end itself when ends already increase,
  else pandas' grouped ``cummax``, exact in int64), and each interval adds the part of it
  beyond that running maximum.

Timestamps are handled as int64 microseconds since the epoch (UTC for timezone-aware logs);
results keep the log's time zone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .calendar import workdays_between
from .io import MOSCOW_TZ
from .io.logframe import known_codes

__all__ = ["CASE_TIMING_COLUMNS", "case_timings", "split_at"]

CASE_TIMING_COLUMNS = (
    "case_id",
    "start",
    "end",
    "lead_time_days",
    "n_events",
    "n_activities",
    "n_handoffs",
    "work_time_hours",
    "wait_time_hours",
)
_US_PER_HOUR = 3_600_000_000
_US_PER_DAY = 24 * _US_PER_HOUR
_NAT = np.iinfo(np.int64).min
_LATEST = np.iinfo(np.int64).max
# number of set bits of every byte value, to count activities in a 64-bit mask
_POPCOUNT8 = np.array([bin(i).count("1") for i in range(256)], dtype=np.int64)


def case_timings(
    log: pd.DataFrame,
    calendar: str | None = None,
    *,
    as_of=None,
    end_activities=None,
) -> pd.DataFrame:
    """One row per case with its lead time, work and wait time, and handoffs.

    Parameters
    ----------
    log : pandas.DataFrame
        An event log with ``case_id``, ``activity`` and ``end`` (datetimes) and optionally
        ``start`` (datetimes) and ``resource``, as returned by
        :func:`effmuni.io.read_event_log`. Timestamps may be timezone-aware or naive
        (naive ones are taken as Moscow local time for the calendar).
    calendar : {None, "ru"}, optional
        With ``"ru"``, also ``lead_time_workdays``: the lead time in working days of the
        Russian production calendar (:func:`effmuni.calendar.workdays_between`), counted on
        Moscow local time.
    as_of : str or datetime, optional
        The extract date: the log as it stood then. Events ending (or starting) after it are
        ignored, a case with such events was still open, and a case all of whose events come
        later did not exist yet. A naive date is read in the log's time zone.
    end_activities : collection of str, optional
        Activities that finish a case (e.g. ``{"Выдача результата"}``): a case whose last
        event (in order of ``end``) is another activity is still open.

        With ``as_of`` or ``end_activities``, the table gets a ``complete`` column, and an
        open case gets NaN ``lead_time_days``, ``wait_time_hours`` (and
        ``lead_time_workdays``): its duration is not known yet, only that it exceeds the time
        since its ``start``; :func:`effmuni.estimate_savings` and
        :func:`effmuni.period_lead_times` treat it as right-censored. Its ``end`` is its last
        event so far and ``work_time_hours`` the work done so far. When ``end_activities`` is
        given without ``as_of``, the log's latest timestamp is the extract date, and
        ``attrs["note"]`` says so (``attrs["as_of"]`` holds the date used). Without both,
        every case counts as complete, as it always did.

    Returns
    -------
    pandas.DataFrame
        One row per case, in order of the case's first appearance in ``log``:

        ``case_id``
            As in the log.
        ``start``, ``end``
            The case's first and last timestamp, over the ``start`` and ``end`` columns.
        ``lead_time_days``
            ``end - start`` in calendar days (float).
        ``n_events``, ``n_activities``
            Number of events (rows), and of distinct activities.
        ``n_handoffs``
            Number of changes of resource between consecutive events of the case, in order
            of ``end`` (ties in log order). Events without a resource are skipped, so
            A, (none), B counts one handoff and A, (none), A none.
        ``work_time_hours``
            Length of the union of the case's intervals ``[start, end]`` (overlapping work
            counts once); events without a start count zero and an interval whose start is
            after its end is empty. NaN when no event of the case has a start.
        ``wait_time_hours``
            Lead time minus work time, in hours; NaN when work time is NaN.
        ``lead_time_workdays``
            Only with ``calendar="ru"``.
        ``complete``
            Only with ``as_of`` or ``end_activities``: False for a case still open.

    Raises
    ------
    ValueError
        When a required column is missing, is not datetimes, or has missing values.

    Examples
    --------
    >>> log = pd.DataFrame(
    ...     {
    ...         "case_id": ["A", "A", "A", "B"],
    ...         "activity": ["приём", "проверка", "решение", "приём"],
    ...         "start": pd.to_datetime(
    ...             ["2024-04-26 09:00", "2024-04-26 10:00", "2024-04-27 09:00", None]
    ...         ),
    ...         "end": pd.to_datetime(
    ...             ["2024-04-26 11:00", "2024-04-26 12:00", "2024-04-27 10:00",
    ...              "2024-04-26 09:30"]
    ...         ),
    ...         "resource": ["Иванова", "Петров", "Петров", "Иванова"],
    ...     }
    ... )
    >>> t = case_timings(log, calendar="ru")
    >>> t[["case_id", "n_events", "n_handoffs", "work_time_hours", "wait_time_hours"]]
      case_id  n_events  n_handoffs  work_time_hours  wait_time_hours
    0       A         3           1              4.0             21.0
    1       B         1           0              NaN              NaN
    >>> t["lead_time_days"].round(4).tolist(), t["lead_time_workdays"].round(4).tolist()
    ([1.0417, 0.0], [1.0417, 0.0])
    """
    if calendar not in (None, "ru"):
        raise ValueError(f"calendar must be None or 'ru', not {calendar!r}")
    if as_of is not None or end_activities is not None:
        return _open_or_complete(log, calendar, as_of, end_activities)
    missing = [c for c in ("case_id", "activity", "end") if c not in log.columns]
    if missing:
        raise ValueError(
            f"the log has no {', '.join(repr(c) for c in missing)} column; expected the "
            f"columns of read_event_log (case_id, activity, start, end, resource), got "
            f"{', '.join(repr(str(c)) for c in log.columns)}"
        )
    n = len(log)
    end, tz = _instants(log["end"], "end")
    if n and (end == _NAT).any():
        rows = np.flatnonzero(end == _NAT)[:5].tolist()
        raise ValueError(f"'end' has missing timestamps (rows at positions {rows})")
    if "start" in log.columns:
        start, start_tz = _instants(log["start"], "start")
        if (start_tz is None) != (tz is None) and (start != _NAT).any():
            raise ValueError("'start' and 'end' must both be timezone-aware or both naive")
    else:
        start = np.full(n, _NAT, dtype=np.int64)
    codes, cases, grouped = _case_codes(log["case_id"])
    n_cases = len(cases)

    # events in (case, end) order; an already ordered log is used as it is
    same = codes[1:] == codes[:-1]
    if grouped and bool(np.all(~same | (end[1:] >= end[:-1]))):
        order = None
    else:
        order = np.lexsort((end, codes))
        codes, end, start = codes[order], end[order], start[order]
        same = codes[1:] == codes[:-1]
    seg = np.flatnonzero(np.r_[True, ~same]) if n else np.zeros(0, dtype=np.int64)
    seg_last = np.r_[seg[1:], n] - 1 if n else seg

    n_events = np.diff(np.r_[seg, n]).astype(np.int64)
    has_start = start != _NAT
    first = end[seg]
    last = end[seg_last]
    if has_start.any():
        earliest = start if has_start.all() else np.where(has_start, start, _LATEST)
        first = np.minimum(first, np.minimum.reduceat(earliest, seg))
        last = np.maximum(last, np.maximum.reduceat(start, seg))  # NaT is the int64 minimum
    lead_us = (last - first).astype(np.float64)

    n_activities = _distinct_per_case(log["activity"], order, seg, codes, n_cases)
    if "resource" in log.columns:
        known, differ = _resource_changes(log["resource"], order)
        n_handoffs = _handoffs(known, differ, codes, n_cases)
    else:
        n_handoffs = np.zeros(n_cases, dtype=np.int64)
    work_us = _union_length(codes, start, end, has_start, n_cases)

    out = pd.DataFrame(
        {
            "case_id": cases,
            "start": _to_datetimes(first, tz),
            "end": _to_datetimes(last, tz),
            "lead_time_days": lead_us / _US_PER_DAY,
            "n_events": n_events,
            "n_activities": n_activities,
            "n_handoffs": n_handoffs,
            "work_time_hours": work_us / _US_PER_HOUR,
            "wait_time_hours": (lead_us - work_us) / _US_PER_HOUR,
        }
    )
    if calendar == "ru":
        out["lead_time_workdays"] = _workdays(out["start"], out["end"])
    return out


def _open_or_complete(log, calendar, as_of, end_activities) -> pd.DataFrame:
    """:func:`case_timings` with a ``complete`` column (see its ``as_of``, ``end_activities``)."""
    for col in ("case_id", "end"):
        if col not in log.columns:
            return case_timings(log, calendar)  # raises with the usual message
    end = log["end"]
    tz = getattr(end.dt, "tz", None) if pd.api.types.is_datetime64_any_dtype(end) else None
    note = ""
    if as_of is None:
        latest = [end.max()] + ([log["start"].max()] if "start" in log.columns else [])
        when = max((t for t in latest if pd.notna(t)), default=pd.NaT)
        note = "as_of not given: the log's latest timestamp is the extract date"
        kept, continued = log, pd.Series(False, index=[])
    else:
        when = pd.Timestamp(as_of)
        if tz is not None and when.tzinfo is None:
            when = when.tz_localize(tz)
        later = (end > when).to_numpy(dtype=bool, copy=True)
        if "start" in log.columns:
            later = later | (log["start"] > when).to_numpy(dtype=bool)
        kept = log.loc[~later]
        continued = pd.Series(True, index=pd.unique(log.loc[later, "case_id"]))
    out = case_timings(kept, calendar)
    complete = ~out["case_id"].isin(continued.index).to_numpy()
    if end_activities is not None and len(kept):
        o = np.lexsort((np.arange(len(kept)), _instants(kept["end"], "end")[0]))
        last = kept.iloc[o].groupby("case_id", sort=False)["activity"].last()
        complete &= out["case_id"].map(last).isin(list(end_activities)).to_numpy(dtype=bool)
    out["complete"] = complete
    cols = ["lead_time_days", "wait_time_hours"]
    cols += ["lead_time_workdays"] if "lead_time_workdays" in out.columns else []
    out.loc[~complete, cols] = np.nan
    out.attrs["as_of"] = when
    if note:
        out.attrs["note"] = note
    return out


def _instants(s: pd.Series, name: str) -> tuple[np.ndarray, object]:
    """Microseconds since the epoch (UTC for aware values; NaT = int64 min) and the zone."""
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        tz = s.dt.tz
        s = s.dt.tz_convert(None)
    elif pd.api.types.is_datetime64_dtype(s.dtype):
        tz = None
    elif s.isna().all():
        return np.full(len(s), _NAT, dtype=np.int64), None
    else:
        raise ValueError(
            f"{name!r} must hold datetimes (dtype {s.dtype}); read the log with "
            "effmuni.read_event_log or convert it with pandas.to_datetime"
        )
    if s.dt.unit != "us":
        s = s.dt.as_unit("us")
    return s.to_numpy().view(np.int64), tz


def _to_datetimes(us: np.ndarray, tz: object) -> pd.Series:
    values = pd.Series(us.view("datetime64[us]"))
    return values if tz is None else values.dt.tz_localize("UTC").dt.tz_convert(tz)


def _case_codes(case: pd.Series) -> tuple[np.ndarray, pd.Series, bool]:
    """Dictionary-encode case ids: codes in order of first appearance, the ids, contiguity.

    When every case's events are contiguous, the codes are the numbers of the runs of equal
    neighbours (one vectorised comparison), after checking that no id heads two runs.
    """
    if case.isna().any():
        rows = np.flatnonzero(case.isna().to_numpy())[:5].tolist()
        raise ValueError(f"'case_id' has missing values (rows at positions {rows})")
    values = case.array
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64), case.reset_index(drop=True), True
    known = known_codes(case)  # read_event_log's codes (CSV): no comparing of text needed
    if known is not None:
        codes, dictionary = known
        step = np.diff(codes)
        if codes[0] == 0 and bool(np.all((step == 0) | (step == 1))):
            # contiguous cases, numbered in order of appearance: the dictionary is the ids
            ids = dictionary.cast(pa.large_string()).to_pandas().astype(case.dtype)
            return codes.astype(np.int64), ids, True
    arrow = getattr(values, "_pa_array", None)
    if isinstance(case.dtype, pd.StringDtype) and isinstance(arrow, pa.ChunkedArray):
        # text in Arrow (read_event_log's): compare and pick the run heads with Arrow kernels
        change = pc.not_equal(arrow[1:], arrow[:-1]).to_numpy(zero_copy_only=False)
        head = np.r_[True, change]
        head_ids = pc.filter(arrow, pa.array(head))
        if pc.count_distinct(head_ids).as_py() == len(head_ids):
            ids = head_ids.to_pandas().astype(case.dtype)
            return np.cumsum(np.r_[0, change], dtype=np.int64), ids, True
    else:
        change = np.asarray(values[1:] != values[:-1], dtype=bool)
        heads = np.flatnonzero(np.r_[True, change])
        head_ids = values.take(heads)
        if len(pd.unique(head_ids)) == len(heads):
            return np.cumsum(np.r_[0, change], dtype=np.int64), pd.Series(head_ids), True
    codes, uniques = pd.factorize(case, sort=False)
    return (
        codes.astype(np.int64),
        pd.Series(uniques.array if hasattr(uniques, "array") else uniques),
        False,
    )


def _distinct_per_case(
    activity: pd.Series, order: np.ndarray | None, seg: np.ndarray, codes: np.ndarray, n_cases: int
) -> np.ndarray:
    """Number of distinct (non-missing) activities of each case."""
    known = known_codes(activity)  # read_event_log's codes (CSV), else hashed here
    if known is not None:
        act, k = known[0], len(known[1])
    else:
        act, uniques = pd.factorize(activity, sort=False)  # missing: -1
        k = len(uniques)
    if order is not None:
        act = act[order]
    if len(act) == 0 or k == 0:
        return np.zeros(n_cases, dtype=np.int64)
    if k <= 64:
        missing = act < 0
        shift = np.where(missing, 0, act) if missing.any() else act
        bits = np.left_shift(np.uint64(1), shift.astype(np.uint64))
        if missing.any():
            bits[missing] = 0
        masks = np.bitwise_or.reduceat(bits, seg)
        if hasattr(np, "bitwise_count"):  # numpy >= 2.0
            return np.bitwise_count(masks).astype(np.int64)
        return _POPCOUNT8[masks.view(np.uint8)].reshape(-1, 8).sum(axis=1)
    ok = act >= 0
    pairs = pd.unique(codes[ok] * k + act[ok])
    return np.bincount(pairs // k, minlength=n_cases).astype(np.int64)


def _resource_changes(
    resource: pd.Series, order: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Which events have a resource, and whether each known resource differs from the next.

    Events without a resource are dropped; the remaining neighbours (in ``order``, if given)
    are compared directly, without hashing. ``differ[j]`` compares known events j and j + 1.
    """
    coded = known_codes(resource)  # read_event_log's codes (CSV): compare integers
    if coded is not None:
        values = coded[0]
        known = values >= 0
    else:
        known = resource.notna().to_numpy()
        values = resource.array
    if order is not None:
        values, known = values.take(order), known[order]
    if not known.all():
        values = values[known]
    if len(values) < 2:
        return known, np.zeros(0, dtype=bool)
    return known, np.asarray(values[1:] != values[:-1], dtype=bool)


def _handoffs(
    known: np.ndarray, differ: np.ndarray, codes: np.ndarray, n_cases: int
) -> np.ndarray:
    """Changes of (known) resource between consecutive events of the same case."""
    c = codes if known.all() else codes[known]
    if len(c) < 2:
        return np.zeros(n_cases, dtype=np.int64)
    change = differ & (c[1:] == c[:-1])
    return np.bincount(c[1:][change], minlength=n_cases).astype(np.int64)


def _union_length(
    codes: np.ndarray, start: np.ndarray, end: np.ndarray, has_start: np.ndarray, n_cases: int
) -> np.ndarray:
    """Length (µs, float) of the union of each case's intervals; NaN for cases without starts.

    ``codes`` must be non-decreasing (events grouped by case). The intervals are swept in
    (case, start) order (sorted only if needed), keeping the running maximum of the ends seen
    so far in the case (``reach``); an interval whose start lies after ``reach`` begins a new
    block of the union, and each interval adds ``max(0, end - max(start, reach))``. When the
    ends already increase within every case, ``reach`` is simply the previous end; otherwise
    it is pandas' grouped ``cummax`` (exact in int64).
    """
    work = np.full(n_cases, np.nan)
    if not has_start.any():
        return work
    if has_start.all():
        c, a, b = codes, start, np.maximum(end, start)
    else:
        c, a = codes[has_start], start[has_start]
        b = np.maximum(end[has_start], a)  # an interval ending before its start is empty
    same = c[1:] == c[:-1]
    if not bool(np.all(~same | (a[1:] >= a[:-1]))):
        o = np.lexsort((a, c))
        c, a, b = c[o], a[o], b[o]
        same = c[1:] == c[:-1]
    if bool(np.all(~same | (b[1:] >= b[:-1]))):
        reach = b[:-1]
    else:
        reach = pd.Series(b).groupby(c).cummax().to_numpy()[:-1]  # running max of ends
    # each interval adds the part of it after max(its start, the case's reach so far)
    added = np.empty(len(a), dtype=np.int64)
    added[0] = b[0] - a[0]
    np.subtract(b[1:], np.maximum(a[1:], reach, where=same, out=a[1:].copy()), out=added[1:])
    np.maximum(added, 0, out=added)
    first = np.flatnonzero(np.r_[True, ~same])
    work[c[first]] = np.add.reduceat(added, first)
    return work


def _workdays(first: pd.Series, last: pd.Series) -> np.ndarray:
    """Working days between two datetime columns, on Moscow local time."""
    if isinstance(first.dtype, pd.DatetimeTZDtype):
        first = first.dt.tz_convert(MOSCOW_TZ).dt.tz_localize(None)
        last = last.dt.tz_convert(MOSCOW_TZ).dt.tz_localize(None)
    if len(first) == 0:
        return np.zeros(0, dtype=np.float64)
    return np.asarray(workdays_between(first, last), dtype=np.float64)


def split_at(
    timings: pd.DataFrame,
    change_date,
    *,
    date: str = "start",
    phase: str = "phase",
) -> pd.DataFrame:
    """Label each case ``before`` or ``after`` a change, by the date it started.

    Parameters
    ----------
    timings : DataFrame
        One row per case, e.g. from :func:`case_timings`.
    change_date : str or datetime
        Cases whose ``date`` is earlier are ``before``, the others ``after``. A naive date is
        read in the time zone of ``date`` (when it has one).
    date, phase : str
        The date column to split on and the name of the phase column added.

    Returns
    -------
    pandas.DataFrame
        A copy with the ``phase`` column, ready for :func:`effmuni.estimate_savings`.

    Examples
    --------
    >>> t = pd.DataFrame({"start": pd.to_datetime(["2024-01-01", "2024-03-01"]),
    ...                   "lead_time_days": [5.0, 2.0]})
    >>> split_at(t, "2024-02-01")["phase"].tolist()
    ['before', 'after']
    """
    when = pd.Timestamp(change_date)
    d = timings[date]
    tz = getattr(d.dt, "tz", None)
    if tz is not None and when.tzinfo is None:
        when = when.tz_localize(tz)
    out = timings.copy()
    out[phase] = np.where((d < when).to_numpy(dtype=bool), "before", "after")
    out.loc[d.isna().to_numpy(), phase] = None
    return out
