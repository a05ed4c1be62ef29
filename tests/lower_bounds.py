"""Print pip constraints that pin every requirement to the lowest version requirements.txt allows.

``make test-min`` installs requirements.txt under these constraints into
``.venv-min`` and runs the unit tests there, so the lower bounds we publish are
versions the book has actually been tested with, not guesses. Dependencies of
dependencies are left to pip (they resolve to versions compatible with the pins).

    python tests/lower_bounds.py > constraints.txt
"""
from __future__ import annotations

import sys
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def lower_bound_pins(path: Path = ROOT / "requirements.txt") -> list[str]:
    """``name==X`` (with the requirement's marker) for every ``name>=X`` line of ``path``."""
    pins = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        lows = [s.version for s in req.specifier if s.operator == ">="]
        if len(lows) != 1:
            raise ValueError(f"{path.name}: {line!r} must have exactly one '>=' lower bound")
        marker = f"; {req.marker}" if req.marker else ""
        pins.append(f"{req.name}=={lows[0]}{marker}")
    return pins


if __name__ == "__main__":
    sys.stdout.write("\n".join(lower_bound_pins()) + "\n")
