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
