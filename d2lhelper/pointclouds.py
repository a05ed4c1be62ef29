"""Point clouds sampled from the surfaces of generated 3-D shapes, and a small PointNet classifier.

:func:`make_point_clouds` is an offline stand-in for ModelNet: each cloud is ``P`` points drawn uniformly
(by area) from the surface of a sphere, cube, cylinder, cone or torus, then scaled, rotated at random and
jittered with noise. It prints a notice saying the data are generated. :class:`PointNet` is the classifier of
Qi et al. (2017) without the input and feature transform networks (T-Nets): a shared MLP applied to every point,
a max pool over the points, and an MLP head.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from ._checks import (check_bool, check_non_negative_float, check_not_empty, check_positive_int, check_str_sequence,
                      check_type)

__all__ = ["CLASSES", "PointClouds", "make_point_clouds", "sample_surface", "random_rotations", "PointNet"]

CLASSES: tuple[str, ...] = ("sphere", "cube", "cylinder", "cone", "torus")

# Shape parameters, in units where every shape fits in the unit ball before scaling.
_CYL_R, _CYL_H = 0.7, 1.4          # cylinder: radius, height (z in [-h/2, h/2])
_CONE_R, _CONE_H = 0.8, 1.2        # cone: base radius, height (apex at z = +h/2)
_TORUS_R, _TORUS_A = 0.7, 0.3      # torus: distance from the centre to the tube's centre, tube radius
_CUBE_HALF = 1 / math.sqrt(3)      # half side: the corners lie on the unit sphere


@dataclass
class PointClouds:
    """A labelled set of point clouds.

    Attributes:
        points: ``(n, P, 3)`` float32, the ``P`` points of each cloud (x, y, z).
        labels: ``(n,)`` int64 class indices into ``classes``.
        classes: the class names, e.g. ``("sphere", "cube", ...)``.
    """

    points: torch.Tensor
    labels: torch.Tensor
    classes: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.labels)


def _uniform(shape: tuple[int, ...], g: torch.Generator) -> torch.Tensor:
    return torch.rand(shape, generator=g)


def _sphere(m: int, p: int, g: torch.Generator) -> torch.Tensor:
    x = torch.randn(m, p, 3, generator=g)
    return x / x.norm(dim=-1, keepdim=True)  # a normalised Gaussian is uniform on the sphere


def _cube(m: int, p: int, g: torch.Generator) -> torch.Tensor:
    # Six faces of equal area: pick one, then a uniform point on it.
    face = torch.randint(0, 6, (m, p), generator=g)
    uv = (2 * _uniform((m, p, 2), g) - 1) * _CUBE_HALF
    axis, sign = face // 2, (face % 2) * 2 - 1                       # which coordinate is fixed, at +-half
    out = torch.empty(m, p, 3)
    for a in range(3):
        others = [b for b in range(3) if b != a]
        on = axis == a
        out[..., a] = torch.where(on, sign * _CUBE_HALF, 0.0)
        for k, b in enumerate(others):
            out[..., b] = torch.where(on, uv[..., k], out[..., b])
    return out


def _disk(m: int, p: int, radius: float, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    # Uniform in a disk: the radius is r * sqrt(u), since the area within radius s grows as s^2.
    r = radius * _uniform((m, p), g).sqrt()
    t = 2 * math.pi * _uniform((m, p), g)
    return r * torch.cos(t), r * torch.sin(t)


def _cylinder(m: int, p: int, g: torch.Generator) -> torch.Tensor:
    side, cap = 2 * math.pi * _CYL_R * _CYL_H, math.pi * _CYL_R**2
    region = _uniform((m, p), g) * (side + 2 * cap)                  # side, top cap or bottom cap, by area
    t = 2 * math.pi * _uniform((m, p), g)
    z_side = (_uniform((m, p), g) - 0.5) * _CYL_H
    dx, dy = _disk(m, p, _CYL_R, g)
    on_side = region < side
    x = torch.where(on_side, _CYL_R * torch.cos(t), dx)
    y = torch.where(on_side, _CYL_R * torch.sin(t), dy)
    z = torch.where(on_side, z_side, torch.where(region < side + cap, _CYL_H / 2, -_CYL_H / 2))
    return torch.stack([x, y, z], dim=-1)


def _cone(m: int, p: int, g: torch.Generator) -> torch.Tensor:
    slant = math.hypot(_CONE_R, _CONE_H)
    side, base = math.pi * _CONE_R * slant, math.pi * _CONE_R**2
    on_side = _uniform((m, p), g) * (side + base) < side
    # On the side, the circle at fraction s of the way from the apex has length proportional to s: s = sqrt(u).
    s = _uniform((m, p), g).sqrt()
    t = 2 * math.pi * _uniform((m, p), g)
    dx, dy = _disk(m, p, _CONE_R, g)
    x = torch.where(on_side, _CONE_R * s * torch.cos(t), dx)
    y = torch.where(on_side, _CONE_R * s * torch.sin(t), dy)
    z = torch.where(on_side, _CONE_H / 2 - _CONE_H * s, torch.full_like(s, -_CONE_H / 2))
    return torch.stack([x, y, z], dim=-1)


def _torus(m: int, p: int, g: torch.Generator) -> torch.Tensor:
    # The area element is a (R + a cos v) du dv: accept a uniform v with probability (R + a cos v) / (R + a).
    R, a = _TORUS_R, _TORUS_A
    v = torch.empty(m, p)
    filled = torch.zeros(m, p, dtype=torch.bool)
    while not filled.all():
        cand = 2 * math.pi * _uniform((m, p), g)
        accept = _uniform((m, p), g) * (R + a) < R + a * torch.cos(cand)
        new = accept & ~filled
        v = torch.where(new, cand, v)
        filled |= new
    u = 2 * math.pi * _uniform((m, p), g)
    ring = R + a * torch.cos(v)
    return torch.stack([ring * torch.cos(u), ring * torch.sin(u), a * torch.sin(v)], dim=-1)


_SAMPLERS = {"sphere": _sphere, "cube": _cube, "cylinder": _cylinder, "cone": _cone, "torus": _torus}


def sample_surface(shape: str, n: int, points: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` clouds of ``points`` points uniform (by area) on the surface of a unit-size ``shape``.

    The shapes are centred on their bounding box, axis-aligned (the axis of a cylinder, cone or torus is z)
    and fit in the unit ball; no scale, rotation or noise.

    Returns:
        ``(n, points, 3)`` float32.
    """
    if shape not in _SAMPLERS:
        raise ValueError(f"shape must be one of {tuple(_SAMPLERS)}, got {shape!r:.60}")
    check_positive_int("n", n)
    check_positive_int("points", points)
    check_type("generator", generator, torch.Generator, "a torch.Generator", allow_none=True)
    g = generator if generator is not None else torch.Generator().manual_seed(0)
    return _SAMPLERS[shape](n, points, g).float()


