"""utils.data: datasets, random_split, samplers, default_collate and the DataLoader.

The cross-checks against ``torch.utils.data`` run where torch is installed.
"""

import math
import warnings
from collections import OrderedDict, namedtuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lab as tl
from tinygrad_lab import Tensor
from tinygrad_lab.utils.data import (
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    DistributedSampler,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    StackDataset,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
    get_worker_info,
    random_split,
)

Pair = namedtuple("Pair", "a b")


def seeded(seed):
    return tl.Generator().manual_seed(seed)


class Rows(Dataset):
    """A plain map-style dataset over arrays: takes the loader's general path."""

    def __init__(self, *arrays):
        self.arrays = arrays

    def __len__(self):
        return len(self.arrays[0])

    def __getitem__(self, i):
        return tuple(Tensor(a[i]) for a in self.arrays)


class Countdown(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n - 1, -1, -1))

    def __len__(self):
        return self.n


def first_column(loader):
    """The first field of every batch, in order, as a flat list."""
    return [v for batch in loader for v in np.ravel(batch[0].numpy()).tolist()]


# ---------------------------------------------------------------------------- datasets


def test_import_paths():
    import tinygrad_lab.utils
    import tinygrad_lab.utils.data

    assert tinygrad_lab.utils.data.DataLoader is DataLoader


def test_tensor_dataset_items_are_tuples_of_tensor_rows():
    X = Tensor(np.arange(12, dtype=np.float32).reshape(4, 3))
    y = Tensor(np.arange(4))
    ds = TensorDataset(X, y)
    assert len(ds) == 4 and ds.tensors == (X, y)
    x2, y2 = ds[2]
    assert isinstance(x2, Tensor) and x2.dtype == np.float32 and x2.tolist() == [6, 7, 8]
    assert y2.shape == () and y2.dtype == np.int64 and y2.item() == 2
    assert ds[-1][1].item() == 3 and ds[Tensor(1)][1].item() == 1
    assert ds[[0, 3]][0].shape == (2, 3)
    x2.numpy()[:] = -1  # an item is a copy of the rows
    assert X.numpy()[2].tolist() == [6, 7, 8]


def test_tensor_dataset_errors():
    with pytest.raises(ValueError, match=r"first dimensions \[3, 2\].*\(3, 1\), \(2,\)"):
        TensorDataset(Tensor(np.zeros((3, 1))), Tensor(np.zeros(2)))
    with pytest.raises(TypeError, match="argument 1 must be a Tensor, got ndarray"):
        TensorDataset(Tensor(np.zeros(2)), np.zeros(2))
    with pytest.raises(ValueError, match="tensor 0 is 0-d"):
        TensorDataset(Tensor(1.0))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()


def test_base_dataset_subclass_concat_and_errors():
    class NoLength(Dataset):
        def __getitem__(self, i):
            return i

    with pytest.raises(TypeError, match="NoLength does not define __len__"):
        len(NoLength())
    with pytest.raises(NotImplementedError, match="must define __getitem__"):
        Dataset()[0]
    both = Rows(np.arange(3)) + Rows(np.arange(10, 12))
    assert isinstance(both, ConcatDataset) and len(both) == 5
    assert [both[i][0].item() for i in range(-5, 5)] == [0, 1, 2, 10, 11] * 2
    with pytest.raises(IndexError, match="index 5 is out of range for 5 samples"):
        both[5]
    with pytest.raises(IndexError, match="index -6"):
        both[-6]
    with pytest.raises(ValueError, match="empty iterable"):
        ConcatDataset([])
    with pytest.raises(TypeError, match="IterableDataset"):
        ConcatDataset([Countdown(2)])


def test_subset_indexes_through_its_indices():
    sub = Subset(Rows(np.arange(10) * 10), [7, 2, 5])
    assert len(sub) == 3 and sub[0][0].item() == 70 and sub[-1][0].item() == 50
    assert [s[0].item() for s in sub.__getitems__([2, 0])] == [50, 70]
    assert Subset(np.arange(5) * 2, [4, 1])[[0, 1]].tolist() == [8, 2]
    with pytest.raises(TypeError, match="indices must be a sequence"):
        Subset(Rows(np.arange(3)), {1, 2})


