"""The unified estimator: Aligner(method="mini" | "procrustes" | "gan").fit(X_a, X_b).transform(X_a), save/load."""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Dict, Optional, Union

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import SeedLike, as_float32_matrix, check_choice, resolve_n_threads, resolve_seed
from .configs import SCHEMA as _GAN_KEYS, check_value as _check_gan_value
from .mini import MiniParams, _typical_norm, _unit_rows, check_params as check_mini_params, fit_mini, preprocess
from .procrustes import procrustes
from .rowwise import matmul_rows

METHODS = ("mini", "procrustes", "gan")
FILE_FORMAT = "vec2vec_fast.Aligner"
FILE_FORMAT_VERSION = 1
_ARRAYS = ("W", "mean_a", "mean_b")
# Aligner("gan") parameters besides the config keys (vec2vec_fast.configs.SCHEMA; the Aligner's seed is its 'seed').
_GAN_EXTRA = ("config", "device", "progress")


class NotFittedError(ValueError, AttributeError):
    """Raised when transform, inverse_transform or save is called before fit."""


class ModelFileError(ValueError):
    """A model file that is not one of ours, is corrupt, or comes from an incompatible version or method."""


# Bounds of what a model file may ask the loader to read. np.savez stores its members uncompressed, so a compressed
# member (a possible zip bomb) is refused; the JSON metadata (hyperparameters, seed, report) is small.
_MAX_METADATA_BYTES = 64 * 2**20
# |W| entries beyond these cannot come from a fit (W is (near) orthogonal): beyond them transform or its
# pseudo-inverse would overflow or underflow float32.
_W_RANGE = (1e-15, 1e15)
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _members(path: Path, archive: zipfile.ZipFile, file_size: int) -> Dict[str, zipfile.ZipInfo]:
    """The archive's members by array name ("W" for "W.npy"), each checked to be stored uncompressed and to fit in
    the file, so that a forged size in the zip directory cannot size an allocation."""
    members: Dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
        if name in members:
            raise ModelFileError(f"{path} is corrupt: member {info.filename!r} appears twice")
        if info.header_offset + info.compress_size > file_size:
            raise ModelFileError(f"{path} is corrupt: member {info.filename!r} claims more bytes than the file holds")
        members[name] = info
    return members


def _read_member(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, *,
                 shape: Optional[tuple] = None, limit: Optional[int] = None) -> np.ndarray:
    """One .npy member, its header checked before its data is read: a plain (non-object) dtype, the expected
    ``shape`` (when given), and a data size equal to what the member really holds (at most ``limit`` bytes)."""
    if info.compress_type != zipfile.ZIP_STORED:
        raise ModelFileError(f"{path} is not a vec2vec_fast model file: member {info.filename!r} is compressed "
                             f"(np.savez stores members uncompressed)")
    if info.file_size != info.compress_size:
        raise ModelFileError(f"{path} is corrupt: member {info.filename!r} claims more bytes than it stores")
    if limit is not None and info.file_size > limit:
        raise ModelFileError(f"{path} is corrupt: member {info.filename!r} has {info.file_size} bytes, more than "
                             f"the {limit} allowed")
    with archive.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            found, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            found, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise ModelFileError(f"{path} is corrupt: {name} has .npy format version {version}")
        if dtype.hasobject or dtype.itemsize == 0:
            raise ModelFileError(f"{path} is corrupt: {name} has dtype {dtype}, not plain numbers")
        if shape is not None and tuple(found) != tuple(shape):
            raise ModelFileError(f"{path} is corrupt: {name} has shape {tuple(found)} dtype {dtype}, expected "
                                 f"finite floats of shape {tuple(shape)}")
        if not all(isinstance(n, int) and n >= 0 for n in found):
            raise ModelFileError(f"{path} is corrupt: {name} has shape {found!r}")
        count = 1
        for n in found:
            count *= n
        nbytes = count * dtype.itemsize
        header = f.tell()
        if nbytes != info.file_size - header:
            raise ModelFileError(f"{path} is corrupt: {name} claims shape {tuple(found)} of {dtype} ({nbytes} "
                                 f"bytes) but holds {info.file_size - header} bytes")
        data = f.read(nbytes)
        if len(data) != nbytes or f.read(1):  # reading to the end checks the member's CRC
            raise ModelFileError(f"{path} is corrupt: {name} is truncated")
    order = "F" if fortran else "C"
    return np.frombuffer(data, dtype=dtype).reshape(found, order=order).copy(order=order)


