"""The book's format rules hold for every notebook, and the checker can fail."""
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

import build_book

NOTEBOOKS = build_book.notebooks()


def test_there_are_notebooks():
    assert NOTEBOOKS, "no chapter notebooks found under chapters/NN_topic/"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.relative_to(build_book.CHAPTERS).as_posix())
def test_notebook_follows_the_rules(nb):
    assert build_book.check_notebook(nb) == []


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.relative_to(build_book.CHAPTERS).as_posix())
def test_notebook_is_in_its_chapter_toc(nb):
    index = nb.parent / "index.md"
    assert index.exists(), f"{nb.parent.name} has no index.md (the chapter page with its toctree)"
    assert nb.stem in index.read_text(), f"{nb.stem} is not listed in {index.name}'s toctree"


@pytest.fixture
def scratch_notebook():
    """A copy of a real notebook inside the chapters tree, removed afterwards."""
    folder = build_book.CHAPTERS / "99_scratch"
    folder.mkdir()
    yield folder
    shutil.rmtree(folder)


def _copy(src: Path, folder: Path) -> Path:
    dst = folder / src.name
    shutil.copy(src, dst)
    shutil.copy(build_book.paired_markdown(src), build_book.paired_markdown(dst))
    return build_book.sync_one(dst.with_suffix(""))  # the header names the new path


def _rewrite(path: Path, edit) -> None:
    nb = nbformat.read(path, as_version=4)
    edit(nb)
    nbformat.write(nb, path)


@pytest.mark.skipif(not NOTEBOOKS, reason="no notebooks yet")
@pytest.mark.parametrize("edit, expected", [
    (lambda nb: nb.cells[1].update(outputs=[nbformat.v4.new_output("stream", text="hi")], execution_count=1),
     "stored outputs"),
    (lambda nb: nb.metadata.pop("kernelspec"), "kernelspec"),
    (lambda nb: nb.cells[0].update(source=nb.cells[0].source.split("\n")[0]), "Colab badge"),
    (lambda nb: nb.cells[1].update(source="import sys"), "setup cell"),
    (lambda nb: nb.cells.append(nbformat.v4.new_code_cell('open("/home/me/data.csv")')), "absolute path"),
])
def test_checker_catches_broken_notebooks(scratch_notebook, edit, expected):
    nb = _copy(NOTEBOOKS[0], scratch_notebook)
    assert build_book.check_notebook(nb) == []
    _rewrite(nb, edit)
    problems = build_book.check_notebook(nb)
    assert any(expected in p for p in problems), problems


@pytest.mark.skipif(not NOTEBOOKS, reason="no notebooks yet")
def test_checker_catches_an_unsynced_pair(scratch_notebook):
    nb = _copy(NOTEBOOKS[0], scratch_notebook)
    md = build_book.paired_markdown(nb)
    md.write_text(md.read_text() + "\nA sentence only the markdown file has.\n")
    assert any("out of sync" in p for p in build_book.check_notebook(nb))
    md.unlink()
    assert any("no paired MyST file" in p for p in build_book.check_notebook(nb))


def test_repository_url_lives_in_one_place():
    url = build_book.repository_url()
    assert url.startswith("https://github.com/")
    root = build_book.ROOT
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=root,
                            capture_output=True, text=True, check=True).stdout.split()
    tracked = [root / p for p in listed if not p.startswith("chapters/") and (root / p).is_file()]
    holders = [p.relative_to(root).as_posix() for p in tracked if url in p.read_text(errors="ignore")]
    assert holders == ["pyproject.toml"]
    for nb in NOTEBOOKS:  # and every notebook's header is generated from it
        title, setup = build_book.header_cells(nb, "t")
        assert url.replace("github.com", "colab.research.google.com/github") in title and url in setup


def test_package_key_changes_with_the_package(tmp_path, monkeypatch):
    shutil.copytree(build_book.ROOT / "d2lhelper", tmp_path / "d2lhelper",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(build_book.ROOT / "requirements.txt", tmp_path)
    monkeypatch.setattr(build_book, "ROOT", tmp_path)
    before = build_book.package_key()
    assert build_book.package_key() == before
    with open(tmp_path / "d2lhelper" / "timing.py", "a") as f:
        f.write("\n# a change\n")
    assert build_book.package_key() != before
