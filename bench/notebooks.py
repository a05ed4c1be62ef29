"""Per-notebook execution times of the whole book, from the test run, against their budgets.

``make test`` writes ``_build/notebook_times.json`` (see ``chapters/conftest.py``);
the budgets are read from that same conftest, so they are written in one place.
"""
from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TIMES = ROOT / "_build" / "notebook_times.json"
CONFTEST = ROOT / "chapters" / "conftest.py"
HOW_TO_PRODUCE = "run `make test` (it writes _build/notebook_times.json), then `make bench` again"


_ALLOWED = (ast.Expression, ast.Constant, ast.Dict, ast.BinOp, ast.UnaryOp, ast.Add, ast.Sub, ast.Mult, ast.Div,
            ast.USub, ast.Load)


def _constant(node: ast.expr, source: Path) -> Any:
    """Evaluate a literal that may contain arithmetic, e.g. ``25 * 60``; nothing else is allowed."""
    tree = ast.Expression(node)
    for sub in ast.walk(tree):
        if not isinstance(sub, _ALLOWED):
            raise ValueError(f"{source}: a budget must be a number or a dict of numbers, got {ast.unparse(node)!r}")
    return eval(compile(tree, str(source), "eval"), {"__builtins__": {}})  # only literals and arithmetic


def budgets(conftest: Path = CONFTEST) -> dict[str, Any]:
    """The budget constants of ``chapters/conftest.py``, read without importing it (it has side effects)."""
    wanted = {"NOTEBOOK_BUDGET_S", "BOOK_BUDGET_S", "CHAPTER_BUDGET_S"}
    found: dict[str, Any] = {}
    for node in ast.parse(conftest.read_text()).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name in wanted:
                found[name] = _constant(node.value, conftest)
    missing = wanted - found.keys()
    if missing:
        raise ValueError(f"{conftest} must define {sorted(wanted)} as literals, missing {sorted(missing)}")
    return found


def notebook_times(times: Path = TIMES, conftest: Path = CONFTEST) -> dict[str, Any]:
    """Seconds per notebook and chapter, each with its budget and whether it is within it.

    Returns ``{"available": False, "note": ...}`` when the test run has not written the file.
    """
    if not times.exists():
        return {"available": False, "note": f"{times.relative_to(ROOT)} is missing: {HOW_TO_PRODUCE}"}
    raw = json.loads(times.read_text())
    b = budgets(conftest)
    per_nb, per_ch = b["NOTEBOOK_BUDGET_S"], b["CHAPTER_BUDGET_S"]
    return {
        "available": True,
        "source": str(times.relative_to(ROOT)),
        "notebooks": {nb: {"seconds": s, "budget_s": per_nb, "within": s <= per_nb}
                      for nb, s in raw["seconds"].items()},
        "chapters": {ch: {"seconds": s, "budget_s": per_ch.get(ch, per_nb), "within": s <= per_ch.get(ch, per_nb)}
                     for ch, s in raw["chapters"].items()},
        "total": {"seconds": raw["total"], "budget_s": b["BOOK_BUDGET_S"],
                  "within": raw["total"] <= b["BOOK_BUDGET_S"]},
        "complete": set(raw["chapters"]) >= set(per_ch),
        "note": "" if set(raw["chapters"]) >= set(per_ch) else
                f"the test run covered only {sorted(raw['chapters'])}; {HOW_TO_PRODUCE} for the whole book",
    }
