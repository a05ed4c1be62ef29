"""Translation pairs as padded index tensors: d2l's English-French pairs, or an offline task.

The canonical data set is the Tatoeba English-French pairs that d2l packages
(``fra-eng.zip`` in the registry). Where it cannot be had (no network and no
mirror copy), :func:`load_translation` builds a task offline from real language
data instead: dates written out in English and in French, from the CLDR locale
data of Babel (weekday and month names, the order of the parts) and the number
words of ``num2words``. It needs reordering (``march fifth`` becomes ``cinq mars``)
and French's base-20 numbers (``ninety - seven`` becomes ``quatre - vingt - dix - sept``).
A printed notice always says which task ran.
"""
from __future__ import annotations

import datetime
import functools
import random
import re
import zipfile
from dataclasses import dataclass

import torch

from .._checks import check_non_negative_int, check_positive_int
from ..text import Vocab
from ._fetch import DatasetError, fetch
from .loaders import TensorLoader

__all__ = ["TranslationData", "load_translation", "TASKS"]

TASKS = ("auto", "fra-eng", "dates")
SPECIALS = ["<pad>", "<bos>", "<eos>"]


@dataclass
class TranslationData:
    """Training and held-out translation pairs, their vocabularies and minibatches.

    Attributes:
        task: ``"fra-eng"`` or ``"dates"``, the task that was loaded.
        train_pairs, test_pairs: lists of ``(source tokens, target tokens)``; no
            source sentence of ``test_pairs`` occurs in ``train_pairs``.
        src_vocab, tgt_vocab: built from the training pairs, with ``<pad>``,
            ``<bos>`` and ``<eos>`` reserved (``<unk>`` is index 0).
        num_steps: every sequence is cut or padded to this length (``<eos>`` included).
        train_iter, test_iter: :class:`TensorLoader` yielding ``(X, X_valid_len, Y, Y_valid_len)``:
            ``X (B, num_steps)`` source indices ending in ``<eos>`` then ``<pad>``,
            ``X_valid_len (B,)`` the count of non-padding source tokens, and the same for
            the targets ``Y``. ``train_iter`` reshuffles every epoch.
    """

    task: str
    train_pairs: list[tuple[list[str], list[str]]]
    test_pairs: list[tuple[list[str], list[str]]]
    src_vocab: Vocab
    tgt_vocab: Vocab
    num_steps: int
    train_iter: TensorLoader
    test_iter: TensorLoader

    def __repr__(self) -> str:
        return (f"TranslationData(task={self.task!r}, train={len(self.train_pairs)} pairs, "
                f"test={len(self.test_pairs)} pairs, src_vocab={len(self.src_vocab)}, "
                f"tgt_vocab={len(self.tgt_vocab)}, num_steps={self.num_steps})")


# ---------------------------------------------------------------- English-French (Tatoeba via d2l)


def _read_fra_eng() -> list[tuple[list[str], list[str]]]:
    """All pairs of ``fra.txt``, lower-cased, with punctuation split off as tokens."""
    with zipfile.ZipFile(fetch("fra-eng.zip")) as zf:
        name = next(n for n in zf.namelist() if n.endswith("fra.txt"))
        text = zf.read(name).decode("utf-8")
    text = text.replace("\u202f", " ").replace("\xa0", " ").lower()
    text = re.sub(r"(?<=\S)([,.!?])", r" \1", text)  # "go." -> "go ."
    pairs = []
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[0].strip() and parts[1].strip():
            pairs.append((parts[0].split(), parts[1].split()))
    return pairs


# ---------------------------------------------------------------- the offline dates task


@functools.lru_cache(maxsize=None)
def _date_format(locale: str) -> tuple[list[str], dict[int, str], dict[int, str]]:
    """``locale``'s full date pattern split into fields and literals, its weekday and month names (CLDR, via Babel)."""
    from babel.dates import get_date_format, get_day_names, get_month_names

    parts = re.findall(r"E+|M+|d+|y+|'[^']*'|[^EMdy']+", get_date_format("full", locale=locale).pattern)
    return parts, dict(get_day_names("wide", locale=locale)), dict(get_month_names("wide", locale=locale))


def _date_words(day: datetime.date, locale: str) -> list[str]:
    """``day`` written out in ``locale``'s full date format, numbers as words, as tokens."""
    from num2words import num2words

    lang = locale.split("_")[0]
    parts, day_names, month_names = _date_format(locale)
    words = []
    for part in parts:
        if part.startswith("E"):
            words.append(day_names[day.weekday()])
        elif part.startswith("M"):
            words.append(month_names[day.month])
        elif part.startswith("d"):
            if lang == "en":
                words.append(num2words(day.day, to="ordinal", lang="en"))
            else:  # French (and most languages) use a cardinal, except "premier" for the 1st
                words.append("premier" if lang == "fr" and day.day == 1 else num2words(day.day, lang=lang))
        elif part.startswith("y"):
            words.append(num2words(day.year, to="year", lang=lang))
        else:
            words.append(part.strip("'"))
    text = " ".join(words).lower().replace("-", " - ").replace(",", " , ")
    return text.split()


