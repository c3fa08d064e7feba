"""serialization: exact round trips of checkpoints, atomic saves, and files that are
refused (truncated, foreign, pickled) without ever running their code."""

import io
import os
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_lab import Tensor, nn
from tinygrad_lab.serialization import load, save


def assert_identical(a, b, where="root"):
    """Same types all the way down, same dtypes, shapes and values."""
    assert type(a) is type(b), f"{where}: {type(a)} != {type(b)}"
    if isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            assert type(key) is type(list(b)[list(a).index(key)]), where
            assert_identical(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_identical(x, y, f"{where}[{i}]")
    elif isinstance(a, Tensor):
        assert a.requires_grad == b.requires_grad, where
        assert_identical(a.data, b.data, where)
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        assert np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"), where
    elif isinstance(a, float) and a != a:
        assert b != b, where
    else:
        assert a == b, where


def optimizer_like_state():
    return {
        "state": {
            0: {"step": 12, "exp_avg": np.full((4, 2), 0.5), "exp_avg_sq": np.ones((4, 2))},
            1: {"step": 12, "exp_avg": np.zeros(4, dtype=np.float32),
                "exp_avg_sq": np.zeros(4, dtype=np.float32)},
        },
        "param_groups": [
            {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0,
             "amsgrad": False, "foreach": None, "params": [0, 1]},
        ],
    }


def test_round_trip_of_a_full_checkpoint(tmp_path):
    model = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 1))
    checkpoint = {
        "model": model.state_dict(),
        "optimizer": optimizer_like_state(),
        "epoch": 7,
        "best_loss": 0.125,
        "history": [0.5, 0.25, 0.125],
        "name": "xor run ✓",
        "done": True,
        "note": None,
    }
    path = tmp_path / "ckpt.npz"
    save(checkpoint, path)
    loaded = load(path)
    assert_identical(checkpoint, loaded)
    assert isinstance(loaded["model"], OrderedDict)
    assert list(loaded["optimizer"]["state"]) == [0, 1]
    fresh = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 1))
    fresh.load_state_dict(loaded["model"])
    x = Tensor(np.random.default_rng(0).random((5, 2)), dtype=np.float32)
    assert np.array_equal(fresh(x).data, model(x).data)


def test_round_trip_keeps_every_dtype_shape_and_type(tmp_path):
    obj = {
        "f16": np.arange(6, dtype=np.float16).reshape(2, 3),
        "i8": np.array([-3, 4], dtype=np.int8),
        "u32": np.array(7, dtype=np.uint32),  # 0-d array stays 0-d
        "bool": np.array([True, False]),
        "c128": np.array([1 + 2j]),
        "empty": np.zeros((0, 3)),
        "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        "strided": np.arange(10.0)[::3],
        "text": np.array(["a", "bc"]),
        "np_scalars": [np.float32(1.5), np.int64(-2), np.bool_(True)],
        "py": [1, -2**70, 2.5, float("nan"), float("inf"), True, None, "s", ""],
        "tuple": (1, (2.0, [3])),
        "tensor": Tensor(np.ones(3), requires_grad=True),
        "int_tensor": Tensor(np.arange(3)),
        "param": nn.Parameter(np.zeros(2)),
        "keys": {0: "int key", "0": "str key", -5: {}, "a/b": [], "": ()},
        "__manifest__": np.zeros(1),  # may clash with the internal entry name
    }
    path = tmp_path / "all.npz"
    save(obj, path)
    assert_identical(obj, load(path))


@settings(max_examples=25)
@given(
    st.recursive(
        st.one_of(
            st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
            st.text(max_size=5),
            st.builds(lambda s, d: np.zeros(s, dtype=d),
                      st.lists(st.integers(0, 3), max_size=3).map(tuple),
                      st.sampled_from([np.float32, np.float64, np.int16, np.bool_])),
        ),
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.lists(inner, max_size=3).map(tuple),
            st.dictionaries(st.one_of(st.text(max_size=4), st.integers(-3, 3)), inner,
                            max_size=3),
        ),
        max_leaves=10,
    )
)
def test_round_trip_of_random_structures(tmp_path_factory, obj):
    path = tmp_path_factory.mktemp("rt") / "x.npz"
    save(obj, path)
    assert_identical(obj, load(path))


