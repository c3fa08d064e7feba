"""serialization: exact round trips of checkpoints, atomic saves, and files that are
refused (truncated, foreign, pickled) without ever running their code."""

import io
import os
import pickle
import struct
import warnings
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
        assert_identical(np.asarray(a), np.asarray(b), where)
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        # bytes, not ==: tells -0.0 from 0.0 and keeps NaN payloads
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes(), where
    elif isinstance(a, float) and a != a:
        assert b != b, where  # a Python NaN's sign and payload are not kept (JSON)
    elif isinstance(a, float):
        assert struct.pack("<d", a) == struct.pack("<d", b), where  # -0.0 stays -0.0
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
    assert np.array_equal(fresh(x).numpy(), model(x).numpy())


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
    save({"w": np.zeros(2)}, path)  # a genuine manifest, pointing at member arr_0.npy
    with zipfile.ZipFile(path) as zf:
        manifest = zf.read("__manifest__.npy")
    evil = io.BytesIO()
    np.save(evil, np.array([Payload(marker)], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("__manifest__.npy", manifest)
        zf.writestr("arr_0.npy", evil.getvalue())
    with pytest.raises(ValueError, match="evil.npz.*arr_0.npy.*[Oo]bject arrays cannot be loaded"):
        load(path)
    assert not marker.exists()
    # the pickled array as the manifest itself
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("__manifest__.npy", evil.getvalue())
    with pytest.raises(ValueError, match="evil.npz"):
        load(path)
    assert not marker.exists()


# ---------------------------------------------------------------- keys and types (issue 10)


WEIRD_KEYS = [
    "x", "x.npy", "x.npy.npy", "__manifest__", "__manifest__.npy", "arr_0", "arr_0.npy",
    "a/b", "a\\b", "../up", "", " ", "\n", "\x00", "nul\x00inside", "ü✓🙂", "\ud800",
    "k" * 10_000,
]


def test_keys_of_any_characters_round_trip(tmp_path):
    # each key gets its own array: a mix-up between keys shows as a wrong value
    obj = {key: np.full(2, i, dtype=np.int16) for i, key in enumerate(WEIRD_KEYS)}
    obj["nested"] = {key: [key, float(i)] for i, key in enumerate(WEIRD_KEYS)}
    path = tmp_path / "keys.npz"
    save(obj, path)
    loaded = load(path)
    assert_identical(obj, loaded)
    assert np.array_equal(loaded["x.npy"], [1, 1]) and np.array_equal(loaded["x"], [0, 0])
    assert loaded["__manifest__.npy"].dtype == np.int16  # not the manifest's bytes


def test_member_names_never_come_from_keys(tmp_path):
    path = tmp_path / "names.npz"
    save({"../evil": np.ones(1), "x.npy": {"y": np.zeros(1)}, "s": np.float32(2)}, path)
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["__manifest__.npy", "arr_0.npy", "arr_1.npy",
                                         "arr_2.npy"]


@pytest.mark.parametrize("scalar", [
    np.float32(1.5), np.float64(2.5), np.float16(-0.0), np.longdouble(1) / 3,
    np.int8(-7), np.uint64(2**64 - 1), np.bool_(False), np.complex64(1 - 2j),
    np.complex128(3j), np.str_("s✓"), np.bytes_(b"\x00b"), np.datetime64("2020-01-02"),
    np.timedelta64(5, "ms"), np.float64("nan"),
])
def test_numpy_scalars_keep_their_type(tmp_path, scalar):
    path = tmp_path / "s.npz"
    save({"v": scalar, "in_list": [scalar]}, path)
    loaded = load(path)
    assert type(loaded["v"]) is type(scalar)
    assert type(loaded["in_list"][0]) is type(scalar)
    assert_identical({"v": scalar}, {"v": loaded["v"]})


def test_python_scalars_round_trip_exactly(tmp_path):
    values = [0, -1, 2**200, -(2**70), True, False, 0.1, -0.0, 1e-310, 1.7976931348623157e308,
              float("inf"), float("-inf"), float("nan"), "", "nul\x00", "\ud800✓", None]
    path = tmp_path / "py.npz"
    save(values, path)
    loaded = load(path)
    assert_identical(values, loaded)
    assert [type(v) for v in loaded] == [type(v) for v in values]


def test_subclasses_are_stored_as_their_documented_base_types(tmp_path):
    import enum
    from collections import namedtuple

    class Colour(enum.IntEnum):
        RED = 1

    Point = namedtuple("Point", "x y")
    mm = np.lib.format.open_memmap(tmp_path / "mm.npy", mode="w+", dtype=np.float32, shape=(3,))
    mm[:] = [1, 2, 3]
    path = tmp_path / "sub.npz"
    save({"enum": Colour.RED, "point": Point(1, 2), "memmap": mm,
          np.str_("npkey"): 1}, path)
    loaded = load(path)
    assert type(loaded["enum"]) is int and loaded["enum"] == 1
    assert type(loaded["point"]) is tuple and loaded["point"] == (1, 2)
    assert type(loaded["memmap"]) is np.ndarray and loaded["memmap"].tolist() == [1, 2, 3]
    assert type(next(k for k in loaded if k == "npkey")) is str
    del mm


@pytest.mark.parametrize(("value", "message"), [
    (np.ma.masked_array([1.0, 2.0], mask=[False, True]), r"masked array at \['a'\]\['v'\]"),
    (np.array([1, "a"], dtype=object), r"at \['a'\]\['v'\].*dtype object"),
    (np.array(["a"], dtype=np.dtypes.StringDType()), r"at \['a'\]\['v'\].*StringDType"),
    ({1, 2}, r"cannot store set at \['a'\]\['v'\]"),
    (b"bytes", r"cannot store bytes at \['a'\]\['v'\]"),
    (1 + 2j, r"cannot store complex at \['a'\]\['v'\]"),
    (object(), r"cannot store object at \['a'\]\['v'\]"),
    ({np.int64(1): 0}, r"keys must be str or int, got int64 np.int64\(1\) at \['a'\]\['v'\]"),
    ({None: 0}, r"keys must be str or int, got NoneType None"),
])
def test_unsupported_values_are_refused_before_anything_is_written(tmp_path, value, message):
    path = tmp_path / "ckpt.npz"
    save({"old": 1}, path)
    old_bytes = path.read_bytes()
    with pytest.raises(TypeError, match=message):
        # a good array before the bad value: nothing of it may reach the disk either
        save({"first": np.ones(3), "a": {"v": value}}, path)
    assert os.listdir(tmp_path) == ["ckpt.npz"]
    assert path.read_bytes() == old_bytes


def test_tensors_are_saved_by_value_and_load_as_tensors(tmp_path):
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * 3  # not a leaf: its values are saved, not its graph
    p = nn.Parameter(np.ones(2, dtype=np.float32), requires_grad=False)
    path = tmp_path / "t.npz"
    save({"x": x, "y": y, "p": p}, path)
    loaded = load(path)
    assert type(loaded["x"]) is Tensor and loaded["x"].requires_grad
    assert type(loaded["y"]) is Tensor and loaded["y"].numpy().tolist() == [3.0, 6.0]
    assert type(loaded["p"]) is nn.Parameter and not loaded["p"].requires_grad
    assert loaded["p"].numpy().dtype == np.float32
    x.numpy()[0] = 100.0  # the loaded tensor does not share memory with the saved one
    assert loaded["x"].numpy()[0] == 1.0


# ---------------------------------------------------------------- writing (issue 10)


def test_save_never_touches_the_umask(tmp_path, monkeypatch):
    umask = os.umask(0o022)
    os.umask(umask)

    def forbidden(*args):
        raise AssertionError("save must not call os.umask (it is process-wide)")

    monkeypatch.setattr(os, "umask", forbidden)
    path = tmp_path / "new.npz"
    save({"a": 1}, path)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask


def test_a_replaced_file_keeps_its_permissions_even_while_being_written(tmp_path,
                                                                         monkeypatch):
    path = tmp_path / "ckpt.npz"
    save({"a": 1}, path)
    os.chmod(path, 0o600)  # private: the new data must never sit in a more open file
    real_savez, seen = np.savez, []

    def spy(f, *args, **kwargs):
        seen.append(os.fstat(f.fileno()).st_mode & 0o777)
        real_savez(f, *args, **kwargs)

    monkeypatch.setattr(np, "savez", spy)
    save({"a": 2}, path)
    assert seen == [0o600]
    assert os.stat(path).st_mode & 0o777 == 0o600
    os.chmod(path, 0o644)
    save({"a": 3}, path)
    assert os.stat(path).st_mode & 0o777 == 0o644 and load(path) == {"a": 3}


def test_a_symbolic_link_is_replaced_and_its_target_left_alone(tmp_path):
    other = tmp_path / "other.npz"
    save({"a": 1}, other)
    link = tmp_path / "latest.npz"
    link.symlink_to(other)
    save({"a": 2}, link)
    assert not link.is_symlink() and load(link) == {"a": 2} and load(other) == {"a": 1}


@pytest.mark.parametrize("length", [250, "NAME_MAX"])
def test_save_works_for_the_longest_legal_names(tmp_path, length):
    if length == "NAME_MAX":
        length = os.pathconf(tmp_path, "PC_NAME_MAX")
    path = tmp_path / ("c" * (length - 4) + ".npz")
    save({"w": np.arange(3)}, path)
    assert_identical(load(path), {"w": np.arange(3)})
    assert os.listdir(tmp_path) == [path.name]


def test_a_write_error_names_the_target_not_the_temporary_file(tmp_path, monkeypatch):
    # What a read-only folder does; simulated because CI runs as root, where chmod
    # does not stop writes.
    real_open = os.open

    def read_only_folder(name, flags, *args, **kwargs):
        if flags & os.O_CREAT:
            raise PermissionError(13, "Permission denied", name)
        return real_open(name, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only_folder)
    path = tmp_path / "ckpt.npz"
    with pytest.raises(PermissionError) as info:
        save({"a": 1}, path)
    assert info.value.filename == str(path)
    assert str(path) in str(info.value) and ".tl-" not in str(info.value)
    assert os.listdir(tmp_path) == []


def test_saving_onto_a_folder_is_refused(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(IsADirectoryError, match="is a folder"):
        save({}, tmp_path / "d")
    assert os.listdir(tmp_path) == ["d"]


@pytest.mark.parametrize("failure", ["savez", "fsync", "chmod", "interrupt-before-replace"])
def test_no_temporary_file_is_left_on_any_failure(tmp_path, monkeypatch, failure):
    path = tmp_path / "ckpt.npz"
    save({"v": 1}, path)
    os.chmod(path, 0o600)  # so that the chmod step runs
    old_bytes = path.read_bytes()
    boom = OSError(28, "No space left on device")

    def fail(*args, **kwargs):
        raise KeyboardInterrupt if failure.startswith("interrupt") else boom

    target = {"savez": (np, "savez"), "fsync": (os, "fsync"), "chmod": (os, "chmod"),
              "interrupt-before-replace": (os, "replace")}[failure]
    monkeypatch.setattr(*target, fail)
    with pytest.raises(KeyboardInterrupt if failure.startswith("interrupt") else OSError) as info:
        save({"v": 2, "w": np.ones(100)}, path)
    monkeypatch.undo()
    if not failure.startswith("interrupt"):
        assert str(path) in str(info.value)
    assert os.listdir(tmp_path) == ["ckpt.npz"]
    assert path.read_bytes() == old_bytes


def test_a_failed_first_save_leaves_nothing(tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", fail)
    with pytest.raises(OSError, match="could not write .*new.npz.*disk full"):
        save({"v": 1}, tmp_path / "new.npz")
    assert os.listdir(tmp_path) == []


def test_two_threads_save_to_different_files(tmp_path):
    import threading

    errors = []

    def worker(name, value):
        try:
            for step in range(10):
                save({"who": name, "step": step, "w": np.full(500, value)},
                     tmp_path / f"{name}.npz")
        except BaseException as err:  # reported below: a thread's error is not raised
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(n, v)) for n, v in (("a", 1.0), ("b", 2.0))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(os.listdir(tmp_path)) == ["a.npz", "b.npz"]
    for name, value in (("a", 1.0), ("b", 2.0)):
        assert_identical(load(tmp_path / f"{name}.npz"),
                         {"who": name, "step": 9, "w": np.full(500, value)})


# ---------------------------------------------------------------- reading crafted files


def _write_members(path, members):
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w") as zf:
        warnings.simplefilter("ignore")  # zipfile warns about a duplicate name
        for name, data in members:
            zf.writestr(name, data)


def _npy(array):
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def _manifest(root):
    import json

    text = json.dumps({"format": "tinygrad_lab.checkpoint", "version": 1, "root": root})
    return _npy(np.frombuffer(text.encode(), dtype=np.uint8))


def _array_node(entry):
    return {"type": "ndarray", "entry": entry}


@pytest.mark.parametrize(("members", "message"), [
    ([("__manifest__.npy", _manifest(_array_node("arr_0"))), ("arr_0.npy", b"raw bytes")],
     r"member 'arr_0.npy' is not an .npy array"),
    ([("__manifest__.npy", _manifest({"type": "none"})), ("notes.txt", b"hi")],
     r"member 'notes.txt' is not an .npy array"),
    ([("__manifest__.npy", _manifest(_array_node("arr_1"))), ("arr_0.npy", _npy(np.ones(1)))],
     r"entry 'arr_1' is missing"),
    ([("__manifest__.npy", _manifest({"type": "list", "items": [_array_node("arr_0")] * 2})),
      ("arr_0.npy", _npy(np.ones(1)))],
     r"entry 'arr_0' is listed twice"),
    ([("__manifest__.npy", _manifest({"type": "list", "items": [_array_node("arr_0")]})),
      ("arr_0.npy", _npy(np.ones(1))), ("arr_1.npy", _npy(np.ones(1)))],
     r"members \['arr_1.npy'\] are not in the manifest"),
    ([("__manifest__.npy", _manifest(_array_node("__manifest__")))],
     r"entry '__manifest__' is missing"),
    ([("__manifest__.npy", _manifest({"type": "numpy_scalar", "entry": "arr_0"})),
      ("arr_0.npy", _npy(np.ones(2)))],
     r"NumPy scalar's member has shape \(2,\)"),
    ([("__manifest__.npy", _manifest(_array_node("arr_0"))),
      ("arr_0.npy", _npy(np.ones(2)) + b"extra")],
     r"member 'arr_0.npy' has bytes after its array"),
    ([("__manifest__.npy", _manifest(_array_node("arr_0"))),
      ("arr_0.npy", _npy(np.ones(4))[:-8])],
     r"member 'arr_0.npy': ValueError"),
    ([("__manifest__.npy", _npy(np.arange(3.0)))], r"manifest has dtype float64"),
    ([("__manifest__.npy", _npy(np.frombuffer(b"{not json", dtype=np.uint8)))],
     r"JSONDecodeError"),
    ([("__manifest__.npy", _manifest({"type": "int", "value": "7"}))],
     r"int node holds '7'"),
    ([("__manifest__.npy", _manifest({"type": "dict", "items": [["str", 1, {"type": "none"}]]}))],
     r"malformed manifest: key 1"),
    ([("__manifest__.npy", _manifest({"type": "tensor", "entry": "arr_0",
                                      "requires_grad": "yes"})),
      ("arr_0.npy", _npy(np.ones(1)))],
     r"requires_grad 'yes'"),
    ([("__manifest__.npy", _manifest({"type": "set"}))], r"unknown node type 'set'"),
    ([("__manifest__.npy", _manifest({"type": "none"})),
      ("__manifest__.npy", _manifest({"type": "none"}))],
     r"two members with the same name"),
])
def test_crafted_files_are_refused_naming_file_and_member(tmp_path, members, message):
    path = tmp_path / "crafted.npz"
    _write_members(path, members)
    before = path.read_bytes()
    with pytest.raises(ValueError, match=r"crafted\.npz.*" + message):
        load(path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["crafted.npz"]


def test_an_unknown_format_version_is_refused(tmp_path):
    import json

    text = json.dumps({"format": "tinygrad_lab.checkpoint", "version": 99, "root": None})
    path = tmp_path / "future.npz"
    _write_members(path, [("__manifest__.npy",
                           _npy(np.frombuffer(text.encode(), dtype=np.uint8)))])
    with pytest.raises(ValueError, match="future.npz.*format version 99"):
        load(path)


@pytest.mark.parametrize("where", ["array member", "manifest", "raw member"])
def test_pickled_payloads_in_members_never_run(tmp_path, where):
    marker = tmp_path / "pwned"
    pickled_array = io.BytesIO()
    np.save(pickled_array, np.array([Payload(marker)], dtype=object), allow_pickle=True)
    payload = {"array member": pickled_array.getvalue(),
               "manifest": pickled_array.getvalue(),
               "raw member": pickle.dumps(Payload(marker))}[where]
    members = [("__manifest__.npy", _manifest(_array_node("arr_0"))), ("arr_0.npy", payload)]
    if where == "manifest":
        members = [("__manifest__.npy", payload)]
    path = tmp_path / "evil.npz"
    _write_members(path, members)
    with pytest.raises(ValueError, match=r"evil\.npz.*member '(arr_0|__manifest__)\.npy'"):
        load(path)
    assert not marker.exists()


def test_files_written_by_the_old_saver_still_load_exactly(tmp_path):
    # The first saver named members after keys ("x" -> x.npy, "x.npy" -> x.npy.npy) and
    # np.load's lookup mixed them up; members are now looked up by their exact names.
    root = {"type": "dict", "items": [
        ["str", "x", {"type": "ndarray", "entry": "x"}],
        ["str", "x.npy", {"type": "ndarray", "entry": "x.npy"}],
        ["str", "__manifest__.npy", {"type": "ndarray", "entry": "__manifest__.npy"}],
    ]}
    path = tmp_path / "old.npz"
    _write_members(path, [("__manifest__.npy", _manifest(root)), ("x.npy", _npy(np.zeros(1))),
                          ("x.npy.npy", _npy(np.ones(1))),
                          ("__manifest__.npy.npy", _npy(np.full(1, 2.0)))])
    loaded = load(path)
    assert [loaded[k].tolist() for k in ("x", "x.npy", "__manifest__.npy")] == [[0], [1], [2]]


def test_a_failed_load_changes_nothing(tmp_path):
    path = tmp_path / "ckpt.npz"
    save({"w": np.arange(10.0)}, path)
    data = bytearray(path.read_bytes())
    data[-30] ^= 0xFF  # in the zip's central directory
    path.write_bytes(bytes(data))
    listing = sorted(os.listdir(tmp_path))
    with pytest.raises(ValueError, match="ckpt.npz"):
        load(path)
    assert sorted(os.listdir(tmp_path)) == listing and path.read_bytes() == bytes(data)


def test_structured_arrays_round_trip_unless_np_load_could_not_read_them(tmp_path):
    path = tmp_path / "rec.npz"
    small = np.zeros(2, dtype=[("a", "<i4"), ("b", ">f8", (2,)), ("ü", "U3")])
    save({"rec": small}, path)
    assert_identical(load(path), {"rec": small})
    # np.load refuses headers over 10,000 characters, so save refuses them first
    huge = np.zeros(1, dtype=[(f"field{i}", "<f8") for i in range(700)])
    with pytest.raises(TypeError, match=r"at \['rec'\].*too long"):
        save({"rec": huge}, path)
    assert_identical(load(path), {"rec": small})
