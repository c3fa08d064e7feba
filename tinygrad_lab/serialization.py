"""Checkpoints: :func:`save` and :func:`load`, as ``.npz`` files that never hold pickles.

A checkpoint is a nested structure -- dicts (str or int keys), lists and tuples of
arrays, Tensors, Python numbers, bools, None and strings -- such as::

    {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 7}

It is stored as a NumPy ``.npz`` (a zip of ``.npy`` files): every array becomes one
``.npy`` entry named after its path (``model/fc1.weight``), and one more entry,
``__manifest__``, holds a JSON description of the structure (container types, key
types, Python scalar values, which arrays were Tensors), UTF-8 encoded as uint8. Loading
rebuilds exactly what was saved: same types, dtypes and shapes.

Safety:

* Nothing is pickled when writing, and files are read with
  ``np.load(..., allow_pickle=False)``: loading a checkpoint never runs code, whatever
  the file holds. A pickle, a truncated or corrupt file, or an ``.npz`` not written by
  :func:`save` is a ``ValueError`` naming the path.
* Saving is atomic: the file is written to a temporary file in the same folder, flushed
  to disk and renamed over the target in one step. If anything fails, the temporary
  file is removed and an existing checkpoint at ``path`` stays whole.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import zipfile
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np

from .tensor import Tensor

__all__ = ["load", "save"]

_MANIFEST = "__manifest__"
_FORMAT = "tinygrad_lab.checkpoint"
_VERSION = 1


# ----------------------------------------------------------------------------- save


class _Encoder:
    """Walk an object, collecting its arrays and a JSON-able description of the rest."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self._active: set[int] = set()  # containers on the current path (cycle check)

    def _entry(self, path: list[Any], array: np.ndarray) -> str:
        """A readable, unique entry name for ``array`` (the manifest is what maps it
        back, so the name only has to be unique)."""
        parts = [re.sub(r"[^A-Za-z0-9_.\-]", "_", str(p)) or "_" for p in path]
        base = "/".join(parts) or "_"
        name, k = base, 1
        while name in self.arrays or name == _MANIFEST:
            name, k = f"{base}~{k}", k + 1
        self.arrays[name] = array
        return name

    def encode(self, obj: Any, path: list[Any]) -> dict[str, Any]:
        if obj is None:
            return {"type": "none"}
        if isinstance(obj, bool):
            return {"type": "bool", "value": obj}
        if isinstance(obj, int):
            return {"type": "int", "value": int(obj)}
        if isinstance(obj, float):
            return {"type": "float", "value": float(obj)}
        if isinstance(obj, str):
            return {"type": "str", "value": str(obj)}
        if isinstance(obj, Tensor):
            array = self._check_array(obj.data, path)
            node = {"type": "tensor", "entry": self._entry(path, array),
                    "requires_grad": bool(obj.requires_grad)}
            if type(obj).__name__ == "Parameter":
                node["type"] = "parameter"
            return node
        if isinstance(obj, np.ndarray):
            return {"type": "ndarray", "entry": self._entry(path, self._check_array(obj, path))}
        if isinstance(obj, np.generic):
            array = self._check_array(np.asarray(obj), path)
            return {"type": "numpy_scalar", "entry": self._entry(path, array)}
        if isinstance(obj, (Mapping, list, tuple)):
            if id(obj) in self._active:
                raise ValueError(f"save: the object at {_where(path)} contains itself")
            self._active.add(id(obj))
            try:
                return self._encode_container(obj, path)
            finally:
                self._active.discard(id(obj))
        raise TypeError(
            f"save: cannot store {type(obj).__name__} at {_where(path)}; supported: dicts "
            "(str or int keys), lists, tuples, ndarrays, Tensors, NumPy scalars, int, "
            "float, bool, str and None"
        )

    def _encode_container(self, obj: Any, path: list[Any]) -> dict[str, Any]:
        if isinstance(obj, Mapping):
            items = []
            for key, value in obj.items():
                if isinstance(key, str):
                    kind = "str"
                elif isinstance(key, int) and not isinstance(key, bool):
                    kind, key = "int", int(key)
                else:
                    raise TypeError(
                        f"save: dict keys must be str or int, got {type(key).__name__} "
                        f"{key!r} at {_where(path)}"
                    )
                items.append([kind, key, self.encode(value, [*path, key])])
            kind = "OrderedDict" if isinstance(obj, OrderedDict) else "dict"
            return {"type": kind, "items": items}
        kind = "tuple" if isinstance(obj, tuple) else "list"
        return {"type": kind,
                "items": [self.encode(v, [*path, i]) for i, v in enumerate(obj)]}

    @staticmethod
    def _check_array(array: np.ndarray, path: list[Any]) -> np.ndarray:
        if array.dtype.hasobject:
            raise TypeError(
                f"save: the array at {_where(path)} has dtype object, which can only be "
                "stored by pickling; convert it to a numeric or string dtype"
            )
        return array


