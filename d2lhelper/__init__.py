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
    "Predictions": ".metrics",
    "bleu": ".metrics",
    "confusion_matrix": ".metrics",
    "plot_confusion_matrix": ".metrics",
    "predict": ".metrics",
    "show_misclassified": ".metrics",
    "conv_output_size": ".shapes",
    "shape_table": ".shapes",
    "get_device": ".device",
    "hardware_summary": ".device",
    "seed_everything": ".device",
    "NodeHistory": ".graphs",
    "draw_graph": ".graphs",
    "normalized_adjacency": ".graphs",
    "train_node_classifier": ".graphs",
    "LivePlot": ".plotting",
    "plot": ".plotting",
    "show_heatmaps": ".plotting",
    "show_images": ".plotting",
    "Accumulator": ".timing",
    "Timer": ".timing",
    "History": ".train",
    "accuracy": ".train",
    "evaluate": ".train",
    "fit": ".train",
    "load_time_machine": ".data.timemachine",
    "read_time_machine": ".data.timemachine",
}

__all__ = sorted([*_SOURCES, "data"])

if TYPE_CHECKING:  # static tools and IDEs see the eager imports
    from . import data
    from .attention import AdditiveAttention, DotProductAttention, MultiHeadAttention, PositionalEncoding, masked_softmax
    from .checkpoint import load_checkpoint, move_optimizer_state, save_checkpoint
    from .language_model import RNNLM, LMHistory, generate, perplexity, train_language_model
    from .seq2seq import Decoder, Encoder, EncoderDecoder, Seq2SeqAttentionDecoder, Seq2SeqDecoder, Seq2SeqEncoder, Seq2SeqHistory, Translation, masked_cross_entropy, train_seq2seq, translate
    from .transformer import AddNorm, PositionWiseFFN, TransformerDecoder, TransformerDecoderBlock, TransformerEncoder, TransformerEncoderBlock
    from .style_transfer import FeatureExtractor, TransferResult, content_loss, gram_matrix, load_image, postprocess, preprocess, style_loss, total_variation, transfer, vgg19_features
    from .sequence import SeqDataLoader, seq_data_iter_random, seq_data_iter_sequential
    from .text import Vocab, tokenize
    from .metrics import Predictions, bleu, confusion_matrix, plot_confusion_matrix, predict, show_misclassified
    from .shapes import conv_output_size, shape_table
    from .device import get_device, hardware_summary, seed_everything
    from .graphs import NodeHistory, draw_graph, normalized_adjacency, train_node_classifier
    from .plotting import LivePlot, plot, show_heatmaps, show_images
    from .timing import Accumulator, Timer
    from .train import History, accuracy, evaluate, fit
    from .data.timemachine import load_time_machine, read_time_machine


def __getattr__(name: str) -> Any:
    if name == "data":
        return importlib.import_module(".data", __name__)
    try:
        source = _SOURCES[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(source, __name__), name)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
