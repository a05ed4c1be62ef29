"""Pretrained torchvision weights when they can be had: from the torch hub cache, or downloaded and checked.

Used by :func:`d2lhelper.style_transfer.vgg19_features` and :func:`d2lhelper.detection.fasterrcnn_mobilenet`.
Nothing is downloaded when ``D2LHELPER_OFFLINE`` is set; a failed or corrupt download never lands in the cache.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import torch

from .data._fetch import _offline


def _download_checked(url: str, dest: Path, timeout_s: float) -> None:
    """Download ``url`` to ``dest`` within ``timeout_s`` per network read, checking the SHA-256 prefix
    that torch hub file names carry (``vgg19-dcbb9e9d.pth``: the hash starts with ``dcbb9e9d``).

    The file is written under a temporary name and renamed only once its hash matches, so a failed or
    corrupt download never lands in the cache. The timeout is passed to the request, not set process-wide.
    """
    import requests

    match = torch.hub.HASH_REGEX.search(dest.name)
    if match is None:
        raise ValueError(f"url must name a torch hub file with a hash prefix (name-<sha256 prefix>.pth), got {url!r}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    digest = hashlib.sha256()
    try:
        with requests.get(url, stream=True, timeout=timeout_s) as response:
            response.raise_for_status()
            with open(tmp, "wb") as f:
                for chunk in response.iter_content(chunk_size=1 << 20):
                    f.write(chunk)
                    digest.update(chunk)
        if not digest.hexdigest().startswith(match.group(1)):
            raise OSError(f"the SHA-256 of the download ({digest.hexdigest()[:8]}...) does not start with "
                          f"{match.group(1)!r}, the prefix in its file name: corrupt or not the file asked for")
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def torchvision_state_dict(url: str, timeout_s: float) -> tuple[dict[str, torch.Tensor] | None, str]:
    """The state dict behind a torchvision weights ``url`` if it is cached or downloadable, and where it came
    from (or why it could not be had)."""
    cached = Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(url)
    if not cached.is_file():
        if _offline():
            return None, f"they are not in the torch hub cache ({cached}) and D2LHELPER_OFFLINE forbids downloading"
        try:
            _download_checked(url, cached, timeout_s)  # saves into the torch hub cache
        except Exception as exc:  # noqa: BLE001 - no network, firewall, timeout, bad hash: all mean "not available"
            return None, f"downloading {url} failed ({type(exc).__name__}: {exc})"
        source = "downloaded (SHA-256 checked)"
    else:
        source = "from the torch hub cache"
    return torch.load(cached, map_location="cpu", weights_only=True), source
