"""Checkpoints: :func:`save` and :func:`load`, as ``.npz`` files that never hold pickles.

A checkpoint is a nested structure -- dicts (str or int keys), lists and tuples of
arrays, Tensors, NumPy scalars, Python numbers, bools, None and strings -- such as::

    {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 7}

It is stored with ``np.savez`` as a zip of ``.npy`` members: the arrays go to members
named ``arr_0.npy``, ``arr_1.npy``, ... in the order they are met, and one more member,
``__manifest__.npy``, holds a JSON description of the structure (container types, keys,
Python scalar values, which member holds which array, which arrays were Tensors) as
ASCII bytes in a uint8 array. Member names never come from keys, so any key -- ``"x"``
next to ``"x.npy"``, ``"__manifest__"``, ``"a/b"``, ``""``, NUL, any unicode -- round
trips. Loading rebuilds exactly what was saved: same types, dtypes, shapes and values.

Safety:

* Nothing is pickled when writing, and files are read with
  ``np.load(..., allow_pickle=False)`` and ``read_array(..., allow_pickle=False)``:
  loading a checkpoint never runs code, whatever the file holds. A pickle, a truncated
  or corrupt file, a member that is not an ``.npy`` array, or an ``.npz`` not written by
  :func:`save` is a ``ValueError`` naming the path (and the member).
* Every value is checked before anything is written: an unsupported one is a
  ``TypeError`` naming where it is, and the disk is untouched.
* Saving is atomic: the file is written to a temporary file with a short random name
  in the same folder, flushed to disk and renamed over the target in one step. If
  anything fails, the temporary file is removed and an existing checkpoint at ``path``
  stays whole. The process umask is never changed: a new file gets the permissions any
  new file gets, a replaced one keeps its own.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, BinaryIO

import numpy as np

from .nn.module import Parameter
from .tensor import Tensor, device

__all__ = ["load", "save"]

_MANIFEST = "__manifest__"
_FORMAT = "tinygrad_lab.checkpoint"
_VERSION = 1  # unchanged since entries became generated names: old files still load
_MAX_HEADER = 10_000  # np.lib.format.read_array's default max_header_size
_NPY_MAGIC = np.lib.format.MAGIC_PREFIX
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a zip's first member, or an empty zip


# ----------------------------------------------------------------------------- save


class _Encoder:
    """Walk an object, collecting its arrays and a JSON-able description of the rest.

    Every check happens here, so a value that cannot be stored fails before any file
    is touched.
    """

    def __init__(self) -> None:
        self.arrays: list[np.ndarray] = []
        self._active: set[int] = set()  # containers on the current path (cycle check)

    def _entry(self, array: np.ndarray, path: list[Any]) -> str:
        """Check ``array`` and give it the next generated member name."""
        self.arrays.append(_storable(array, path))
        return f"arr_{len(self.arrays) - 1}"

    def encode(self, obj: Any, path: list[Any]) -> dict[str, Any]:
        # NumPy scalars first: np.float64 is a float and np.str_ a str, but they must
        # come back as NumPy scalars.
        if isinstance(obj, np.generic):
            return {"type": "numpy_scalar", "entry": self._entry(np.asarray(obj), path)}
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
            kind = "parameter" if isinstance(obj, Parameter) else "tensor"
            return {"type": kind, "entry": self._entry(np.asarray(obj), path),
                    "requires_grad": bool(obj.requires_grad)}
        if isinstance(obj, np.ndarray):
            return {"type": "ndarray", "entry": self._entry(obj, path)}
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
                if isinstance(key, str):  # np.str_ keys too: JSON keeps them as str
                    kind, key = "str", str(key)
                elif isinstance(key, int) and not isinstance(key, (bool, np.generic)):
                    kind, key = "int", int(key)
                else:
                    raise TypeError(
                        f"save: dict keys must be str or int, got {type(key).__name__} "
                        f"{_short_repr(key)} at {_where(path)}"
                    )
                items.append([kind, key, self.encode(value, [*path, key])])
            kind = "OrderedDict" if isinstance(obj, OrderedDict) else "dict"
            return {"type": kind, "items": items}
        kind = "tuple" if isinstance(obj, tuple) else "list"
        return {"type": kind,
                "items": [self.encode(v, [*path, i]) for i, v in enumerate(obj)]}


def _storable(array: np.ndarray, path: list[Any]) -> np.ndarray:
    """``array`` as a plain ndarray that an ``.npy`` member stores exactly, or a
    TypeError naming where it is."""
    if isinstance(array, np.ma.MaskedArray):
        raise TypeError(
            f"save: cannot store the masked array at {_where(path)}: its mask would be "
            "lost; store its .data and np.ma.getmaskarray(...) as two arrays"
        )
    array = np.asarray(array)  # memmap, matrix, ... are stored as plain ndarrays
    dtype = array.dtype
    if dtype.hasobject:
        raise TypeError(
            f"save: cannot store the array at {_where(path)}: its dtype {dtype} holds "
            "Python objects, which only pickling could store; convert it to a numeric "
            "or fixed-width string dtype"
        )
    # What np.savez will write as the dtype (a custom dtype would be "|O", pickled).
    # Not under warnings.catch_warnings: that changes process-wide state, like a umask.
    descr = np.lib.format.dtype_to_descr(dtype)
    if np.lib.format.descr_to_dtype(descr) != dtype:
        raise TypeError(
            f"save: cannot store the array at {_where(path)}: an .npy file cannot hold "
            f"its dtype {dtype} exactly"
        )
    header = {"descr": descr, "fortran_order": False, "shape": array.shape}
    if len(repr(header)) > _MAX_HEADER - 100:  # the rest of the limit is padding
        raise TypeError(
            f"save: cannot store the array at {_where(path)}: the description of its "
            f"dtype {dtype} is too long for np.load to read back safely"
        )
    return array


def _short_repr(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _where(path: list[Any]) -> str:
    return "the top level" if not path else "".join(f"[{_short_repr(p)}]" for p in path)


def save(obj: Any, path: str | os.PathLike[str]) -> None:
    """Write ``obj`` to ``path`` as a checkpoint, atomically.

    Parameters
    ----------
    obj : nested dict / list / tuple
        Of ndarrays, Tensors, NumPy scalars and Python int, float, bool, str, None; dict
        keys are str or int (e.g. a model's and an optimizer's ``state_dict``). Other
        mappings are stored as dicts, list and tuple subclasses (e.g. namedtuples) as
        lists and tuples, subclasses of int, float and str as those types, and ndarray
        subclasses other than masked arrays (e.g. memmaps) as plain ndarrays.
    path : str or path-like
        The file to write (used as given: no ``.npz`` is appended). Its folder must exist.
        A file already there is replaced and keeps its permissions; a symbolic link
        there is replaced by the file (what it pointed to is left as it was).

    Raises
    ------
    TypeError
        For a value that cannot be stored exactly without pickling (an object or
        masked array, a set, a dict with other keys, ...); nothing is written.
    ValueError
        For a container that contains itself; nothing is written.
    OSError
        When the file cannot be written; the message names ``path``, no temporary
        file is left behind and a file already at ``path`` is unchanged.

    Examples
    --------
    >>> save({"model": model.state_dict(), "epoch": 3}, "ckpt.npz")
    >>> ckpt = load("ckpt.npz")
    >>> model.load_state_dict(ckpt["model"])
    """
    target = os.fspath(path)
    encoder = _Encoder()
    root = encoder.encode(obj, [])  # fails before any file is touched
    manifest = json.dumps({"format": _FORMAT, "version": _VERSION, "root": root})
    members = {_MANIFEST: np.frombuffer(manifest.encode("ascii"), dtype=np.uint8)}
    members.update((f"arr_{i}", array) for i, array in enumerate(encoder.arrays))
    _write_atomically(target, lambda f: np.savez(f, allow_pickle=False, **members))


def _write_atomically(target: str, write: Callable[[BinaryIO], None]) -> None:
    """Have ``write`` fill a temporary file next to ``target``, then rename it over
    ``target``: readers see the old file or the new one, never half of one."""
    folder = os.path.dirname(target) or os.curdir
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            errno.ENOENT, f"save: folder {folder!r} does not exist (saving {target!r})")
    if os.path.isdir(target):
        raise IsADirectoryError(errno.EISDIR, f"save: {target!r} is a folder, not a file")
    try:
        old_mode: int | None = os.stat(target).st_mode & 0o777
    except FileNotFoundError:
        old_mode = None
    tmp = None
    try:
        # Never more open than the file it replaces, even while being written.
        tmp, fd = _create_temporary(folder, 0o666 if old_mode is None else old_mode)
        with os.fdopen(fd, "wb") as f:
            if old_mode is not None:
                os.chmod(tmp, old_mode)  # exactly the old permissions, whatever the umask
            write(f)
            f.flush()
            os.fsync(f.fileno())  # the data is on disk before the rename makes it visible
        os.replace(tmp, target)
        tmp = None
    except OSError as err:
        raise _naming(err, target) from err
    finally:
        if tmp is not None:
            try:
                os.remove(tmp)
            except OSError:
                pass  # nothing more can be done; the original error is what matters
    _fsync_folder(folder)


def _create_temporary(folder: str, mode: int) -> tuple[str, int]:
    """A new empty file in ``folder`` with a short random name (so that it fits
    wherever the target's name does), created with ``mode`` less the umask: with 0o666
    it gets the permissions any new file gets, without the umask being read or changed."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        name = os.path.join(folder, f".tl-{secrets.token_hex(6)}.tmp")
        try:
            return name, os.open(name, flags, mode)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, f"no free temporary file name in {folder!r}")


