"""Value-stream maps: current, target and actual states whose step times sum to the lead time."""

from __future__ import annotations

import numpy as np

from ._clock import DAY_MIN
from ._reference import step_templates


def _pce_cap(lead_min: float) -> float:
    """Largest share of a lead time that can be touch time."""
    return 0.25 if lead_min >= DAY_MIN else 0.5 if lead_min >= 240 else 0.75


def _map_state(
    rng: np.random.Generator, steps: list[tuple], proc_min: np.ndarray, lead_min: float
) -> list[tuple]:
    """Rows of one map state whose Σ(process + wait) equals ``lead_min``."""
    proc = proc_min.copy()
    cap = _pce_cap(lead_min) * lead_min
    if proc.sum() > cap:
        proc *= cap / proc.sum()
    proc = np.maximum(np.round(proc, 1), 0.1)
    wait_total = lead_min - proc.sum()
    share = rng.dirichlet(np.full(len(steps) - 1, 0.7))
    wait = np.append(np.round(share * wait_total, 1), 0.0)
    big = int(np.argmax(wait))
    wait[big] = round(wait[big] + (lead_min - proc.sum() - wait.sum()), 1)
    return [(*s, float(pm), float(wm)) for s, pm, wm in zip(steps, proc, wait, strict=True)]


def make_map(
    rng: np.random.Generator, family: str, lead: dict[str, float]
) -> dict[str, list[tuple]]:
    """Current, target (and actual) value-stream maps for the given lead times (minutes).

    Each row is a template step (name, actor, typical touch minutes, value added, hand-off,
    approval) followed by its process and waiting minutes.
    """
    template = step_templates()[family]
    n_max = min(15, len(template))
    if lead["current"] < 60:
        n_max = min(n_max, max(5, int(lead["current"] // 3)))
    n = int(rng.integers(5, n_max + 1))
    middle = np.sort(rng.choice(np.arange(1, len(template) - 1), size=n - 2, replace=False))
    idx = [0, *middle.tolist(), len(template) - 1]
    base = np.array([template[i][2] for i in idx]) * rng.uniform(0.6, 1.6, size=n)
    maps = {"current": _map_state(rng, [template[i] for i in idx], base, lead["current"])}
    removable = [k for k in range(1, n - 1) if not template[idx[k]][3]]
    n_drop = min(int(round(rng.uniform(0.25, 0.6) * len(removable))), n - 5)
    drop = set(rng.choice(removable, size=n_drop, replace=False).tolist()) if n_drop > 0 else set()
    keep = [k for k in range(n) if k not in drop]
    tgt_proc = base[keep] * rng.uniform(0.7, 1.0, size=len(keep))
    maps["target"] = _map_state(rng, [template[idx[k]] for k in keep], tgt_proc, lead["target"])
    if "actual" in lead:
        act_keep = list(keep)
        if drop and rng.random() < 0.25:  # one removed step crept back
            act_keep = sorted([*keep, sorted(drop)[int(rng.integers(len(drop)))]])
        act_proc = base[act_keep] * rng.uniform(0.7, 1.15, size=len(act_keep))
        maps["actual"] = _map_state(
            rng, [template[idx[k]] for k in act_keep], act_proc, lead["actual"]
        )
    return maps
