"""Checkpoint fuzzing: random structures round-trip exactly; truncated, bit-flipped and
crafted files load as the original or raise a ValueError naming the file -- nothing
else, and nothing is ever unpickled."""

import contextlib
import io
import json
import pickle
import zipfile
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from test_serialization import WEIRD_KEYS, assert_identical

from tinygrad_lab import Tensor, nn
from tinygrad_lab.serialization import load, save

DTYPES = st.one_of(
    st.sampled_from([np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
                     np.uint32, np.uint64, np.float16, np.float32, np.float64,
                     np.complex64, np.complex128]).map(np.dtype),
    hnp.unicode_string_dtypes(max_len=3),
    hnp.byte_string_dtypes(max_len=3),
    hnp.datetime64_dtypes(),
    hnp.timedelta64_dtypes(),
)


def _layouts(array):
    """The same values in C, Fortran or reversed (negative-stride) layout."""
    return st.sampled_from([array, np.asfortranarray(array), array[::-1] if array.ndim else array])


ARRAYS = DTYPES.flatmap(lambda dtype: hnp.arrays(
    dtype, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))).flatmap(_layouts)
NUMPY_SCALARS = DTYPES.flatmap(lambda dtype: hnp.arrays(dtype, ())).map(lambda a: a[()])
KEYS = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=8),  # surrogates and NUL too
    st.sampled_from(WEIRD_KEYS),
)
LEAVES = st.one_of(
    ARRAYS, NUMPY_SCALARS, st.none(), st.booleans(), st.integers(), st.floats(),
    st.text(max_size=5),
    ARRAYS.filter(lambda a: a.dtype.kind == "f").map(lambda a: Tensor(a)),
)
CHECKPOINTS = st.dictionaries(KEYS, st.recursive(
    LEAVES,
    lambda inner: st.one_of(
        st.dictionaries(KEYS, inner, max_size=4),
        st.dictionaries(st.integers(), inner, max_size=3),
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
    ),
    max_leaves=12,
), max_size=5)


@contextlib.contextmanager
def pickle_forbidden():
    """Fail loudly if anything tries to unpickle (np.load does so only through these)."""
    def refuse(*args, **kwargs):
        raise AssertionError("load tried to unpickle")

    with mock.patch.object(pickle, "load", refuse), mock.patch.object(pickle, "loads", refuse):
        yield


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@settings(max_examples=60)
@given(obj=CHECKPOINTS)
def test_random_checkpoints_round_trip_exactly(folder, obj):
    path = folder / "random.npz"
    save(obj, path)
    with pickle_forbidden():
        assert_identical(obj, load(path))


def _reference():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    return {"model": model.state_dict(), "step": 12, "lr": np.float32(0.01),
            "history": [0.5, float("inf")], "names": {"x": "y", "x.npy": "z"},
            "counts": np.arange(5, dtype=np.uint16), "flag": np.bool_(True)}


REFERENCE = _reference()


@pytest.fixture(scope="module")
def reference_bytes(folder):
    path = folder / "reference.npz"
    save(REFERENCE, path)
    return path.read_bytes()


def _load_or_refuse(path):
    """Load ``path``: the reference back, or a ValueError naming the file."""
    with pickle_forbidden():
        try:
            loaded = load(path)
        except ValueError as err:
            assert str(path) in str(err)
            return
    assert_identical(REFERENCE, loaded)


@settings(max_examples=80)
@given(cut=st.floats(0, 1, exclude_max=True))
def test_truncated_files_are_refused(folder, reference_bytes, cut):
    data = reference_bytes
    path = folder / "truncated.npz"
    path.write_bytes(data[: int(cut * len(data))])
    with pickle_forbidden(), pytest.raises(ValueError, match="truncated.npz"):
        load(path)


@settings(max_examples=150)
@given(flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 7)),
                      min_size=1, max_size=4))
def test_bit_flips_load_the_original_or_are_refused(folder, reference_bytes, flips):
    data = bytearray(reference_bytes)
    for where, bit in flips:
        data[int(where * len(data))] ^= 1 << bit
    path = folder / "flipped.npz"
    path.write_bytes(bytes(data))
    _load_or_refuse(path)  # a flip in an unused field (a timestamp) may leave it whole


def _npy(array):
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=6),
              st.sampled_from(["none", "int", "ndarray", "numpy_scalar", "tensor", "dict",
                               "list", "type", "entry", "items", "arr_0", "value"])),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(
                                ["type", "entry", "items", "value", "requires_grad"]),
                                inner, max_size=4)),
    max_leaves=15,
)


@settings(max_examples=100)
@given(root=JSON, member=st.one_of(st.binary(max_size=64), st.just(_npy(np.ones(2))),
                                   st.just(_npy(np.float32(2)))))
def test_random_manifests_and_members_load_or_are_refused(folder, root, member):
    text = json.dumps({"format": "tinygrad_lab.checkpoint", "version": 1, "root": root})
    path = folder / "crafted.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("__manifest__.npy", _npy(np.frombuffer(text.encode(), dtype=np.uint8)))
        zf.writestr("arr_0.npy", member)
    with pickle_forbidden():
        try:
            load(path)
        except ValueError as err:
            assert "crafted.npz" in str(err)
