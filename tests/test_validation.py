"""Every public d2lhelper function and class, given a bad argument, says which argument, what it
expected and what it got (issue: reliability). One row per bad input; a public name with no row
and no stated exemption fails the coverage test, so new helpers must join the table."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn

import d2lhelper as d2l
from d2lhelper import data as D

_T = torch.zeros

# name -> list of (thunk, exception type, regex the message must match). The regex names the argument.
CASES: dict[str, list[tuple[Callable[[], Any], type[Exception], str]]] = {
    # --- foundation
    "Accumulator": [(lambda: d2l.Accumulator(0), ValueError, "n must be a positive int, got 0")],
    "LivePlot": [(lambda: d2l.LivePlot(xlabel="epoch", legend=[]), ValueError, "legend")],
    "get_device": [(lambda: d2l.get_device("tpu"), ValueError, "tpu")],
    "seed_everything": [(lambda: d2l.seed_everything(-1), ValueError, "seed"),
                        (lambda: d2l.seed_everything("0"), TypeError, "seed")],
    "hardware_summary": [(lambda: d2l.hardware_summary("gpu0"), (ValueError, RuntimeError), "gpu0")],
    "plot": [(lambda: d2l.plot([1, 2], [[1, 2], [1]]), ValueError, "curve 1: X has 2 points but Y has 1")],
    "show_images": [(lambda: d2l.show_images(_T(4, 8, 8), 0, 2), ValueError, "num_rows must be a positive int, got 0")],
    "show_heatmaps": [(lambda: d2l.show_heatmaps(_T(2, 3, 4), xlabel="k", ylabel="q"), ValueError,
                       r"matrices must have shape .*got \(2, 3, 4\)")],
    "accuracy": [(lambda: d2l.accuracy(_T(4, 3), _T(5)), ValueError,
                  r"y_hat must have shape \(5, num_classes\) or \(5,\) to match y of shape \(5,\), got \(4, 3\)")],
    "fit": [(lambda: d2l.fit(nn.Linear(2, 2), [], loss_fn=nn.MSELoss(),
                             optimizer=torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1), epochs=0),
             ValueError, "epochs must be a positive int, got 0")],
    "evaluate": [(lambda: d2l.evaluate("model", []), TypeError, "model")],
    "save_checkpoint": [(lambda: d2l.save_checkpoint("/tmp/x.pt", "model"), TypeError, "model")],
    "move_optimizer_state": [(lambda: d2l.move_optimizer_state(nn.Linear(2, 2)), TypeError, "optimizer must be")],
    "load_checkpoint": [(lambda: d2l.load_checkpoint("/nonexistent/x.pt", nn.Linear(2, 2)), FileNotFoundError,
                         "/nonexistent/x.pt")],
    "conv_output_size": [(lambda: d2l.conv_output_size(4, 5), ValueError, "kernel")],
    "shape_table": [(lambda: d2l.shape_table(nn.Linear(2, 2), []), ValueError, "input_shape")],
    "predict": [(lambda: d2l.predict("model", []), TypeError, "model")],
    "confusion_matrix": [(lambda: d2l.confusion_matrix(torch.tensor([0, 5]), torch.tensor([0, 1]), 3), ValueError,
                          r"y must hold labels in \[0, 3\), got values in \[0, 5\]")],
    "plot_confusion_matrix": [(lambda: d2l.plot_confusion_matrix(_T(3, 3), ["a", "b"]), ValueError, "classes")],
    "show_misclassified": [(lambda: d2l.show_misclassified(
        d2l.Predictions(_T(2, 1, 4, 4), torch.tensor([0, 1]), torch.tensor([1, 0]), _T(2)), ["a", "b"], n=0),
        ValueError, "n must be a positive int, got 0")],
    "bleu": [(lambda: d2l.bleu([["a"]], [["a"], ["b"]]), ValueError, "candidates and references")],
    # --- text and language models
    "tokenize": [(lambda: d2l.tokenize("a b", token="byte"), ValueError, "token")],
    "Vocab": [(lambda: d2l.Vocab(["a"], min_freq=-1), ValueError, "min_freq")],
    "load_time_machine": [(lambda: d2l.load_time_machine(val_fraction=1.5), ValueError, "val_fraction")],
    "seq_data_iter_random": [(lambda: next(d2l.seq_data_iter_random(torch.arange(10), 0, 3)), ValueError, "batch_size")],
    "seq_data_iter_sequential": [(lambda: next(d2l.seq_data_iter_sequential(torch.arange(10), 2, 0)), ValueError,
                                  "num_steps")],
    "SeqDataLoader": [(lambda: d2l.SeqDataLoader(torch.arange(10), 2, 50), ValueError,
                       r"num_steps \(50\) must be shorter than the corpus \(10 tokens\)")],
    "RNNLM": [(lambda: d2l.RNNLM(nn.GRU(4, 8), 4), ValueError, "batch_first")],
    "train_language_model": [(lambda: d2l.train_language_model(
        d2l.RNNLM(nn.GRU(4, 8, batch_first=True), 4), d2l.SeqDataLoader(torch.arange(40) % 4, 2, 5), epochs=0, lr=1.0),
        ValueError, "epochs")],
    "perplexity": [(lambda: d2l.perplexity("model", d2l.SeqDataLoader(torch.arange(40) % 4, 2, 5)), TypeError, "model")],
    "generate": [(lambda: d2l.generate("a", -1, d2l.RNNLM(nn.GRU(4, 8, batch_first=True), 4), d2l.Vocab("abc")),
                  ValueError, "num_preds")],
    # --- attention, seq2seq, Transformer
    "masked_softmax": [(lambda: d2l.masked_softmax(_T(2, 3, 4), torch.tensor([5, 1])), ValueError,
                        r"valid_lens must lie in \[0, 4\]")],
    "DotProductAttention": [(lambda: d2l.DotProductAttention()(_T(1, 2, 3), _T(1, 2, 4), _T(1, 2, 4)), ValueError,
                             "query size 3 and key size 4")],
    "AdditiveAttention": [(lambda: d2l.AdditiveAttention(3, 4, -2), ValueError, "num_hiddens")],
    "MultiHeadAttention": [(lambda: d2l.MultiHeadAttention(10, 4), ValueError, "num_hiddens must be divisible")],
    "PositionalEncoding": [(lambda: d2l.PositionalEncoding(8, max_len=4)(_T(1, 5, 8)), ValueError, "max_len=4")],
    "PositionWiseFFN": [(lambda: d2l.PositionWiseFFN(0, 4), ValueError, "num_hiddens")],
    "AddNorm": [(lambda: d2l.AddNorm(8)(_T(1, 2, 8), _T(1, 3, 8)), ValueError,
                 r"X and Y must have the same shape to be added, got \(1, 2, 8\) and \(1, 3, 8\)")],
    "TransformerEncoderBlock": [(lambda: d2l.TransformerEncoderBlock(10, 8, 4), ValueError, "num_hiddens")],
    "TransformerDecoderBlock": [(lambda: d2l.TransformerDecoderBlock(10, 8, 4), ValueError, "num_hiddens")],
    "TransformerEncoder": [(lambda: d2l.TransformerEncoder(0, 8, 16, 2, 1), ValueError, "vocab_size")],
    "TransformerDecoder": [(lambda: d2l.TransformerDecoder(10, 8, 16, 2, 0), ValueError, "num_blks")],
    "Seq2SeqEncoder": [(lambda: d2l.Seq2SeqEncoder(10, 0, 8), ValueError, "embed_size")],
    "Seq2SeqDecoder": [(lambda: d2l.Seq2SeqDecoder(10, 8, 0), ValueError, "num_hiddens")],
    "Seq2SeqAttentionDecoder": [(lambda: d2l.Seq2SeqAttentionDecoder(10, 8, 8, 0), ValueError, "num_layers")],
    "EncoderDecoder": [(lambda: d2l.EncoderDecoder(nn.Linear(2, 2), nn.Linear(2, 2)), TypeError, "encoder")],
    "masked_cross_entropy": [(lambda: d2l.masked_cross_entropy(_T(2, 3, 5), _T(2, 3, dtype=torch.long),
                                                               torch.tensor([4, 1])), ValueError, "valid_lens")],
    "train_seq2seq": [(lambda: d2l.train_seq2seq(nn.Linear(2, 2), [], tgt_vocab=d2l.Vocab(), epochs=1), TypeError,
                       "model")],
    "translate": [(lambda: d2l.translate(d2l.EncoderDecoder(d2l.Seq2SeqEncoder(5, 2, 2), d2l.Seq2SeqDecoder(5, 2, 2)),
                                         "a", d2l.Vocab(), d2l.Vocab(), 0), ValueError, "num_steps")],
    # --- style transfer
    "load_image": [(lambda: d2l.load_image("/nonexistent/me.jpg"), FileNotFoundError, "/nonexistent/me.jpg")],
    "preprocess": [(lambda: d2l.preprocess(_T(2, 8, 8)), ValueError, r"img must have shape \(3, H, W\)")],
    "postprocess": [(lambda: d2l.postprocess("x"), TypeError, "x must be a tensor")],
    "gram_matrix": [(lambda: d2l.gram_matrix(_T(4)), ValueError, "Y must be feature maps")],
    "vgg19_features": [(lambda: d2l.vgg19_features("yes"), ValueError, "pretrained must be True, False or 'auto'")],
    "FeatureExtractor": [(lambda: d2l.FeatureExtractor(nn.Sequential(), ["conv9_9"]), ValueError,
                          "unknown layer name.*conv9_9")],
    "content_loss": [(lambda: d2l.content_loss(_T(1, 2, 3), _T(1, 2, 4)), ValueError, "Y_hat and Y must have the same shape")],
    "style_loss": [(lambda: d2l.style_loss({}, {"conv1_1": _T(3, 3)}), ValueError, "features lacks the style layer")],
    "total_variation": [(lambda: d2l.total_variation(_T(1, 3, 1, 5)), ValueError, "X must have shape")],
    "transfer": [(lambda: d2l.transfer(nn.Sequential(), _T(1, 3, 8, 8), _T(1, 3, 8, 8), optimizer="sgd"), ValueError,
                  "optimizer must be 'adam' or 'lbfgs'")],
    # --- graphs
    "normalized_adjacency": [(lambda: d2l.normalized_adjacency(torch.tensor([[0, 1], [1, 5]]), 3), ValueError,
                              r"edge_index must hold node indices in \[0, 3\)"),
                             (lambda: d2l.normalized_adjacency(_T(3, 2, dtype=torch.long), 3), ValueError,
                              r"edge_index must have shape \(2, num_edges\)")],
    "draw_graph": [(lambda: d2l.draw_graph([1, 2]), TypeError, "graph must be a networkx graph or an edge_index")],
    "train_node_classifier": [(lambda: d2l.train_node_classifier("gcn", None, epochs=1), TypeError, "model"),
                              (lambda: d2l.train_node_classifier(nn.Linear(2, 2), object(), epochs=1), ValueError,
                               "data must have the attributes")],
    # --- data
    "TensorLoader": [(lambda: D.TensorLoader(_T(3), _T(4), batch_size=2), ValueError, "same first dimension"),
                     (lambda: D.TensorLoader(_T(3), batch_size=0), ValueError, "batch_size")],
    "fetch": [(lambda: D.fetch("timemachine"), KeyError, "timemachine"), (lambda: D.fetch(3), TypeError, "name")],
    "extract": [(lambda: D.extract("/nonexistent.zip", "/tmp/out"), D.DatasetError,
                 "archive must be an existing file, got '/nonexistent.zip'")],
    "register": [(lambda: D.register("x", "a/x", "abc", "https://e.org/x"), ValueError, "checksum of 'x' must be")],
    "load_digits": [(lambda: D.load_digits(0), ValueError, "batch_size")],
    "load_fashion_mnist": [(lambda: D.load_fashion_mnist(-3), ValueError, "batch_size")],
    "load_mnist_5k": [(lambda: D.load_mnist_5k(8, val_fraction=0), ValueError, r"val_fraction must be in \(0, 1\)")],
    "load_planetoid": [(lambda: D.load_planetoid("PubMed"), ValueError, "name must be one of")],
    "load_translation": [(lambda: D.load_translation("klingon"), ValueError, "task")],
}

# Public names with nothing to validate: argument-free functions, exception types, result containers
# that the helpers themselves fill, and the abstract encoder/decoder bases.
EXEMPT = {
    "Timer": "takes no arguments",
    "read_time_machine": "takes no arguments",
    "cache_dir": "takes no arguments (the environment variable is checked by fetch)",
    "registry": "takes no arguments",
    "DatasetError": "an exception type",
    "UnknownDatasetError": "an exception type",
    "Encoder": "abstract base class",
    "Decoder": "abstract base class",
    "History": "result container filled by fit",
    "LMHistory": "result container filled by train_language_model",
    "Seq2SeqHistory": "result container filled by train_seq2seq",
    "NodeHistory": "result container filled by train_node_classifier",
    "Predictions": "result container filled by predict",
    "Translation": "result container filled by translate",
    "TranslationData": "result container filled by load_translation",
    "TransferResult": "result container filled by transfer",
    "ImageData": "result container filled by the image loaders",
    "DataFile": "registry entry, validated by register",
}


def _public() -> set[str]:
    names = {n for n in d2l.__all__ if callable(getattr(d2l, n))}
    return names | {n for n in D.__all__ if callable(getattr(D, n))}


def test_every_public_callable_has_a_bad_input_case_or_an_exemption() -> None:
    missing = sorted(_public() - set(CASES) - set(EXEMPT))
    assert not missing, f"add bad-input cases (or an exemption with a reason) for: {missing}"
    stale = sorted((set(CASES) | set(EXEMPT)) - _public())
    assert not stale, f"these names are no longer public: {stale}"


@pytest.mark.parametrize(("name", "i"), [(n, i) for n, cases in sorted(CASES.items()) for i in range(len(cases))])
def test_bad_input_gets_a_clear_error(name: str, i: int, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("D2LHELPER_DATA", str(tmp_path))
    monkeypatch.setenv("D2LHELPER_OFFLINE", "1")
    thunk, error, pattern = CASES[name][i]
    with pytest.raises(error, match=pattern) as info:
        thunk()
    assert len(str(info.value)) > 15, f"{name}: the message {str(info.value)!r} does not say what to fix"
