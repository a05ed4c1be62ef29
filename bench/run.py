"""Benchmarks of the book's helpers against d2l, hand-written PyTorch and PyG, in one run.

    python bench/run.py                   # CPU, 3 repeats: bench/results.json + the table in bench/README.md
    python bench/run.py --device cuda     # the same on a GPU, recorded beside the CPU figures
    python bench/run.py --quick --out /tmp/r.json --readme /tmp/README.md   # the smoke test

Each benchmark runs its variants interleaved (repeat 1 of every variant, then
repeat 2, ..., in reverse order on every other repeat), with the same seed for every variant of a repeat; figures are
medians over the repeats, and every repeat is kept in results.json. Ratios are
ratios of medians. See bench/README.md for what each figure means.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import d2lhelper as d2l  # noqa: E402

import _d2l  # noqa: E402
import gcn  # noqa: E402
import lenet  # noqa: E402
import notebooks  # noqa: E402
import report  # noqa: E402
import rnn  # noqa: E402

ACCURACY_TOLERANCE = 0.01    # "equal or better" accuracy: at most 1 point below
PERPLEXITY_TOLERANCE = 1.05  # "equal or better" perplexity: at most 5 % above


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--repeats", type=int, default=3, help="timed repeats per variant (median reported); default 3")
    p.add_argument("--quick", action="store_true",
                   help="smoke test: one repeat of 1 LeNet epoch, 2 RNN epochs, 5 GCN epochs (not a measurement)")
    p.add_argument("--no-install", action="store_true",
                   help="do not pip-install d2l into bench/_work; without an installed copy its rows are skipped")
    p.add_argument("--only", nargs="+", choices=["lenet", "rnn", "gcn"], default=["lenet", "rnn", "gcn"],
                   help="run only these benchmarks")
    p.add_argument("--out", type=Path, default=HERE / "results.json", help="results file (default bench/results.json)")
    p.add_argument("--readme", type=Path, default=HERE / "README.md",
                   help="README whose generated table is rewritten (default bench/README.md)")
    args = p.parse_args(argv)
    if args.repeats < 1:
        p.error(f"--repeats must be >= 1, got {args.repeats}")
    if args.quick:
        args.repeats = 1
    if args.device == "cuda" and not torch.cuda.is_available():
        p.error("--device cuda was asked for, but torch sees no CUDA device here")
    return args


def summary(values: list[float]) -> dict[str, Any]:
    """Every repeat and their median."""
    return {"repeats": values, "median": statistics.median(values)}


Variant = tuple[str, "Callable[[int, int], dict[str, float]] | str"]  # (label, fn(seed, epochs) or why skipped)


def run_variants(bench: str, variants: dict[str, Variant], *, epochs: int, repeats: int,
                 warm_up_epochs: int | None) -> dict[str, dict[str, Any]]:
    """Run every variant ``repeats`` times, interleaved; summarise each figure it returns.

    With ``warm_up_epochs``, each variant first runs once that long, untimed: the
    first training in a process pays one-time costs (matplotlib's font cache,
    thread pools, kernel selection, worker start-up paths) no loop should be charged.
    """
    runnable = {name: fn for name, (_, fn) in variants.items() if not isinstance(fn, str)}
    if warm_up_epochs:
        for fn in runnable.values():
            fn(0, warm_up_epochs)
    per_variant: dict[str, list[dict[str, float]]] = {name: [] for name in runnable}
    for r in range(repeats):
        # Every other repeat runs the variants in reverse order, so no variant always runs first:
        # on this 2-core machine the char-RNN comparison moved by 15-25 % with the order alone.
        order = list(runnable.items()) if r % 2 == 0 else list(runnable.items())[::-1]
        for name, fn in order:
            out = fn(r, epochs)
            per_variant[name].append(out)
            shown = ", ".join(f"{k} {v:,.4g}" for k, v in out.items())
            print(f"bench: {bench} repeat {r + 1}/{repeats} {name}: {shown}", flush=True)
    result = {}
    for name, (label, fn) in variants.items():
        if name not in runnable:
            result[name] = {"label": label, "skipped": fn}
        else:
            runs = per_variant[name]
            result[name] = {"label": label, **{k: summary([o[k] for o in runs]) for k in runs[0]}}
    return result


def _median(variants: dict[str, Any], name: str, figure: str) -> float | None:
    v = variants.get(name, {})
    return v[figure]["median"] if figure in v else None


def goal(name: str, ratio: float | None, target: float, quality_ok: bool | None = None,
         quality: str | None = None) -> dict[str, Any]:
    met = ratio is not None and ratio >= target and quality_ok is not False
    return {"name": name, "ratio": ratio, "target": target, "quality_ok": quality_ok, "quality": quality, "met": met}


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b is not None else None


def bench_lenet(d2l_module: Any, device: torch.device, repeats: int, quick: bool) -> dict[str, Any]:
    data = lenet.load_data(6_000, 1_000) if quick else lenet.load_data()
    epochs = 1 if quick else lenet.EPOCHS
    missing = "d2l is not available (see the run line)"
    variants = {
        "d2l": ("d2l `train_ch6`, DataLoader with d2l's 4 workers",
                missing if d2l_module is None else
                lambda s, e: lenet.run_d2l(d2l_module, data, epochs=e, device=device, seed=s)),
        "d2l_workers0": ("d2l `train_ch6`, DataLoader with 0 workers (diagnostic)",
                         missing if d2l_module is None else
                         lambda s, e: lenet.run_d2l(d2l_module, data, epochs=e, device=device, seed=s, workers=0)),
        "fit": ("d2lhelper `fit`, `TensorLoader`",
                lambda s, e: lenet.run_fit(data, epochs=e, device=device, seed=s)),
        "hand": ("hand-written loop over the tensors",
                 lambda s, e: lenet.run_hand(data, epochs=e, device=device, seed=s)),
    }
    if quick:  # the diagnostic row runs the same code as the d2l row
        variants["d2l_workers0"] = (variants["d2l_workers0"][0], "not run in --quick mode")
    v = run_variants("lenet", variants, epochs=epochs, repeats=repeats, warm_up_epochs=None if quick else 1)
    fig, acc = "examples_per_s", "test_accuracy"
    vs_d2l = _ratio(_median(v, "fit", fig), _median(v, "d2l", fig))
    vs_hand = _ratio(_median(v, "fit", fig), _median(v, "hand", fig))
    acc_fit, acc_d2l = _median(v, "fit", acc), _median(v, "d2l", acc)
    acc_ok = None if acc_d2l is None else acc_fit >= acc_d2l - ACCURACY_TOLERANCE
    vs_d2l0 = _ratio(_median(v, "fit", fig), _median(v, "d2l_workers0", fig))
    parts = [f"{vs_d2l:.2f}x d2l" if vs_d2l else "", f"{vs_d2l0:.2f}x d2l with 0 workers" if vs_d2l0 else "",
             f"{vs_hand:.2f}x hand-written"]
    ratios = {"fit": "; ".join(p for p in parts if p)}
    if vs_d2l0 is not None and vs_d2l is not None:
        ratios["d2l_workers0"] = f"{vs_d2l / vs_d2l0:.2f}x d2l"
    accs = {name: a for name in v if (a := _median(v, name, acc)) is not None}
    spread = max(accs.values()) - min(accs.values())
    all_leave_chance = spread <= ACCURACY_TOLERANCE and min(accs.values()) > 0.5
    note = f"LeNet data: {data.name}, {len(data.y_train):,} training and {len(data.y_test):,} test images, " \
        f"{epochs} epochs of {-(-len(data.y_train) // lenet.BATCH_SIZE)} batches." + ("" if data.name == "Fashion-MNIST" else
        f" Fashion-MNIST cannot be downloaded here, so LeNet ran on the {data.name}: the real offline digits, "
        "shifted and contrast-jittered copies, laid out like Fashion-MNIST, standardised "
        "(on its raw pixels sigmoid LeNet stayed at chance for all 10 epochs). "
        "Its accuracies are a digits task's, not Fashion-MNIST's; the throughput comparison is the online one.")
    return {
        "note": note,
        "dataset": data.name, "train_examples": len(data.y_train), "test_examples": len(data.y_test),
        "epochs": epochs, "batch_size": lenet.BATCH_SIZE, "lr": lenet.LR, "variants": v, "ratios": ratios,
        "ratio_values": {"fit_vs_d2l": vs_d2l, "fit_vs_d2l_workers0": vs_d2l0, "fit_vs_hand": vs_hand},
        "goals": [
            goal("LeNet: fit >= 3x d2l end-to-end examples/s at equal or better test accuracy", vs_d2l, 3.0, acc_ok,
                 None if acc_d2l is None else f"accuracy {acc_fit:.3f} vs d2l {acc_d2l:.3f}"),
            goal("LeNet: fit >= 0.95x the hand-written loop's examples/s", vs_hand, 0.95),
            {"name": "LeNet: every variant leaves chance (test accuracy > 0.5) and all are within 1 point",
             "ratio": None, "target": None, "quality_ok": all_leave_chance,
             "quality": "; ".join(f"{n} {a:.3f}" for n, a in accs.items()) + f" (spread {spread:.3f})",
             "met": all_leave_chance},
        ],
    }


def bench_rnn(d2l_module: Any, device: torch.device, repeats: int, quick: bool) -> dict[str, Any]:
    corpus = rnn.load_corpus(d2l_module)
    epochs = 2 if quick else rnn.EPOCHS
    variants = {
        "d2l": ("d2l `train_ch8`, `RNNModel`",
                "d2l is not available (see the run line)" if d2l_module is None else
                lambda s, e: rnn.run_d2l(d2l_module, epochs=e, device=device, seed=s)),
        "d2lhelper": ("d2lhelper `train_language_model`, `RNNLM`",
                      lambda s, e: rnn.run_d2lhelper(corpus, epochs=e, device=device, seed=s)),
    }
    v = run_variants("rnn", variants, epochs=epochs, repeats=repeats, warm_up_epochs=None if quick else 2)
    ratio = _ratio(_median(v, "d2lhelper", "tokens_per_s"), _median(v, "d2l", "tokens_per_s"))
    ppl_h, ppl_d = _median(v, "d2lhelper", "perplexity"), _median(v, "d2l", "perplexity")
    ppl_ok = None if ppl_d is None else ppl_h <= ppl_d * PERPLEXITY_TOLERANCE
    return {
        "corpus": corpus.source, "num_tokens": len(corpus.tokens), "vocab_size": corpus.vocab_size,
        "epochs": epochs, "batch_size": rnn.BATCH_SIZE, "num_steps": rnn.NUM_STEPS, "num_hiddens": rnn.NUM_HIDDENS,
        "lr": rnn.LR, "variants": v, "ratios": {"d2lhelper": f"{ratio:.2f}x d2l" if ratio else ""},
        "ratio_values": {"d2lhelper_vs_d2l": ratio},
        "goals": [goal("RNN LM: d2lhelper >= 2x d2l tokens/s at equal or better perplexity", ratio, 2.0, ppl_ok,
                       None if ppl_d is None else f"perplexity {ppl_h:.2f} vs d2l {ppl_d:.2f}")],
    }


def bench_gcn(device: torch.device, repeats: int, quick: bool) -> dict[str, Any]:
    data = gcn.load_cora()
    epochs = 5 if quick else gcn.EPOCHS
    variants = {
        "pyg_reference": ("PyG `examples/gcn.py` settings and loop",
                          lambda s, e: gcn.run_reference(data, epochs=e, device=device, seed=s)),
        "book_gcnconv": ("book loop `train_node_classifier`, same `GCNConv` model",
                         lambda s, e: gcn.run_book(data, gcn.PygGCN, epochs=e, device=device, seed=s)),
        "book_scratch": ("book loop, from-scratch GCN on sparse `normalized_adjacency`",
                         lambda s, e: gcn.run_book(data, gcn.ScratchGCN, epochs=e, device=device, seed=s)),
    }
    v = run_variants("gcn", variants, epochs=epochs, repeats=repeats, warm_up_epochs=None if quick else 20)
    fig, acc = "seconds_per_epoch", "test_accuracy"
    speed = {name: _ratio(_median(v, "pyg_reference", fig), _median(v, name, fig)) for name in v}
    acc_ref = _median(v, "pyg_reference", acc)
    acc_ok = _median(v, "book_gcnconv", acc) >= acc_ref - ACCURACY_TOLERANCE
    return {
        "dataset": "Cora (public split, NormalizeFeatures)", "epochs": epochs, "lr": gcn.LR,
        "weight_decay": gcn.WEIGHT_DECAY, "hidden": gcn.HIDDEN, "variants": v,
        "ratios": {name: f"{speed[name]:.2f}x PyG speed" for name in v if name != "pyg_reference"},
        "ratio_values": {f"{name}_speed_vs_pyg": speed[name] for name in v if name != "pyg_reference"},
        "goals": [goal("GCN: book loop >= 1.0x PyG reference speed (same model) at equal or better test accuracy",
                       speed["book_gcnconv"], 1.0, acc_ok,
                       f"accuracy {_median(v, 'book_gcnconv', acc):.3f} vs PyG {acc_ref:.3f}")],
    }


def machine() -> dict[str, Any]:
    return {"cpu": d2l.hardware_summary("cpu"), "cpu_model": d2l.device.cpu_name(), "cpu_count": os.cpu_count(),
            "platform": platform.platform(), "python": platform.python_version(), "torch": torch.__version__}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    device = torch.device(args.device)
    started, load_start = time.perf_counter(), os.getloadavg()
    d2l_module, d2l_note = _d2l.load(install=not args.no_install)
    run: dict[str, Any] = {
        "device": str(device), "hardware": d2l.hardware_summary(device), "cpu_count": os.cpu_count(),
        "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "repeats": args.repeats, "quick": args.quick, "d2l": d2l_note,
    }
    sections = {"lenet": lambda: bench_lenet(d2l_module, device, args.repeats, args.quick),
                "rnn": lambda: bench_rnn(d2l_module, device, args.repeats, args.quick),
                "gcn": lambda: bench_gcn(device, args.repeats, args.quick)}
    failed = False
    for name in args.only:
        try:
            run[name] = sections[name]()
        except Exception as err:  # noqa: BLE001 - record it, run the others, fail at the end
            traceback.print_exc()
            run[name] = {"error": f"{type(err).__name__}: {err}"}
            failed = True
    run["load_average"] = {"start": list(load_start), "end": list(os.getloadavg())}
    run["seconds"] = time.perf_counter() - started
    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    results["machine"] = machine()
    previous = results.setdefault("runs", {}).get(args.device, {})
    kept = [k for k in sections if k not in args.only and k in previous]
    if kept:  # --only: the other benchmarks keep their earlier figures, marked as such
        run.update({k: previous[k] for k in kept})
        run["kept_from_earlier_run"] = {"benchmarks": kept, "date": previous.get("date")}
    results["runs"][args.device] = run
    results["notebooks"] = notebooks.notebook_times()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    report.update_readme(args.readme, results)
    print(report.render(results))
    print(f"bench: wrote {args.out} and the table in {args.readme}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
