#!/usr/bin/env python
"""Time chapters 2 and 3 on the path every online reader takes: 60,000 + 10,000 Fashion-MNIST-sized images.

Fashion-MNIST cannot be downloaded here, so the notebooks that load it run on
a generated stand-in of the same size (``bench/standin.py``: real MNIST
digits, shifted copies) placed where torchvision looks. This is a timing run:
assert cells whose bounds are Fashion-MNIST's may fail on digits and are
reported, not counted; any other error fails the run, as does a notebook or
chapter over its CPU budget (``chapters/conftest.py``). Writes
``_build/standin_times.json``.

Like ``make test``, it runs two kernels at once with one thread each and counts
a chapter's budget in notebook seconds (the sum over its notebooks), so the
numbers compare with ``_build/notebook_times.json``; the longest notebooks
start first.

    python tests/standin_timing.py            # what `make test-standin` runs
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

import build_book  # noqa: E402

sys.path.insert(0, str(ROOT / "chapters"))
from conftest import CHAPTER_BUDGET_S, NOTEBOOK_BUDGET_S  # noqa: E402

CHAPTERS = ("02_fundamentals", "03_cnn")


def uses_fashion_mnist(nb: Path) -> bool:
    return "load_fashion_mnist" in nb.read_text()


WORKERS = 2


def run(nb_path: Path) -> tuple[str, float, list[str], list[str]]:
    """Execute one notebook; its seconds, errors that fail the run, and Fashion-MNIST bounds not met."""
    nb = nbformat.read(nb_path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=900, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(nb_path.parent)}}).execute()
    rel = nb_path.relative_to(ROOT).as_posix()
    seconds = time.perf_counter() - start
    failures: list[str] = []
    bounds: list[str] = []
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    if not any("Fashion-MNIST" in "".join(o.get("text", "")) for o in outputs if o.get("name") == "stdout"):
        failures.append(f"{rel}: never printed that it trains on Fashion-MNIST (did the stand-in load?)")
    for o in outputs:
        if o.get("output_type") == "error":
            line = f"{rel}: {o['ename']}: {o['evalue'][:200]}"
            (bounds if o["ename"] == "AssertionError" else failures).append(line)
    if any("NOTICE: Fashion-MNIST is not available" in "".join(o.get("text", "")) for o in outputs):
        failures.append(f"{rel}: fell back to the offline data instead of the stand-in")
    print(f"{rel:<55} {seconds:6.1f} s", flush=True)
    return rel, seconds, failures, bounds


def main() -> int:
    import standin

    scale = float(os.environ.get("D2LHELPER_BUDGET_SCALE", "1"))
    notebooks = [nb for nb in build_book.notebooks() if nb.parent.name in CHAPTERS and uses_fashion_mnist(nb)]
    earlier = build_book.BUILD / "notebook_times.json"  # make test's times, when it ran first: longest first
    known = json.loads(earlier.read_text())["seconds"] if earlier.exists() else {}
    notebooks.sort(key=lambda nb: -known.get(nb.relative_to(ROOT).as_posix(), 0.0))
    with tempfile.TemporaryDirectory() as cache:
        os.environ.update(build_book.EXECUTION_ENV, D2LHELPER_DATA=cache)
        os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // WORKERS)))
        standin.write_standin(Path(cache) / "fashion-mnist")
        with ThreadPoolExecutor(WORKERS) as pool:
            results = list(pool.map(run, notebooks))
    times = {rel: s for rel, s, _, _ in sorted(results)}
    failures = [f for _, _, fs, _ in results for f in fs]
    bounds = [b for _, _, _, bs in results for b in bs]
    chapters = {ch: sum(s for nb, s in times.items() if f"/{ch}/" in nb) for ch in CHAPTERS}
    for nb, s in times.items():
        if s > NOTEBOOK_BUDGET_S * scale:
            failures.append(f"{nb}: {s:.0f} s > {NOTEBOOK_BUDGET_S * scale:.0f} s")
    # A chapter's budget covers all its notebooks; these are the ones that load Fashion-MNIST.
    for ch, s in chapters.items():
        if s > CHAPTER_BUDGET_S[ch] * scale:
            failures.append(f"chapter {ch}: {s:.0f} s on the stand-in alone > {CHAPTER_BUDGET_S[ch] * scale:.0f} s")
    build_book.BUILD.mkdir(exist_ok=True)
    (build_book.BUILD / "standin_times.json").write_text(json.dumps(
        {"data": standin.NAME, "seconds": times, "chapters": chapters,
         "fashion_mnist_bounds_not_met_on_digits": bounds}, indent=2))
    print(f"chapters: {', '.join(f'{ch} {s:.0f} s' for ch, s in chapters.items())}")
    for line in bounds:
        print(f"(a Fashion-MNIST bound, not expected to hold on the stand-in's digits) {line}")
    for line in failures:
        print(f"FAILED: {line}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
