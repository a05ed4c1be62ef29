"""The registry of data files the book downloads: name -> path, checksum, URLs.

The shipped entries live in ``registry.tsv`` next to this module (package
data); chapters can add more at runtime with :func:`register`.
"""

from __future__ import annotations

import difflib
import re
import threading
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable

__all__ = ["DataFile", "UnknownDatasetError", "register", "registry", "lookup"]

_REGISTRY_FILE = Path(__file__).with_name("registry.tsv")
_COLUMNS = ("name", "path", "checksum", "urls", "license")
_SHA256_RE = re.compile(r"[0-9a-f]{64}")
# Files whose publisher gives only a SHA-1 (d2l's fra-eng.zip) are registered as "sha1:<40 hex>".
_SHA1_RE = re.compile(r"sha1:[0-9a-f]{40}")

# A file that ships inside an installed Python package: package://<import name>/<path inside it>.
PACKAGE_SCHEME = "package://"
_PACKAGE_URL_RE = re.compile(r"package://[A-Za-z_][A-Za-z0-9_]*/[^\s]+")

_lock = threading.Lock()
_entries: dict[str, DataFile] | None = None  # loaded lazily by _all()


@dataclass(frozen=True)
class DataFile:
    """One registered data file.

    Attributes:
        name: Unique key passed to :func:`d2lhelper.data.fetch` (usually the
            file's basename, e.g. ``"timemachine.txt"``).
        path: Relative POSIX path of the file under the cache folder and under
            a ``D2LHELPER_MIRROR`` folder, e.g. ``"text/timemachine.txt"``.
        checksum: Lower-case hex SHA-256 every copy of the file must match, or
            ``"sha1:<40 hex>"`` for a file whose publisher gives only a SHA-1.
        urls: Sources, tried in order: ``package://<package>/<path>`` for a copy
            that ships inside an installed Python package (tried even offline),
            then download URLs, canonical first, https before http.
        license: License or source note.
    """

    name: str
    path: str
    checksum: str
    urls: tuple[str, ...]
    license: str

    @property
    def hash_name(self) -> str:
        """The checksum's algorithm for :mod:`hashlib`: ``"sha256"`` or ``"sha1"``."""
        return "sha1" if self.checksum.startswith("sha1:") else "sha256"

    @property
    def hash_hex(self) -> str:
        """The expected hex digest, without any ``"sha1:"`` prefix."""
        return self.checksum.split(":", 1)[-1]

    @property
    def url(self) -> str:
        """The canonical download URL (the first http(s) URL of :attr:`urls`)."""
        return self.download_urls[0]

    @property
    def download_urls(self) -> tuple[str, ...]:
        """The http(s) URLs of :attr:`urls`, in order."""
        return tuple(u for u in self.urls if not u.startswith(PACKAGE_SCHEME))

    @property
    def package_sources(self) -> tuple[tuple[str, str], ...]:
        """``(package, path inside it)`` for each ``package://`` source of :attr:`urls`."""
        return tuple(tuple(u[len(PACKAGE_SCHEME):].split("/", 1)) for u in self.urls  # type: ignore[misc]
                     if u.startswith(PACKAGE_SCHEME))


class UnknownDatasetError(KeyError):
    """Raised for a name that is not in the registry.

    A :class:`KeyError`, whose message lists close matches and the known names.
    """

    def __str__(self) -> str:
        # KeyError.__str__ would repr() the message and show it in quotes.
        return str(self.args[0]) if self.args else ""


def _validate(name: object, path: object, checksum: object, urls: object, license: object) -> DataFile:
    """Checks one registry entry and builds its :class:`DataFile`.

    Args:
        name: The entry's name; a non-empty str without ``/`` or whitespace
            at either end.
        path: Relative POSIX path without ``..`` components.
        checksum: 64 hex characters of SHA-256 (upper case is accepted and
            lowered), or ``"sha1:"`` and 40 hex characters.
        urls: One URL, a space-separated str of them, or an iterable; each is
            http(s) or ``package://<package>/<path>``, and at least one is http(s).
        license: License or source note (may be empty).

    Returns:
        The validated entry.

    Raises:
        TypeError: An argument has the wrong type.
        ValueError: An argument has an invalid value.
    """
    if not isinstance(name, str) or not name or name != name.strip() or "/" in name:
        raise ValueError(f"name must be a non-empty str without '/' or surrounding whitespace, got {name!r}")
    if not isinstance(path, str) or not path:
        raise ValueError(f"path of {name!r} must be a non-empty relative POSIX path str, got {path!r}")
    pure = PurePosixPath(path)
    if (
        pure.is_absolute()
        or "\\" in path
        or re.match(r"^[A-Za-z]:", path)
        or any(part in ("..", ".") for part in path.split("/"))
        or "" in path.split("/")
    ):
        raise ValueError(
            f"path of {name!r} must be a normalized relative POSIX path without '..' or '.' "
            f"components (e.g. 'text/timemachine.txt'), got {path!r}"
        )
    if not isinstance(checksum, str) or not (
            _SHA256_RE.fullmatch(checksum.lower()) or _SHA1_RE.fullmatch(checksum.lower())):
        raise ValueError(
            f"checksum of {name!r} must be a SHA-256 of 64 hexadecimal characters (or 'sha1:' and 40 of them), "
            f"got {checksum!r}"
        )
    if isinstance(urls, str):
        url_tuple = tuple(urls.split())
    elif isinstance(urls, Iterable):
        url_tuple = tuple(urls)
    else:
        raise TypeError(f"urls of {name!r} must be a str or an iterable of str, got {urls!r}")
    for url in url_tuple:
        if not isinstance(url, str) or any(c.isspace() for c in url) or not (
                re.match(r"^https?://[^/\s]+", url) or _PACKAGE_URL_RE.fullmatch(url)):
            raise ValueError(f"urls of {name!r} must be http:// or https:// URLs (or package://<package>/<path>) "
                             f"without spaces, got {url!r}")
    if not any(u.startswith(("http://", "https://")) for u in url_tuple):
        raise ValueError(f"urls of {name!r} must hold at least one http(s) URL, got {urls!r}")
    if not isinstance(license, str):
        raise TypeError(f"license of {name!r} must be a str, got {license!r}")
    return DataFile(name=name, path=path, checksum=checksum.lower(), urls=url_tuple, license=license)