def test_unsupported_values_are_refused_before_writing(tmp_path):
    path = tmp_path / "bad.npz"
    with pytest.raises(TypeError, match=r"cannot store function at \['a'\]\[0\]"):
        save({"a": [lambda: 0]}, path)
    with pytest.raises(TypeError, match="dtype object"):
        save({"x": np.array([1, "a"], dtype=object)}, path)
    with pytest.raises(TypeError, match="keys must be str or int"):
        save({(1, 2): 0}, path)
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match="contains itself"):
        save(loop, path)
    assert os.listdir(tmp_path) == []


def test_save_to_a_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save({}, tmp_path / "nope" / "x.npz")


def test_new_file_has_ordinary_permissions(tmp_path):
    path = tmp_path / "perm.npz"
    save({"a": 1}, path)
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize("failure", ["write", "replace", "interrupt"])
def test_a_failed_save_leaves_the_old_file_whole(tmp_path, monkeypatch, failure):
    path = tmp_path / "ckpt.npz"
    old = {"epoch": 1, "w": np.arange(1000.0)}
    save(old, path)
    old_bytes = path.read_bytes()

    if failure == "replace":
        def broken(*args, **kwargs):
            raise OSError("disk on fire")
        monkeypatch.setattr(os, "replace", broken)
        expected = OSError
    else:
        real_write = np.lib.format.write_array
        error = KeyboardInterrupt() if failure == "interrupt" else OSError("disk full")
        calls = []

        def broken(fh, array, **kwargs):
            calls.append(1)
            if len(calls) == 2:  # fail in the middle: after a partial array was written
                fh.write(b"\x93NUMPY partial")
                raise error
            real_write(fh, array, **kwargs)
        monkeypatch.setattr(np.lib.format, "write_array", broken)
        expected = type(error)

    with pytest.raises(expected):
        save({"epoch": 2, "w": np.zeros(1000), "b": np.ones(3)}, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["ckpt.npz"]  # no temporary file left behind
    assert path.read_bytes() == old_bytes
    assert_identical(load(path), old)


def test_truncated_file_is_refused(tmp_path):
    path = tmp_path / "ckpt.npz"
    save({"w": np.arange(100.0), "epoch": 3}, path)
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 10, 0):
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match="ckpt.npz.*not a readable tinygrad_lab checkpoint"):
            load(path)


def test_corrupted_array_data_is_refused(tmp_path):
    path = tmp_path / "ckpt.npz"
    save({"w": np.arange(100.0)}, path)
    data = bytearray(path.read_bytes())
    start = data.index(np.arange(100.0).tobytes()[8:16])
    data[start : start + 8] = b"\xff" * 8  # breaks the zip CRC of the array entry
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="not a readable tinygrad_lab checkpoint"):
        load(path)


def test_foreign_files_are_refused(tmp_path):
    plain = tmp_path / "plain.npz"
    np.savez(plain, a=np.ones(2))
    with pytest.raises(ValueError, match="no manifest"):
        load(plain)
    npy = tmp_path / "single.npy"
    np.save(npy, np.ones(2))
    with pytest.raises(ValueError, match="single .npy array"):
        load(npy)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ValueError, match="notes.txt"):
        load(text)
    with pytest.raises(ValueError, match=r"not a complete \.npz \(zip\) file"):
        load(text)
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.npz")


class Payload:
    """Unpickling this would create the marker file: it must never happen."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_pickle_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps({"model": Payload(marker)}))
    with pytest.raises(ValueError, match="evil.npz"):
        load(path)
    assert not marker.exists()


def test_an_npz_holding_a_pickled_object_array_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.npz"
    save({"w": np.zeros(2)}, path)  # a genuine manifest, pointing at entry 'w'
    with zipfile.ZipFile(path) as zf:
        manifest = zf.read("__manifest__.npy")
    evil = io.BytesIO()
    np.save(evil, np.array([Payload(marker)], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("__manifest__.npy", manifest)
        zf.writestr("w.npy", evil.getvalue())
    with pytest.raises(ValueError, match="evil.npz.*[Oo]bject arrays cannot be loaded"):
        load(path)
    assert not marker.exists()
    # the pickled array as the manifest itself
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("__manifest__.npy", evil.getvalue())
    with pytest.raises(ValueError, match="evil.npz"):
        load(path)
    assert not marker.exists()
