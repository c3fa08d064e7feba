"""data: the lab's two datasets (exact points and labels) and the DataLoader."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_lab import Tensor
from tinygrad_lab.data import DataLoader, generate_linear, generate_xor_easy
from tinygrad_lab.random import manual_seed


def lab_xor_easy():
    """The lab handout's own generator, verbatim in spirit."""
    inputs, labels = [], []
    for i in range(11):
        inputs.append([0.1 * i, 0.1 * i])
        labels.append(0)
        if 0.1 * i == 0.5:
            continue
        inputs.append([0.1 * i, 1 - 0.1 * i])
        labels.append(1)
    return np.array(inputs), np.array(labels).reshape(21, 1)


def test_xor_easy_is_exactly_the_labs():
    X, y = generate_xor_easy()
    lab_X, lab_y = lab_xor_easy()
    assert X.shape == (21, 2) and y.shape == (21, 1)
    assert X.dtype == np.float64 and y.dtype == np.float64
    assert np.array_equal(X, lab_X) and np.array_equal(y, lab_y)
    assert X[:4].tolist() == [[0.0, 0.0], [0.0, 1.0], [0.1, 0.1], [0.1, 0.9]]
    assert y[:4, 0].tolist() == [0, 1, 0, 1]
    assert X[10].tolist() == [0.5, 0.5] and y[10, 0] == 0 and y[11, 0] == 0  # no (0.5, 0.5) twin
    assert int(y.sum()) == 10
    diagonal = X[:, 0] == X[:, 1]
    assert (y[diagonal] == 0).all() and (y[~diagonal] == 1).all()


def test_linear_labels_follow_the_diagonal_rule():
    X, y = generate_linear(500, seed=1)
    assert X.shape == (500, 2) and y.shape == (500, 1)
    assert X.dtype == np.float64 and y.dtype == np.float64
    assert X.min() >= 0 and X.max() <= 1
    assert np.array_equal(y[:, 0], np.where(X[:, 0] > X[:, 1], 0.0, 1.0))
    assert 0.4 < y.mean() < 0.6
    assert generate_linear()[0].shape == (100, 2)


def test_linear_seed_is_reproducible_and_matches_default_rng():
    X1, y1 = generate_linear(20, seed=5)
    X2, y2 = generate_linear(20, seed=5)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert np.array_equal(X1, np.random.default_rng(5).uniform(0, 1, (20, 2)))
    assert not np.array_equal(X1, generate_linear(20, seed=6)[0])
    with pytest.raises(ValueError, match="non-negative integer"):
        generate_linear(-1)


def collect(loader):
    return [(xb.numpy(), yb.numpy()) for xb, yb in loader]


def test_loader_batches_in_order():
    X = np.arange(20.0).reshape(10, 2)
    y = np.arange(10.0).reshape(10, 1)
    loader = DataLoader(X, y, batch_size=4)
    batches = collect(loader)
    assert len(loader) == len(batches) == 3
    assert [b[0].shape[0] for b in batches] == [4, 4, 2]
    assert np.array_equal(np.concatenate([b[0] for b in batches]), X)
    assert np.array_equal(np.concatenate([b[1] for b in batches]), y)
    xb, yb = next(iter(loader))
    assert isinstance(xb, Tensor) and isinstance(yb, Tensor) and xb.dtype == np.float64
    xb.numpy()[:] = -1  # batches are copies: the dataset is untouched
    assert X[0, 0] == 0.0
    assert len(DataLoader(X, y)) == 10  # batch_size 1 by default


def test_loader_drop_last():
    X, y = np.zeros((10, 2)), np.zeros((10, 1))
    loader = DataLoader(X, y, batch_size=4, drop_last=True)
    assert len(loader) == 2 and [b[0].shape[0] for b in collect(loader)] == [4, 4]
    assert len(DataLoader(X, y, batch_size=5, drop_last=True)) == 2
    assert len(DataLoader(X, y, batch_size=11, drop_last=True)) == 0


def test_loader_shuffle_reshuffles_each_epoch_reproducibly():
    X = np.arange(50.0).reshape(50, 1)
    y = -X
    loader = DataLoader(X, y, batch_size=8, shuffle=True, seed=0)
    epoch1, epoch2 = collect(loader), collect(loader)
    order1 = np.concatenate([b[0] for b in epoch1])[:, 0]
    order2 = np.concatenate([b[0] for b in epoch2])[:, 0]
    assert sorted(order1) == list(range(50)) and sorted(order2) == list(range(50))
    assert not np.array_equal(order1, order2)
    assert not np.array_equal(order1, np.arange(50))
    for xb, yb in epoch1:  # pairs stay together
        assert np.array_equal(yb, -xb)
    again = DataLoader(X, y, batch_size=8, shuffle=True, seed=0)
    assert np.array_equal(np.concatenate([b[0] for b in collect(again)])[:, 0], order1)


