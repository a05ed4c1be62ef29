import pytest
import torch
import torchvision

from d2lhelper import scenes


@pytest.fixture(scope="module")
def ds():
    return scenes.make_scenes(300, seed=3, notice=False)


def test_shapes_and_ranges(ds):
    assert ds.images.shape == (300, 3, 64, 64) and ds.images.dtype == torch.float32
    assert 0 <= ds.images.min() and ds.images.max() <= 1
    assert ds.masks.shape == (300, 64, 64) and ds.masks.dtype == torch.int64
    assert len(ds.boxes) == len(ds.labels) == len(ds) == 300
    counts = torch.tensor([len(b) for b in ds.boxes])
    assert counts.min() >= 1 and counts.max() <= 4 and set(counts.tolist()) == {1, 2, 3, 4}
    for b, lab in zip(ds.boxes, ds.labels):
        assert b.shape == (len(lab), 4) and b.dtype == torch.float32 and lab.dtype == torch.int64
        assert (b[:, 0] < b[:, 2]).all() and (b[:, 1] < b[:, 3]).all() and b.min() >= 0 and b.max() <= 64
        assert ((lab >= 1) & (lab <= 3)).all()
        widths = b[:, 2] - b[:, 0]
        assert widths.min() >= 7 and widths.max() <= 29      # min_size 8 - max_size 28, to the pixel
    assert set(torch.cat(ds.labels).tolist()) == {1, 2, 3}


def test_boxes_overlap_at_most_max_iou(ds):
    for b in ds.boxes:
        iou = torchvision.ops.box_iou(b, b)
        iou.fill_diagonal_(0)
        assert iou.max() <= 0.3 + 1e-6


def test_masks_agree_with_boxes(ds):
    for i in range(len(ds)):
        m, b, lab = ds.masks[i], ds.boxes[i], ds.labels[i]
        # every visible object pixel lies inside the box of an object of its class
        ys, xs = torch.nonzero(m, as_tuple=True)
        inside = ((xs[:, None] >= b[:, 0]) & (xs[:, None] < b[:, 2]) & (ys[:, None] >= b[:, 1]) & (ys[:, None] < b[:, 3])
                  & (m[ys, xs][:, None] == lab[None]))
        assert inside.any(1).all()
        if len(b) == 1:  # a lone object is fully visible: its box is the tight box of the mask
            ys, xs = torch.nonzero(m, as_tuple=True)
            assert torch.equal(b[0], torch.tensor([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype=torch.float32))


def test_seeded_and_notice(capsys):
    a = scenes.make_scenes(5, seed=1)
    assert "NOTICE: generated data" in capsys.readouterr().out
    b = scenes.make_scenes(5, seed=1, notice=False)
    assert capsys.readouterr().out == ""
    c = scenes.make_scenes(5, seed=2, notice=False)
    assert torch.equal(a.images, b.images) and torch.equal(a.masks, b.masks)
    assert all(torch.equal(x, y) for x, y in zip(a.boxes, b.boxes))
    assert not torch.equal(a.images, c.images)


def test_dataset_and_collate(ds):
    image, target = ds[7]
    assert torch.equal(image, ds.images[7]) and torch.equal(target["boxes"], ds.boxes[7])
    loader = torch.utils.data.DataLoader(ds, batch_size=8, collate_fn=scenes.collate)
    images, targets = next(iter(loader))
    assert images.shape == (8, 3, 64, 64) and len(targets) == 8 and torch.equal(targets[3]["labels"], ds.labels[3])


def test_mask_overlay(ds):
    out = scenes.mask_overlay(ds.images[0], ds.masks[0], alpha=0.5)
    assert out.shape == (64, 64, 3) and out.min() >= 0 and out.max() <= 1
    rgb = ds.images[0].permute(1, 2, 0).numpy()
    bg = (ds.masks[0] == 0).numpy()
    assert (abs(out[bg] - rgb[bg]) < 1e-6).all() and (abs(out[~bg] - rgb[~bg]) > 1e-3).any()


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(n=0), ValueError, "n must be a positive int"),
    (dict(n=2, size=8), ValueError, "size must be >= 16"),
    (dict(n=2, min_size=20, max_size=10), ValueError, "min_size and max_size must satisfy"),
    (dict(n=2, max_size=100), ValueError, "max_size <= size=64"),
    (dict(n=2, max_iou=1.0), ValueError, r"max_iou must be a float in \[0, 1\)"),
    (dict(n=2, noise=0.6), ValueError, r"noise must be a float in \[0, 0.5\]"),
    (dict(n=2, seed=-1), ValueError, "seed must be an int >= 0"),
    (dict(n=2.5), TypeError, "n must be a positive int"),
])
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        scenes.make_scenes(**{"notice": False, **kwargs})


def test_bad_overlay_and_collate_inputs(ds):
    with pytest.raises(ValueError, match=r"image must have shape \(3, S, S\)"):
        scenes.mask_overlay(ds.images[0][0], ds.masks[0])
    with pytest.raises(ValueError, match=r"mask must have shape \(64, 64\)"):
        scenes.mask_overlay(ds.images[0], ds.masks[0][:10])
    with pytest.raises(TypeError, match="mask must hold int class indices"):
        scenes.mask_overlay(ds.images[0], ds.masks[0].float())
    with pytest.raises(ValueError, match=r"mask must hold values in 0..3, got \[0, 7\]"):
        scenes.mask_overlay(ds.images[0], torch.where(ds.masks[0] > 0, 7, 0))
    with pytest.raises(ValueError, match="batch must hold at least one"):
        scenes.collate([])
