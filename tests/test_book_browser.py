"""The HTML book in a real browser (Playwright driving Debian's Chromium).

Run after the notebooks were executed (``make test`` runs them first), so the
build reuses their outputs; on its own it executes what is not cached.
"""
from __future__ import annotations

import functools
import http.server
import json
import os
import threading
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

import build_book

pytestmark = pytest.mark.browser

CHROMIUM = build_book.find_browser()
SCREENSHOTS = build_book.BUILD / "screenshots"
NO_BROWSER = ("no Chromium here, so the HTML book was NOT tested in a browser (Debian/Ubuntu: "
              "`apt-get install chromium`; elsewhere `python -m playwright install chromium`)")


@pytest.fixture(scope="module")
def book() -> Path:
    build_book.build_html(quiet=True)
    return build_book.HTML


@pytest.fixture(scope="module")
def server(book):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(book))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        if os.environ.get(build_book.REQUIRE_BROWSER, "") == "1":  # CI: a missing browser is a failure
            pytest.fail(f"{build_book.REQUIRE_BROWSER}=1 but {NO_BROWSER}")
        pytest.skip(NO_BROWSER)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def _pages(book: Path) -> list[str]:
    skip = ("_static", "_sources", "_modules", "_images")
    return sorted(p.relative_to(book).as_posix() for p in book.rglob("*.html")
                  if not p.relative_to(book).parts[0] in skip)


def _plots(book: Path, page: str) -> bool:
    """Whether the executed notebook behind ``page`` produced a figure."""
    executed = build_book.BUILD / "jupyter_execute" / Path(page).with_suffix(".ipynb")
    if not executed.exists():
        return False
    nb = json.loads(executed.read_text())
    return any("image/png" in o.get("data", {}) or "image/svg+xml" in o.get("data", {})
               for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", []))


def test_book_has_every_notebook(book):
    pages = set(_pages(book))
    for nb in build_book.notebooks():
        page = nb.relative_to(build_book.CHAPTERS).with_suffix(".html").as_posix()
        assert page in pages, f"{nb.name} has no page in the book"
    assert {"index.html", "api.html", "search.html"} <= pages


def test_build_reused_the_test_run_executions(book):
    """No notebook is executed twice within one command: those nbval just executed come from the cache.

    Whichever ran before (``make book``, an earlier ``make test``, nothing), the build behind this test
    executes no notebook whose executed copy from this test run matches its current code.
    """
    import nbformat

    report = json.loads(build_book.BUILD_REPORT.read_text())
    key = build_book.package_key()
    current = []
    for nb in build_book.notebooks():
        executed = build_book.EXECUTED / nb.relative_to(build_book.ROOT)
        if not executed.exists():
            continue
        done, source = nbformat.read(executed, as_version=4), nbformat.read(nb, as_version=4)
        if done.metadata["d2lhelper"]["package_key"] == key and [c.source for c in done.cells] == [
                c.source for c in source.cells]:
            current.append(nb.relative_to(build_book.ROOT).as_posix())
    executed_again = sorted(set(current) & set(report["executed"]))
    assert not executed_again, f"executed again by the book build: {executed_again}"
    assert set(current) <= set(report["from_cache"])


def test_every_page(book, server, browser):
    page_names = _pages(book)
    assert page_names, "the book has no pages"
    problems: list[str] = []
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
    page.on("response", lambda r: errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    for name in page_names:
        errors.clear()
        url = urljoin(server, name)
        # "load" waits for the page's images and scripts; MathJax is awaited below. ("networkidle"
        # adds half a second of quiet to each of about a hundred pages.)
        response = page.goto(url, wait_until="load")
        assert response is not None and response.ok, f"{name}: HTTP {response and response.status}"
        # Math: every formula typeset by the vendored MathJax.
        n_math = page.locator(".math").count()
        if n_math:
            page.wait_for_function("document.querySelectorAll('mjx-container').length > 0", timeout=15_000)
            page.evaluate("MathJax.startup.promise.then(() => true)")  # the first typesetting pass is done
            unrendered = page.evaluate(
                "[...document.querySelectorAll('.math')].filter(e => !e.querySelector('mjx-container')).length")
            if unrendered:
                problems.append(f"{name}: {unrendered} of {n_math} formulas not typeset")
        # Figures: output images present and decoded.
        imgs = page.locator(".cell_output img")
        if _plots(book, name) and imgs.count() == 0:
            problems.append(f"{name}: its notebook plots, but the page shows no figure")
        broken = page.evaluate(
            "[...document.querySelectorAll('img')].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
        if broken:
            problems.append(f"{name}: images that did not render: {broken}")
        # Navigation: previous/next and the table of contents resolve.
        hrefs = page.evaluate(
            "[...document.querySelectorAll('.prev-next-area a, nav.bd-docs-nav a, .bd-toc a')].map(a => a.href)")
        for href in hrefs:
            parsed = urlparse(href)
            if parsed.netloc != urlparse(server).netloc:
                continue
            target = book / parsed.path.lstrip("/")
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                problems.append(f"{name}: link to {parsed.path} does not resolve")
        if name not in ("index.html", "search.html", "genindex.html", "py-modindex.html") and not page.locator(
                ".prev-next-area a").count():
            problems.append(f"{name}: no previous/next links")
        problems += [f"{name}: console: {e}" for e in errors]
    ctx.close()
    assert not problems, "\n".join(problems)


def test_search_finds_chapter_terms(book, server, browser):
    page = browser.new_page()
    page.goto(urljoin(server, "search.html?q=tensor"), wait_until="networkidle")
    page.wait_for_selector("#search-results ul.search li", timeout=15_000)
    hits = page.locator("#search-results ul.search li a").evaluate_all("as => as.map(a => a.href)")
    page.close()
    assert any("01_tensors" in h for h in hits), f"searching 'tensor' found no chapter page: {hits}"


def test_screenshots(book, server, browser):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    chapter = next(p for p in _pages(book) if p.startswith("01_") and not p.endswith("index.html"))
    for name, shot in (("index.html", "landing.png"), (chapter, "chapter.png")):
        page.goto(urljoin(server, name), wait_until="networkidle")
        page.screenshot(path=str(SCREENSHOTS / shot), full_page=False)
        assert (SCREENSHOTS / shot).stat().st_size > 10_000
    page.close()
