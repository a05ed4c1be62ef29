"""Shared test setup: a non-interactive matplotlib backend, one torch thread, figures closed after each test."""
import matplotlib

matplotlib.use("Agg")

import contextlib  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

# Unit tests use small tensors, where a thread pool only adds waiting (badly so
# when pytest-xdist runs two workers on two cores).
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def pytest_terminal_summary(terminalreporter):
    """Say loudly when the HTML book was not browser-tested (no Chromium): a skip is easy to miss."""
    skipped = terminalreporter.stats.get("skipped", [])
    if any("NOT tested in a browser" in str(getattr(r, "longrepr", "")) for r in skipped):
        terminalreporter.write_sep("!", "WARNING: the HTML book was NOT tested in a browser (no Chromium found)",
                                   red=True, bold=True)
        terminalreporter.write_line("Install one (Debian/Ubuntu: `apt-get install chromium`; elsewhere "
                                    "`python -m playwright install chromium`) and run `make test` again.", red=True)


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__import__("d2lhelper").__file__))
# The Tensor methods that copy a value to the host: on a GPU each one waits for all queued work.
_HOST_READS = ("item", "tolist", "__bool__", "__float__", "__int__", "__index__", "numpy", "cpu")


@pytest.fixture
def host_reads():
    """``with host_reads() as reads:`` counts the host reads d2lhelper's own code makes.

    A CPU-side stand-in for ``torch.cuda.set_sync_debug_mode("error")``: every
    call of a method in ``_HOST_READS`` whose caller is a file of the d2lhelper
    package is appended to ``reads`` as ``"file.py:line method"``. PyTorch's own
    internal reads (e.g. an optimizer's step counter, which lives on the CPU) are not counted.
    """

    @contextlib.contextmanager
    def counting():
        reads: list[str] = []
        own = {name: torch.Tensor.__dict__.get(name) for name in _HOST_READS}
        for name in _HOST_READS:
            original = getattr(torch.Tensor, name)

            def wrapper(self, *args, __original=original, __name=name, **kwargs):
                frame = sys._getframe(1)
                if frame.f_code.co_filename.startswith(_PACKAGE_DIR):
                    reads.append(f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno} {__name}")
                return __original(self, *args, **kwargs)

            setattr(torch.Tensor, name, wrapper)
        try:
            yield reads
        finally:
            for name, original in own.items():
                if original is None:
                    delattr(torch.Tensor, name)
                else:
                    setattr(torch.Tensor, name, original)

    return counting
