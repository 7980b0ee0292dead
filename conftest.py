"""Root pytest configuration: applies to tests/, the doctests under src/ and notebooks/."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """Point effmuni's result cache at a temporary folder: tests never touch ~/.cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EFFMUNI_CACHE", str(tmp_path_factory.mktemp("effmuni-cache")))
        yield
