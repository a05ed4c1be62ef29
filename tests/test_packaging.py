"""requirements.txt, environment.yml and pyproject.toml agree, with lower bounds only."""
import re

import yaml

import build_book

ROOT = build_book.ROOT


def _requirements() -> list[str]:
    return [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")]


def test_requirements_are_lower_bounds_only():
    for req in _requirements():
        spec = req.split(";")[0]
        assert re.fullmatch(r"[A-Za-z0-9_.\-]+>=[0-9][0-9.]*", spec.strip()), f"not a lower bound: {req}"


def test_environment_yml_matches_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip == _requirements()


def test_package_dependencies_are_in_requirements():
    meta = build_book.tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert set(meta["project"]["dependencies"]) <= set(_requirements())


def test_importing_the_data_layer_loads_neither_torch_nor_matplotlib():
    """``d2lhelper`` and ``d2lhelper.data`` import their names on first use: a script that only
    fetches files (build_book, a download in CI) stays quick and needs no torch."""
    import subprocess
    import sys

    code = ("import sys, d2lhelper, d2lhelper.data as D; from d2lhelper.data import fetch, registry; "
            "heavy = sorted(m for m in ('torch', 'matplotlib', 'seaborn', 'pandas') if m in sys.modules); "
            "print(heavy); assert not heavy, heavy; "
            "assert callable(d2lhelper.fit) and 'torch' in sys.modules; "  # first use imports
            "assert set(d2lhelper.__all__) <= set(dir(d2lhelper)) and set(D.__all__) <= set(dir(D)); "
            "assert all(getattr(d2lhelper, n) is not None for n in d2lhelper.__all__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_unknown_names_give_an_attribute_error():
    import pytest

    import d2lhelper

    with pytest.raises(AttributeError, match="has no attribute 'fitt'"):
        d2lhelper.fitt  # noqa: B018
    with pytest.raises(AttributeError, match="has no attribute 'load_cora'"):
        d2lhelper.data.load_cora  # noqa: B018


def test_version_comes_from_the_installed_metadata():
    from importlib import metadata

    import d2lhelper

    assert d2lhelper.__version__ == metadata.version("d2lhelper")