def _naming(err: OSError, target: str) -> OSError:
    """The same kind of error, saying that it was ``target`` that could not be written
    (not the temporary file it was written to first)."""
    if err.errno is None:
        return type(err)(f"save: could not write {target!r}: {err}")
    new = OSError(err.errno, f"save: could not write {target!r}: {err.strerror}")
    new.filename = target  # OSError(errno, ...) is already the matching subclass
    return new


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


class _Refused(Exception):
    """A reason to refuse the file, worded for the user."""


def _read_member(zf: zipfile.ZipFile, name: str) -> np.ndarray:
    """The array in member ``name``, read to its very end (so that the zip's CRC check
    runs), never unpickling."""
    try:
        with zf.open(name) as member:
            if member.read(len(_NPY_MAGIC)) != _NPY_MAGIC:
                raise _Refused(f"member {name!r} is not an .npy array")
            member.seek(0)
            array = np.lib.format.read_array(member, allow_pickle=False)
            if member.read(1):
                raise _Refused(f"member {name!r} has bytes after its array")
    except _Refused:
        raise
    except Exception as err:  # CRC mismatch, object arrays, short data, bad header, ...
        raise _Refused(f"member {name!r}: {type(err).__name__}: {err}") from err
    return array


class _Decoder:
    """Rebuild the saved object from the manifest, each array member used once."""

    def __init__(self, zf: zipfile.ZipFile, members: set[str]) -> None:
        self.zf = zf
        self.members = frozenset(members)
        self.unused = set(members)

    def array(self, node: dict[str, Any]) -> np.ndarray:
        entry = node.get("entry")
        name = f"{entry}.npy" if isinstance(entry, str) else None
        if name not in self.unused:
            state = "listed twice" if name in self.members else "missing"
            raise _Refused(f"the manifest's array entry {entry!r:.60} is {state}")
        self.unused.discard(name)
        return _read_member(self.zf, name)

    def decode(self, node: Any) -> Any:
        if not isinstance(node, dict):
            raise _Refused(f"malformed manifest node {node!r:.60}")
        kind = node.get("type")
        if kind == "none":
            return None
        if kind in ("bool", "int", "float", "str"):
            return self._python_scalar(kind, node.get("value"))
        if kind == "ndarray":
            return self.array(node)
        if kind == "numpy_scalar":
            array = self.array(node)
            if array.ndim != 0:
                raise _Refused(f"a NumPy scalar's member has shape {array.shape}")
            return array[()]
        if kind in ("tensor", "parameter"):
            requires_grad = node.get("requires_grad")
            if not isinstance(requires_grad, bool):
                raise _Refused(f"malformed manifest: requires_grad {requires_grad!r:.60}")
            cls = Parameter if kind == "parameter" else Tensor
            return cls(self.array(node), requires_grad=requires_grad)
        if kind in ("dict", "OrderedDict"):
            out: dict[Any, Any] = {} if kind == "dict" else OrderedDict()
            for item in self._items(node):
                if not (isinstance(item, list) and len(item) == 3):
                    raise _Refused(f"malformed manifest: dict item {item!r:.60}")
                key_kind, key, value = item
                if not ((key_kind == "str" and isinstance(key, str)) or (
                        key_kind == "int" and type(key) is int)):
                    raise _Refused(f"malformed manifest: key {key!r:.60} ({key_kind!r:.10})")
                out[key] = self.decode(value)
            return out
        if kind in ("list", "tuple"):
            items = [self.decode(v) for v in self._items(node)]
            return items if kind == "list" else tuple(items)
        raise _Refused(f"malformed manifest: unknown node type {kind!r:.60}")

    @staticmethod
    def _python_scalar(kind: str, value: Any) -> Any:
        expected = {"bool": bool, "int": int, "float": float, "str": str}[kind]
        if kind == "float" and type(value) is int:
            value = float(value)  # JSON has one number type; keep old files readable
        if type(value) is not expected:
            raise _Refused(f"malformed manifest: {kind} node holds {value!r:.60}")
        return value

    @staticmethod
    def _items(node: dict[str, Any]) -> list[Any]:
        items = node.get("items")
        if not isinstance(items, list):
            raise _Refused(f"malformed manifest: {node.get('type')} without a list of items")
        return items


