"""The interface every alignment method implements, and the fitted state it returns.

A method is a class with a name, a one-line summary, a parameter :class:`~vec2vec_fast.schema.Schema`, ``fit``, and
the two halves of its model-file format (``file_arrays`` / ``load_map``). The fitted state is a *map* object with
``transform`` (and ``inverse_transform`` where the map is invertible), ``output_frame``, ``attributes`` and
``arrays``/``file_meta`` for saving. ``Aligner`` only talks to these; nothing outside the method modules asks which
method a model is.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, ClassVar, Dict, Mapping, Optional, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import SeedLike
from ..schema import Schema


class FittedMap(abc.ABC):
    """A fitted map from space A (d_a) to space B (d_b). Inputs arrive validated (C-contiguous finite float32 with
    the right width); outputs are float32."""

    d_a: int
    d_b: int
    scale_a: float  # typical norm of A's rows (what ``raw=True`` restores)
    scale_b: float

    @abc.abstractmethod
    def transform(self, x: np.ndarray, *, raw: bool = False, n_threads: Optional[int] = None) -> NDArray[np.float32]:
        """A rows into B's frame (unit rows, or B's raw frame with ``raw=True``)."""

    def inverse_transform(self, y: np.ndarray, *, raw: bool = False,
                          n_threads: Optional[int] = None) -> NDArray[np.float32]:
        """B rows back into A's frame, where the map is invertible."""
        raise NotImplementedError(f"{type(self).__name__} has no inverse")

    @abc.abstractmethod
    def output_frame(self, y: np.ndarray) -> NDArray[np.float32]:
        """B vectors in the frame ``transform`` returns (e.g. centred on B's mean), to compare with its output."""

    @abc.abstractmethod
    def attributes(self) -> Dict[str, Any]:
        """The map's public parts, exposed on the Aligner with a trailing underscore (``W`` -> ``aligner.W_``)."""

    @abc.abstractmethod
    def arrays(self) -> Dict[str, np.ndarray]:
        """The arrays the model file stores."""

    def file_meta(self) -> Dict[str, Any]:
        """Extra JSON metadata the model file stores beside the common fields."""
        return {}


@dataclass
class FitResult:
    map: FittedMap
    seed: int                     # the seed that produced the map (with several candidates: the chosen one)
    report: Dict[str, Any] = field(default_factory=dict)


class Method(abc.ABC):
    """One alignment method. Subclasses set the class attributes and implement :meth:`fit`, :meth:`file_arrays`
    and :meth:`load_map`, then register with one line in :mod:`vec2vec_fast.methods`."""

    name: ClassVar[str]
    summary: ClassVar[str]              # one line for the command line's help
    schema: ClassVar[Schema]            # every hyperparameter: type, bounds, default, doc
    paired: ClassVar[bool] = False      # fit needs row i of A and row i of B to embed the same text

    def __init__(self, params: Mapping[str, Any]):
        self.params = self.schema.check(params, f" for method {self.name!r}")

    @classmethod
    def check_params(cls, params: Mapping[str, Any]) -> Dict[str, Any]:
        """The checked, normalised parameters (TypeError for an unknown name or a wrong type, ValueError out of
        range), without building anything."""
        return cls.schema.check(params, f" for method {cls.name!r}")

    @abc.abstractmethod
    def fit(self, X_a: ArrayLike, X_b: ArrayLike, *, seed: SeedLike, n_threads: int) -> FitResult:
        """Learn the map. The inputs are as the user gave them (arrays, memory maps): the method validates them,
        and may sample them without reading them whole."""

    @classmethod
    @abc.abstractmethod
    def file_arrays(cls, meta: Mapping[str, Any], names: Sequence[str]) -> Dict[str, Optional[tuple]]:
        """Which members of a model file to read (from the member ``names`` present), each with the shape the
        metadata implies (None: checked later). Raises ValueError ("missing [...]") when some are absent."""

    @classmethod
    @abc.abstractmethod
    def load_map(cls, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], where: str) -> FittedMap:
        """The fitted map from a model file's metadata and arrays; raises ValueError naming what is wrong."""