def _load(file: Path = _REGISTRY_FILE) -> dict[str, DataFile]:
    """Parses a registry TSV file.

    Lines starting with ``#`` and blank lines are skipped; the first other
    line must be the header ``name path checksum urls license``.

    Args:
        file: The TSV file to read.

    Returns:
        The entries by name, in file order.

    Raises:
        ValueError: The file is malformed (wrong header or column count, an
            invalid entry, a duplicate name or path).
    """
    entries: dict[str, DataFile] = {}
    paths: dict[str, str] = {}
    header_seen = False
    for lineno, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if not header_seen:
            if tuple(fields) != _COLUMNS:
                raise ValueError(f"{file}:{lineno}: header must be {'<TAB>'.join(_COLUMNS)!r}, got {line!r}")
            header_seen = True
            continue
        if len(fields) != len(_COLUMNS):
            raise ValueError(f"{file}:{lineno}: expected {len(_COLUMNS)} tab-separated columns, got {len(fields)}")
        try:
            entry = _validate(*fields)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{file}:{lineno}: {exc}") from None
        if entry.name in entries:
            raise ValueError(f"{file}:{lineno}: duplicate name {entry.name!r}")
        if entry.path in paths:
            raise ValueError(f"{file}:{lineno}: path {entry.path!r} already used by {paths[entry.path]!r}")
        entries[entry.name] = entry
        paths[entry.path] = entry.name
    return entries


def _all() -> dict[str, DataFile]:
    """Returns the live registry dict, loading ``registry.tsv`` on first use."""
    global _entries
    with _lock:
        if _entries is None:
            _entries = _load()
        return _entries


def registry() -> dict[str, DataFile]:
    """All registered data files.

    Returns:
        A new dict mapping each name to its :class:`DataFile` (changing the
        dict does not change the registry; use :func:`register` for that).
    """
    return dict(_all())


def register(
    name: str,
    path: str,
    checksum: str,
    urls: str | Iterable[str],
    license: str = "",
) -> DataFile:
    """Adds a data file to the registry at runtime (e.g. from a chapter).

    Registering the same entry again is a no-op, so notebook cells can be
    re-run.

    Args:
        name: Unique name to fetch the file by, e.g. ``"fra-eng.zip"``.
        path: Relative POSIX path under the cache folder and the mirror, e.g.
            ``"text/fra-eng.zip"``.
        checksum: The file's SHA-256 as 64 hex characters (or ``"sha1:<40 hex>"``
            when only a SHA-1 is published).
        urls: Download URLs tried in order, canonical first: one http(s) URL,
            a space-separated str, or an iterable of str.
        license: License or source note.

    Returns:
        The registered entry.

    Raises:
        TypeError: An argument has the wrong type.
        ValueError: An argument is invalid, or ``name`` or ``path`` is already
            registered with different values.
    """
    entry = _validate(name, path, checksum, urls, license)
    entries = _all()
    with _lock:
        old = entries.get(entry.name)
        if old is not None and old != entry:
            raise ValueError(f"name {entry.name!r} is already registered as {old}, got a different entry {entry}")
        for other in entries.values():
            if other.path == entry.path and other.name != entry.name:
                raise ValueError(
                    f"path {entry.path!r} of {entry.name!r} is already used by {other.name!r}; "
                    "each registered file needs its own path"
                )
        entries[entry.name] = entry
    return entry


def lookup(name: str) -> DataFile:
    """Returns the registry entry for ``name``.

    Args:
        name: A registered name, e.g. ``"timemachine.txt"``.

    Returns:
        The entry.

    Raises:
        TypeError: ``name`` is not a str.
        ValueError: ``name`` is empty.
        UnknownDatasetError: ``name`` is not registered (a :class:`KeyError`;
            the message suggests close matches and lists the known names).
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a non-empty str, got {name!r} of type {type(name).__name__}")
    if not name.strip():
        raise ValueError(f"name must be a non-empty str, got {name!r}")
    entries = _all()
    entry = entries.get(name)
    if entry is not None:
        return entry
    known = sorted(entries)
    lowered = {n.lower(): n for n in known}
    suggestions = difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=0.6)
    suggestions = [lowered[s] for s in suggestions]
    suggestions += [n for n in known if name.lower() in n.lower() and n not in suggestions][:3]
    hint = f" Did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else ""
    raise UnknownDatasetError(
        f"unknown data file name {name!r}.{hint} Known names: {', '.join(known)}. "
        "Add a file at runtime with d2lhelper.data.register(...)."
    )
