"""Datasets, samplers and the DataLoader, with ``torch.utils.data``'s names and semantics.

>>> import numpy as np
>>> from tinygrad_lab import Tensor
>>> from tinygrad_lab.utils.data import DataLoader, TensorDataset, random_split
>>> X, y = Tensor(np.arange(20.0).reshape(10, 2)), Tensor(np.arange(10))
>>> train, test = random_split(TensorDataset(X, y), [0.8, 0.2])
>>> loader = DataLoader(train, batch_size=3, shuffle=True)
>>> len(loader)
3
>>> xb, yb = next(iter(loader))
>>> xb.shape, yb.dtype
((3, 2), dtype('int64'))

What differs from PyTorch (all on purpose, see each docstring):

- Data is always loaded in the main process: ``num_workers > 0`` is accepted and gives the
  same batches, one after another. :func:`get_worker_info` is therefore always None.
- A :class:`TensorDataset` item is a copy of its rows, not a view of the stored tensors.
- An empty map-style dataset with ``shuffle=True`` yields no batches (PyTorch's
  ``RandomSampler`` refuses an empty dataset).
- Validation is stricter and earlier: ``shuffle`` and ``drop_last`` must be bools,
  ``random_split`` refuses negative or non-integer lengths, and a dataset without
  ``__len__`` is reported when the loader is built, not when it is first iterated.
  NumPy integers are accepted wherever PyTorch takes an int.
"""

from __future__ import annotations

import bisect
import collections.abc
import copy
import itertools
import math
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar

import numpy as np

from ..ops.shape import stack
from ..random import Generator, get_rng
from ..tensor import Tensor

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
]

T_co = TypeVar("T_co", covariant=True)
GeneratorLike = Generator | np.random.Generator | None


# --------------------------------------------------------------------------- helpers


def _share(array: np.ndarray) -> Tensor:
    """A Tensor on ``array`` without copying it (for arrays this module just made)."""
    return Tensor._wrap(np.asarray(array))


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_bool(value: Any) -> bool:
    return isinstance(value, (bool, np.bool_))


def _check_positive_int(owner: str, name: str, value: Any, hint: str = "") -> int:
    if not _is_int(value) or value < 1:
        raise ValueError(f"{owner}: {name} must be a positive integer{hint}, got {value!r}")
    return int(value)


def _check_bool(owner: str, name: str, value: Any) -> bool:
    if not _is_bool(value):
        raise ValueError(f"{owner}: {name} must be True or False, got {value!r}")
    return bool(value)


def _check_generator(owner: str, generator: Any) -> None:
    try:
        get_rng(generator)
    except TypeError as err:
        raise TypeError(f"{owner}: {err}") from None


# -------------------------------------------------------------------------- datasets