def _expected_shapes(meta: Any) -> tuple:
    """The shapes of W, mean_a and mean_b that the metadata's d_a, d_b imply (None where they are not valid)."""
    d_a, d_b = (meta.get(k) if isinstance(meta, dict) else None for k in ("d_a", "d_b"))
    if not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in (d_a, d_b)):
        return None, None, None
    return (d_a, d_b), (d_a,), (d_b,)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def _library_version() -> str:
    from . import __version__

    return __version__


class Aligner:
    """Translate embeddings from space A into space B.

    Parameters
    ----------
    method : {"mini", "procrustes", "gan"}
        "mini": mini-vec2vec from unpaired samples (hyperparameters: the fields of
        :class:`vec2vec_fast.mini.MiniParams`). "procrustes": the supervised baseline; ``fit`` needs paired rows.
        "gan": vec2vec (:mod:`vec2vec_fast.gan`, needs torch); hyperparameters: any key of
        :data:`vec2vec_fast.configs.SCHEMA` (e.g. ``epochs=20``, ``init="mini"``, ``n_seeds=3``) applied over
        ``config`` (a packaged config name or a TOML path, default "unsupervised"), plus ``device`` (None = CUDA
        when present, else CPU) and ``progress`` (a progress bar).
    seed : int, numpy Generator or None
        Every random step derives from it; the seed used is kept in ``seed_``. For "gan" it is the config's
        ``seed`` (weights, batch order, dropout); the data-split seeds stay the config's.
    n_threads : int or None
    **params : method hyperparameters; an unknown name is a TypeError naming it.

    Attributes (after fit)
    ----------------------
    W_ : (d_a, d_b) float32, mean_a_ : (d_a,), mean_b_ : (d_b,), scale_a_, scale_b_ : typical centred norms,
    report_ : per-stage seconds and label-free diagnostics, seed_ : int.
    For "gan" instead of W_ and the means: translator_ (the best epoch's torch module, eval mode), gan_config_ (the
    flat config used) and gan_names_ (the A and B space names); scale_a_, scale_b_ are then the mean row norms.

    Examples
    --------
    >>> aligner = Aligner("mini", seed=0).fit(X_a, X_b)          # doctest: +SKIP
    >>> Y = aligner.transform(X_a_new)                          # doctest: +SKIP
    >>> aligner.save("minilm_to_mpnet.v2v.npz")                  # doctest: +SKIP
    """

    def __init__(self, method: str = "mini", *, seed: SeedLike = 0, n_threads: Optional[int] = None, **params: Any):
        self.method = check_choice(method, "method", METHODS)
        self.seed = seed
        self.n_threads = n_threads
        self.params = dict(params)
        self._check_params()

    def _check_params(self) -> None:
        if self.method == "mini":
            valid = {f.name for f in dataclasses.fields(MiniParams)}
        elif self.method == "gan":
            valid = (set(_GAN_KEYS) - {"seed"}) | set(_GAN_EXTRA)
        else:
            valid = set()
        unknown = sorted(set(self.params) - valid)
        if unknown:
            raise TypeError(f"unknown parameter {unknown[0]!r} for method {self.method!r}; "
                            f"valid: {sorted(valid) or 'none'}")
        if self.method == "gan":
            self._check_gan_params()
        elif self.method == "mini":
            check_mini_params(MiniParams(**self.params))  # at construction, not after a long load

    def _check_gan_params(self) -> None:
        """Types and ranges of the GAN parameters, checked without torch; a config path is kept as a string."""
        for name, value in self.params.items():
            if name == "config":
                if not isinstance(value, (str, os.PathLike)):
                    raise TypeError(f"config must be a packaged config name or a TOML path, got {value!r}")
                self.params[name] = os.fspath(value)
            elif name == "device":
                if value is not None and not isinstance(value, str):
                    raise TypeError(f"device must be a string such as 'cpu' or 'cuda:0', or None, got {value!r}")
            elif name == "progress":
                if not isinstance(value, bool):
                    raise TypeError(f"progress must be True or False, got {value!r}")
            else:
                self.params[name] = _check_gan_value(name, value)

    # ------------------------------------------------------------------ fitting
    def fit(self, X_a: ArrayLike, X_b: ArrayLike) -> "Aligner":
        """Learn the map. X_a (n_a, d_a) and X_b (n_b, d_b): unpaired for "mini", paired rows for "procrustes"."""
        threads = resolve_n_threads(self.n_threads)
        if self.method == "gan":
            return self._fit_gan(X_a, X_b, threads)
        if self.method == "mini":
            # fit_mini validates and, past max_rows, samples: a memory-mapped input is never read whole.
            result = fit_mini(X_a, X_b, MiniParams(**self.params), seed=self.seed, n_threads=threads)
            W, mean_a, mean_b, seed, report = result.W, result.mean_a, result.mean_b, result.seed, result.report
            scale_a, scale_b = result.scale_a, result.scale_b
        else:
            a = as_float32_matrix(X_a, "X_a", n_threads=threads)
            b = as_float32_matrix(X_b, "X_b", n_threads=threads)
            if a.shape[0] != b.shape[0]:
                raise ValueError(f"method='procrustes' needs paired rows: X_a has {a.shape[0]} rows, X_b {b.shape[0]}")
            mean_a, mean_b = a.mean(0, dtype=np.float64).astype(np.float32), b.mean(0, dtype=np.float64).astype(np.float32)
            W = procrustes(preprocess(a, mean_a), preprocess(b, mean_b), n_threads=threads)
            seed, report = resolve_seed(self.seed), {}
            scale_a, scale_b = _typical_norm(a, mean_a), _typical_norm(b, mean_b)
        self.W_, self.mean_a_, self.mean_b_ = W, mean_a, mean_b
        self.scale_a_, self.scale_b_ = scale_a, scale_b
        self.seed_, self.report_ = seed, report
        return self

    def _fit_gan(self, X_a: ArrayLike, X_b: ArrayLike, threads: int) -> "Aligner":
        from .gan import estimator  # imports torch, with a clear ImportError when it is missing

        a = as_float32_matrix(X_a, "X_a", n_threads=threads)
        b = as_float32_matrix(X_b, "X_b", n_threads=threads)
        result = estimator.fit(a, b, self.params, resolve_seed(self.seed), threads)
        self.translator_, self.gan_config_, self.gan_names_ = result.translator, result.config, result.names
        self.scale_a_ = float(np.mean(np.linalg.norm(a, axis=1)))
        self.scale_b_ = float(np.mean(np.linalg.norm(b, axis=1)))
        self.seed_ = int(result.config.seed)
        self.report_ = {"best": result.best, **result.report, "history": result.history}
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "W_") and not hasattr(self, "translator_"):
            raise NotFittedError("this Aligner is not fitted yet: call fit(X_a, X_b) or Aligner.load(path)")

    def _gan_translate(self, x: np.ndarray, name: str, source: int) -> NDArray[np.float32]:
        from .gan import estimator

        src, tgt = self.gan_names_[source], self.gan_names_[1 - source]
        expected = self.translator_.dims[src]
        if x.shape[1] != expected:
            verb = "expects" if source == 0 else "produces"
            raise ValueError(f"{name} has {x.shape[1]} columns but this map {verb} {expected}")
        return estimator.translate(self.translator_, self.gan_config_, x, src, tgt)

    # ------------------------------------------------------------------ applying
    def transform(self, X_a: ArrayLike, *, raw: bool = False) -> NDArray[np.float32]:
        """Map A vectors into B's space: unit rows in B's centred frame, or B's raw frame with ``raw=True``
        (B's typical norm and mean restored)."""
        self._check_fitted()
        x = as_float32_matrix(X_a, "X_a")
        if self.method == "gan":  # the translator's output: unit rows in B's own (uncentred) frame
            y = self._gan_translate(x, "X_a", 0)
            return (y * self.scale_b_).astype(np.float32) if raw else y
        if x.shape[1] != self.W_.shape[0]:
            raise ValueError(f"X_a has {x.shape[1]} columns but this map expects {self.W_.shape[0]}")
        # matmul_rows, not @: each row independent of the batch, so chunked and Dask results equal this one exactly
        y = _unit_rows(matmul_rows(preprocess(x, self.mean_a_), self.W_, n_threads=self.n_threads))
        return (y * self.scale_b_ + self.mean_b_).astype(np.float32) if raw else y

    def inverse_transform(self, X_b: ArrayLike, *, raw: bool = False) -> NDArray[np.float32]:
        """Map B vectors back into A's space through the pseudo-inverse of W (exact when W is orthogonal; when
        d_b > d_a it recovers the component of B that the map can reach)."""
        self._check_fitted()
        y = as_float32_matrix(X_b, "X_b")
        if self.method == "gan":  # vec2vec learns both directions: B -> A is its own translation
            x = self._gan_translate(y, "X_b", 1)
            return (x * self.scale_a_).astype(np.float32) if raw else x
        if y.shape[1] != self.W_.shape[1]:
            raise ValueError(f"X_b has {y.shape[1]} columns but this map produces {self.W_.shape[1]}")
        inverse = np.linalg.pinv(self.W_.astype(np.float64)).astype(np.float32)
        x = _unit_rows(matmul_rows(preprocess(y, self.mean_b_), inverse, n_threads=self.n_threads))
        return (x * self.scale_a_ + self.mean_a_).astype(np.float32) if raw else x

    # ------------------------------------------------------------------ files
    def save(self, path: Union[str, os.PathLike], *, overwrite: bool = False) -> Path:
        """Write the fitted map to one ``.npz`` file: arrays plus JSON metadata (method, library version, dims,
        means, hyperparameters, seed, diagnostics). The file appears atomically; an existing file is replaced only
        with ``overwrite=True``."""
        self._check_fitted()
        path = Path(path)
        if path.exists() and not overwrite:
            raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
        if self.method == "gan":  # the translator's state dict as arrays "gan/<key>", its config in the metadata
            from .gan import estimator

            arrays = estimator.to_arrays(self.translator_)
            d_a, d_b = (self.translator_.dims[name] for name in self.gan_names_)
            extra = {"gan": {"config": self.gan_config_.to_dict(), "names": list(self.gan_names_)}}
        else:
            arrays = {"W": self.W_, "mean_a": self.mean_a_, "mean_b": self.mean_b_}
            d_a, d_b, extra = self.W_.shape[0], self.W_.shape[1], {}
        meta = {
            "format": FILE_FORMAT, "format_version": FILE_FORMAT_VERSION, "library_version": _library_version(),
            "method": self.method, "d_a": int(d_a), "d_b": int(d_b),
            "params": self.params, "seed": int(self.seed_), "scale_a": self.scale_a_, "scale_b": self.scale_b_,
            "report": self.report_, **extra,
        }
        blob = np.frombuffer(json.dumps(_jsonable(meta)).encode("utf-8"), dtype=np.uint8)
        fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **arrays, metadata=blob)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
        return path

    @classmethod
    def load(cls, path: Union[str, os.PathLike], *, method: Optional[str] = None) -> "Aligner":
        """Read a file written by :meth:`save`. Raises ModelFileError for a foreign or corrupt file, a file from an
        incompatible library version, or (with ``method``) a file of another method."""
        path = Path(path)
        try:
            # Our own handle, so a corrupt file cannot leak it. The members are read by hand, never by np.load: each
            # .npy header is checked (no objects, so no pickle can run; a shape that matches the metadata and the
            # member's real size) before anything is allocated, so no forged field sizes an allocation.
            with open(path, "rb") as handle, zipfile.ZipFile(handle) as archive:
                members = _members(path, archive, os.fstat(handle.fileno()).st_size)
                if "metadata" not in members:
                    missing = sorted((set(_ARRAYS) | {"metadata"}) - set(members))
                    raise ModelFileError(f"{path} is not a vec2vec_fast model file: missing {missing}")
                blob = _read_member(path, archive, members["metadata"], "metadata", limit=_MAX_METADATA_BYTES)
                meta = json.loads(blob.tobytes().decode("utf-8"))
                if isinstance(meta, dict) and meta.get("method") == "gan":
                    wanted = sorted(k for k in members if k.startswith("gan/"))
                    missing = [] if wanted else ["gan/<translator state>"]
                    shapes: Dict[str, Optional[tuple]] = {k: None for k in wanted}
                else:
                    wanted = list(_ARRAYS)
                    missing = sorted(set(_ARRAYS) - set(members))
                    shapes = dict(zip(_ARRAYS, _expected_shapes(meta)))
                if missing:
                    raise ModelFileError(f"{path} is not a vec2vec_fast model file: missing {missing}")
                arrays = {k: _read_member(path, archive, members[k], k, shape=shapes[k]) for k in wanted}
        except ModelFileError:
            raise
        # zipfile raises RuntimeError for an encrypted member and NotImplementedError for an unknown compression.
        except (OSError, ValueError, zipfile.BadZipFile, EOFError, UnicodeDecodeError, KeyError, RuntimeError,
                NotImplementedError, RecursionError) as err:
            raise ModelFileError(f"{path} is not a readable vec2vec_fast model file: {err}") from err
        cls._check_meta(path, meta, arrays, method)
        try:
            if not isinstance(meta["params"], dict) or not isinstance(meta["seed"], int):
                raise TypeError("params must be an object and seed an integer")
            aligner = cls(meta["method"], seed=meta["seed"], **meta["params"])
        except (TypeError, ValueError) as err:
            raise ModelFileError(f"{path} is corrupt: {err}") from err
        aligner.scale_a_, aligner.scale_b_ = float(meta["scale_a"]), float(meta["scale_b"])
        aligner.seed_, aligner.report_ = int(meta["seed"]), meta["report"]
        if aligner.method == "gan":
            from .gan import estimator  # loading a GAN model needs torch

            spec = meta["gan"]
            dims = {spec["names"][0]: int(meta["d_a"]), spec["names"][1]: int(meta["d_b"])}
            try:
                aligner.translator_ = estimator.from_arrays(spec["config"], dims, arrays, str(path))
            except (TypeError, ValueError, KeyError) as err:
                raise ModelFileError(f"{path} is corrupt: {err}") from err
            aligner.gan_config_, aligner.gan_names_ = aligner.translator_.config, tuple(spec["names"])
            return aligner
        aligner.W_ = arrays["W"].astype(np.float32)
        aligner.mean_a_, aligner.mean_b_ = arrays["mean_a"].astype(np.float32), arrays["mean_b"].astype(np.float32)
        return aligner

    @staticmethod
    def _check_meta(path: Path, meta: Any, arrays: Dict[str, np.ndarray], method: Optional[str]) -> None:
        if not isinstance(meta, dict) or meta.get("format") != FILE_FORMAT:
            raise ModelFileError(f"{path} is not a vec2vec_fast model file (format {meta.get('format') if isinstance(meta, dict) else meta!r})")
        if meta.get("format_version") != FILE_FORMAT_VERSION:
            raise ModelFileError(f"{path} has file format version {meta.get('format_version')!r}; "
                                 f"this library reads version {FILE_FORMAT_VERSION}")
        saved, ours = str(meta.get("library_version")), _library_version()
        if saved.split(".")[:2] != ours.split(".")[:2]:
            raise ModelFileError(f"{path} was written by vec2vec_fast {saved}; this is {ours} (major.minor differ)")
        if method is not None and meta.get("method") != method:
            raise ModelFileError(f"{path} holds a {meta.get('method')!r} model, not {method!r}")
        for key in ("method", "d_a", "d_b", "params", "seed", "scale_a", "scale_b", "report"):
            if key not in meta:
                raise ModelFileError(f"{path} is corrupt: metadata lacks {key!r}")
        for key in ("scale_a", "scale_b"):
            value = meta[key]
            if (isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value)
                    or not 0 <= value <= _FLOAT32_MAX / 4):
                raise ModelFileError(f"{path} is corrupt: {key} must be a finite typical norm (>= 0, far below "
                                     f"float32's limit), got {value!r}")
        d_a, d_b = meta["d_a"], meta["d_b"]
        if meta["method"] == "gan":
            spec = meta.get("gan")
            if (not isinstance(spec, dict) or not isinstance(spec.get("config"), dict)
                    or not isinstance(spec.get("names"), list) or len(spec["names"]) != 2
                    or not all(isinstance(n, str) for n in spec["names"])
                    or not all(isinstance(d, int) and d > 0 for d in (d_a, d_b))):
                raise ModelFileError(f"{path} is corrupt: the GAN metadata needs a config object, two space names "
                                     f"and positive integer dims")
            for key, arr in arrays.items():  # shapes are checked against the rebuilt translator
                if arr.dtype.kind == "f" and not np.isfinite(arr).all():
                    raise ModelFileError(f"{path} is corrupt: {key} contains non-finite values")
            return
        expected = {"W": (d_a, d_b), "mean_a": (d_a,), "mean_b": (d_b,)}
        for key, shape in expected.items():
            arr = arrays[key]
            if arr.shape != tuple(shape) or arr.dtype.kind != "f" or not np.isfinite(arr).all():
                raise ModelFileError(f"{path} is corrupt: {key} has shape {arr.shape} dtype {arr.dtype}, "
                                     f"expected finite floats of shape {tuple(shape)}")
        # Values no fit produces and that would overflow float32 in transform, inverse_transform or raw outputs.
        big = float(np.abs(arrays["W"].astype(np.float64)).max(initial=0.0))
        if big and not _W_RANGE[0] <= big <= _W_RANGE[1]:
            raise ModelFileError(f"{path} is corrupt: W's largest entry is {big:g}, outside {_W_RANGE} "
                                 f"(a fitted map is near orthogonal)")
        for side in ("a", "b"):
            mean = np.abs(arrays[f"mean_{side}"].astype(np.float64))
            reach = float(meta[f"scale_{side}"]) + float(mean.max(initial=0.0))
            if not reach <= _FLOAT32_MAX / 4:
                raise ModelFileError(f"{path} is corrupt: scale_{side} plus mean_{side} reach {reach:g}: raw outputs "
                                     f"would overflow float32")
