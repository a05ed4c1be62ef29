"""d2lhelper: the helper package of the book.

The names below are what the notebooks use; everything else is private.
Data loading lives in :mod:`d2lhelper.data` (``d2lhelper.data.fetch``).
"""
from . import data
from .checkpoint import load_checkpoint, save_checkpoint
from .language_model import RNNLM, LMHistory, generate, perplexity, train_language_model
from .sequence import SeqDataLoader, seq_data_iter_random, seq_data_iter_sequential
from .text import Vocab, load_time_machine, read_time_machine, tokenize
from .metrics import Predictions, confusion_matrix, plot_confusion_matrix, predict, show_misclassified
from .shapes import conv_output_size, shape_table
from .device import get_device, hardware_summary, seed_everything
from .plotting import LivePlot, plot, show_heatmaps, show_images
from .timing import Accumulator, Timer
from .train import History, accuracy, evaluate, fit

__version__ = "0.1.0"

__all__ = [
    "Accumulator",
    "History",
    "LivePlot",
    "Timer",
    "LMHistory",
    "Predictions",
    "RNNLM",
    "SeqDataLoader",
    "Vocab",
    "accuracy",
    "confusion_matrix",
    "conv_output_size",
    "data",
    "evaluate",
    "fit",
    "generate",
    "get_device",
    "hardware_summary",
    "load_checkpoint",
    "load_time_machine",
    "perplexity",
    "plot",
    "plot_confusion_matrix",
    "predict",
    "read_time_machine",
    "save_checkpoint",
    "seq_data_iter_random",
    "seq_data_iter_sequential",
    "seed_everything",
    "shape_table",
    "show_heatmaps",
    "show_images",
    "show_misclassified",
    "tokenize",
    "train_language_model",
]
