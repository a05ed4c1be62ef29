#!/usr/bin/env python
"""Build and keep the book: pair notebooks, check them, build the HTML book.

    python build_book.py sync    # pair .ipynb <-> MyST .md, regenerate headers, strip outputs
    python build_book.py check   # fail if a notebook breaks the book's format rules
    python build_book.py html    # execute (cached) and build the HTML book in _build/html
    python build_book.py browser # find or install a Chromium for the browser test

Each chapter notebook is ``chapters/NN_topic/*.ipynb``, committed without
outputs and paired with a jupytext MyST markdown file of the same stem. Its first
two cells are generated from the repository address in ``pyproject.toml``: a title
cell with an "Open in Colab" badge, and a setup cell that installs d2lhelper only
inside Colab.

Executed notebooks are cached with jupyter-cache under ``_build/jupyter_cache/<key>``
where ``<key>`` hashes the d2lhelper sources and requirements, so unchanged
notebooks are not re-executed and a change to the package re-executes them all.
``make test`` executes every notebook once (nbval) and saves the executed copies in
``_build/executed``; :func:`build_html` puts those into the cache first, so the
book build reuses them instead of executing the notebooks a second time.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tomllib

from d2lhelper.data import extract

ROOT = Path(__file__).resolve().parent
CHAPTERS = ROOT / "chapters"
BUILD = ROOT / "_build"
EXECUTED = BUILD / "executed"
HTML = BUILD / "html"
MATHJAX_VERSION = "3.2.2"

COLAB_BADGE_SRC = "https://colab.research.google.com/assets/colab-badge.svg"
SETUP_MARKER = "# Setup: inside Google Colab"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
# Environment for executing notebooks outside an interactive session (tests and
# the book build): no progress bars, and live plots draw only their final state.
EXECUTION_ENV = {"TQDM_DISABLE": "1", "D2LHELPER_LIVE_PLOT": "0"}
# The pyproject extras each chapter's notebooks need beyond the core; the Colab
# setup cell installs exactly these (tests/test_packaging.py checks the list
# against what the notebooks import).
CHAPTER_EXTRAS = {
    "02_fundamentals": ["tensorboard", "vision"],
    "03_cnn": ["vision"],
    "04_rnn": ["vision"],
    "05_attention": ["text"],
    "07_gnn": ["graphs", "vision"],
    "08_optimization": ["vision"],
    "10_vision": ["detection", "vision"],
    "11_pretraining": ["pretraining"],
    "12_deployment": ["deployment", "vision"],
}


# --------------------------------------------------------------------- project facts
def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def repository_url() -> str:
    """The repository address: the one place it is written is pyproject.toml."""
    return _pyproject()["project"]["urls"]["Repository"].rstrip("/")


def colab_ref() -> str:
    """The git tag Colab opens notebooks from and installs d2lhelper from (``[tool.d2lhelper] colab-ref``)."""
    return _pyproject()["tool"]["d2lhelper"]["colab-ref"]


def selected_chapters() -> set[str] | None:
    """The chapter folders named by ``D2LHELPER_CHAPTERS`` (comma-separated), or None for all.

    Raises:
        ValueError: a name is not a chapter folder.
    """
    raw = os.environ.get("D2LHELPER_CHAPTERS", "").strip()
    if not raw:
        return None
    names = {n.strip().rstrip("/") for n in raw.split(",") if n.strip()}
    known = {p.name for p in CHAPTERS.glob("[0-9][0-9]_*") if p.is_dir()}
    unknown = sorted(names - known)
    if unknown:
        raise ValueError(f"D2LHELPER_CHAPTERS names no chapter folder: {unknown}; the chapters are {sorted(known)}")
    return names


def notebooks() -> list[Path]:
    """Every chapter notebook (of the ``D2LHELPER_CHAPTERS`` selection, if set), in reading order."""
    chosen = selected_chapters()
    return sorted(p for p in CHAPTERS.glob("[0-9][0-9]_*/*.ipynb") if ".ipynb_checkpoints" not in p.parts
                  and (chosen is None or p.parent.name in chosen))


def paired_markdown(nb_path: Path) -> Path:
    return nb_path.with_suffix(".md")


def colab_url(nb_path: Path) -> str:
    rel = nb_path.resolve().relative_to(ROOT).as_posix()
    return repository_url().replace("https://github.com/", "https://colab.research.google.com/github/") + f"/blob/{colab_ref()}/{rel}"


def installed_versions() -> list[str]:
    """``name==version`` of Python and of every requirement as installed now (``name==missing`` if not)."""
    from importlib import metadata

    import packaging.requirements

    out = [f"python=={sys.version.split()[0]}"]
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name = packaging.requirements.Requirement(line).name
            try:
                out.append(f"{name}=={metadata.version(name)}")
            except metadata.PackageNotFoundError:
                out.append(f"{name}==missing")
    return out


def package_key() -> str:
    """Hash of what executed outputs depend on besides the notebook itself: the
    d2lhelper sources, requirements.txt and the installed versions of Python and
    of every requirement (a new torch re-executes the book)."""
    h = hashlib.sha256()
    for path in sorted((ROOT / "d2lhelper").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(path.relative_to(ROOT).as_posix().encode())
            h.update(path.read_bytes())
    h.update((ROOT / "requirements.txt").read_bytes())
    h.update("\n".join(installed_versions()).encode())
    return h.hexdigest()[:16]


def cache_dir() -> Path:
    return BUILD / "jupyter_cache" / package_key()


# --------------------------------------------------------------------- headers
def header_cells(nb_path: Path, title: str) -> tuple[str, str]:
    """The two generated cells every notebook starts with: title+badge, setup."""
    badge = f"[![Open In Colab]({COLAB_BADGE_SRC})]({colab_url(nb_path)})"
    setup = (
        f"{SETUP_MARKER}, install the book's helper package; elsewhere do nothing.\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        "    import subprocess\n"
        "\n"
        f'    url = "git+{repository_url()}@{colab_ref()}"\n'
        f'    subprocess.run([sys.executable, "-m", "pip", "install", "-q", f"{_requirement(nb_path)} @ {{url}}"], check=True)'
    )
    return f"# {title}\n\n{badge}", setup


def _requirement(nb_path: Path) -> str:
    """``d2lhelper`` with the extras of the notebook's chapter, e.g. ``d2lhelper[graphs,vision]``."""
    extras = CHAPTER_EXTRAS.get(nb_path.resolve().parent.name, [])
    return f"d2lhelper[{','.join(extras)}]" if extras else "d2lhelper"


