"""The batch's pages in a real browser: ``index.html`` and two reports, as an official sees them.

Headless Chromium from the system packages (``make browser`` installs Debian's), driven by
Playwright for Python through its executable path: Playwright's own browser download is never
used. A real batch runs once for the module on the bundled sample; then each page is opened
over ``file://`` with every network request refused, and checked: no console errors, every
link resolves inside the folder, the front table sorts, no ``NaN``/``None``/``True``/``False``
or raw ids in the visible text. Full-page screenshots (and the index printed to PDF) go to
``reports/screenshots/`` of the repository for a person to review.
"""

from __future__ import annotations

import re
import shutil
import struct
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pandas as pd
import pytest
from conftest import REPO

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')"
)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip(
        "chromium is not installed (make test installs Debian's chromium when apt is usable)",
        allow_module_level=True,
    )

import effmuni as em  # noqa: E402

REPORTS = ("cheboksary", "kanash")
PAGES = ("index", *REPORTS)
SHOTS = REPO / "reports" / "screenshots"
VIEWPORT = {"width": 1280, "height": 900}
# words that leak from Python or pandas into a page when a missing value is formatted raw
LEAKS = re.compile(r"(?<![\w<])(NaN|nan|None|True|False|<NA>)(?![\w>])")


def _pages():
    """The page names as parameters: the front page and the reports."""
    return ["index", *REPORTS]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A real batch run on the bundled sample: two reports plus the front page."""
    out = tmp_path_factory.mktemp("browser") / "reports"
    summary = em.run_batch(
        REPO / "notebooks" / "municipality_report.ipynb",
        list(REPORTS),
        output_dir=out,
        jobs=2,
        parameters={"n_boot": 200},
        progress=False,
    )
    assert (summary["status"] == "ok").all(), summary.to_string()
    return out


@pytest.fixture(scope="module")
def municipalities() -> pd.DataFrame:
    """The sample's municipalities table (ids and names), read as the dataset ships it."""
    return pd.read_csv(em.sample_path() / "municipalities.csv", dtype=str)


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            yield b
        finally:
            b.close()


class Opened:
    """A page opened over file:// with its console errors, page errors and refused requests."""

    def __init__(self, browser, path: Path):
        self.path = path
        self.context = browser.new_context(viewport=VIEWPORT, locale="ru-RU")
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.refused: list[str] = []
        self.page.on(
            "console", lambda m: self.errors.append(m.text) if m.type == "error" else None
        )
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.context.route("**/*", self._route)
        self.page.goto(path.as_uri(), wait_until="load")

    def _route(self, route):
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:", "about:")):
            route.continue_()
        else:  # nothing leaves the machine: a page that needs the network fails here
            self.refused.append(url)
            route.abort()


@pytest.fixture(scope="module")
def shared(browser, site):
    """Each page opened once for the checks that only read it."""
    pages: dict[str, Opened] = {}
    yield lambda name: pages.get(name) or pages.setdefault(name, Opened(browser, site / name))
    for o in pages.values():
        o.context.close()


@pytest.fixture
def opened(shared, request) -> Opened:
    return shared(f"{request.param}.html")


@pytest.fixture
def fresh(browser, site, request):
    """A page of its own, for a test that changes it (clicks)."""
    o = Opened(browser, site / f"{request.param}.html")
    yield o
    o.context.close()


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("opened", _pages(), indirect=True)
def test_no_console_errors(opened):
    assert opened.errors == []


@pytest.mark.parametrize("opened", _pages(), indirect=True)
def test_nothing_is_loaded_from_the_network(opened):
    refs = opened.page.evaluate(
        """() => Array.from(document.querySelectorAll('[src], link[href]'))
                 .map(e => e.getAttribute('src') || e.getAttribute('href'))"""
    )
    remote = [r for r in refs if re.match(r"^(https?:)?//", r.strip(), re.I)]
    assert remote == [] and opened.refused == []


@pytest.mark.parametrize("opened", PAGES, indirect=True)
def test_every_link_resolves_inside_the_folder(opened):
    page, here = opened.page, opened.path.parent
    hrefs = page.evaluate(
        "() => Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))"
    )
    broken = []
    for href in hrefs:
        parts = urlsplit(href)
        if parts.scheme or parts.netloc:  # http:, file:, mailto:, //host: not inside the folder
            broken.append(href)
        elif parts.path:
            target = here / unquote(parts.path)
            if not target.is_file() or not target.resolve().is_relative_to(here.resolve()):
                broken.append(href)
        elif parts.fragment:  # the browser's own fragment navigation must find a target
            found = page.evaluate(
                "h => { location.hash = h; return !!document.querySelector(':target'); }",
                parts.fragment,
            )
            if not found:
                broken.append(href)
    page.evaluate("() => { history.replaceState(null, '', location.pathname); scrollTo(0, 0); }")
    assert broken == []
    if opened.path.name == "index.html":  # the front door leads to both reports
        assert {f"{r}.html" for r in REPORTS} <= set(hrefs)