class Dataset(Generic[T_co]):
    """A map-style dataset: ``dataset[i]`` is sample ``i`` and ``len(dataset)`` its size.

    Subclasses define ``__getitem__`` and ``__len__`` (as for ``torch.utils.data.Dataset``);
    ``a + b`` chains two datasets into a :class:`ConcatDataset`.

    Examples
    --------
    >>> class Squares(Dataset):
    ...     def __len__(self):
    ...         return 4
    ...     def __getitem__(self, i):
    ...         return i, i * i
    >>> [s for _, s in DataLoader(Squares(), batch_size=2)][1].tolist()
    [4, 9]
    """

    def __getitem__(self, index: Any) -> T_co:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        # TypeError, like any object without a length, so that len() probes (tqdm) work.
        raise TypeError(f"{type(self).__name__} does not define __len__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co]):
    """A dataset that is a stream: subclasses define ``__iter__`` (and may define ``__len__``).

    A :class:`DataLoader` reads it in order and groups consecutive samples into batches;
    ``shuffle`` and samplers do not apply. ``a + b`` chains two into a :class:`ChainDataset`.
    """

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __add__(self, other: Dataset) -> ChainDataset:  # type: ignore[override]
        return ChainDataset([self, other])


class TensorDataset(Dataset[tuple[Tensor, ...]]):
    """Samples are rows of tensors: ``dataset[i]`` is ``(t0[i], t1[i], ...)``.

    Parameters
    ----------
    *tensors : Tensor
        Tensors with the same size of their first dimension.

    Notes
    -----
    An item is a copy of the rows (PyTorch returns views into the stored tensors), so
    changing it in place never changes the dataset, and it is outside any graph.

    Examples
    --------
    >>> ds = TensorDataset(Tensor([[1.0, 2.0], [3.0, 4.0]]), Tensor([0, 1]))
    >>> x, y = ds[1]
    >>> x.tolist(), y.item(), len(ds)
    ([3.0, 4.0], 1, 2)
    """

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor")
        for position, tensor in enumerate(tensors):
            if not isinstance(tensor, Tensor):
                raise TypeError(
                    f"TensorDataset: argument {position} must be a Tensor, got "
                    f"{type(tensor).__name__} (wrap arrays with tinygrad_lab.Tensor(array))"
                )
            if tensor.ndim == 0:
                raise ValueError(
                    f"TensorDataset: tensor {position} is 0-d; every tensor needs a first "
                    f"(sample) dimension"
                )
        sizes = [tensor.shape[0] for tensor in tensors]
        if any(size != sizes[0] for size in sizes):
            shapes = ", ".join(str(tensor.shape) for tensor in tensors)
            raise ValueError(
                f"TensorDataset: size mismatch between tensors: first dimensions "
                f"{sizes} (shapes {shapes}) must all be equal"
            )
        self.tensors: tuple[Tensor, ...] = tuple(tensors)

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        if isinstance(index, Tensor):
            index = index.numpy()
        return tuple(Tensor(tensor.numpy()[index]) for tensor in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __repr__(self) -> str:
        shapes = ", ".join(str(tensor.shape) for tensor in self.tensors)
        return f"TensorDataset({shapes})"


class ConcatDataset(Dataset[T_co]):
    """Map-style datasets one after the other.

    Parameters
    ----------
    datasets : iterable of Dataset
        At least one; none may be an :class:`IterableDataset`.

    Examples
    --------
    >>> ds = ConcatDataset([[10, 11], [20]])
    >>> len(ds), ds[2], ds[-3]
    (3, 20, 10)
    """

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        datasets = list(datasets)
        if not datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for position, dataset in enumerate(datasets):
            if isinstance(dataset, IterableDataset):
                raise TypeError(
                    f"ConcatDataset: dataset {position} is an IterableDataset; chain "
                    f"streams with ChainDataset instead"
                )
        self.datasets = datasets
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> T_co:
        size = len(self)
        if not -size <= index < size:
            raise IndexError(
                f"ConcatDataset: index {index} is out of range for {size} samples"
            )
        if index < 0:
            index += size
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]


class ChainDataset(IterableDataset[T_co]):
    """Iterable datasets one after the other (``torch.utils.data.ChainDataset``)."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = datasets

    def _streams(self) -> Iterator[IterableDataset]:
        for dataset in self.datasets:
            if not isinstance(dataset, IterableDataset):
                raise TypeError(
                    f"ChainDataset only supports IterableDataset, got {type(dataset).__name__}"
                )
            yield dataset

    def __iter__(self) -> Iterator[T_co]:
        for dataset in self._streams():
            yield from dataset

    def __len__(self) -> int:
        return sum(len(dataset) for dataset in self._streams())


class Subset(Dataset[T_co]):
    """The samples of ``dataset`` at ``indices``, in that order.

    Parameters
    ----------
    dataset : Dataset
    indices : sequence of int

    Examples
    --------
    >>> sub = Subset([10, 11, 12, 13], [3, 0])
    >>> len(sub), sub[0], sub[1]
    (2, 13, 10)
    """

    def __init__(self, dataset: Dataset[T_co], indices: Sequence[int]) -> None:
        if not hasattr(indices, "__len__") or not hasattr(indices, "__getitem__"):
            raise TypeError(
                f"Subset: indices must be a sequence of ints, got {type(indices).__name__}"
            )
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index: Any) -> T_co:
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices: list[int]) -> list[T_co]:
        # The DataLoader fetches a whole batch through this when it exists (as PyTorch).
        inner = [self.indices[i] for i in indices]
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return getitems(inner)
        return [self.dataset[i] for i in inner]

    def __len__(self) -> int:
        return len(self.indices)


def _split_lengths(n: int, lengths: Sequence[float]) -> list[int]:
    """PyTorch's rule: fractions summing to 1 become counts; else integer counts."""
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:
        counts = []
        for i, fraction in enumerate(lengths):
            if fraction < 0 or fraction > 1:
                raise ValueError(
                    f"random_split: fraction at index {i} is not between 0 and 1: {fraction}"
                )
            counts.append(math.floor(n * fraction))
        for i in range(n - sum(counts)):  # the remainder, one each, round-robin
            counts[i % len(counts)] += 1
        for i, count in enumerate(counts):
            if count == 0:
                warnings.warn(
                    f"Length of split at index {i} is 0. This might result in an empty "
                    f"dataset.", stacklevel=3,
                )
        return counts
    for i, length in enumerate(lengths):
        if not _is_int(length) or length < 0:
            raise ValueError(
                f"random_split: lengths must be non-negative integers or fractions summing "
                f"to 1; got {list(lengths)} (entry {i} is {length!r})"
            )
    if total != n:
        raise ValueError(
            f"random_split: sum of input lengths ({total}) does not equal the length of "
            f"the input dataset ({n})"
        )
    return [int(length) for length in lengths]


def random_split(
    dataset: Dataset[T_co], lengths: Sequence[float], generator: GeneratorLike = None,
) -> list[Subset[T_co]]:
    """Split ``dataset`` at random into non-overlapping :class:`Subset` s.

    Parameters
    ----------
    dataset : Dataset
    lengths : sequence of int or float
        The sizes of the splits, summing to ``len(dataset)``; or fractions summing to 1,
        each becoming ``floor(fraction * len(dataset))`` with the remainder given out one
        by one to the splits in order (PyTorch's rule, so the sizes equal PyTorch's).
    generator : Generator or numpy.random.Generator, optional
        Source of the permutation; the default generator when None.

    Returns
    -------
    list of Subset

    Examples
    --------
    >>> import tinygrad_lab as tl
    >>> parts = random_split(range(10), [0.5, 0.3, 0.2], generator=tl.Generator().manual_seed(0))
    >>> [len(p) for p in parts]
    [5, 3, 2]
    >>> sorted(i for p in parts for i in p.indices)
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    """
    try:
        n = len(dataset)
    except TypeError as err:
        raise TypeError(f"random_split: dataset needs a length: {err}") from None
    if isinstance(lengths, (str, bytes)) or not isinstance(lengths, Iterable):
        raise TypeError(f"random_split: lengths must be a sequence, got {lengths!r}")
    lengths = list(lengths)
    if not lengths or not all(isinstance(v, (int, float, np.number)) for v in lengths):
        raise ValueError(f"random_split: lengths must be a non-empty list of numbers, "
                         f"got {lengths!r}")
    _check_generator("random_split", generator)
    counts = _split_lengths(n, lengths)
    order = get_rng(generator).permutation(n).tolist()
    bounds = list(itertools.accumulate(counts))
    return [Subset(dataset, order[end - count:end])
            for end, count in zip(bounds, counts, strict=True)]


# -------------------------------------------------------------------------- samplers


class Sampler(Generic[T_co]):
    """Base class of samplers: an iterable of dataset indices (or of batches of them)."""

    def __init__(self, data_source: Any = None) -> None:
        pass

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler[int]):
    """Indices ``0, 1, ..., len(data_source) - 1``, always in that order."""

    def __init__(self, data_source: Any) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """Indices in a random order, drawn afresh at every ``iter``.

    Parameters
    ----------
    data_source : sized
    replacement : bool
        Draw with replacement (then ``num_samples`` may be anything positive).
    num_samples : int, optional
        How many indices per pass; ``len(data_source)`` by default. Without replacement,
        more than ``len(data_source)`` chains whole permutations (as PyTorch).
    generator : Generator or numpy.random.Generator, optional
        The default generator when None, read at each ``iter``.

    Notes
    -----
    An empty ``data_source`` gives an empty pass (PyTorch refuses it when built).
    """

    def __init__(
        self, data_source: Any, replacement: bool = False, num_samples: int | None = None,
        generator: GeneratorLike = None,
    ) -> None:
        if not _is_bool(replacement):
            raise TypeError(
                f"RandomSampler: replacement must be True or False, got {replacement!r}"
            )
        if num_samples is not None:
            num_samples = _check_positive_int("RandomSampler", "num_samples", num_samples)
        _check_generator("RandomSampler", generator)
        self.data_source = data_source
        self.replacement = bool(replacement)
        self._num_samples = num_samples
        self.generator = generator

    @property
    def num_samples(self) -> int:
        if self._num_samples is None:  # read each time: a dataset may grow
            return len(self.data_source)
        return self._num_samples

    def __iter__(self) -> Iterator[int]:
        n, count = len(self.data_source), self.num_samples
        if n == 0:
            return
        rng = get_rng(self.generator)
        if self.replacement:
            yield from rng.integers(0, n, size=count).tolist()
            return
        for _ in range(count // n):
            yield from rng.permutation(n).tolist()
        if count % n:
            yield from rng.permutation(n)[: count % n].tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given indices in a random order, drawn afresh at every ``iter``."""

    def __init__(self, indices: Sequence[int], generator: GeneratorLike = None) -> None:
        _check_generator("SubsetRandomSampler", generator)
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        for i in get_rng(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    """Indices ``0..len(weights)-1`` drawn with probabilities proportional to ``weights``.

    Parameters
    ----------
    weights : sequence of float
        Non-negative, finite, not all zero (1-D).
    num_samples : int
        How many indices per pass.
    replacement : bool
        Without replacement, ``num_samples`` may not exceed the number of positive weights.
    generator : Generator or numpy.random.Generator, optional
    """

    def __init__(
        self, weights: Sequence[float], num_samples: int, replacement: bool = True,
        generator: GeneratorLike = None,
    ) -> None:
        owner = "WeightedRandomSampler"
        num_samples = _check_positive_int(owner, "num_samples", num_samples)
        replacement = _check_bool(owner, "replacement", replacement)
        _check_generator(owner, generator)
        w = np.asarray(weights.numpy() if isinstance(weights, Tensor) else weights)
        if w.ndim != 1 or w.dtype.kind not in "biuf":
            raise ValueError(f"{owner}: weights must be a 1-D sequence of numbers, "
                             f"got shape {w.shape} and dtype {w.dtype}")
        w = w.astype(np.float64)
        if not np.isfinite(w).all() or (w < 0).any() or not w.sum() > 0:
            raise ValueError(f"{owner}: weights must be finite, non-negative and not all "
                             f"zero, got {w.tolist()}")
        if not replacement and num_samples > np.count_nonzero(w):
            raise ValueError(f"{owner}: cannot draw {num_samples} samples without "
                             f"replacement from {np.count_nonzero(w)} positive weights")
        self.weights = w
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        rng = get_rng(self.generator)
        p = self.weights / self.weights.sum()
        drawn = rng.choice(len(p), size=self.num_samples, replace=self.replacement, p=p)
        yield from drawn.tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[list[int]]):
    """Group the indices of ``sampler`` into lists of ``batch_size``.

    Parameters
    ----------
    sampler : iterable of int
    batch_size : int
    drop_last : bool
        Skip the last batch when it is shorter than ``batch_size``.

    Examples
    --------
    >>> list(BatchSampler(range(5), batch_size=2, drop_last=False))
    [[0, 1], [2, 3], [4]]
    >>> len(BatchSampler(range(5), batch_size=2, drop_last=True))
    2
    """

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        self.batch_size = _check_positive_int("BatchSampler", "batch_size", batch_size)
        self.drop_last = _check_bool("BatchSampler", "drop_last", drop_last)
        self.sampler = sampler

    def __iter__(self) -> Iterator[list[int]]:
        indices = iter(self.sampler)
        while batch := list(itertools.islice(indices, self.batch_size)):
            if self.drop_last and len(batch) < self.batch_size:
                return
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return -(-len(self.sampler) // self.batch_size)


# ------------------------------------------------------------------------- collation

_COLLATE_ERROR = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
    "found {}"
)


def _numeric_dtype(dtype: np.dtype) -> bool:
    return dtype.kind in "biuf"


def _collate_tensors(batch: Sequence[Tensor], **_: Any) -> Tensor:
    # tl.stack, as torch.stack: it records a graph only when an element requires grad.
    return stack(list(batch), 0)


def _collate_arrays(batch: Sequence[np.ndarray], *, collate_fn_map: dict) -> Tensor:
    if not _numeric_dtype(batch[0].dtype):
        raise TypeError(_COLLATE_ERROR.format(batch[0].dtype))
    return collate([_share(array) for array in batch], collate_fn_map=collate_fn_map)


def _collate_numpy_scalars(batch: Sequence[np.generic], **_: Any) -> Tensor:
    array = np.array(batch)  # keeps the scalars' dtype (a plain Tensor(list) would not)
    if not _numeric_dtype(array.dtype):
        raise TypeError(_COLLATE_ERROR.format(array.dtype))
    return _share(array)


def _collate_floats(batch: Sequence[float], **_: Any) -> Tensor:
    return Tensor(batch, dtype=np.float64)  # float64, not the default dtype, as PyTorch


def _collate_ints(batch: Sequence[int], **_: Any) -> Tensor:
    return Tensor(batch)  # int64; bools stay bool; a later float makes the default dtype


def _collate_strings(batch: Sequence[str], **_: Any) -> Sequence[str]:
    return batch


#: How :func:`collate` handles each element type (checked in this order, as PyTorch's
#: ``default_collate_fn_map``); add entries to teach it a type of your own.
default_collate_fn_map: dict[type | tuple[type, ...], Callable[..., Any]] = {
    Tensor: _collate_tensors,
    np.ndarray: _collate_arrays,
    (np.bool_, np.number, np.object_): _collate_numpy_scalars,
    float: _collate_floats,
    int: _collate_ints,
    str: _collate_strings,
    bytes: _collate_strings,
}


def _collate_mapping(batch: Sequence[Any], collate_fn_map: dict | None) -> Any:
    elem = batch[0]
    fields = {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map)
              for key in elem}
    try:
        if isinstance(elem, collections.abc.MutableMapping):
            clone = copy.copy(elem)
            clone.update(fields)
            return clone
        return type(elem)(fields)
    except TypeError:  # a mapping type that cannot be rebuilt this way
        return fields


def _collate_sequence(batch: Sequence[Any], collate_fn_map: dict | None) -> Any:
    elem = batch[0]
    size = len(elem)
    if any(len(sample) != size for sample in batch):
        raise RuntimeError("each element in list of batch should be of equal size")
    # Each field's samples go on as zip's tuple, as in PyTorch (strings stay a tuple).
    fields = [collate(samples, collate_fn_map=collate_fn_map)
              for samples in zip(*batch, strict=True)]
    if isinstance(elem, tuple):
        return fields  # a list, as PyTorch (kept there for backward compatibility)
    try:
        if isinstance(elem, collections.abc.MutableSequence):
            clone = copy.copy(elem)
            clone[:] = fields
            return clone
        return type(elem)(fields)
    except TypeError:
        return fields


def collate(batch: Sequence[Any], *, collate_fn_map: dict | None = None) -> Any:
    """Merge a list of samples into a batch, dispatching on the first sample's type.

    ``collate_fn_map`` maps types to functions ``fn(batch, *, collate_fn_map)``; the
    exact type is looked up first, then each key in order with ``isinstance``. Mappings,
    named tuples and other sequences are collated field by field.
    """
    elem = batch[0]
    if collate_fn_map is not None:
        fn = collate_fn_map.get(type(elem))
        if fn is None:
            fn = next((f for t, f in collate_fn_map.items() if isinstance(elem, t)), None)
        if fn is not None:
            return fn(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        return _collate_mapping(batch, collate_fn_map)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a named tuple
        return type(elem)(*(collate(s, collate_fn_map=collate_fn_map)
                            for s in zip(*batch, strict=True)))
    if isinstance(elem, collections.abc.Sequence):
        return _collate_sequence(batch, collate_fn_map)
    raise TypeError(_COLLATE_ERROR.format(type(elem)))


def default_collate(batch: Sequence[Any]) -> Any:
    """Merge a list of samples into a batch, as ``torch.utils.data.default_collate``.

    - Tensors are stacked along a new first axis; NumPy arrays and NumPy scalars too,
      keeping their dtype (string and object arrays are refused).
    - Python floats become a float64 tensor, ints an int64 tensor, bools a bool tensor
      (exactly PyTorch's rules: ``torch.tensor(floats, dtype=torch.float64)``).
    - Strings are passed on as they are (the list or tuple of them).
    - Dicts are collated key by key, named tuples field by field; a tuple or list of
      fields becomes a **list** of collated fields (tuples too, as in PyTorch).

    Examples
    --------
    >>> out = default_collate([(1.5, 0), (2.5, 1)])
    >>> out[0].dtype, out[1].dtype, out[1].tolist()
    (dtype('float64'), dtype('int64'), [0, 1])
    >>> default_collate([{"x": np.zeros(2, np.float32)}] * 3)["x"].shape
    (3, 2)
    """
    if isinstance(batch, (str, bytes)) or not hasattr(batch, "__len__") or len(batch) == 0:
        raise TypeError(f"default_collate: expected a non-empty list of samples, got "
                        f"{type(batch).__name__} {batch!r:.60}")
    return collate(batch, collate_fn_map=default_collate_fn_map)


def default_convert(data: Any) -> Any:
    """Turn NumPy arrays and scalars in a sample into Tensors, leaving the rest as is.

    The loader's default ``collate_fn`` when ``batch_size=None``. Arrays are shared, not
    copied (as ``torch.as_tensor``); tuples become lists, as in PyTorch.
    """
    if isinstance(data, Tensor):
        return data
    if isinstance(data, (np.ndarray, np.generic)) and not isinstance(data, (str, bytes)):
        return _share(data) if _numeric_dtype(data.dtype) else data
    if isinstance(data, collections.abc.Mapping):
        converted = {key: default_convert(data[key]) for key in data}
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)
                clone.update(converted)
                return clone
            return type(data)(converted)
        except TypeError:
            return converted
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        converted_list = [default_convert(d) for d in data]
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                clone[:] = converted_list
                return clone
            return type(data)(converted_list)
        except TypeError:
            return converted_list
    return data


def get_worker_info() -> None:
    """Always None: tinygrad_lab loads data in the main process (no worker processes)."""
    return None


# ------------------------------------------------------------------------ DataLoader


def _tensor_batch(dataset: Any, indices: Any) -> list[Tensor] | None:
    """A batch of a TensorDataset (also seen through Subsets) in one indexing per tensor.

    Returns exactly what ``default_collate([dataset[i] for i in indices])`` returns, or
    None when the shortcut does not apply (then the loader takes the general path).
    """
    rows = list(indices)
    while type(dataset) is Subset:  # exact types: a subclass may index differently
        rows = [dataset.indices[i] for i in rows]
        dataset = dataset.dataset
    if type(dataset) is not TensorDataset or not rows:
        return None
    rows_array = np.asarray(rows)
    if rows_array.ndim != 1 or rows_array.dtype.kind not in "iu":
        return None
    return [_share(tensor.numpy()[rows_array]) for tensor in dataset.tensors]


def _check_dataset(dataset: Any, needs_len: bool) -> None:
    if isinstance(dataset, IterableDataset):
        return
    if not hasattr(dataset, "__getitem__"):
        raise TypeError(
            f"DataLoader: dataset must be a map-style dataset (with __getitem__ and "
            f"__len__) or an IterableDataset, got {type(dataset).__name__}"
        )
    if needs_len:
        try:
            len(dataset)
        except TypeError as err:
            raise TypeError(
                f"DataLoader: dataset {type(dataset).__name__} needs __len__ when no "
                f"sampler is given ({err})"
            ) from None


class DataLoader(Generic[T_co]):
    """Iterate over a dataset in (shuffled) mini-batches, as ``torch.utils.data.DataLoader``.

    Parameters
    ----------
    dataset : Dataset
        Map-style (``__getitem__`` and ``__len__``; a list, an array or a Tensor work too)
        or an :class:`IterableDataset`.
    batch_size : int or None
        Samples per batch. None turns batching off: each sample is yielded on its own,
        passed through ``collate_fn`` (:func:`default_convert` by default).
    shuffle : bool, optional
        Draw a new order at every ``iter`` (every epoch), from ``generator``.
    sampler : iterable of int, optional
        The order of the indices (instead of ``shuffle``).
    batch_sampler : iterable of lists of int, optional
        Whole batches of indices (instead of ``batch_size``, ``shuffle``, ``sampler`` and
        ``drop_last``).
    num_workers : int
        Accepted for compatibility; data always loads in the main process, so any value
        gives the same batches.
    collate_fn : callable, optional
        Turns a list of samples into a batch; :func:`default_collate` by default.
    pin_memory : bool
        Accepted for compatibility; has no effect on the CPU.
    drop_last : bool
        Skip the last batch when it is shorter than ``batch_size``.
    generator : Generator or numpy.random.Generator, optional
        Source of the shuffling; the default generator (see ``tinygrad_lab.manual_seed``)
        when None, read at every ``iter``.

    Examples
    --------
    >>> X = Tensor(np.arange(10.0).reshape(5, 2))
    >>> loader = DataLoader(TensorDataset(X), batch_size=2, drop_last=True)
    >>> len(loader), [xb.shape for (xb,) in loader]
    (2, [(2, 2), (2, 2)])
    """

    _initialized = False
    _frozen = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset")

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Iterable[int] | None = None,
        batch_sampler: Iterable[list[int]] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        generator: GeneratorLike = None,
    ) -> None:
        owner = "DataLoader"
        if batch_size is not None:
            batch_size = _check_positive_int(owner, "batch_size", batch_size,
                                             " (or None to turn batching off)")
        shuffle = False if shuffle is None else _check_bool(owner, "shuffle", shuffle)
        drop_last = _check_bool(owner, "drop_last", drop_last)
        _check_bool(owner, "pin_memory", pin_memory)
        if not _is_int(num_workers) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be a non-negative integer, "
                             f"got {num_workers!r}")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got {collate_fn!r}")
        _check_generator(owner, generator)
        for name, value in (("sampler", sampler), ("batch_sampler", batch_sampler)):
            if value is not None and not hasattr(value, "__iter__"):
                raise TypeError(f"DataLoader: {name} must be iterable, got "
                                f"{type(value).__name__}")
        _check_dataset(dataset, needs_len=sampler is None and batch_sampler is None)
        if isinstance(dataset, IterableDataset):
            if shuffle or sampler is not None or batch_sampler is not None:
                raise ValueError("DataLoader: an IterableDataset is read in its own order; "
                                 "shuffle, sampler and batch_sampler do not apply")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler option is mutually exclusive "
                                 "with batch_size, shuffle, sampler, and drop_last")
            batch_size = None
        elif batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None option disables auto-batching "
                             "and is mutually exclusive with drop_last")

        # Every check passed: now build.
        if sampler is None and not isinstance(dataset, IterableDataset):
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        if batch_size is not None and sampler is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        auto_collation = batch_sampler is not None or batch_size is not None
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler  # None for an IterableDataset
        self.batch_sampler = batch_sampler
        self.num_workers = int(num_workers)
        self.pin_memory = bool(pin_memory)
        self.generator = generator
        self.collate_fn = collate_fn or (default_collate if auto_collation
                                         else default_convert)
        self._initialized = True

    def __setattr__(self, name: str, value: Any) -> None:
        # These were used to build the samplers: changing one later would be ignored.
        if self._initialized and name in self._frozen:
            raise ValueError(f"{name} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(name, value)

    def __len__(self) -> int:
        """Batches per epoch (samples when batching is off)."""
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)

    def __iter__(self) -> Iterator[T_co]:
        if isinstance(self.dataset, IterableDataset):
            return self._iter_stream()
        if self.batch_sampler is None:
            return (self.collate_fn(self.dataset[i]) for i in self.sampler)
        return (self._fetch(indices) for indices in self.batch_sampler)

    def _fetch(self, indices: list[int]) -> Any:
        if self.collate_fn is default_collate:
            batch = _tensor_batch(self.dataset, indices)
            if batch is not None:
                return batch
        getitems = getattr(self.dataset, "__getitems__", None)
        samples = getitems(indices) if callable(getitems) else [
            self.dataset[i] for i in indices]
        return self.collate_fn(samples)

    def _iter_stream(self) -> Iterator[Any]:
        samples = iter(self.dataset)
        if self.batch_size is None:
            for sample in samples:
                yield self.collate_fn(sample)
            return
        while batch := list(itertools.islice(samples, self.batch_size)):
            if self.drop_last and len(batch) < self.batch_size:
                return
            yield self.collate_fn(batch)

    def __repr__(self) -> str:
        order = type(self.sampler).__name__ if self.sampler is not None else "stream"
        return (f"DataLoader(dataset={type(self.dataset).__name__}, "
                f"batch_size={self.batch_size}, sampler={order}, drop_last={self.drop_last})")


# ------------------------------------------------------------------ not provided here


class _NotProvided:
    """A PyTorch name this framework refuses with a message (importing it works)."""

    reason = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(self.reason)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        if "reason" not in cls.__dict__:  # subclassing a refused name is refused too
            raise NotImplementedError(cls.reason)
        super().__init_subclass__(**kwargs)


class DistributedSampler(_NotProvided):
    reason = ("tinygrad_lab.utils.data.DistributedSampler is not provided: tinygrad_lab "
              "trains in one process on the CPU, so there are no replicas to shard data for")


class StackDataset(_NotProvided):
    reason = ("tinygrad_lab.utils.data.StackDataset is not provided: zip the datasets in a "
              "Dataset of your own, or use TensorDataset for tensors")