def _where(path: list[Any]) -> str:
    return "the top level" if not path else "".join(f"[{p!r}]" for p in path)


def _file_mode(path: str) -> int:
    """The permissions the checkpoint should get: those of the file it replaces, or the
    usual ones for a new file (mkstemp's temporary files are private to the owner)."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def save(obj: Any, path: str | os.PathLike) -> None:
    """Write ``obj`` to ``path`` as a checkpoint, atomically.

    Parameters
    ----------
    obj : nested dict / list / tuple
        Of ndarrays, Tensors, NumPy scalars and Python int, float, bool, str, None; dict
        keys are str or int (e.g. a model's and an optimizer's ``state_dict``). Other
        mappings are stored as dicts and other sequences as lists.
    path : str or path-like
        The file to write (used as given: no ``.npz`` is appended). Its folder must exist.

    Raises
    ------
    TypeError
        For a value that cannot be stored without pickling; nothing is written.

    Examples
    --------
    >>> save({"model": model.state_dict(), "epoch": 3}, "ckpt.npz")
    >>> ckpt = load("ckpt.npz")
    >>> model.load_state_dict(ckpt["model"])
    """
    path = os.fspath(path)
    encoder = _Encoder()
    root = encoder.encode(obj, [])  # fails before any file is touched
    manifest = json.dumps({"format": _FORMAT, "version": _VERSION, "root": root})
    arrays = {_MANIFEST: np.frombuffer(manifest.encode("utf-8"), dtype=np.uint8),
              **encoder.arrays}

    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"save: folder {folder!r} does not exist (saving {path!r})")
    mode = _file_mode(path)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            _write_npz(f, arrays)
            f.flush()
            os.fsync(f.fileno())  # the data is on disk before the rename makes it visible
        os.chmod(tmp, mode)
        os.replace(tmp, path)  # atomic: readers see the old file or the new one, never half
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    _fsync_folder(folder)


def _write_npz(f: Any, arrays: dict[str, np.ndarray]) -> None:
    """What ``np.savez`` does, with ``allow_pickle=False`` on every array and no
    restriction on the entry names."""
    with zipfile.ZipFile(f, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, array in arrays.items():
            with zf.open(name + ".npy", mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable (POSIX); not possible or needed everywhere."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ----------------------------------------------------------------------------- load


class _Decoder:
    def __init__(self, npz: Any) -> None:
        self.npz = npz
        self.names = set(npz.files)

    def array(self, node: dict[str, Any]) -> np.ndarray:
        name = node["entry"]
        if not isinstance(name, str) or name not in self.names or name == _MANIFEST:
            raise ValueError(f"the manifest refers to a missing array entry {name!r}")
        return self.npz[name]  # allow_pickle=False: an object array raises, never unpickles

    def decode(self, node: Any) -> Any:
        if not isinstance(node, dict):
            raise ValueError(f"malformed manifest node {node!r:.60}")
        kind = node.get("type")
        if kind == "none":
            return None
        if kind in ("bool", "int", "float", "str"):
            value = node["value"]
            expected = {"bool": bool, "int": int, "float": float, "str": str}[kind]
            if kind == "float" and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if type(value) is not expected:
                raise ValueError(f"malformed manifest: {kind} node holds {value!r:.60}")
            return value
        if kind == "ndarray":
            return self.array(node)
        if kind == "numpy_scalar":
            return self.array(node)[()]
        if kind in ("tensor", "parameter"):
            array = self.array(node)
            requires_grad = bool(node.get("requires_grad", False))
            if kind == "parameter":
                from .nn.module import Parameter

                return Parameter(array, requires_grad=requires_grad)
            tensor = Tensor._wrap(array)
            return tensor.requires_grad_(True) if requires_grad else tensor
        if kind in ("dict", "OrderedDict"):
            out: dict[Any, Any] = {} if kind == "dict" else OrderedDict()
            for key_kind, key, value in node["items"]:
                if not ((key_kind == "str" and isinstance(key, str)) or (
                        key_kind == "int" and isinstance(key, int)
                        and not isinstance(key, bool))):
                    raise ValueError(f"malformed manifest: key {key!r:.60} ({key_kind!r})")
                out[key] = self.decode(value)
            return out
        if kind in ("list", "tuple"):
            items = [self.decode(v) for v in node["items"]]
            return items if kind == "list" else tuple(items)
        raise ValueError(f"malformed manifest: unknown node type {kind!r:.60}")


def _is_npy(path: str) -> bool:
    with open(path, "rb") as f:
        return f.read(6) == b"\x93NUMPY"


def load(path: str | os.PathLike) -> Any:
    """Read a checkpoint written by :func:`save`.

    The file is opened with ``np.load(path, allow_pickle=False)``, so no code in it can
    run, whatever it holds.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    object
        What was saved, with the same container types, key types, dtypes and shapes.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        When ``path`` is not a checkpoint written by :func:`save`: truncated or corrupt,
        a pickle, a plain ``.npy``/``.npz``, or an ``.npz`` holding pickled objects.
    """
    path = os.fspath(path)
    problem = f"load: {path!r} is not a readable tinygrad_lab checkpoint"
    if os.path.isfile(path) and not _is_npy(path) and not zipfile.is_zipfile(path):
        # NumPy's own message for this case talks of pickles even for a text file.
        raise ValueError(
            f"{problem}: it is not a complete .npz (zip) file (truncated, or another kind "
            "of file); checkpoints are written by tl.save"
        )
    try:
        npz = np.load(path, allow_pickle=False)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except Exception as err:  # pickles, text, truncated zips, ...: all refused the same way
        raise ValueError(f"{problem}: {type(err).__name__}: {err}") from err
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise ValueError(f"{problem}: it holds a single .npy array, not a saved checkpoint")
    try:
        with npz:
            if _MANIFEST not in npz.files:
                raise ValueError(
                    "it has no manifest, so it was not written by tinygrad_lab.save "
                    "(plain arrays can be read with np.load(path, allow_pickle=False))"
                )
            raw = npz[_MANIFEST]
            if raw.dtype != np.uint8 or raw.ndim != 1:
                raise ValueError(f"its manifest has dtype {raw.dtype}, shape {raw.shape}")
            manifest = json.loads(raw.tobytes().decode("utf-8"))
            if not isinstance(manifest, dict) or manifest.get("format") != _FORMAT:
                raise ValueError("its manifest is not a tinygrad_lab checkpoint manifest")
            if manifest.get("version") != _VERSION:
                raise ValueError(
                    f"it has format version {manifest.get('version')!r}; this tinygrad_lab "
                    f"reads version {_VERSION}"
                )
            return _Decoder(npz).decode(manifest["root"])
    except Exception as err:
        raise ValueError(f"{problem}: {type(err).__name__}: {err}") from err