def random_rotations(n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` rotation matrices drawn uniformly (Haar measure) from SO(3), shape ``(n, 3, 3)``.

    The QR factorisation of a Gaussian matrix, with the signs of ``R``'s diagonal moved into ``Q`` and one
    column flipped where ``det Q = -1``, gives a uniform rotation.
    """
    check_positive_int("n", n)
    check_type("generator", generator, torch.Generator, "a torch.Generator", allow_none=True)
    g = generator if generator is not None else torch.Generator().manual_seed(0)
    q, r = torch.linalg.qr(torch.randn(n, 3, 3, generator=g, dtype=torch.float64))
    q = q * torch.sign(torch.diagonal(r, dim1=-2, dim2=-1)).unsqueeze(-2)
    flip = torch.linalg.det(q) < 0
    q[flip, :, 0] = -q[flip, :, 0]
    return q.float()


def make_point_clouds(n: int, points: int = 256, *, seed: int = 0, classes: Sequence[str] = CLASSES,
                      scale: tuple[float, float] = (0.6, 1.0), noise: float = 0.01, rotate: bool = True,
                      verbose: bool = True) -> PointClouds:
    """``n`` labelled point clouds, each ``points`` points sampled from a generated 3-D shape's surface.

    Each cloud: a class drawn so the classes are balanced (counts differ by at most one), ``points`` points
    uniform by area on that shape's surface (:func:`sample_surface`), moved so their mean is the origin,
    multiplied by a scale uniform in ``scale``, rotated by a uniform random rotation (if ``rotate``), plus
    Gaussian noise of standard deviation ``noise`` per coordinate. The order of the points in a cloud is
    random. Use different seeds for the training, validation and test sets.

    Args:
        n: number of clouds.
        points: points per cloud ``P``.
        seed: seed of the private generator (the global RNG is not touched).
        classes: which shapes, a subset of :data:`CLASSES`; labels index this sequence.
        scale: ``(low, high)`` range of the random scale, ``0 < low <= high``.
        noise: standard deviation of the jitter, ``>= 0``.
        rotate: apply a random 3-D rotation to each cloud.
        verbose: print the notice that the data are generated.

    Returns:
        :class:`PointClouds` with ``points (n, P, 3)`` float32 and ``labels (n,)`` int64.
    """
    check_positive_int("n", n)
    check_positive_int("points", points)
    check_type("seed", seed, int, "an int")
    check_str_sequence("classes", classes, example="['sphere', 'cube']")
    check_not_empty("classes", classes)
    unknown = [c for c in classes if c not in _SAMPLERS]
    if unknown or len(set(classes)) != len(classes):
        raise ValueError(f"classes must be distinct names from {CLASSES}, got {tuple(classes)}")
    if (isinstance(scale, str) or not hasattr(scale, "__len__") or len(scale) != 2
            or not all(isinstance(s, (int, float)) and not isinstance(s, bool) for s in scale)):
        raise TypeError(f"scale must be a pair of numbers (low, high), got {type(scale).__name__} {scale!r:.60}")
    if not 0 < scale[0] <= scale[1] < float("inf"):
        raise ValueError(f"scale must satisfy 0 < low <= high, got {tuple(scale)}")
    check_non_negative_float("noise", noise)
    check_bool("rotate", rotate)
    check_bool("verbose", verbose)

    g = torch.Generator().manual_seed(seed)
    k = len(classes)
    labels = (torch.arange(n) % k)[torch.randperm(n, generator=g)]
    out = torch.empty(n, points, 3)
    for c, name in enumerate(classes):
        idx = (labels == c).nonzero().flatten()
        if len(idx):
            out[idx] = sample_surface(name, len(idx), points, generator=g)
    out = out - out.mean(dim=1, keepdim=True)  # centre each cloud (a cone's centroid is not its box's centre)
    s = scale[0] + (scale[1] - scale[0]) * torch.rand(n, 1, 1, generator=g)
    out = out * s
    if rotate:
        out = out @ random_rotations(n, generator=g).transpose(1, 2)  # (n, P, 3) @ (n, 3, 3): x -> R x
    out = out + noise * torch.randn(n, points, 3, generator=g)
    if verbose:
        print(f"d2lhelper: NOTICE: {n} GENERATED point clouds ({points} points each, seed {seed}): points sampled "
              f"uniformly on the surfaces of {k} shapes ({', '.join(classes)}), randomly scaled "
              f"{'and rotated ' if rotate else ''}with noise {noise:g}. An offline stand-in for scanned 3-D "
              f"objects (ModelNet), so the chapter runs without downloads.")
    return PointClouds(out.float().contiguous(), labels.long(), tuple(classes))


class PointNet(nn.Module):
    """PointNet classifier without T-Nets (Qi et al., 2017).

    Every point ``x_i`` (3 coordinates) goes through the same MLP ``h`` (1x1 convolutions with batch norm and
    ReLU); a max over the points gives a global feature; an MLP head ``g`` turns it into class scores:

    .. math:: f(\\{x_1, \\dots, x_P\\}) = g\\big(\\max_{i} h(x_i)\\big),

    with the max taken per feature channel. Since the max ignores order, so does ``f``.

    Args:
        num_classes: number of outputs.
        point_dims: widths of the shared MLP's layers; the last is the size of the global feature.
        head_dims: hidden widths of the classifier head.
        dropout: dropout probability before the head's last layer.

    Shapes:
        input ``(B, P, 3)``; output ``(B, num_classes)``.
    """

    def __init__(self, num_classes: int, point_dims: Sequence[int] = (64, 64, 64, 128),
                 head_dims: Sequence[int] = (64,), dropout: float = 0.3) -> None:
        super().__init__()
        check_positive_int("num_classes", num_classes)
        for name, dims in (("point_dims", point_dims), ("head_dims", head_dims)):
            if isinstance(dims, (str, int)) or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0
                                                       for d in dims):
                raise TypeError(f"{name} must be a sequence of positive ints such as (64, 128), got {dims!r:.60}")
        check_not_empty("point_dims", point_dims)
        if isinstance(dropout, bool) or not (isinstance(dropout, (int, float)) and 0 <= dropout < 1):
            raise ValueError(f"dropout must be a float in [0, 1), got {dropout!r:.60}")
        layers: list[nn.Module] = []
        width = 3
        for d in point_dims:  # a kernel-1 convolution applies the same weights to every point
            layers += [nn.Conv1d(width, d, kernel_size=1), nn.BatchNorm1d(d), nn.ReLU()]
            width = d
        self.point_mlp = nn.Sequential(*layers)
        head: list[nn.Module] = []
        for d in head_dims:
            head += [nn.Linear(width, d), nn.ReLU()]
            width = d
        head += [nn.Dropout(dropout), nn.Linear(width, num_classes)]
        self.head = nn.Sequential(*head)

    def features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The global feature ``(B, F)`` and, per channel, the index in ``[0, P)`` of the point giving the max."""
        if not isinstance(x, torch.Tensor) or x.ndim != 3 or x.shape[-1] != 3:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x must be a batch of point clouds of shape (B, P, 3), got {shape}")
        per_point = self.point_mlp(x.transpose(1, 2))  # (B, F, P)
        return per_point.max(dim=2)                      # values (B, F), indices (B, F)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x)[0])           # (B, num_classes)
