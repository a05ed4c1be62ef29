"""The d2l package (0.17.6), installed for the benchmark only.

d2l is installed with ``pip install --no-deps --target bench/_work/d2l`` and
put on ``sys.path`` inside the benchmark process only: it never enters the
book's environment or ``requirements.txt``. ``d2l.torch`` imports ``requests``,
``IPython.display`` and ``matplotlib_inline`` at import time; any of them that
is missing is replaced by a minimal stub (printed), since the benchmark needs
none of them. Plots go to matplotlib's headless Agg backend, and the Animator's
``display`` calls become no-ops: it still updates its axes, but renders no image.
"""
from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

WORK = Path(__file__).resolve().parent / "_work"
D2L_DIR = WORK / "d2l"
D2L_VERSION = "0.17.6"


def installed() -> bool:
    """Whether a copy of d2l is in ``bench/_work/d2l``."""
    return (D2L_DIR / "d2l" / "torch.py").exists()


def ensure_installed() -> str | None:
    """Install d2l into ``bench/_work/d2l`` if it is not there; return None, or why it could not be."""
    if installed():
        return None
    cmd = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "-q", "--no-deps",
           "--target", str(D2L_DIR), f"d2l=={D2L_VERSION}"]
    print(f"bench: installing d2l {D2L_VERSION} into {D2L_DIR} (benchmark only)", flush=True)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"pip failed: {err}"
    if proc.returncode != 0 or not installed():
        shutil.rmtree(D2L_DIR, ignore_errors=True)  # nothing half-installed
        return f"pip install d2l=={D2L_VERSION} failed: {proc.stderr.strip()[-300:]}"
    return None


def _stub(name: str, **attrs: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    sys.modules[name] = module
    return module


def _stub_missing_imports() -> list[str]:
    """Stub the modules d2l imports but the benchmark does not use; return the names stubbed."""
    stubbed = []
    try:
        importlib.import_module("requests")
    except ImportError:
        def get(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError("the benchmark gives d2l no network: its data files are placed in its cache")
        _stub("requests", get=get)
        stubbed.append("requests")
    try:
        importlib.import_module("IPython.display")
    except ImportError:
        display = _stub("IPython.display", display=lambda *a, **k: None, clear_output=lambda *a, **k: None)
        _stub("IPython", display=display)
        stubbed.append("IPython")
    try:
        importlib.import_module("matplotlib_inline.backend_inline")
    except ImportError:
        inline = _stub("matplotlib_inline.backend_inline", set_matplotlib_formats=lambda *a, **k: None)
        _stub("matplotlib_inline", backend_inline=inline)
        stubbed.append("matplotlib_inline")
    return stubbed


def load(install: bool = True) -> tuple[Any, str]:
    """``(d2l.torch module or None, note)``; the note says what was done or why d2l is absent.

    With ``install=False`` a copy already in ``bench/_work/d2l`` is used, and none is installed.
    """
    reason = ensure_installed() if install or installed() else \
        f"not installed in {D2L_DIR.relative_to(WORK.parent.parent)}, and --no-install was given"
    if reason is not None:
        print(f"bench: NOTICE: d2l is not available ({reason}); the d2l columns are skipped", flush=True)
        return None, f"d2l not available: {reason}"
    import matplotlib

    matplotlib.use("Agg")
    stubbed = _stub_missing_imports()
    if stubbed:
        print(f"bench: stubbed modules d2l imports but the benchmark does not use: {stubbed}", flush=True)
    if str(D2L_DIR) not in sys.path:
        sys.path.insert(0, str(D2L_DIR))
    d2l = importlib.import_module("d2l.torch")
    # Its Animator calls display() on every add, which renders the figure (~0.1 s each, 7 times an epoch
    # in train_ch6) even headless; d2lhelper's side draws nothing either, so rendering is off on both.
    d2l.display = types.SimpleNamespace(display=lambda *a, **k: None, clear_output=lambda *a, **k: None)
    note = f"d2l {D2L_VERSION} from {D2L_DIR.relative_to(WORK.parent.parent)}, Animator rendering off"
    return d2l, note + (f"; stubbed {stubbed}" if stubbed else "")


def point_data_hub_at(d2l: Any, name: str, path: Path) -> None:
    """Make ``d2l.download(name)`` find ``path`` (same SHA-1) in its cache, so it needs no network."""
    url, _sha1 = d2l.DATA_HUB[name]
    cache = WORK / "d2l_data"
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / url.split("/")[-1]
    if not target.exists():
        shutil.copyfile(path, target)
    d2l.download.__defaults__ = (str(cache),)  # d2l's default is the relative folder ../data