def _title_of(nb) -> str:
    if nb.cells and nb.cells[0].cell_type == "markdown":
        first = nb.cells[0].source.lstrip().splitlines()[0] if nb.cells[0].source.strip() else ""
        if first.startswith("# "):
            return first[2:].strip()
    raise ValueError("the first cell must be a markdown cell starting with '# <title>'")


def _apply_header(nb, nb_path: Path) -> None:
    import nbformat

    title = _title_of(nb)
    title_src, setup_src = header_cells(nb_path, title)
    # Whatever the author wrote under the title (besides an old badge) moves
    # to its own markdown cell after the setup cell.
    rest = [line for line in nb.cells[0].source.strip().splitlines()[1:] if "colab-badge.svg" not in line]
    nb.cells[0].source = title_src
    has_setup = len(nb.cells) > 1 and nb.cells[1].cell_type == "code" and nb.cells[1].source.startswith(SETUP_MARKER)
    if has_setup:
        nb.cells[1].source = setup_src
    else:
        nb.cells.insert(1, nbformat.v4.new_code_cell(setup_src))
    if "\n".join(rest).strip():
        nb.cells.insert(2, nbformat.v4.new_markdown_cell("\n".join(rest).strip()))


def _strip(nb) -> None:
    for i, cell in enumerate(nb.cells):
        cell.metadata = {}
        cell.id = f"c{i:03d}"  # stable ids keep .ipynb diffs small
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}


def sync() -> list[Path]:
    """Pair every notebook with its MyST markdown, newest side wins; fix headers.

    A chapter may start as a .md file only; sync creates its .ipynb.
    """
    written = []
    stems = {p.with_suffix("") for p in CHAPTERS.glob("[0-9][0-9]_*/*.ipynb")}
    for md in CHAPTERS.glob("[0-9][0-9]_*/*.md"):
        if md.name != "index.md" and "jupytext" in md.read_text()[:500]:
            stems.add(md.with_suffix(""))
    for stem in sorted(stems):
        written.append(sync_one(stem))
    return written


