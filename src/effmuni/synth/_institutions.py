"""Institutions of each municipality: an administration first, then an MFC office and others."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._clock import pick
from ._reference import (
    Municipality,
    institution_patterns,
    kindergarten_names,
    municipality_tags,
    name_fields,
    numbered_patterns,
)

#: how likely an institution of a sector is to run a project
SECTOR_WEIGHT = {
    "administration": 3.0,
    "mfc": 2.5,
    "preschool": 1.2,
    "school": 1.0,
    "health": 1.5,
    "social": 1.2,
    "culture": 0.6,
    "sport": 0.5,
    "other": 0.8,
}
_SECTOR_CODE = {
    "administration": "adm",
    "mfc": "mfc",
    "preschool": "dou",
    "school": "sosh",
    "health": "health",
    "social": "social",
    "culture": "culture",
    "sport": "sport",
    "other": "other",
}


@dataclass
class Institution:
    id: str
    municipality: Municipality
    name: str
    sector: str
    pool: str
    model_level: str = "none"
    model_since: dt.date | None = None


def _templates(mu: Municipality) -> dict[str, list[tuple[str, str]]]:
    """Candidate institutions per sector (name, process pool), in the order they are used."""
    tags = municipality_tags(mu)
    fields = name_fields(mu)
    out: dict[str, list[tuple[str, str]]] = {}
    for sector, when, pool, pattern in institution_patterns():
        if when in tags:
            out.setdefault(sector, []).append((pattern.format(**fields), pool))
    return out


def _numbered_name(rng: np.random.Generator, mu: Municipality, sector: str, used: set[str]) -> str:
    """A kindergarten or school name not yet used in the municipality."""
    city = mu.kind == "city_okrug"
    top = {"cheboksary": 210, "novocheboksarsk": 50}.get(mu.id, 15)
    patterns, fields = numbered_patterns(), name_fields(mu)
    for _ in range(200):
        if sector == "preschool":
            if mu.id == "cheboksary" and "dou204" not in used:
                used.add("dou204")
                name = patterns["preschool", "capital_first"].format(**fields)
            elif city:
                number = int(rng.integers(1, top + 1))
                name = patterns["preschool", mu.kind].format(number=number, **fields)
            else:
                kindergarten = pick(rng, kindergarten_names())
                name = patterns["preschool", mu.kind].format(name=kindergarten, **fields)
        elif city:
            number = int(rng.integers(1, max(top // 3, 12) + 1))
            name = patterns["school", mu.kind].format(number=number, **fields)
        else:
            number = int(rng.integers(1, 4))
            name = patterns["school", mu.kind].format(number=number, **fields)
        if name not in used:
            used.add(name)
            return name
    raise RuntimeError("ran out of institution names")  # pragma: no cover


def _municipality_institutions(
    rng: np.random.Generator, mu: Municipality, m: float
) -> list[Institution]:
    """The institutions of one municipality: its administration first, then an MFC office."""
    if mu.population > 400_000:
        n = int(rng.integers(20, 25))
    elif mu.population > 100_000:
        n = int(rng.integers(11, 15))
    else:
        raw = 3 + 4.5 * math.log10(mu.population / 8000) + 3 * m + rng.normal(0, 0.8)
        n = int(np.clip(round(raw), 3, 12))
    tpl = _templates(mu)
    taken = dict.fromkeys(SECTOR_WEIGHT, 0)
    used_names: set[str] = set()
    chosen: list[tuple[str, str, str]] = []  # sector, name, pool

    def take(sector: str) -> bool:
        if sector in ("preschool", "school"):
            if taken[sector] >= (6 if mu.population > 100_000 else 3):
                return False
            chosen.append((sector, _numbered_name(rng, mu, sector, used_names), sector))
        else:
            if taken[sector] >= len(tpl[sector]):
                return False
            name, pool = tpl[sector][taken[sector]]
            chosen.append((sector, name, pool))
        taken[sector] += 1
        return True

    take("administration")
    if mu.kind == "city_okrug" or rng.random() < 0.85:
        take("mfc")
    draw_weights = {
        "administration": 1.2 if mu.id != "cheboksary" else 3.0,
        "mfc": 0.6,
        "preschool": 2.5,
        "school": 2.5,
        "health": 1.0,
        "social": 1.0,
        "culture": 1.2,
        "sport": 0.8,
        "other": 0.8,
    }
    sectors = list(draw_weights)
    while len(chosen) < n and any(draw_weights.values()):
        sector = pick(rng, sectors, [draw_weights[s] for s in sectors])
        if not take(sector):
            draw_weights[sector] = 0.0
    out, counter = [], dict.fromkeys(_SECTOR_CODE.values(), 0)
    for sector, name, pool in chosen:
        code = _SECTOR_CODE[sector]
        counter[code] += 1
        out.append(Institution(f"{mu.id}-{code}-{counter[code]}", mu, name, sector, pool))
    return out


def make_institutions(
    rng: np.random.Generator, munis: Sequence[Municipality], maturity: dict[str, float]
) -> list[Institution]:
    return [i for mu in munis for i in _municipality_institutions(rng, mu, maturity[mu.id])]