def test_iterable_and_chain_datasets():
    loader = DataLoader(Countdown(5), batch_size=2)
    assert len(loader) == 3
    assert [b.tolist() for b in loader] == [[4, 3], [2, 1], [0]]
    assert [b.tolist() for b in DataLoader(Countdown(5), batch_size=2, drop_last=True)] == [
        [4, 3], [2, 1]]
    assert list(DataLoader(Countdown(2), batch_size=None)) == [1, 0]
    chained = Countdown(2) + Countdown(3)
    assert isinstance(chained, ChainDataset) and len(chained) == 5 and list(chained) == [
        1, 0, 2, 1, 0]
    with pytest.raises(ValueError, match="IterableDataset is read in its own order"):
        DataLoader(Countdown(3), shuffle=True)


# ------------------------------------------------------------------------ random_split


def test_random_split_partitions_reproducibly():
    parts = random_split(range(10), [3, 7], generator=seeded(0))
    assert [len(p) for p in parts] == [3, 7] and all(isinstance(p, Subset) for p in parts)
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    again = random_split(range(10), [3, 7], generator=seeded(0))
    assert [p.indices for p in again] == [p.indices for p in parts]
    other = random_split(range(10), [3, 7], generator=seeded(1))
    assert [p.indices for p in other] != [p.indices for p in parts]
    # The permutation is the generator's: the same draw as rng.permutation.
    assert parts[0].indices == np.random.default_rng(0).permutation(10)[:3].tolist()
    tl.manual_seed(3)
    a = random_split(range(6), [0.5, 0.5])
    tl.manual_seed(3)
    assert [p.indices for p in random_split(range(6), [0.5, 0.5])] == [p.indices for p in a]
    np_parts = random_split(range(4), [2, 2], generator=np.random.default_rng(0))
    assert [len(p) for p in np_parts] == [2, 2]


def test_random_split_fraction_remainder_goes_round_robin():
    assert [len(p) for p in random_split(range(5), [0.5, 0.5])] == [3, 2]
    assert [len(p) for p in random_split(range(10), [0.33, 0.33, 0.34])] == [4, 3, 3]
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(range(2), [0.9, 0.1])


def test_random_split_errors():
    with pytest.raises(ValueError, match=r"sum of input lengths \(9\).*dataset \(10\)"):
        random_split(range(10), [4, 5])
    with pytest.raises(ValueError, match="entry 0 is -1"):
        random_split(range(10), [-1, 11])
    with pytest.raises(ValueError, match="entry 0 is 2.5"):
        random_split(range(10), [2.5, 7.5])
    with pytest.raises(ValueError, match="fraction at index 0 is not between 0 and 1: 1.5"):
        random_split(range(10), [1.5, -0.5])
    with pytest.raises(ValueError, match="non-empty list of numbers"):
        random_split(range(10), [])
    with pytest.raises(TypeError, match="random_split: generator must be"):
        random_split(range(10), [5, 5], generator=0)
    with pytest.raises(TypeError, match="needs a length"):
        random_split(iter(range(3)), [1, 2])


@settings(max_examples=60)
@given(n=st.integers(0, 200),
       weights=st.lists(st.integers(1, 20), min_size=1, max_size=6))
def test_random_split_fraction_lengths_equal_torch(n, weights):
    torch = pytest.importorskip("torch")
    from torch.utils.data import random_split as torch_split

    fractions = [w / sum(weights) for w in weights]

    def lengths(split):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return [len(p) for p in split(range(n), fractions)]
            except ValueError:
                return "ValueError"  # sum slightly over 1: both read it as counts and refuse

    expected = lengths(lambda d, f: torch_split(d, f, generator=torch.Generator()))
    assert lengths(random_split) == expected


# ----------------------------------------------------------------------------- samplers


