"""Figures for reports, with Russian (default) or English labels.

Every figure function takes ``lang="ru"`` and an optional ``ax``; it returns the matplotlib
``Figure``. Cyrillic renders with matplotlib's bundled DejaVu Sans: :func:`use_style` puts it at
the end of the font list so no system font is needed and no glyph goes missing.

Topic modules: :mod:`effmuni.plots.style` (style, colours), and one module per analysis
(``savings``, ``maturity``, ``overview``) re-exported here.
"""

from . import maturity, overview, savings
from .style import COLORS, FONT_FAMILY, new_axes, use_style

__all__ = ["COLORS", "FONT_FAMILY", "maturity", "new_axes", "overview", "savings", "use_style"]
