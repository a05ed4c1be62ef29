"""Neural style transfer (Gatys, Ecker & Bethge 2016): images, VGG-19 features, losses, the loop.

The synthesised image is the only parameter. Its VGG-19 feature maps are pulled
towards those of a content image (content loss), the Gram matrices of its
feature maps towards those of a style image (style loss), and neighbouring
pixels towards each other (total variation):

.. math::

    L(X) = \\alpha \\sum_{l \\in \\mathcal{C}} \\frac{\\lVert F_l(X) - F_l(X_c)\\rVert^2}{\\lVert F_l(X_c)\\rVert^2}
         + \\beta \\sum_{l \\in \\mathcal{S}} w_l \\frac{\\lVert G_l(X) - G_l(X_s)\\rVert^2}{\\lVert G_l(X_s)\\rVert^2}
         + \\gamma \\, \\mathrm{TV}(X).

The division by the target's mean square (``scale_free=True``) is this book's
choice, not the paper's: it makes every term about 1 at the start whatever the
network's weights, so the same weights work for ImageNet and random VGG-19s.
"""
from __future__ import annotations

from .images import IMAGENET_MEAN, IMAGENET_STD, load_image, postprocess, preprocess
from .loop import CONTENT_LAYERS, STYLE_LAYER_WEIGHTS, STYLE_LAYERS, TransferResult, transfer
from .losses import content_loss, gram_matrix, style_loss, total_variation
from .vgg import VGG19_LAYERS, FeatureExtractor, vgg19_features
from .vgg import _download_checked  # noqa: F401 - the tests reach it as style_transfer._download_checked

__all__ = [
    "CONTENT_LAYERS",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "STYLE_LAYERS",
    "STYLE_LAYER_WEIGHTS",
    "VGG19_LAYERS",
    "FeatureExtractor",
    "TransferResult",
    "content_loss",
    "gram_matrix",
    "load_image",
    "postprocess",
    "preprocess",
    "style_loss",
    "total_variation",
    "transfer",
    "vgg19_features",
]