def test_samplers():
    assert list(SequentialSampler(range(3))) == [0, 1, 2]
    rs = RandomSampler(range(5), generator=seeded(0))
    assert len(rs) == 5 and sorted(rs) == [0, 1, 2, 3, 4]
    long = list(RandomSampler(range(3), num_samples=7, generator=seeded(0)))
    assert len(long) == 7 and sorted(long[:3]) == sorted(long[3:6]) == [0, 1, 2]
    drawn = list(RandomSampler(range(3), replacement=True, num_samples=50, generator=seeded(0)))
    assert len(drawn) == 50 and set(drawn) == {0, 1, 2}
    assert list(RandomSampler([], generator=seeded(0))) == []
    assert sorted(SubsetRandomSampler([5, 7, 9], generator=seeded(0))) == [5, 7, 9]
    weighted = list(WeightedRandomSampler([0, 1, 3], 200, generator=seeded(0)))
    assert set(weighted) == {1, 2} and weighted.count(2) > weighted.count(1)
    no_repeat = list(WeightedRandomSampler([1, 1, 0, 1], 3, replacement=False,
                                           generator=seeded(0)))
    assert sorted(no_repeat) == [0, 1, 3]
    assert list(BatchSampler(range(5), 2, False)) == [[0, 1], [2, 3], [4]]
    assert list(BatchSampler(range(5), 2, True)) == [[0, 1], [2, 3]]


def test_sampler_errors():
    with pytest.raises(TypeError, match="replacement must be True or False"):
        RandomSampler(range(3), replacement=1)
    with pytest.raises(ValueError, match="num_samples must be a positive integer"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="drop_last must be True or False"):
        BatchSampler(range(3), 2, None)
    with pytest.raises(ValueError, match="finite, non-negative and not all zero"):
        WeightedRandomSampler([1, -1], 2)
    with pytest.raises(ValueError, match="1-D sequence"):
        WeightedRandomSampler([[1, 2]], 2)
    with pytest.raises(ValueError, match="cannot draw 3 samples without replacement from 2"):
        WeightedRandomSampler([1, 0, 1], 3, replacement=False)


# --------------------------------------------------------------------------- collation

COLLATE_CASES = [
    [1.5, 2.5],
    [1, 2],
    [True, False],
    [1, 2.5],
    [np.float32(1), np.float32(2)],
    [np.int32(3), np.int32(4)],
    [np.float16(1)],
    [np.uint8(3)],
    [np.bool_(True)],
    [np.array(1.0), np.array(2.0)],
    [np.zeros((2, 3), np.float32), np.ones((2, 3), np.float32)],
    [(1, 2.0), (3, 4.0)],
    [[1, 2], [3, 4]],
    [{"a": 1.0, "b": (np.int64(1), "s")}, {"a": 2.0, "b": (np.int64(2), "t")}],
    [Pair(1, 2.0), Pair(3, 4.0)],
    ["a", "b"],
    [OrderedDict(x=1), OrderedDict(x=2)],
]


def structure(obj):
    """Type, shape, dtype and values of a collated batch, library-neutral."""
    if hasattr(obj, "shape") and hasattr(obj, "tolist") and not isinstance(obj, np.ndarray):
        return ("tensor", tuple(obj.shape), str(obj.dtype).replace("torch.", ""), obj.tolist())
    if isinstance(obj, dict):
        return (type(obj).__name__, {k: structure(v) for k, v in obj.items()})
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [structure(v) for v in obj])
    return obj


@pytest.mark.parametrize("batch", COLLATE_CASES, ids=lambda b: type(b[0]).__name__)
def test_default_collate_equals_torch(batch):
    pytest.importorskip("torch")
    from torch.utils.data import default_collate as torch_collate

    assert structure(default_collate(batch)) == structure(torch_collate(batch))


