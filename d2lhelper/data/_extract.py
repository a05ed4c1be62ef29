"""Safe extraction of zip and tar archives: every member is checked before anything is written."""

from __future__ import annotations

import os
import posixpath
import re
import tarfile
import zipfile
from pathlib import Path

from ._fetch import DatasetError

__all__ = ["extract"]


def _as_path(value: object, argument: str) -> Path:
    """``value`` as a Path, or a TypeError naming ``argument``."""
    if not isinstance(value, (str, os.PathLike)) or (isinstance(value, str) and not value):
        raise TypeError(f"{argument} must be a non-empty str or os.PathLike, got {value!r}")
    return Path(value)


def _refuse(archive: Path, member: str, why: str) -> DatasetError:
    """The error for an unsafe archive member."""
    return DatasetError(f"refusing to extract {archive}: member {member!r} {why}; nothing was extracted")


def _inside(path: Path, root: Path) -> bool:
    """Whether ``path`` is ``root`` or below it."""
    return path == root or root in path.parents


def _check_member(archive: Path, name: str, root: Path, symlinks: set[str]) -> None:
    """Refuses absolute names, names escaping ``root`` and names through archive symlinks."""
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        raise _refuse(archive, name, "has an absolute path")
    if not _inside((root / name).resolve(), root):
        raise _refuse(archive, name, f"would be written outside {root}")
    parts = name.split("/")
    for i in range(1, len(parts)):
        if posixpath.normpath("/".join(parts[:i])) in symlinks:
            raise _refuse(archive, name, "would be written through a symlink in the archive")


def _check_link(archive: Path, name: str, base: str, link: str, root: Path, symlinks: set[str]) -> None:
    """Refuses a link target that is absolute, escapes ``root`` or goes through archive symlinks."""
    if not link or link.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", link):
        raise _refuse(archive, name, f"links to the absolute path {link!r}")
    if not _inside((root / base / link).resolve(), root):
        raise _refuse(archive, name, f"links to {link!r}, outside {root}")
    current = base
    for part in link.split("/")[:-1]:
        current = posixpath.normpath(posixpath.join(current, part))
        if current in symlinks:
            raise _refuse(archive, name, f"links to {link!r} through a symlink in the archive")


def _check_tar(archive: Path, members: list[tarfile.TarInfo], root: Path) -> None:
    """Validates every tar member before anything is extracted."""
    symlinks = {posixpath.normpath(m.name) for m in members if m.issym()}
    for m in members:
        _check_member(archive, m.name, root, symlinks)
        if m.issym():
            _check_link(archive, m.name, posixpath.dirname(m.name), m.linkname, root, symlinks)
        elif m.islnk():
            _check_link(archive, m.name, "", m.linkname, root, symlinks)
        elif not (m.isfile() or m.isdir()):
            raise _refuse(archive, m.name, "is a device, FIFO or other special file")


def extract(archive: str | os.PathLike[str], dest: str | os.PathLike[str]) -> Path:
    """Safely extracts a zip or tar (.tar, .tar.gz, .tar.bz2, .tar.xz) archive.

    Every member is checked before anything is written: absolute paths,
    members that would land outside ``dest`` (``../``), members written
    through a symlink of the archive, symlinks or hardlinks pointing outside
    ``dest`` and special files are refused, and then nothing is extracted.
    Tar archives are additionally extracted with ``filter="data"`` where the
    running Python has it.

    Args:
        archive: Path of the archive file.
        dest: Folder to extract into; created if missing.

    Returns:
        ``dest`` as a Path.

    Raises:
        TypeError: ``archive`` or ``dest`` is not a str or path.
        DatasetError: ``archive`` is missing, is not a zip or tar archive, is
            corrupt, or holds an unsafe member (the message names the archive
            and the member).
    """
    archive_path = _as_path(archive, "archive")
    dest_path = _as_path(dest, "dest")
    if not archive_path.is_file():
        raise DatasetError(f"archive must be an existing file, got {str(archive_path)!r} (not found)")
    try:
        if zipfile.is_zipfile(archive_path):
            with zipfile.ZipFile(archive_path) as zf:
                infos = zf.infolist()
                dest_path.mkdir(parents=True, exist_ok=True)
                root = dest_path.resolve()
                for info in infos:
                    _check_member(archive_path, info.filename, root, set())
                zf.extractall(root)
        elif tarfile.is_tarfile(archive_path):
            with tarfile.open(archive_path) as tf:
                members = tf.getmembers()
                dest_path.mkdir(parents=True, exist_ok=True)
                root = dest_path.resolve()
                _check_tar(archive_path, members, root)
                if hasattr(tarfile, "data_filter"):
                    tf.extractall(root, filter="data")
                else:  # Python < 3.10.12 / 3.11.4: rely on _check_tar alone
                    tf.extractall(root)
        else:
            raise DatasetError(
                f"archive must be a zip or tar (.tar, .tar.gz, .tar.bz2, .tar.xz) file, got {str(archive_path)!r}"
            )
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        raise DatasetError(f"could not extract {archive_path} into {dest_path}: {exc}") from exc
    return dest_path
