"""Smoke test of the benchmark suite (bench/run.py --quick): it runs, and its outputs have their shape.

The full benchmark is `make bench`; this only keeps its code from rotting. It
never installs d2l (``--no-install``): where `make bench` already put a copy in
bench/_work the d2l rows run, otherwise they are reported as skipped, which
this test accepts.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))

import report  # noqa: E402


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bench")
    readme = tmp / "README.md"
    shutil.copyfile(BENCH / "README.md", readme)
    out = tmp / "results.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TQDM_DISABLE": "1"}
    cmd = [sys.executable, str(BENCH / "run.py"), "--quick", "--no-install", "--out", str(out), "--readme", str(readme)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(out.read_text()), readme.read_text()


def test_results_have_machine_and_every_benchmark(quick_run):
    results, _ = quick_run
    assert {"cpu", "cpu_count", "torch"} <= results["machine"].keys()
    run = results["runs"]["cpu"]
    assert run["quick"] is True and run["repeats"] == 1 and run["device"] == "cpu"
    figures = {"lenet": ("examples_per_s", "test_accuracy"), "rnn": ("tokens_per_s", "perplexity"),
               "gcn": ("seconds_per_epoch", "test_accuracy")}
    for bench, (speed, quality) in figures.items():
        assert "error" not in run[bench], run[bench]
        for name, variant in run[bench]["variants"].items():
            if "skipped" in variant:
                assert name.startswith("d2l"), f"{bench}/{name} must run; only d2l rows may be skipped"
                continue
            for figure in (speed, quality):
                assert len(variant[figure]["repeats"]) == 1
                assert variant[figure]["median"] > 0, (bench, name, figure)
        for goal in run[bench]["goals"]:
            assert {"name", "ratio", "target", "met"} <= goal.keys()
    acc = run["lenet"]["variants"]["fit"]["test_accuracy"]["median"]
    assert 0 <= acc <= 1
    assert run["rnn"]["variants"]["d2lhelper"]["perplexity"]["median"] < run["rnn"]["vocab_size"] * 1.5
    assert "available" in results["notebooks"]


def test_readme_table_is_regenerated_between_the_markers(quick_run):
    results, readme = quick_run
    assert readme.count(report.START) == 1 and readme.count(report.END) == 1
    table = readme.split(report.START)[1].split(report.END)[0]
    assert "Quick smoke run" in table and "| LeNet | d2lhelper `fit`" in table and "GCN on Cora" in table
    assert readme.split(report.START)[0] == (BENCH / "README.md").read_text().split(report.START)[0]


def test_update_readme_rejects_a_readme_without_markers(tmp_path, quick_run):
    results, _ = quick_run
    path = tmp_path / "README.md"
    path.write_text("no markers here\n")
    with pytest.raises(ValueError, match="must contain the marker lines"):
        report.update_readme(path, results)
    assert path.read_text() == "no markers here\n"
