"""Executing the notebooks under pytest (nbval), once.

* Notebooks run with the book's execution settings (no progress bars; live plots
  draw their final state only), see ``build_book.EXECUTION_ENV``.
* Each notebook whose cells all pass is saved with its outputs to
  ``_build/executed/``; the book build takes those instead of executing again.
* A table of per-notebook execution times is printed at the end and written to
  ``_build/notebook_times.json``; a notebook or chapter over its CPU budget
  fails the run (``D2LHELPER_BUDGET_SCALE`` stretches the budgets on slower
  machines).
"""
from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path

import nbformat
import nbval.kernel
import pytest

import build_book

os.environ.update(build_book.EXECUTION_ENV)
# Under pytest-xdist several kernels run at once; giving each all cores makes
# their OpenMP thread pools fight (a 32x32 matmul measured 24 ms instead of
# microseconds). Each kernel gets an equal share instead.
if "PYTEST_XDIST_WORKER_COUNT" in os.environ and "OMP_NUM_THREADS" not in os.environ:
    workers = int(os.environ["PYTEST_XDIST_WORKER_COUNT"])
    os.environ["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // workers))


def _execute_with_history(self, cell_input, allow_stdin=None):
    """nbval's execute_cell_input, but with ``store_history=True``.

    IPython decides that a trailing ``;`` silences a cell's result by looking at
    the history; nbval's ``store_history=False`` made ``plot(...);`` print
    ``<Axes ...>`` lines that a reader in Jupyter never sees.
    """
    return self.kc.execute(cell_input, allow_stdin=allow_stdin, store_history=True, stop_on_error=False)


nbval.kernel.RunningKernel.execute_cell_input = _execute_with_history

NOTEBOOK_BUDGET_S = 240
# Notebook seconds summed over the book (2 workers run them in about half that wall time); with the unit
# tests and the other CI steps this keeps `.ci/run` under its 40 minutes.
BOOK_BUDGET_S = 40 * 60
# Seconds on 2 CPU cores, from each chapter's issue.
CHAPTER_BUDGET_S = {"01_tensors": 120, "02_fundamentals": 360, "03_cnn": 480, "04_rnn": 480,
                    "05_attention": 600, "06_style_transfer": 300, "07_gnn": 300, "08_optimization": 300,
                    "09_performance": 360, "10_vision": 480, "11_pretraining": 480,
                    "12_deployment": 240}

_outputs: dict[str, dict[int, list]] = defaultdict(dict)  # worker side: notebook -> cell index -> outputs
_failed: set[str] = set()
_seconds: dict[str, float] = defaultdict(float)  # controller side: notebook -> seconds
_cells: dict[str, int] = defaultdict(int)
_over_budget: list[str] = []


def pytest_ignore_collect(collection_path, config):
    """``D2LHELPER_CHAPTERS=01_tensors,...`` runs only those chapters' notebooks (as the book build does)."""
    chosen = build_book.selected_chapters()
    if chosen is None or collection_path.suffix != ".ipynb":
        return None
    return True if collection_path.parent.name not in chosen else None


def _notebook_of(nodeid: str) -> str | None:
    path = nodeid.split("::")[0]
    return path if path.endswith(".ipynb") else None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    nb = _notebook_of(item.nodeid)
    if nb is None or call.when != "call":
        return
    if report.failed:
        _failed.add(nb)
        return
    outputs = getattr(item, "test_outputs", None) or []
    index = next(i for i, c in enumerate(item.parent.nb.cells) if c is item.cell)
    _outputs[nb][index] = [nbformat.from_dict(dict(o)) for o in outputs]


def pytest_runtest_logreport(report):
    nb = _notebook_of(report.nodeid)
    if nb is not None:
        _seconds[nb] += report.duration
        if report.when == "call":
            _cells[nb] += 1


def _save_executed(session) -> None:
    root = Path(str(session.config.rootdir))
    key = build_book.package_key()
    for nb, outputs in _outputs.items():
        if nb in _failed:
            continue
        path = root / nb
        notebook = nbformat.read(path, as_version=4)
        for i, cell in enumerate(notebook.cells):
            if cell.cell_type == "code":
                cell.outputs = outputs.get(i, [])
        notebook.metadata["d2lhelper"] = {"package_key": key, "seconds": round(_seconds.get(nb, 0.0), 2)}
        target = build_book.EXECUTED / nb
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        nbformat.write(notebook, tmp)
        tmp.replace(target)


def pytest_sessionfinish(session, exitstatus):
    _save_executed(session)
    if hasattr(session.config, "workerinput") or not _seconds:
        return  # xdist worker: the controller does the bookkeeping
    scale = float(os.environ.get("D2LHELPER_BUDGET_SCALE", "1"))
    chapters: dict[str, float] = defaultdict(float)
    for nb, s in _seconds.items():
        chapters[Path(nb).parent.name] += s
        if s > NOTEBOOK_BUDGET_S * scale:
            _over_budget.append(f"{nb}: {s:.0f} s > {NOTEBOOK_BUDGET_S * scale:.0f} s")
    for ch, s in chapters.items():
        budget = CHAPTER_BUDGET_S.get(ch, NOTEBOOK_BUDGET_S) * scale
        if s > budget:
            _over_budget.append(f"chapter {ch}: {s:.0f} s > {budget:.0f} s")
    if sum(_seconds.values()) > BOOK_BUDGET_S * scale:
        _over_budget.append(f"whole book: {sum(_seconds.values()):.0f} s > {BOOK_BUDGET_S * scale:.0f} s")
    build_book.BUILD.mkdir(exist_ok=True)
    (build_book.BUILD / "notebook_times.json").write_text(json.dumps(
        {"seconds": dict(sorted(_seconds.items())), "chapters": dict(sorted(chapters.items())),
         "total": sum(_seconds.values())}, indent=2))
    if _over_budget and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    if not _seconds:
        return
    tr = terminalreporter
    tr.section("notebook execution times (2-core CPU budget: 240 s per notebook)")
    width = max(len(nb) for nb in _seconds)
    for nb in sorted(_seconds):
        tr.write_line(f"{nb:<{width}}  {_cells[nb]:>3} cells  {_seconds[nb]:7.1f} s")
    tr.write_line(f"{'total':<{width}}  {sum(_cells.values()):>3} cells  {sum(_seconds.values()):7.1f} s")
    for line in _over_budget:
        tr.write_line(f"OVER BUDGET: {line}", red=True)
