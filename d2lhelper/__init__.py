"""d2lhelper: the helper package of the book.

The names below are what the notebooks use; everything else is private.
Data loading lives in :mod:`d2lhelper.data` (``d2lhelper.data.fetch``).

Names are imported on first use (PEP 562), so ``import d2lhelper`` is quick and
``import d2lhelper.data`` needs neither torch nor matplotlib until a loader asks for them.
"""
from __future__ import annotations

import importlib
from importlib import metadata as _metadata
from typing import TYPE_CHECKING, Any

try:
    __version__ = _metadata.version("d2lhelper")
except _metadata.PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"

# public name -> the module that defines it
_SOURCES: dict[str, str] = {
    "AdditiveAttention": ".attention",
    "DotProductAttention": ".attention",
    "MultiHeadAttention": ".attention",
    "PositionalEncoding": ".attention",
    "masked_softmax": ".attention",
    "load_checkpoint": ".checkpoint",
    "move_optimizer_state": ".checkpoint",
    "save_checkpoint": ".checkpoint",
    "RNNLM": ".language_model",
    "LMHistory": ".language_model",
    "generate": ".language_model",
    "perplexity": ".language_model",
    "train_language_model": ".language_model",
    "Decoder": ".seq2seq",
    "Encoder": ".seq2seq",
    "EncoderDecoder": ".seq2seq",
    "Seq2SeqAttentionDecoder": ".seq2seq",
    "Seq2SeqDecoder": ".seq2seq",
    "Seq2SeqEncoder": ".seq2seq",
    "Seq2SeqHistory": ".seq2seq",
    "Translation": ".seq2seq",
    "masked_cross_entropy": ".seq2seq",
    "train_seq2seq": ".seq2seq",
    "translate": ".seq2seq",
    "AddNorm": ".transformer",
    "PositionWiseFFN": ".transformer",
    "TransformerDecoder": ".transformer",
    "TransformerDecoderBlock": ".transformer",
    "TransformerEncoder": ".transformer",
    "TransformerEncoderBlock": ".transformer",
    "FeatureExtractor": ".style_transfer",
    "TransferResult": ".style_transfer",
    "content_loss": ".style_transfer",
    "gram_matrix": ".style_transfer",
    "load_image": ".style_transfer",
    "postprocess": ".style_transfer",
    "preprocess": ".style_transfer",
    "style_loss": ".style_transfer",
    "total_variation": ".style_transfer",
    "transfer": ".style_transfer",
    "vgg19_features": ".style_transfer",
    "SeqDataLoader": ".sequence",
    "seq_data_iter_random": ".sequence",
    "seq_data_iter_sequential": ".sequence",
    "Vocab": ".text",
    "tokenize": ".text",
    "pad_token_ids": ".text",
    "Predictions": ".metrics",
    "bleu": ".metrics",
    "confusion_matrix": ".metrics",
    "plot_confusion_matrix": ".metrics",
    "predict": ".metrics",
    "show_misclassified": ".metrics",
    "auc": ".classification_metrics",
    "average_precision": ".classification_metrics",
    "binary_confusion": ".classification_metrics",
    "pr_curve": ".classification_metrics",
    "precision_recall_f1": ".classification_metrics",
    "roc_auc": ".classification_metrics",
    "roc_curve": ".classification_metrics",
    "grad_cam": ".interpret",
    "saliency_map": ".interpret",
    "conv_output_size": ".shapes",
    "shape_table": ".shapes",
    "get_device": ".device",
    "hardware_summary": ".device",
    "seed_everything": ".device",
    "NodeHistory": ".graphs",
    "draw_graph": ".graphs",
    "normalized_adjacency": ".graphs",
    "train_node_classifier": ".graphs",
    "NegativeSampler": ".embeddings",
    "SkipGramNS": ".embeddings",
    "random_walks": ".embeddings",
    "skipgram_pairs": ".embeddings",
    "subsample": ".embeddings",
    "subsample_keep_probs": ".embeddings",
    "nearest_neighbours": ".embeddings",
    "analogy": ".embeddings",
    "LivePlot": ".plotting",
    "plot": ".plotting",
    "show_heatmaps": ".plotting",
    "show_images": ".plotting",
    "plot_trajectory_2d": ".optim_viz",
    "steps_to_tolerance": ".optim_viz",
    "trajectory_2d": ".optim_viz",
    "Accumulator": ".timing",
    "Timer": ".timing",
    "profile_step": ".profiling",
    "History": ".train",
    "accuracy": ".train",
    "evaluate": ".train",
    "fit": ".train",
    "SeedRuns": ".sweep",
    "fit_seeds": ".sweep",
    "plot_runs": ".sweep",
    "runs_table": ".sweep",
    "TensorBoardLogger": ".tensorboard",
    "load_time_machine": ".data.timemachine",
    "read_time_machine": ".data.timemachine",
}

_SUBMODULES = ("data", "distributed")  # imported on first use too: d2l.data.fetch, d2l.distributed.run_torchrun

__all__ = sorted([*_SOURCES, *_SUBMODULES])

if TYPE_CHECKING:  # static tools and IDEs see the eager imports
    from . import data, distributed
    from .attention import AdditiveAttention, DotProductAttention, MultiHeadAttention, PositionalEncoding, masked_softmax
    from .checkpoint import load_checkpoint, move_optimizer_state, save_checkpoint
    from .language_model import RNNLM, LMHistory, generate, perplexity, train_language_model
    from .seq2seq import Decoder, Encoder, EncoderDecoder, Seq2SeqAttentionDecoder, Seq2SeqDecoder, Seq2SeqEncoder, Seq2SeqHistory, Translation, masked_cross_entropy, train_seq2seq, translate
    from .transformer import AddNorm, PositionWiseFFN, TransformerDecoder, TransformerDecoderBlock, TransformerEncoder, TransformerEncoderBlock
    from .style_transfer import FeatureExtractor, TransferResult, content_loss, gram_matrix, load_image, postprocess, preprocess, style_loss, total_variation, transfer, vgg19_features
    from .sequence import SeqDataLoader, seq_data_iter_random, seq_data_iter_sequential
    from .text import Vocab, pad_token_ids, tokenize
    from .metrics import Predictions, bleu, confusion_matrix, plot_confusion_matrix, predict, show_misclassified
    from .classification_metrics import auc, average_precision, binary_confusion, pr_curve, precision_recall_f1, roc_auc, roc_curve
    from .interpret import grad_cam, saliency_map
    from .shapes import conv_output_size, shape_table
    from .device import get_device, hardware_summary, seed_everything
    from .graphs import NodeHistory, draw_graph, normalized_adjacency, train_node_classifier
    from .embeddings import (NegativeSampler, SkipGramNS, analogy, nearest_neighbours, random_walks, skipgram_pairs,
                             subsample, subsample_keep_probs)
    from .plotting import LivePlot, plot, show_heatmaps, show_images
    from .optim_viz import plot_trajectory_2d, steps_to_tolerance, trajectory_2d
    from .timing import Accumulator, Timer
    from .profiling import profile_step
    from .train import History, accuracy, evaluate, fit
    from .sweep import SeedRuns, fit_seeds, plot_runs, runs_table
    from .tensorboard import TensorBoardLogger
    from .data.timemachine import load_time_machine, read_time_machine


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    try:
        source = _SOURCES[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(source, __name__), name)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
