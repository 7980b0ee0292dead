"""The seeded synthetic sample dataset (``data/sample/``).

:func:`generate` builds every table of the data dictionary from one seed; :func:`write_sample`
writes them as CSV files plus a ``README.md``. The same seed always gives byte-identical files:
the only source of randomness is ``numpy.random.default_rng(seed)``, values are rounded before
they are written, floats are formatted by Python's correctly rounded ``format`` (not by pandas),
lines end in ``\\n`` and files are UTF-8 without a BOM.

The data is **synthetic**. The 26 municipal units of the Chuvash Republic as of 2023 are real
(names, kinds, approximate populations, the 2024 mergers); everything else (institutions'
projects, timings, model statuses, staff figures) is invented. Each municipality gets a latent
lean "maturity" drawn at random; it drives how often it starts projects, how often they close on
time and reach their targets, how often baselines are measured rather than taken from a
regulation, how many value-stream maps and case logs exist, and how many staff are trained. The
draw is random, so a municipality's place in the sample says nothing about the real one.

The reference tables (municipalities, processes, value-stream map templates, institution names
and the sample's README) are data files in ``effmuni/synth/data/``; see
:mod:`effmuni.synth._reference`.

How the tables agree with each other
------------------------------------
- Every project has a ``lead_time`` baseline and target in the passport; projects in ``sustain``
  or ``closed`` also have an ``actual``; some closed ones a ``followup``. Units differ across
  projects (``min``, ``h``, ``day``, ``workday``) but never mix calendar and working-day units
  within one project's indicator.
- Value-stream maps (``steps``) exist only for projects with measured baselines in calendar
  units: Σ(process_min + wait_min) of the ``current``/``target``/``actual`` map equals the
  passport lead time of the ``baseline``/``target``/``actual`` phase in minutes, and the
  passport's ``process_time``, ``wait_time``, ``steps``, ``handoffs`` and ``approvals`` of such a
  project are the map's sums and counts.
- Case timings (``cases``) exist only for projects with an ``actual`` value, measured in calendar
  units. Lead times are lognormal; they are scaled so that the mean of the completed cases in each
  phase equals the passport value times ``1 + e`` with ``|e| <= 8 %``, standing in for the
  difference between the team's own measurement and the log extract. Cases are received on
  working days between 08:00 and 17:00 and completed in working time (08:00–18:00 on working
  days; the same day for processes shorter than four hours); cases not finished when the
  ``after`` log was extracted are open (empty ``completed``).
- Service statistics (``service_stats``) cover ten municipal services in every municipality,
  month by month; a project whose process is a service's process names it
  (``projects.service_id``), and a project past implementation dates it
  (``projects.implemented_on``). The statistics carry a planted effect of the projects, a
  regional trend and seasons (see :mod:`effmuni.synth._services`); :func:`planted_effects`
  gives the truth an estimate should recover. They come from a random stream of their own,
  so the other tables do not depend on them.

The federal sample
------------------
:func:`write_federal` (``effmuni sample --scale federal``) writes about 85 regions as Parquet
partitioned by ``region_id``: Chuvashia (21) is this sample, the other regions are synthetic
and drawn with arrays, region by region in parallel; see :mod:`effmuni.synth._federal` and
:mod:`effmuni.synth._federal_write`.

Examples
--------
>>> from effmuni.synth import generate
>>> tables = generate(seed=2023)
>>> len(tables["municipalities"])
26
>>> sorted(tables["municipalities"]["kind"].value_counts().to_dict().items())
[('city_okrug', 5), ('municipal_okrug', 21)]
"""

from __future__ import annotations

from ._clock import AS_OF, QUARTERS
from ._federal_write import write_federal
from ._generate import generate

# private: the planted maturity, for tests that check the analysis recovers it, as
# ``_draw_maturity(numpy.random.default_rng(seed), _municipalities())``
from ._projects import draw_maturity as _draw_maturity  # noqa: F401
from ._reference import municipalities as _municipalities  # noqa: F401
from ._services import planted_effects
from ._write import write_sample

__all__ = ["AS_OF", "QUARTERS", "generate", "planted_effects", "write_federal", "write_sample"]