def sync_one(stem: Path) -> Path:
    """Sync the pair ``stem.ipynb``/``stem.md`` from the newer side; returns the .ipynb."""
    import jupytext

    ipynb, md = stem.with_suffix(".ipynb"), stem.with_suffix(".md")
    newest = max((p for p in (ipynb, md) if p.exists()), key=lambda p: p.stat().st_mtime)
    nb = jupytext.read(newest)
    _apply_header(nb, ipynb)
    _strip(nb)
    jupytext.write(nb, ipynb, fmt="ipynb")
    jupytext.write(nb, md, fmt="md:myst")
    return ipynb


# --------------------------------------------------------------------- checks
ABSOLUTE_PATH = re.compile(r"""["'](/(home|Users|root|work|tmp|mnt|opt|var|srv)/|[A-Za-z]:\\\\)""")


def check_notebook(nb_path: Path) -> list[str]:
    """Problems with one notebook; an empty list means it follows the rules."""
    import jupytext
    import nbformat

    problems = []
    rel = nb_path.relative_to(ROOT)
    raw = nbformat.read(nb_path, as_version=4)
    if raw.metadata.get("kernelspec", {}).get("name") != KERNELSPEC["name"]:
        problems.append(f"{rel}: kernelspec must name '{KERNELSPEC['name']}'")
    for i, cell in enumerate(raw.cells):
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None):
            problems.append(f"{rel}: cell {i} has stored outputs (run `make sync` to strip them)")
        if ABSOLUTE_PATH.search(cell.source):
            problems.append(f"{rel}: cell {i} contains an absolute path: {ABSOLUTE_PATH.search(cell.source).group(0)}")
    try:
        title = _title_of(raw)
        title_src, setup_src = header_cells(nb_path, title)
        if raw.cells[0].source != title_src:
            problems.append(f"{rel}: the title cell must be the title and the Colab badge (run `make sync`)")
        if len(raw.cells) < 2 or raw.cells[1].source != setup_src:
            problems.append(f"{rel}: cell 1 must be the generated Colab setup cell (run `make sync`)")
    except ValueError as err:
        problems.append(f"{rel}: {err}")
    md = paired_markdown(nb_path)
    if not md.exists():
        problems.append(f"{rel}: no paired MyST file {md.name} (run `make sync`)")
    else:
        text = jupytext.read(md)
        a = [(c.cell_type, c.source) for c in raw.cells]
        b = [(c.cell_type, c.source) for c in text.cells]
        if a != b:
            diff = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            problems.append(f"{rel} and {md.name} are out of sync from cell {diff} (run `make sync`)")
    return problems


