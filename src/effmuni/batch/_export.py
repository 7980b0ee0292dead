"""A report as one HTML page, and committed notebooks re-executed in place."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from ._kernel import _kernel_manager


def _shown_title(nb) -> str | None:
    """The first top-level heading a notebook shows (in its outputs or its Markdown cells)."""
    import html

    for cell in nb.cells:
        texts = [cell.source] if cell.cell_type == "markdown" else [
            o.get("data", {}).get("text/markdown", "") for o in cell.get("outputs", [])
        ]  # fmt: skip
        for text in texts:
            text = "".join(text) if isinstance(text, list) else text
            for line in text.splitlines():
                if line.startswith("# "):
                    plain = re.sub(r"\\(.)", r"\1", line[2:].strip())  # Markdown escapes
                    return html.unescape(plain)  # the page template escapes it again
    return None


#: the report page: JupyterLab's look without anything fetched from the network (no
#: require.js, MathJax or Mermaid from a CDN: reports use none of them and must open offline),
#: and a link back to the regional front door
_OFFLINE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block body_header -%}
{{ super() }}
<nav class="effmuni-nav" style="font-family: var(--jp-content-font-family); margin: 1em 0">
<a href="index.html">{{ resources.effmuni_back | e }}</a></nav>
{%- endblock body_header -%}
"""


@lru_cache(maxsize=2)
def _exporter(lang: str):
    """One exporter a language per process: its templates are compiled once, not per report."""
    import jinja2
    from nbconvert import HTMLExporter

    return HTMLExporter(
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        language_code=lang,
        extra_loaders=[jinja2.DictLoader({"effmuni_report.html.j2": _OFFLINE_TEMPLATE})],
        template_file="effmuni_report.html.j2",
    )


def _export_html(nb, dest: Path, lang: str = "ru") -> None:
    """The report (an executed notebook node) as one HTML page without code: its ``<title>``
    is the report's heading, ``<html lang>`` the report's language, nothing is loaded from the
    network, and a link leads back to ``index.html``."""
    from nbformat import NotebookNode

    from ..text import label

    lang = lang if lang in ("ru", "en") else "ru"
    title = _shown_title(nb)
    if title:  # the page's title only: a shallow copy, the notebook is left as it is
        nb = NotebookNode({**nb, "metadata": NotebookNode({**nb.metadata, "title": title})})
    body, _ = _exporter(lang).from_notebook_node(
        nb, resources={"effmuni_back": label("site_back_to_index", lang)}
    )
    dest.write_text(body, encoding="utf-8")


def refresh_notebook(path: str | Path, timeout: float = 600) -> Path:
    """Re-execute a committed notebook in place, so its stored outputs are current.

    The kernel starts in the notebook's folder (as in JupyterLab and nbval) with the
    ``python3`` kernel of this environment; no run metadata (timings, paths) is recorded, so the
    file changes only where outputs change. Raises ``nbclient`` errors when a cell fails.
    """
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    os.environ.setdefault("JUPYTER_PREFER_ENV_PATH", "1")
    log = path.with_name(f".{path.stem}.kernel.log")
    client = NotebookClient(
        nb,
        km=_kernel_manager(log),  # quiet: encrypted transport, the kernel's log in a file
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    try:
        client.execute()
    finally:
        log.unlink(missing_ok=True)
    tmp = path.with_name(f".{path.stem}.refresh.ipynb")
    nbformat.write(nb, tmp)
    os.replace(tmp, path)
    return path
