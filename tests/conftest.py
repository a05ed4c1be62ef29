"""Shared test setup: a non-interactive matplotlib backend, one torch thread, figures closed after each test."""
import matplotlib

matplotlib.use("Agg")

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