def test_default_collate_rules_without_torch():
    floats, ints = default_collate([(1.5, 0), (2.5, 1)])
    assert floats.dtype == np.float64 and ints.dtype == np.int64  # float64, as PyTorch
    assert default_collate([1, 2.5]).dtype == tl.get_default_dtype()
    stacked = default_collate([Tensor(np.ones(3, np.float32)), Tensor(np.zeros(3, np.float32))])
    assert stacked.shape == (2, 3) and stacked.dtype == np.float32
    d = default_collate([{"x": np.arange(2), "name": "a"}, {"x": np.arange(2), "name": "b"}])
    assert d["x"].shape == (2, 2) and d["x"].dtype == np.arange(2).dtype
    assert d["name"] == ["a", "b"]  # the key's list of samples, as it is
    assert default_collate([("a", 1), ("b", 2)])[0] == ("a", "b")  # zip's tuple, as PyTorch
    assert isinstance(default_collate([(1, 2), (3, 4)]), list)
    assert isinstance(default_collate([Pair(1, 2.0)]), Pair)


def test_default_collate_keeps_the_graph_of_tensors_that_require_grad():
    w = Tensor(np.ones(2), requires_grad=True)
    batch = default_collate([w * 2, w * 3])
    batch.sum().backward()
    assert w.grad.tolist() == [5.0, 5.0]


def test_default_collate_errors():
    with pytest.raises(TypeError, match="found <U1"):
        default_collate([np.array(["a"])])
    with pytest.raises(TypeError, match="found object"):
        default_collate([np.array([None])])
    with pytest.raises(TypeError, match="found <class 'NoneType'>"):
        default_collate([None])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([(1, 2), (1,)])
    with pytest.raises(ValueError, match=r"stack: tensor 1 has shape \(2,\)"):
        default_collate([np.zeros(1), np.zeros(2)])
    with pytest.raises(TypeError, match="non-empty list of samples"):
        default_collate([])


def test_default_convert():
    array = np.arange(3.0)
    converted = default_convert(array)
    assert isinstance(converted, Tensor) and converted.dtype == np.float64
    assert default_convert(3) == 3 and default_convert("s") == "s"
    assert isinstance(default_convert((array,)), list)
    assert default_convert(np.float32(2)).dtype == np.float32
    assert default_convert({"a": array})["a"].shape == (3,)
    assert default_convert(np.array(["x"])).dtype.kind == "U"  # strings stay arrays


# -------------------------------------------------------------------------- DataLoader


@settings(max_examples=60)
@given(n=st.integers(0, 40), batch_size=st.integers(1, 12), drop_last=st.booleans())
def test_len_and_batch_sizes_equal_torch(n, batch_size, drop_last):
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader as TorchLoader
    from torch.utils.data import TensorDataset as TorchDataset

    X = np.arange(n, dtype=np.float64).reshape(n, 1)
    ours = DataLoader(TensorDataset(Tensor(X)), batch_size=batch_size, drop_last=drop_last)
    theirs = TorchLoader(TorchDataset(torch.from_numpy(X)), batch_size=batch_size,
                         drop_last=drop_last)
    assert len(ours) == len(theirs)
    assert [b[0].shape[0] for b in ours] == [b[0].shape[0] for b in theirs]
    assert first_column(ours) == [v for b in theirs for v in b[0].numpy()[:, 0].tolist()]
    expected = n // batch_size if drop_last else math.ceil(n / batch_size)
    assert len(ours) == expected


def test_loader_over_a_custom_dataset_collates_like_torch():
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader as TorchLoader

    samples = [{"x": np.full(2, i, np.float32), "y": i, "w": 0.5 * i} for i in range(5)]
    for batch_size in (2, None):
        ours = [structure(b) for b in DataLoader(samples, batch_size=batch_size)]
        theirs = [structure(b) for b in TorchLoader(samples, batch_size=batch_size)]
        assert ours == theirs
    assert len(DataLoader(samples, batch_size=None)) == 5
    torch.manual_seed(0)  # tidy: torch's loader draws a seed from its global generator


@settings(max_examples=40)
@given(n=st.integers(0, 30), batch_size=st.integers(1, 8), drop_last=st.booleans(),
       seed=st.integers(0, 2**16))
