"""The front doors: the regional page of a batch (``regional``) and the federal one
(``federal``), each an ``index.html`` and a ``summary.xlsx`` beside the reports."""

from .federal import write_federal_site
from .regional import FRONT_COLUMNS, WORKBOOK_COLUMNS, front_table, write_site

__all__ = ["FRONT_COLUMNS", "WORKBOOK_COLUMNS", "front_table", "write_federal_site", "write_site"]
