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
