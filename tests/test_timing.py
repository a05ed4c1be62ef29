import time

import pytest

import d2lhelper as d2l


def test_timer_records_intervals():
    timer = d2l.Timer()
    for delay in (0.01, 0.03, 0.02):
        with timer:
            time.sleep(delay)
    assert len(timer.times) == 3
    assert timer.times[1] >= 0.03 and timer.last >= 0.02
    assert timer.sum() == pytest.approx(sum(timer.times))
    assert timer.avg() == pytest.approx(timer.sum() / 3)
    assert timer.median() == sorted(timer.times)[1]
    assert timer.cumsum()[-1] == pytest.approx(timer.sum())


def test_timer_start_stop_and_errors():
    timer = d2l.Timer()
    with pytest.raises(RuntimeError, match="before Timer.start"):
        timer.stop()
    with pytest.raises(RuntimeError, match="no recorded interval"):
        timer.avg()
    timer.start()
    assert timer.stop() >= 0
    timer.times = [1.0, 3.0, 2.0, 10.0]
    assert timer.median() == 2.5


def test_accumulator_sums_and_resets():
    acc = d2l.Accumulator(3)
    acc.add(1, 2, 3)
    acc.add(0.5, 0, 1)
    assert acc.as_list() == [1.5, 2.0, 4.0] and acc[2] == 4.0 and len(acc) == 3
    acc.reset()
    assert acc.as_list() == [0.0, 0.0, 0.0]


def test_accumulator_validates():
    with pytest.raises(ValueError, match="n must be a positive int, got 0"):
        d2l.Accumulator(0)
    with pytest.raises(ValueError, match="expects 2 values, got 3"):
        d2l.Accumulator(2).add(1, 2, 3)