def _dates_pairs(n: int, seed: int) -> list[tuple[list[str], list[str]]]:
    """``n`` distinct random dates between 1900 and 2099 as (English, French) token lists."""
    start, days = datetime.date(1900, 1, 1), (datetime.date(2099, 12, 31) - datetime.date(1900, 1, 1)).days + 1
    picks = random.Random(seed).sample(range(days), n)
    dates = [start + datetime.timedelta(d) for d in picks]
    return [(_date_words(d, "en"), _date_words(d, "fr")) for d in dates]


# ---------------------------------------------------------------- tensors


def _to_tensor(seqs: list[list[str]], vocab: Vocab, num_steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices ``(N, num_steps)`` (cut to ``num_steps - 1`` tokens, then ``<eos>``, then padding) and lengths ``(N,)``."""
    eos, pad = vocab["<eos>"], vocab["<pad>"]
    rows, lens = [], []
    for tokens in seqs:
        ids = vocab[tokens[: num_steps - 1]] + [eos]
        lens.append(len(ids))
        rows.append(ids + [pad] * (num_steps - len(ids)))
    return torch.tensor(rows, dtype=torch.int64), torch.tensor(lens, dtype=torch.int64)


def load_translation(
    task: str = "auto",
    *,
    batch_size: int = 64,
    num_train: int = 4000,
    num_test: int = 500,
    num_steps: int | None = None,
    seed: int = 0,
) -> TranslationData:
    """Translation pairs split into training and held-out parts, as minibatches.

    Args:
        task: ``"fra-eng"`` (d2l's English-French pairs; raises
            :class:`~d2lhelper.data.DatasetError` if they cannot be fetched),
            ``"dates"`` (English to French dates, built offline), or ``"auto"``
            (``fra-eng`` when it can be fetched, else ``dates`` with a notice).
        batch_size: pairs per minibatch (> 0).
        num_train, num_test: how many pairs to draw for training and for the
            held-out test set (> 0). For ``fra-eng`` they are drawn at random from
            the pairs whose sides both fit ``num_steps``.
        num_steps: sequence length with ``<eos>``; default 10 for ``fra-eng``
            and 16 for ``dates`` (the longest date is 15 tokens with ``<eos>``).
        seed: seeds the draw, the split and the shuffling of ``train_iter``.

    Returns:
        A :class:`TranslationData`.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    for name, v in (("batch_size", batch_size), ("num_train", num_train), ("num_test", num_test)):
        check_positive_int(name, v)
    if num_steps is not None:
        check_positive_int("num_steps", num_steps)
        if num_steps < 2:
            raise ValueError(f"num_steps must be >= 2 (a token and <eos>), got {num_steps}")
    check_non_negative_int("seed", seed)
    if task in ("auto", "fra-eng"):
        try:
            return _build("fra-eng", _fra_eng_pairs(num_train, num_test, num_steps or 10, seed),
                          num_train, batch_size, num_steps or 10, seed)
        except DatasetError as exc:
            if task == "fra-eng":
                raise
            reason = str(exc).splitlines()[0]
            print("d2lhelper: NOTICE: the English-French pairs (fra-eng.zip) could not be fetched "
                  f"({reason[:160]}...). Using the offline task instead: English dates -> French dates, "
                  "built from Babel's CLDR locale data and num2words.", flush=True)
    return _build("dates", _dates_pairs(num_train + num_test, seed), num_train, batch_size, num_steps or 16, seed)


def _fra_eng_pairs(num_train: int, num_test: int, num_steps: int, seed: int) -> list[tuple[list[str], list[str]]]:
    pairs = [p for p in _read_fra_eng() if len(p[0]) < num_steps and len(p[1]) < num_steps]
    # Tatoeba lists several translations of one English sentence: keep one per source
    # sentence, so no held-out source sentence was seen in training.
    unique = list({" ".join(src): (src, tgt) for src, tgt in pairs}.values())
    if len(unique) < num_train + num_test:
        raise ValueError(f"num_train + num_test must be at most {len(unique)} for fra-eng with "
                         f"num_steps={num_steps}, got {num_train + num_test}")
    return random.Random(seed).sample(unique, num_train + num_test)


def _build(task: str, pairs: list[tuple[list[str], list[str]]], num_train: int, batch_size: int, num_steps: int,
           seed: int) -> TranslationData:
    train, test = pairs[:num_train], pairs[num_train:]
    src_vocab = Vocab([s for s, _ in train], reserved_tokens=SPECIALS)
    tgt_vocab = Vocab([t for _, t in train], reserved_tokens=SPECIALS)

    def loader(part: list[tuple[list[str], list[str]]], shuffle: bool) -> TensorLoader:
        X, X_len = _to_tensor([s for s, _ in part], src_vocab, num_steps)
        Y, Y_len = _to_tensor([t for _, t in part], tgt_vocab, num_steps)
        gen = torch.Generator().manual_seed(seed) if shuffle else None
        return TensorLoader(X, X_len, Y, Y_len, batch_size=batch_size, shuffle=shuffle, generator=gen)

    return TranslationData(task, train, test, src_vocab, tgt_vocab, num_steps, loader(train, True), loader(test, False))
