"""A stopwatch and a running-sum accumulator for measuring training.

Both are small on purpose: the book reads their code in chapter 1.
"""
from __future__ import annotations

import time
from collections.abc import Sequence

from ._checks import check_positive_int

__all__ = ["Timer", "Accumulator"]


class Timer:
    """Record several intervals and summarise them.

    Use it as a stopwatch (``start``/``stop``) or as a context manager::

        timer = Timer()
        with timer:
            work()
        print(f"{timer.last:.3f} s")

    ``time.perf_counter`` is used, so the figures are wall-clock seconds with
    the best resolution the platform offers.
    """

    def __init__(self) -> None:
        self.times: list[float] = []
        self._start: float | None = None

    def start(self) -> None:
        """Start (or restart) the stopwatch."""
        self._start = time.perf_counter()

    def stop(self) -> float:
        """Stop the stopwatch, record the interval and return it in seconds."""
        if self._start is None:
            raise RuntimeError("Timer.stop() was called before Timer.start()")
        self.times.append(time.perf_counter() - self._start)
        self._start = None
        return self.times[-1]

    def __enter__(self) -> "Timer":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def last(self) -> float:
        """The last recorded interval in seconds."""
        if not self.times:
            raise RuntimeError("Timer has no recorded interval yet")
        return self.times[-1]

    def sum(self) -> float:
        """Total of all recorded intervals, in seconds."""
        return sum(self.times)

    def avg(self) -> float:
        """Mean of the recorded intervals, in seconds."""
        if not self.times:
            raise RuntimeError("Timer has no recorded interval yet")
        return self.sum() / len(self.times)

    def median(self) -> float:
        """Median of the recorded intervals (robust to a slow first run)."""
        if not self.times:
            raise RuntimeError("Timer has no recorded interval yet")
        ordered = sorted(self.times)
        mid = len(ordered) // 2
        return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2

    def cumsum(self) -> list[float]:
        """Running totals of the recorded intervals."""
        out, total = [], 0.0
        for t in self.times:
            total += t
            out.append(total)
        return out


class Accumulator:
    """Keep ``n`` running sums, e.g. (summed loss, correct predictions, examples).

    Example::

        metric = Accumulator(3)
        metric.add(loss.item() * len(y), (y_hat.argmax(1) == y).sum().item(), len(y))
        mean_loss, accuracy = metric[0] / metric[2], metric[1] / metric[2]
    """

    def __init__(self, n: int) -> None:
        check_positive_int("n", n)
        self.data = [0.0] * n

    def add(self, *values: float) -> None:
        """Add one value to each sum; exactly ``n`` values are expected."""
        if len(values) != len(self.data):
            raise ValueError(f"add() expects {len(self.data)} values, got {len(values)}")
        self.data = [a + float(b) for a, b in zip(self.data, values)]

    def reset(self) -> None:
        """Set every sum back to zero."""
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx: int) -> float:
        return self.data[idx]

    def __len__(self) -> int:
        return len(self.data)

    def as_list(self) -> Sequence[float]:
        """The sums as a list."""
        return list(self.data)