def test_shuffle_sees_every_sample_once_per_epoch(n, batch_size, drop_last, seed):
    X = np.arange(n, dtype=np.float64).reshape(n, 1)
    loader = DataLoader(TensorDataset(Tensor(X)), batch_size=batch_size, shuffle=True,
                        drop_last=drop_last, generator=seeded(seed))
    for _ in range(2):
        seen = first_column(loader)
        assert len(seen) == len(set(seen)) == (n - n % batch_size if drop_last else n)
        assert set(seen) <= set(range(n))


def test_shuffle_is_reproducible_and_changes_each_epoch():
    X = Tensor(np.arange(40.0).reshape(40, 1))
    loader = DataLoader(TensorDataset(X), batch_size=8, shuffle=True, generator=seeded(7))
    epoch1, epoch2 = first_column(loader), first_column(loader)
    assert epoch1 != epoch2 and sorted(epoch1) == sorted(epoch2) == list(range(40))
    assert epoch1 != list(range(40))
    again = DataLoader(TensorDataset(X), batch_size=8, shuffle=True, generator=seeded(7))
    assert first_column(again) == epoch1 and first_column(again) == epoch2
    tl.manual_seed(11)  # no generator: the default one, read at each epoch
    default = DataLoader(TensorDataset(X), batch_size=8, shuffle=True)
    a = first_column(default)
    tl.manual_seed(11)
    assert first_column(default) == a
    numpy_rng = DataLoader(TensorDataset(X), batch_size=8, shuffle=True,
                           generator=np.random.default_rng(0))
    assert sorted(first_column(numpy_rng)) == list(range(40))


@settings(max_examples=30)
@given(n=st.integers(1, 25), batch_size=st.integers(1, 7), shuffle=st.booleans(),
       drop_last=st.booleans(), seed=st.integers(0, 1000))
def test_tensor_dataset_shortcut_equals_the_general_path(n, batch_size, shuffle, drop_last,
                                                         seed):
    X = np.arange(3 * n, dtype=np.float32).reshape(n, 3)
    y = np.arange(n) % 3

    def batches(dataset):
        loader = DataLoader(dataset, batch_size=batch_size, shuffle=shuffle,
                            drop_last=drop_last, generator=seeded(seed))
        return [[(t.shape, t.dtype, t.tolist()) for t in batch] for batch in loader]

    general = batches(Rows(X, y))
    assert batches(TensorDataset(Tensor(X), Tensor(y))) == general
    # Through Subsets (random_split), against the same Subsets over the general dataset.
    (fast_split,) = random_split(TensorDataset(Tensor(X), Tensor(y)), [n],
                                 generator=seeded(seed))
    (slow_split,) = random_split(Rows(X, y), [n], generator=seeded(seed))
    backwards = list(range(n))[::-1]
    fast, slow = Subset(fast_split, backwards), Subset(slow_split, backwards)
    assert batches(fast) == batches(slow)


def test_loader_batches_are_fresh_and_lists_like_torch():
    X = Tensor(np.arange(6.0).reshape(3, 2))
    batch = next(iter(DataLoader(TensorDataset(X, X), batch_size=2)))
    assert isinstance(batch, list) and len(batch) == 2
    batch[0].numpy()[:] = -1
    assert X.numpy()[0, 0] == 0.0


def test_sampler_batch_sampler_and_collate_fn():
    data = np.arange(10.0) * 10
    by_sampler = DataLoader(data, batch_size=2, sampler=[9, 0, 3])
    assert [b.tolist() for b in by_sampler] == [[90.0, 0.0], [30.0]] and len(by_sampler) == 2
    by_batches = DataLoader(data, batch_sampler=[[1, 2, 3], [4]])
    assert by_batches.batch_size is None and len(by_batches) == 2
    assert [b.tolist() for b in by_batches] == [[10.0, 20.0, 30.0], [40.0]]
    summed = DataLoader(data, batch_size=5, collate_fn=lambda samples: float(sum(samples)))
    assert list(summed) == [100.0, 350.0]
    singles = DataLoader(TensorDataset(Tensor(data)), batch_size=None)
    assert len(singles) == 10 and singles.collate_fn is default_convert
    first = next(iter(singles))
    assert isinstance(first, list) and first[0].shape == ()
    assert DataLoader(data, num_workers=2, pin_memory=True, batch_size=4).num_workers == 2
    assert get_worker_info() is None


