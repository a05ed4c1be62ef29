"""d2lhelper: the helper package of the book.

The names below are what the notebooks use; everything else is private.
Data loading lives in :mod:`d2lhelper.data` (``d2lhelper.data.fetch``).
"""
from . import data
from .attention import AdditiveAttention, DotProductAttention, MultiHeadAttention, PositionalEncoding, masked_softmax
from .checkpoint import load_checkpoint, move_optimizer_state, save_checkpoint
from .language_model import RNNLM, LMHistory, generate, perplexity, train_language_model
from .seq2seq import (
    Decoder,
    Encoder,
    EncoderDecoder,
    Seq2SeqAttentionDecoder,
    Seq2SeqDecoder,
    Seq2SeqEncoder,
    Seq2SeqHistory,
    Translation,
    masked_cross_entropy,
    train_seq2seq,
    translate,
)
from .transformer import (
    AddNorm,
    PositionWiseFFN,
    TransformerDecoder,
    TransformerDecoderBlock,
    TransformerEncoder,
    TransformerEncoderBlock,
)
from .style_transfer import (
    FeatureExtractor,
    TransferResult,
    content_loss,
    gram_matrix,
    load_image,
    postprocess,
    preprocess,
    style_loss,
    total_variation,
    transfer,
    vgg19_features,
)
from .sequence import SeqDataLoader, seq_data_iter_random, seq_data_iter_sequential
from .text import Vocab, load_time_machine, read_time_machine, tokenize
from .metrics import Predictions, bleu, confusion_matrix, plot_confusion_matrix, predict, show_misclassified
from .shapes import conv_output_size, shape_table
from .device import get_device, hardware_summary, seed_everything
from .graphs import NodeHistory, draw_graph, normalized_adjacency, train_node_classifier
from .plotting import LivePlot, plot, show_heatmaps, show_images
from .timing import Accumulator, Timer
from .train import History, accuracy, evaluate, fit

__version__ = "0.1.0"

__all__ = [
    "Accumulator",
    "AddNorm",
    "AdditiveAttention",
    "Decoder",
    "DotProductAttention",
    "Encoder",
    "EncoderDecoder",
    "FeatureExtractor",
    "History",
    "LMHistory",
    "LivePlot",
    "MultiHeadAttention",
    "NodeHistory",
    "PositionWiseFFN",
    "PositionalEncoding",
    "Predictions",
    "RNNLM",
    "Seq2SeqAttentionDecoder",
    "Seq2SeqDecoder",
    "Seq2SeqEncoder",
    "Seq2SeqHistory",
    "SeqDataLoader",
    "Timer",
    "TransferResult",
    "TransformerDecoder",
    "TransformerDecoderBlock",
    "TransformerEncoder",
    "TransformerEncoderBlock",
    "Translation",
    "Vocab",
    "accuracy",
    "bleu",
    "confusion_matrix",
    "content_loss",
    "conv_output_size",
    "data",
    "draw_graph",
    "evaluate",
    "fit",
    "generate",
    "get_device",
    "gram_matrix",
    "hardware_summary",
    "load_checkpoint",
    "move_optimizer_state",
    "load_image",
    "load_time_machine",
    "masked_cross_entropy",
    "masked_softmax",
    "normalized_adjacency",
    "perplexity",
    "plot",
    "plot_confusion_matrix",
    "postprocess",
    "predict",
    "preprocess",
    "read_time_machine",
    "save_checkpoint",
    "seed_everything",
    "seq_data_iter_random",
    "seq_data_iter_sequential",
    "shape_table",
    "show_heatmaps",
    "show_images",
    "show_misclassified",
    "style_loss",
    "tokenize",
    "total_variation",
    "train_language_model",
    "train_node_classifier",
    "train_seq2seq",
    "transfer",
    "translate",
    "vgg19_features",
]