def _decode_checkpoint(npz: Any) -> Any:
    """Check the members of an open ``NpzFile`` and rebuild what was saved."""
    names = npz.zip.namelist()
    if len(set(names)) != len(names):
        raise _Refused("it has two members with the same name")
    for name in names:
        if not name.endswith(".npy"):
            raise _Refused(f"member {name!r} is not an .npy array")
    manifest_name = _MANIFEST + ".npy"
    if manifest_name not in names:
        raise _Refused(
            "it has no manifest, so it was not written by tinygrad_lab.save "
            "(plain arrays can be read with np.load(path, allow_pickle=False))"
        )
    raw = _read_member(npz.zip, manifest_name)
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise _Refused(f"its manifest has dtype {raw.dtype}, shape {raw.shape}")
    manifest = json.loads(raw.tobytes().decode("utf-8"))
    if not isinstance(manifest, dict) or manifest.get("format") != _FORMAT:
        raise _Refused("its manifest is not a tinygrad_lab checkpoint manifest")
    if manifest.get("version") != _VERSION:
        raise _Refused(
            f"it has format version {manifest.get('version')!r:.20}; this tinygrad_lab "
            f"reads version {_VERSION}"
        )
    decoder = _Decoder(npz.zip, set(names) - {manifest_name})
    obj = decoder.decode(manifest.get("root"))
    if decoder.unused:
        raise _Refused(f"members {sorted(decoder.unused)!r:.200} are not in the manifest")
    return obj


