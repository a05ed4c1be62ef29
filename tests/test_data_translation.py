"""Translation pairs: the offline dates task, the fra-eng reader (on a small fake file) and the fallback."""
from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from d2lhelper.data import DatasetError, load_translation
from d2lhelper.data import translation


@pytest.fixture(autouse=True)
def _offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("D2LHELPER_DATA", str(tmp_path / "cache"))
    monkeypatch.setenv("D2LHELPER_OFFLINE", "1")
    monkeypatch.delenv("D2LHELPER_MIRROR", raising=False)


def test_auto_falls_back_to_dates_with_a_notice(capsys: pytest.CaptureFixture[str]) -> None:
    data = load_translation(num_train=50, num_test=10, batch_size=8)
    out = capsys.readouterr().out
    assert "NOTICE" in out and "fra-eng.zip" in out and "dates" in out
    assert data.task == "dates"
    with pytest.raises(DatasetError, match="fra-eng.zip"):
        load_translation("fra-eng")


def test_dates_pairs_and_tensors() -> None:
    data = load_translation("dates", num_train=300, num_test=40, batch_size=16, seed=1)
    assert len(data.train_pairs) == 300 and len(data.test_pairs) == 40
    train_src = {" ".join(s) for s, _ in data.train_pairs}
    assert not train_src & {" ".join(s) for s, _ in data.test_pairs}  # held-out sources are unseen
    X, X_len, Y, Y_len = next(iter(data.train_iter))
    assert X.shape == Y.shape == (16, data.num_steps) and X_len.shape == (16,)
    eos, pad = data.src_vocab["<eos>"], data.src_vocab["<pad>"]
    for row, n in zip(X, X_len):
        assert row[n - 1] == eos and (row[n:] == pad).all() and (row[:n - 1] != pad).all()
    assert int(Y_len.max()) <= data.num_steps
    assert "TranslationData(task='dates'" in repr(data)
    again = load_translation("dates", num_train=300, num_test=40, batch_size=16, seed=1)
    assert again.train_pairs == data.train_pairs  # seeded


def test_date_words_follow_each_locales_order() -> None:
    import datetime

    day = datetime.date(1999, 3, 1)
    assert translation._date_words(day, "en") == "monday , march first , nineteen ninety - nine".split()
    assert translation._date_words(day, "fr") == "lundi premier mars mille neuf cent quatre - vingt - dix - neuf".split()


def test_fra_eng_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [f"Go {i}.\tVa {i} !\tCC-BY attribution" for i in range(30)] + ["I'm\u202fhappy.\tJe suis heureux\u202f!"]
    path = tmp_path / "fra-eng.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("fra-eng/fra.txt", "\n".join(lines) + "\n")
    monkeypatch.setattr(translation, "fetch", lambda name: path)
    pairs = translation._read_fra_eng()
    assert pairs[0] == (["go", "0", "."], ["va", "0", "!"])
    assert pairs[-1] == (["i'm", "happy", "."], ["je", "suis", "heureux", "!"])
    data = load_translation("fra-eng", num_train=20, num_test=5, batch_size=4)
    assert data.task == "fra-eng" and data.num_steps == 10
    with pytest.raises(ValueError, match="num_train \\+ num_test must be at most 31"):
        load_translation("fra-eng", num_train=30, num_test=5)


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"task": "german"}, ValueError, r"task must be one of \('auto', 'fra-eng', 'dates'\), got 'german'"),
    ({"batch_size": 0}, ValueError, "batch_size must be a positive int, got 0"),
    ({"num_train": 2.5}, TypeError, "num_train must be a positive int"),
    ({"num_steps": 1}, ValueError, "num_steps must be >= 2"),
])
def test_bad_arguments(kwargs: dict, error: type, match: str) -> None:
    kwargs = {"task": "dates", **kwargs}
    with pytest.raises(error, match=match):
        load_translation(**kwargs)
