"""Regenerate the binary copies of tiny.csv (gzip, Parquet, XLSX) and of tiny.xes (gzip).

Run from the repository root: ``.venv/bin/python tests/data/eventlog/make_binaries.py``.
The copies hold the same log in each format's own way (see PROVENANCE.md).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent


def main() -> None:
    text = pd.read_csv(HERE / "tiny.csv", dtype=str, keep_default_na=False)
    for name in ("tiny.csv", "tiny.xes"):
        data = (HERE / name).read_bytes()
        (HERE / f"{name}.gz").write_bytes(gzip.compress(data, mtime=0))

    # Parquet: typed, timezone-aware (UTC) timestamps; missing values are nulls
    typed = text.replace("", None)
    for col in ("start_timestamp", "time:timestamp"):
        typed[col] = pd.to_datetime(typed[col], format="ISO8601", utc=True)
    typed.to_parquet(HERE / "tiny.parquet", index=False)

    # XLSX: completion times as Excel date cells in Moscow local time (Excel has no zones),
    # start times as text cells with their offsets, as analysts often paste them
    sheet = typed.copy()
    sheet["time:timestamp"] = sheet["time:timestamp"].dt.tz_convert("Europe/Moscow")
    sheet["time:timestamp"] = sheet["time:timestamp"].dt.tz_localize(None)
    sheet["start_timestamp"] = text["start_timestamp"].replace("", None)
    sheet.to_excel(HERE / "tiny.xlsx", sheet_name="журнал", index=False, engine="openpyxl")


if __name__ == "__main__":
    main()