def load(path: str | os.PathLike[str], map_location: Any = None, weights_only: bool = True,
         **pickle_load_args: Any) -> Any:
    """Read a checkpoint written by :func:`save`.

    The file is opened with ``np.load(path, allow_pickle=False)``, so no code in it can
    run, whatever it holds. Loading changes nothing: it only reads ``path``.

    Parameters
    ----------
    path : str or path-like
    map_location, weights_only
        PyTorch's arguments, accepted so that ``torch.load(path, weights_only=True)``
        runs: loading here is always "weights only" (nothing is unpickled), and there is
        only the CPU (a ``map_location`` other than the CPU raises).

    Returns
    -------
    object
        What was saved, with the same container types, key types, dtypes and shapes;
        Tensors and Parameters come back as Tensors and Parameters (with their
        ``requires_grad``), NumPy scalars as NumPy scalars of the same type.

    Raises
    ------
    FileNotFoundError, IsADirectoryError, PermissionError
        When ``path`` cannot be opened.
    ValueError
        When ``path`` is not a checkpoint written by :func:`save`: truncated or corrupt,
        a pickle, a plain ``.npy``/``.npz``, an ``.npz`` holding pickled objects or
        members that are not ``.npy`` arrays. The message names ``path`` and, where
        one is to blame, the member.
    """
    if pickle_load_args:
        raise TypeError(f"load: unexpected arguments {sorted(pickle_load_args)} (nothing is "
                        "unpickled here)")
    if map_location is not None and not callable(map_location) and not isinstance(
        map_location, dict
    ):
        device(map_location)  # raises for anything but the CPU
    source = os.fspath(path)
    problem = f"load: {source!r} is not a readable tinygrad_lab checkpoint"
    with open(source, "rb") as f:
        start = f.read(len(_NPY_MAGIC))
        if start == _NPY_MAGIC:
            raise ValueError(f"{problem}: it holds a single .npy array, not a saved checkpoint")
        f.seek(0)
        if not start.startswith(_ZIP_MAGICS) or not zipfile.is_zipfile(f):
            # NumPy's own message for this case talks of pickles even for a text file.
            raise ValueError(
                f"{problem}: it is not a complete .npz (zip) file (truncated, or another "
                "kind of file); checkpoints are written by tl.save"
            )
        f.seek(0)
        try:
            with np.load(f, allow_pickle=False) as npz:
                return _decode_checkpoint(npz)
        except _Refused as err:
            raise ValueError(f"{problem}: {err}") from err
        except Exception as err:  # a zip damaged beyond its members, ...
            raise ValueError(f"{problem}: {type(err).__name__}: {err}") from err
