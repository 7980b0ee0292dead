"""The Russian production calendar, checked on dates fixed by government decrees."""

import numpy as np
import pandas as pd
import pytest

import effmuni as em
from effmuni.calendar import working_days


@pytest.mark.parametrize(
    ("date", "working"),
    [
        ("2023-02-24", False),  # Friday: day off transferred from 2023-01-01
        ("2023-05-08", False),  # Monday: transferred from 2023-01-08
        ("2024-04-27", True),  # working Saturday
        ("2024-04-29", False),  # Monday off (swapped with 2024-04-27)
        ("2024-12-28", True),  # working Saturday
        ("2024-12-31", False),  # transferred day off
        ("2025-11-01", True),  # working Saturday
        ("2025-11-03", False),  # Monday off
        ("2023-03-09", True),  # an ordinary Thursday
        ("2023-03-11", False),  # an ordinary Saturday
        ("2023-06-12", False),  # Russia Day
    ],
)
def test_known_dates(date, working):
    assert em.is_workday([date]).tolist() == [working]


def test_working_days_in_2024_match_the_official_total():
    # the official production calendar for 2024 has 248 working days
    assert int(working_days("2024-01-01", "2024-12-31").sum()) == 248
    assert int(working_days("2023-01-01", "2023-12-31").sum()) == 247


def test_workdays_between_fractional_and_open():
    start = pd.to_datetime(["2023-03-09 12:00", "2024-04-26 18:00", "2023-03-10 09:00"])
    end = pd.to_datetime(["2023-03-10 12:00", "2024-04-27 06:00", None])
    out = em.workdays_between(start, end)
    assert out[0] == pytest.approx(1.0)
    assert out[1] == pytest.approx(0.5)  # Friday evening into a working Saturday morning
    assert np.isnan(out[2])


def test_weekend_interval_counts_zero():
    out = em.workdays_between(["2023-03-11 08:00"], ["2023-03-12 20:00"])
    assert out.tolist() == [0.0]


def test_aware_times_are_counted_on_moscow_days():
    # 2023-03-10 23:30 UTC is Saturday 02:30 in Moscow: the interval lies on a weekend there
    s = pd.to_datetime(["2023-03-10 23:30"]).tz_localize("UTC")
    e = pd.to_datetime(["2023-03-11 05:30"]).tz_localize("UTC")
    assert em.workdays_between(s, e).tolist() == [0.0]


@pytest.mark.parametrize(
    ("start", "end"), [("0001-01-01", "0001-12-31"), ("0999-12-25", "1000-01-10")]
)
def test_years_before_1000_are_their_own_years(start, end):
    # text such as "1-01-01" reads as 2001: the index must start at the day asked for
    flags = working_days(start, end)
    assert flags.index[0] == pd.Timestamp(start) and flags.index[-1] == pd.Timestamp(end)
    assert len(flags) == (pd.Timestamp(end) - pd.Timestamp(start)).days + 1


def test_far_away_dates_count_mondays_to_fridays():
    # before and after the production calendar (1991-2100) every Monday-Friday is a working day
    flags = working_days("0001-01-01", "9999-12-31")
    assert len(flags) == (pd.Timestamp("9999-12-31") - pd.Timestamp("0001-01-01")).days + 1
    assert flags.iloc[:7].astype(int).tolist() == [1, 1, 1, 1, 1, 0, 0]  # from a Monday
    assert flags.iloc[-3:].astype(int).tolist() == [1, 1, 1]  # Wednesday to Friday
    year_2024 = flags[(flags.index >= pd.Timestamp(2024, 1, 1)) & (flags.index.year == 2024)]
    assert year_2024.sum() == 248  # the calendar within the span
    assert year_2024[pd.Timestamp(2024, 4, 27)] and not year_2024[pd.Timestamp(2024, 4, 29)]
    start = pd.to_datetime(["0001-01-01", "9999-12-30"], format="ISO8601")
    out = em.workdays_between(start, ["2023-01-10 09:00", "9999-12-31 12:00"])
    assert np.isfinite(out).all() and out[1] == pytest.approx(1.5)  # Thursday, Friday noon