# --------------------------------------------------------------------- HTML book
def _vendor_mathjax() -> Path | None:
    """MathJax 3 from the npm registry, unpacked once under _build/vendor."""
    target = BUILD / "vendor" / f"mathjax-{MATHJAX_VERSION}-with-extensions"
    if (target / "es5" / "input" / "tex" / "extensions").is_dir():
        return target
    if shutil.which("npm") is None:
        print("build_book: npm not found; math will load MathJax from its CDN (needs a network)")
        return None
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", f"mathjax@{MATHJAX_VERSION}", "--silent"], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL)
        tgz = next(Path(tmp).glob("mathjax-*.tgz"))
        staging = extract(tgz, Path(tmp) / "unpacked")  # checked member by member, filter="data"
        package = staging / "package"
        keep = ["es5/tex-chtml.js", "es5/output/chtml/fonts/woff-v2", "es5/input/tex/extensions", "LICENSE"]
        kept = Path(tmp) / "kept"
        for rel in keep:  # only what the book loads (extensions are autoloaded, e.g. \boldsymbol)
            (kept / rel).parent.mkdir(parents=True, exist_ok=True)
            (shutil.copytree if (package / rel).is_dir() else shutil.copy2)(package / rel, kept / rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(target, ignore_errors=True)
        shutil.move(str(kept), target)
    return target


def ingest_executed() -> int:
    """Put notebooks executed by the test run into the jupyter cache.

    Only copies made with the current d2lhelper (same :func:`package_key`) and
    with the same code as the current notebook are taken.
    """
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(str(cache_dir()))
    taken = 0
    for nb_path in notebooks():
        executed = EXECUTED / nb_path.relative_to(ROOT)
        if not executed.exists():
            continue
        done = nbformat.read(executed, as_version=4)
        meta = done.metadata.get("d2lhelper", {})
        source = nbformat.read(nb_path, as_version=4)
        same_code = [c.source for c in source.cells] == [c.source for c in done.cells]
        if meta.get("package_key") != package_key() or not same_code:
            continue
        try:
            cache.match_cache_notebook(source)
            continue  # already cached
        except KeyError:
            pass
        cache.cache_notebook_bundle(
            CacheBundleIn(done, str(nb_path), data={"execution_seconds": meta.get("seconds"), "from_test_run": True}),
            check_validity=False, overwrite=True)
        taken += 1
    return taken


def cached_record(nb_path: Path):
    """The jupyter-cache record matching the notebook's current code, or None."""
    import nbformat
    from jupyter_cache import get_cache

    try:
        return get_cache(str(cache_dir())).match_cache_notebook(nbformat.read(nb_path, as_version=4))
    except KeyError:
        return None


def _sphinx_config() -> dict:
    repo = repository_url()
    mathjax = _vendor_mathjax()
    static = BUILD / "static"
    shutil.rmtree(static, ignore_errors=True)
    shutil.copytree(CHAPTERS / "_static", static)
    config = {
        "project": "Deep Learning, Hands On",
        "author": "The d2lhelper authors",
        "copyright": "2026, the d2lhelper authors",
        "extensions": ["myst_nb", "sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.viewcode",
                       "sphinx.ext.mathjax"],
        "root_doc": "index",
        "exclude_patterns": ["_static", "**/.ipynb_checkpoints"] + [
            paired_markdown(p).relative_to(CHAPTERS).as_posix() for p in notebooks()] + [
            f"{p.name}/**" for p in CHAPTERS.glob("[0-9][0-9]_*")
            if selected_chapters() is not None and p.name not in selected_chapters()],
        "html_theme": "sphinx_book_theme",
        "html_title": "Deep Learning, Hands On",
        "html_static_path": [str(static)],
        "html_favicon": str(CHAPTERS / "_static" / "favicon.svg"),
        "html_css_files": ["book.css"],
        "html_context": {"default_mode": "light"},
        "html_theme_options": {
            "repository_url": repo,
            "path_to_docs": "chapters",
            "repository_branch": "main",
            "use_repository_button": True,
            "launch_buttons": {"colab_url": "https://colab.research.google.com"},
            "show_toc_level": 2,
        },
        "myst_enable_extensions": ["dollarmath", "amsmath", "colon_fence"],
        "nb_execution_mode": "cache",
        "nb_execution_cache_path": str(cache_dir()),
        "nb_execution_raise_on_error": True,
        "nb_execution_show_tb": True,
        "nb_execution_timeout": 900,
        "nb_merge_streams": True,
        "autodoc_member_order": "bysource",
        "autodoc_typehints": "description",
        "napoleon_google_docstring": True,
        "suppress_warnings": ["mystnb.unknown_mime_type"],
    }
    if mathjax is not None:
        shutil.copytree(mathjax / "es5", static / "mathjax")
        config["mathjax_path"] = "mathjax/tex-chtml.js"
    return config


def _local_colab_badge(app, doctree, docname) -> None:
    """Show the Colab badge from the book's own files (the HTML works offline)."""
    from docutils import nodes

    depth = docname.count("/")
    for node in doctree.findall(nodes.image):
        if node.get("uri") == COLAB_BADGE_SRC:
            node["uri"] = "../" * depth + "_static/colab-badge.svg"


def _cache_records() -> dict[str, int | None]:
    """For each notebook, the primary key of the cached execution matching its code (None if none)."""
    return {nb.relative_to(ROOT).as_posix(): (r.pk if (r := cached_record(nb)) is not None else None)
            for nb in notebooks()}


BUILD_REPORT = BUILD / "last_build.json"


def build_html(quiet: bool = False) -> Path:
    """Execute (cached) and build the HTML book; returns the path of index.html.

    Writes ``_build/last_build.json``: which notebooks this build executed
    (no cached execution matched their code) and which it took from the cache.
    """
    from sphinx.application import Sphinx

    os.environ.update(EXECUTION_ENV)
    started = time.perf_counter()
    taken = ingest_executed()
    if taken:
        print(f"build_book: reusing {taken} notebook(s) executed by the test run")
    before = _cache_records()
    config = _sphinx_config()
    app = Sphinx(srcdir=str(CHAPTERS), confdir=None, outdir=str(HTML), doctreedir=str(BUILD / "doctrees"),
                 buildername="html", confoverrides=config, status=None if quiet else sys.stdout,
                 warning=sys.stderr, freshenv=False, keep_going=False)
    app.connect("doctree-resolved", _local_colab_badge)
    app.build()
    if app.statuscode:
        raise SystemExit(f"build_book: Sphinx failed with status {app.statuscode}")
    after = _cache_records()
    executed = sorted(nb for nb, pk in after.items() if pk is not None and pk != before.get(nb))
    BUILD_REPORT.write_text(json.dumps({"executed": executed, "from_cache": sorted(
        nb for nb, pk in after.items() if pk is not None and pk == before.get(nb)), "ingested": taken}, indent=2))
    if executed:
        print(f"build_book: executed {len(executed)} notebook(s) that had no cached execution")
    index = HTML / "index.html"
    print(f"build_book: built in {time.perf_counter() - started:.0f} s; open {index}")
    return index


# --------------------------------------------------------------------- browser
REQUIRE_BROWSER = "D2LHELPER_REQUIRE_BROWSER"


def find_browser() -> str | None:
    """A Chromium for the browser test: Debian's, or one Playwright downloaded; None if neither."""
    system = shutil.which("chromium") or shutil.which("chromium-browser")
    if system:
        return system
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            managed = p.chromium.executable_path
    except Exception:  # noqa: BLE001 - no playwright, or no managed browser
        return None
    return managed if managed and Path(managed).is_file() else None


def ensure_browser() -> str | None:
    """Find or install a Chromium for the browser test; None (and say why) where none can be had.

    Debian/Ubuntu as root: ``apt-get install chromium``. Elsewhere: a
    Playwright-managed Chromium, where the machine can download one.
    """
    found = find_browser()
    if found:
        return found
    tried = []
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        print("build_book: installing Chromium for the browser test (apt-get install chromium) ...", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        ok = subprocess.run("apt-get update -qq && apt-get install -y -qq chromium", shell=True, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        tried.append("apt-get install chromium" + ("" if ok.returncode == 0 else f" failed: {ok.stderr.strip()[-200:]}"))
        if find_browser():
            return find_browser()
    print("build_book: asking Playwright to download a Chromium for the browser test ...", flush=True)
    try:
        ok = subprocess.run([sys.executable, "-m", "playwright", "install", "chromium"], capture_output=True,
                            text=True, timeout=300)
        tried.append("playwright install chromium" + ("" if ok.returncode == 0 else f" failed: {ok.stderr.strip()[-200:]}"))
    except (subprocess.TimeoutExpired, OSError) as err:
        tried.append(f"playwright install chromium failed: {err}")
    found = find_browser()
    if found is None:
        print("build_book: no Chromium could be had (" + "; ".join(tried) + ")", flush=True)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["sync", "check", "html", "browser"])
    args = parser.parse_args(argv)
    if args.command == "sync":
        for path in sync():
            print(f"synced {path.relative_to(ROOT)}")
    elif args.command == "check":
        problems = [p for nb in notebooks() for p in check_notebook(nb)]
        print("\n".join(problems) or f"{len(notebooks())} notebooks follow the rules")
        return 1 if problems else 0
    elif args.command == "browser":
        found = ensure_browser()
        print(f"build_book: browser test uses {found}" if found else
              "build_book: the browser test will be skipped (no Chromium)")
    else:
        build_html()
    return 0


if __name__ == "__main__":
    sys.exit(main())