@pytest.mark.parametrize("opened", PAGES, indirect=True)
def test_visible_text_has_no_raw_values_or_ids(opened, municipalities):
    text = opened.page.inner_text("body")
    assert LEAKS.findall(text) == []
    slugs = sorted(municipalities["municipality_id"], key=len, reverse=True)
    raw_id = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, slugs)) + r")(?![\w-])", re.I)
    assert raw_id.findall(text) == []


@pytest.mark.parametrize("opened", PAGES, indirect=True)
def test_language_and_title(opened, municipalities):
    page = opened.page
    assert page.evaluate("document.documentElement.getAttribute('lang')") == "ru"
    title = page.title().strip()
    assert title and title.casefold() not in {"notebook", "index", "untitled"}
    assert not re.search(r"[A-Za-z]", title), title  # Russian, no ids or file names
    stem = opened.path.stem
    if stem != "index":
        name = municipalities.set_index("municipality_id").loc[stem, "name_ru"]
        assert name in title


@pytest.mark.parametrize("opened", PAGES, indirect=True)
def test_full_page_screenshot(opened):
    SHOTS.mkdir(parents=True, exist_ok=True)
    dest = SHOTS / f"{opened.path.stem}.png"
    opened.page.screenshot(path=str(dest), full_page=True)
    data = dest.read_bytes()
    width, height = _png_size(data)
    assert width == VIEWPORT["width"] and height > VIEWPORT["height"] // 2
    assert len(data) > 30_000  # a rendered page with text and figures, not a blank


# ---- the front table ----------------------------------------------------------------------


def _column(page, col: int, what: str = "data-v") -> list[str]:
    return page.evaluate(
        """([col, what]) => Array.from(document.querySelector('table.sortable').tBodies[0].rows)
               .map(r => what === 'text' ? r.cells[col].textContent.trim()
                                         : r.cells[col].getAttribute(what))""",
        [col, what],
    )


def _header(page, col: int):
    return page.locator("table.sortable thead th").nth(col)


def _numbers(values: list[str]) -> list[float | None]:
    return [float(v) if v not in (None, "") else None for v in values]


def _ru_key(name: str) -> str:
    # Russian alphabetical order as Intl/localeCompare has it: case aside, ё with е
    return name.casefold().replace("ё", "е")


def _numeric_columns(page) -> list[int]:
    classes = page.evaluate(
        "() => Array.from(document.querySelectorAll('table.sortable thead th'))"
        ".map(th => th.className)"
    )
    return [i for i, c in enumerate(classes) if "num" in c.split()]


@pytest.mark.parametrize("fresh", ["index"], indirect=True)
def test_index_table_sorts_numbers_up_then_down(fresh):
    page = fresh.page
    numeric = _numeric_columns(page)
    assert len(numeric) >= 3
    for col in numeric:
        rows = len(_column(page, col))
        _header(page, col).click()
        up = _numbers(_column(page, col))
        _header(page, col).click()
        down = _numbers(_column(page, col))
        assert len(up) == len(down) == rows
        for values, ordered in ((up, sorted), (down, lambda v: sorted(v, reverse=True))):
            known = [v for v in values if v is not None]
            assert known == ordered(known), (col, values)
            # rows without a value stay together at one end
            blanks = [i for i, v in enumerate(values) if v is None]
            assert blanks in ([], list(range(len(blanks))), list(range(rows - len(blanks), rows)))
    assert not fresh.errors


@pytest.mark.parametrize("fresh", ["index"], indirect=True)
def test_index_rows_without_a_value_stay_last_both_ways(fresh):
    page = fresh.page
    col = next(c for c in _numeric_columns(page) if "" in _column(page, c))
    for _ in range(2):  # ascending, then descending
        _header(page, col).click()
        values = _column(page, col)
        assert values[-values.count("") :] == [""] * values.count(""), values


def _links(page) -> dict[str, str]:
    return dict(
        page.evaluate(
            """() => Array.from(document.querySelectorAll('table.sortable tbody tr'))
                   .map(r => [r.cells[0].textContent.trim(),
                              Array.from(r.querySelectorAll('a')).map(a => a.getAttribute('href'))
                                   .join(' ')])"""
        )
    )


@pytest.mark.parametrize("fresh", ["index"], indirect=True)
def test_index_table_sorts_names_in_russian_order(fresh):
    page = fresh.page
    names = _column(page, 0, "text")
    links = _links(page)
    assert names == sorted(names, key=_ru_key)  # as written: alphabetical
    _header(page, _numeric_columns(page)[0]).click()  # shuffle by another column first
    assert _column(page, 0, "text") != names
    _header(page, 0).click()
    assert _column(page, 0, "text") == sorted(names, key=_ru_key)
    _header(page, 0).click()
    assert _column(page, 0, "text") == sorted(names, key=_ru_key, reverse=True)
    assert _links(page) == links  # the links travel with their rows
    assert not fresh.errors


@pytest.mark.parametrize("opened", ["index"], indirect=True)
def test_index_prints_to_a4_pdf(opened):
    pdf = opened.page.pdf(format="A4", print_background=True)
    assert pdf[:5] == b"%PDF-"
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))
    assert pages >= 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "index.pdf").write_bytes(pdf)
