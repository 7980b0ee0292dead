"""XmR charts checked against hand-computed limits."""

import numpy as np
import pandas as pd
import pytest

from effmuni.spc import period_lead_times, xmr


def test_limits_by_hand():
    # mean 7.5; moving ranges 1,1,2,1,1,1,14 -> mean 3; UCL = 7.5 + 2.66 * 3
    chart = xmr([5, 6, 5, 7, 6, 5, 6, 20])
    assert chart["centre"].iloc[0] == 7.5
    assert chart["ucl"].iloc[0] == pytest.approx(15.48)
    assert chart["lcl"].iloc[0] == 0.0  # floored: durations are never negative
    assert chart["mr_ucl"].iloc[0] == pytest.approx(3.268 * 3)
    assert chart["signal"].tolist() == [""] * 7 + ["beyond"]


def test_limits_from_a_baseline_and_a_run():
    before = [10, 12, 11, 13, 10, 12, 11, 13]  # mean 11.5; MRs 2,1,2,3,2,1,2 -> mean 13/7
    after = [9.5, 9.8, 9.6, 9.9, 9.7, 9.5, 9.8, 9.6]  # inside the limits but all below
    chart = xmr(before + after, limits_from=[True] * 8 + [False] * 8)
    assert chart["centre"].iloc[0] == pytest.approx(11.5)
    assert chart["ucl"].iloc[0] == pytest.approx(11.5 + 2.66 * 13 / 7)
    assert chart["signal"].iloc[8:].eq("run").all()
    assert chart["signal"].iloc[:7].eq("").all()


def test_nan_dropped_and_too_few_points():
    chart = xmr([1.0, np.nan, 2.0, 3.0], index=list("abcd"))
    assert list(chart.index) == ["a", "c", "d"]
    with pytest.raises(ValueError, match="at least 2 values"):
        xmr([1.0])


def test_period_lead_times_weekly_median():
    t = pd.DataFrame(
        {
            "start": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-05", "2024-01-09"]),
            "lead_time_days": [1.0, 3.0, 8.0, 2.0],
        }
    )
    out = period_lead_times(t, freq="W-SUN")
    assert out["period"].tolist() == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-08")]
    assert out["value"].tolist() == [3.0, 2.0]
    assert out["n_cases"].tolist() == [3, 1]
    assert len(period_lead_times(t, freq="W-SUN", min_cases=2)) == 1