def test_loader_without_seed_uses_the_framework_generator():
    X, y = np.arange(30.0).reshape(30, 1), np.zeros((30, 1))
    manual_seed(1)
    a = collect(DataLoader(X, y, batch_size=30, shuffle=True))[0][0]
    manual_seed(1)
    b = collect(DataLoader(X, y, batch_size=30, shuffle=True))[0][0]
    assert np.array_equal(a, b)


def test_loader_accepts_tensors_and_lists_and_keeps_dtypes():
    X = Tensor(np.ones((6, 3), dtype=np.float32))
    y = Tensor(np.arange(6))
    xb, yb = next(iter(DataLoader(X, y, batch_size=4)))
    assert xb.dtype == np.float32 and yb.dtype == np.int64 and xb.shape == (4, 3)
    xb, yb = next(iter(DataLoader([[0.5], [1.5]], [0, 1], batch_size=2)))
    assert xb.dtype == np.float32 and yb.tolist() == [0, 1]


def test_loader_errors():
    with pytest.raises(ValueError, match=r"X has 10 samples.*y has 9"):
        DataLoader(np.zeros((10, 2)), np.zeros((9, 1)))
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        DataLoader(np.zeros((10, 2)), np.zeros((10, 1)), batch_size=0)
    with pytest.raises(ValueError, match="sample axis"):
        DataLoader(np.float64(1.0), np.zeros(1))
    with pytest.raises(TypeError, match="DataLoader: X must be an array or Tensor"):
        DataLoader([["a"]], [0])
    with pytest.raises(TypeError, match=r"DataLoader: X must hold numbers.*dtype <U1"):
        DataLoader(np.array([["a"], ["b"]]), np.zeros(2))
    with pytest.raises(TypeError, match=r"DataLoader: y must hold numbers.*dtype object"):
        DataLoader(np.zeros((2, 1)), np.array([None, 1], dtype=object))
    with pytest.raises(TypeError, match=r"DataLoader: y must hold numbers.*complex128"):
        DataLoader(np.zeros((2, 1)), np.zeros(2, dtype=complex))
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got None"):
        DataLoader(np.zeros((2, 1)), np.zeros(2), batch_size=None)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        DataLoader(np.zeros((2, 1)), np.zeros(2), batch_size=2.0)
    with pytest.raises(ValueError, match="shuffle must be True or False"):
        DataLoader(np.zeros((2, 1)), np.zeros(2), shuffle="yes")
    with pytest.raises(ValueError, match="seed must be a non-negative integer or None"):
        DataLoader(np.zeros((2, 1)), np.zeros(2), seed=-1)
    with pytest.raises(ValueError, match="seed must be a non-negative integer or None"):
        DataLoader(np.zeros((2, 1)), np.zeros(2), seed=1.5)


def test_loader_is_the_general_loader_over_a_tensor_dataset():
    from tinygrad_lab.utils import data as tud

    X = np.arange(14.0).reshape(7, 2)
    y = np.arange(7)
    loader = DataLoader(X, y, batch_size=np.int64(3), shuffle=True, seed=4)
    assert isinstance(loader, tud.DataLoader) and isinstance(loader.dataset, tud.TensorDataset)
    general = tud.DataLoader(tud.TensorDataset(Tensor(X), Tensor(y)), batch_size=3,
                             shuffle=True, generator=tl_generator(4))
    for (xb, yb), (gx, gy) in zip(loader, general, strict=True):
        assert isinstance(xb, Tensor) and np.array_equal(xb.numpy(), gx.numpy())
        assert np.array_equal(yb.numpy(), gy.numpy()) and yb.dtype == np.int64
    batch = next(iter(loader))
    assert type(batch) is tuple and len(batch) == 2
    assert repr(loader) == "DataLoader(n_samples=7, batch_size=3, shuffle=True, drop_last=False)"
    assert loader.n_samples == 7 and loader.seed == 4 and loader.X is X


def tl_generator(seed):
    from tinygrad_lab.random import Generator

    return Generator().manual_seed(seed)


@settings(max_examples=30)
@given(n=st.integers(0, 30), batch=st.integers(1, 12), shuffle=st.booleans(),
       drop_last=st.booleans())
def test_loader_covers_each_sample_once(n, batch, shuffle, drop_last):
    X = np.arange(n, dtype=np.float64).reshape(n, 1)
    loader = DataLoader(X, X.copy(), batch_size=batch, shuffle=shuffle, seed=0,
                        drop_last=drop_last)
    batches = collect(loader)
    assert len(batches) == len(loader)
    assert all(b[0].shape[0] == batch for b in batches[: len(batches) - 1])
    seen = np.concatenate([b[0] for b in batches])[:, 0] if batches else np.zeros(0)
    assert len(set(seen.tolist())) == len(seen)
    assert len(seen) == (n - n % batch if drop_last else n)