def test_loader_settings_are_frozen_after_init():
    loader = DataLoader(np.arange(4.0), batch_size=2)
    with pytest.raises(ValueError, match="batch_size attribute should not be set"):
        loader.batch_size = 3
    loader.collate_fn = default_collate  # not used to build anything: allowed


BAD_LOADERS = [
    (dict(batch_size=0), ValueError, "batch_size must be a positive integer"),
    (dict(batch_size=-2), ValueError, "batch_size must be a positive integer"),
    (dict(batch_size=2.0), ValueError, "batch_size must be a positive integer"),
    (dict(batch_size=True), ValueError, "batch_size must be a positive integer"),
    (dict(batch_size="4"), ValueError, "batch_size must be a positive integer"),
    (dict(shuffle="yes"), ValueError, "shuffle must be True or False"),
    (dict(shuffle=1), ValueError, "shuffle must be True or False"),
    (dict(drop_last=None), ValueError, "drop_last must be True or False"),
    (dict(num_workers=-1), ValueError, "num_workers must be a non-negative integer"),
    (dict(collate_fn=3), TypeError, "collate_fn must be callable"),
    (dict(generator=42), TypeError, "DataLoader: generator must be"),
    (dict(sampler=[0, 1], shuffle=True), ValueError, "mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), ValueError, "batch_sampler option is mutually"),
    (dict(batch_sampler=[[0]], drop_last=True), ValueError, "batch_sampler option is mutually"),
    (dict(batch_size=None, drop_last=True), ValueError, "mutually exclusive with drop_last"),
    (dict(sampler=3), TypeError, "sampler must be iterable"),
]


@pytest.mark.parametrize(("kwargs", "error", "message"), BAD_LOADERS)
def test_loader_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        DataLoader(np.arange(4.0), **kwargs)


def test_loader_rejects_bad_datasets_and_accepts_numpy_ints():
    with pytest.raises(TypeError, match="map-style dataset.*got generator"):
        DataLoader(x for x in range(3))

    class NoLength(Dataset):
        def __getitem__(self, i):
            return i

    with pytest.raises(TypeError, match="NoLength needs __len__ when no sampler is given"):
        DataLoader(NoLength())
    assert list(DataLoader(NoLength(), sampler=[2, 0], batch_size=2))[0].tolist() == [2, 0]
    loader = DataLoader(np.arange(5.0), batch_size=np.int64(2), shuffle=np.bool_(False))
    assert loader.batch_size == 2 and type(loader.batch_size) is int and len(loader) == 3


def test_refused_pytorch_names_say_why():
    with pytest.raises(NotImplementedError, match="DistributedSampler is not provided"):
        DistributedSampler(range(3))
    with pytest.raises(NotImplementedError, match="StackDataset is not provided"):
        StackDataset(a=range(3))
    with pytest.raises(NotImplementedError, match="DistributedSampler is not provided"):
        class Mine(DistributedSampler):
            pass


def test_tensor_dataset_batches_take_the_one_indexing_shortcut(monkeypatch):
    """Batches of a TensorDataset (also through random_split's Subsets) never index items."""

    def refuse(self, index):
        raise AssertionError("the loader indexed one item at a time")

    ds = TensorDataset(Tensor(np.arange(12.0).reshape(6, 2)))
    train, _ = random_split(ds, [4, 2], generator=seeded(0))
    monkeypatch.setattr(TensorDataset, "__getitem__", refuse)
    assert [b[0].shape for b in DataLoader(ds, batch_size=4)] == [(4, 2), (2, 2)]
    assert len(list(DataLoader(train, batch_size=3, shuffle=True))) == 2
