"""d2lhelper: the helper package of the book.

The names below are what the notebooks use; everything else is private.
Data loading lives in :mod:`d2lhelper.data` (``d2lhelper.data.fetch``).
"""
from . import data
from .checkpoint import load_checkpoint, save_checkpoint
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
    "Predictions",
    "accuracy",
    "confusion_matrix",
    "conv_output_size",
    "data",
    "evaluate",
    "fit",
    "get_device",
    "hardware_summary",
    "load_checkpoint",
    "plot",
    "plot_confusion_matrix",
    "predict",
    "save_checkpoint",
    "seed_everything",
    "shape_table",
    "show_heatmaps",
    "show_images",
    "show_misclassified",
]
