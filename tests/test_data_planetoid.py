"""Tests of d2lhelper.data.load_planetoid: the registry's raw files land where Planetoid reads them."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

import d2lhelper as d2l


def _shared_data():
    for candidate in (os.environ.get("D2LHELPER_MIRROR", ""), str(Path(__file__).resolve().parents[2] / "shared" / "data")):
        if candidate and (Path(candidate) / "planetoid" / "Cora" / "raw" / "ind.cora.x").is_file():
            return Path(candidate)
    return None


SHARED = _shared_data()


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"name must be one of \['Cora', 'CiteSeer'\], got 'PubMed'"):
        d2l.data.load_planetoid("PubMed")


def test_importing_d2lhelper_does_not_import_torch_geometric():
    code = "import sys, d2lhelper; assert 'torch_geometric' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.skipif(SHARED is None, reason="offline data folder with the Planetoid files not found")
def test_cora_loads_offline_from_the_mirror(monkeypatch, tmp_path):
    monkeypatch.setenv("D2LHELPER_MIRROR", str(SHARED))
    monkeypatch.setenv("D2LHELPER_OFFLINE", "1")
    monkeypatch.setenv("D2LHELPER_DATA", str(tmp_path))
    dataset = d2l.data.load_planetoid("Cora")
    data = dataset[0]
    assert (data.num_nodes, data.num_edges, dataset.num_features, dataset.num_classes) == (2708, 10556, 1433, 7)
    assert (int(data.train_mask.sum()), int(data.val_mask.sum()), int(data.test_mask.sum())) == (140, 500, 1000)
    assert (tmp_path / "planetoid" / "Cora" / "raw" / "ind.cora.graph").is_file()
    assert (tmp_path / "planetoid" / "Cora" / "processed" / "data.pt").is_file()
    again = d2l.data.load_planetoid("Cora")  # processed file reused
    assert again[0].edge_index.equal(data.edge_index)
