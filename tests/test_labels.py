"""Labels: Russian by default, English on request, conflicts refused."""

import pandas as pd
import pytest

from effmuni.labels import label, register, translate_columns


def test_translate_columns_and_named_indexes():
    df = pd.DataFrame({"municipality_id": ["a"], "project_id": ["p"], "x": [1]})
    assert list(translate_columns(df).columns) == ["Муниципалитет", "Проект", "x"]
    one = df.set_index("municipality_id")
    assert translate_columns(one, "en").index.name == "Municipality"
    two = df.set_index(["municipality_id", "project_id"])
    assert list(translate_columns(two).index.names) == ["Муниципалитет", "Проект"]


def test_label_fallback_and_format():
    assert label("no_such_key") == "no_such_key"
    register({"test_fmt": ("{n} случаев", "{n} cases")})
    assert label("test_fmt", "en", n=3) == "3 cases"


def test_conflicting_registration_and_bad_lang():
    register({"test_same": ("а", "a")})
    register({"test_same": ("а", "a")})  # the same text twice is fine
    with pytest.raises(ValueError, match="registered twice"):
        register({"test_same": ("б", "b")})
    with pytest.raises(ValueError, match="lang must be 'ru' or 'en'"):
        label("municipality_id", "de")
