"""Hyperparameter schemas: one table per method (name, type, bounds, default, one-line doc).

Validation, the command line's options and their ``--help`` text, the GAN's TOML config and the model file's
metadata all come from these tables; nothing parses source text.

    >>> from vec2vec_fast.schema import Param, Schema
    >>> s = Schema([Param("runs", int, 30, "independent runs", low=1, high=1000)])
    >>> s.check({"runs": 5})
    {'runs': 5}
"""

from __future__ import annotations

import argparse
import math
import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, Iterator, Mapping, Optional, Tuple

import numpy as np

_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")
_NONE = ("none", "null", "auto", "")
_KIND = {bool: "True or False", int: "an integer", float: "a number", str: "a string"}


@dataclass(frozen=True)
class Param:
    """One hyperparameter. ``low``/``high`` are inclusive bounds, ``above`` an exclusive lower bound; ``choices``
    the allowed values; ``nullable`` accepts None (meaning "decide at fit time"); ``path`` accepts an
    ``os.PathLike`` for a string parameter; ``section`` groups GAN config keys into TOML tables."""

    name: str
    type: type
    default: Any
    doc: str
    low: Optional[float] = None
    above: Optional[float] = None
    high: Optional[float] = None
    choices: Tuple[Any, ...] = ()
    nullable: bool = False
    path: bool = False
    section: Optional[str] = None

    def check(self, value: Any, label: Optional[str] = None) -> Any:
        """``value`` checked (TypeError for a wrong type, ValueError out of bounds) and normalised: numpy scalars
        to Python ones, ints widened to float for a float parameter, a path to a string. The error names ``label``
        (default: the parameter's name) and the value."""
        label = label or self.name
        if value is None and self.nullable:
            return None
        kind = self.type
        if kind is bool:
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"{label} must be True or False, got {value!r}")
            value = bool(value)
        elif kind is int:
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"{label} must be an integer, got {value!r}")
            value = int(value)
        elif kind is float:
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
                raise TypeError(f"{label} must be a number, got {value!r}")
            value = float(value)
            if not math.isfinite(value):
                within = f" and {self.bounds()}" if self.bounds() else ""
                raise ValueError(f"{label} must be finite{within}, got {value!r}")
        elif self.path and isinstance(value, os.PathLike):
            value = os.fspath(value)
        if kind is str and not isinstance(value, str):
            raise TypeError(f"{label} must be a string, got {value!r}")
        if self.choices and value not in self.choices:
            raise ValueError(f"{label} must be one of {self.choices}, got {value!r}")
        if (self.low is not None and value < self.low or self.high is not None and value > self.high
                or self.above is not None and not value > self.above):
            raise ValueError(f"{label} must be {self.bounds()}, got {value!r}")
        return value

    def parse(self, text: str, label: Optional[str] = None) -> Any:
        """A command-line string to a checked value: 'false' is False, '1e-4' a float, '10_000' an int, 'none'
        None for a nullable parameter."""
        label = label or self.name
        raw = text.strip()
        if self.nullable and raw.lower() in _NONE:
            return None
        value: Any = raw
        if self.type is bool:
            if raw.lower() not in _TRUE + _FALSE:
                raise ValueError(f"{label} must be true or false, got {text!r}")
            value = raw.lower() in _TRUE
        elif self.type in (int, float):
            try:
                value = int(raw.replace("_", "")) if self.type is int else float(raw)
            except ValueError:
                raise ValueError(f"{label} must be {_KIND[self.type]}, got {text!r}") from None
        return self.check(value, label)

    def bounds(self) -> str:
        """The allowed range as text: "in [1, 10000]", "> 0", ">= 0"."""
        if self.above is not None:
            return f"> {_number(self.above)}" + (f" and <= {_number(self.high)}" if self.high is not None else "")
        if self.low is not None and self.high is not None:
            return f"in [{_number(self.low)}, {_number(self.high)}]"
        if self.low is not None:
            return f">= {_number(self.low)}"
        if self.high is not None:
            return f"<= {_number(self.high)}"
        return ""

    def help(self) -> str:
        """One line for ``--help``: the doc, the allowed values and the default."""
        allowed = f" {{{', '.join(map(str, self.choices))}}}" if self.choices else ""
        rng = f" {self.bounds()}" if self.bounds() and not self.choices else ""
        return f"{self.doc}{allowed}{rng} (default: {self.default!r})"


def param_field(default: Any, doc: str, **bounds: Any) -> Any:
    """A dataclass field that carries its schema entry (doc, bounds, choices) for :meth:`Schema.from_dataclass`."""
    from dataclasses import field

    return field(default=default, metadata={"doc": doc, **bounds})


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 2**63 else f"{x:g}"


class Schema(Mapping[str, Param]):
    """An ordered table of :class:`Param` by name, with whole-dict validation and command-line generation.

    ``label`` formats a parameter's name in error messages (e.g. ``"config key 'bs'"`` for GAN config keys)."""

    def __init__(self, params: Iterable[Param], *, label: Callable[[str], str] = str, what: str = "parameter"):
        self._params: Dict[str, Param] = {}
        for p in params:
            if p.name in self._params:
                raise ValueError(f"parameter {p.name!r} is declared twice")
            self._params[p.name] = p
        self.label = label
        self.what = what

    @classmethod
    def from_dataclass(cls, klass: type, **kw: Any) -> "Schema":
        """The schema of a dataclass whose fields carry ``metadata={"doc": ..., "low": ..., ...}`` (see
        :func:`param_field`); each field's type is its annotation."""
        import dataclasses
        import typing

        hints = typing.get_type_hints(klass)
        return cls([Param(f.name, hints[f.name], f.default, **dict(f.metadata)) for f in dataclasses.fields(klass)],
                   **kw)

    def __getitem__(self, name: str) -> Param:
        return self._params[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def unknown(self, name: str, context: str = "") -> TypeError:
        valid = ", ".join(self._params) or "none"
        return TypeError(f"unknown {self.what} {name!r}{context}; valid: {valid}")

    def check_one(self, name: str, value: Any) -> Any:
        if name not in self._params:
            raise self.unknown(name)
        return self._params[name].check(value, self.label(name))

    def check(self, values: Mapping[str, Any], context: str = "") -> Dict[str, Any]:
        """A checked, normalised copy of ``values`` (only the names given; see :meth:`defaults`). An unknown name
        is a TypeError naming it and listing the valid ones."""
        for name in values:
            if name not in self._params:
                raise self.unknown(name, context)
        return {name: self._params[name].check(value, self.label(name)) for name, value in values.items()}

    def parse(self, name: str, text: str) -> Any:
        if name not in self._params:
            raise self.unknown(name)
        return self._params[name].parse(text, self.label(name))

    def defaults(self) -> Dict[str, Any]:
        return {name: p.default for name, p in self._params.items()}

    def add_arguments(self, group: Any, *, dest_prefix: str, skip: Iterable[str] = ()) -> None:
        """One ``--name-with-dashes`` option per parameter on an argparse parser or group, typed by the schema
        (``--flag/--no-flag`` for booleans); an option not given is absent from the namespace (SUPPRESS), so only
        what the user typed reaches the estimator. ``dest`` is ``dest_prefix + name``."""
        skipped = set(skip)
        for p in self._params.values():
            if p.name in skipped:
                continue
            flag = "--" + p.name.replace("_", "-")
            text = p.help().replace("%", "%%")
            if p.type is bool:
                group.add_argument(flag, dest=dest_prefix + p.name, action=argparse.BooleanOptionalAction,
                                   default=argparse.SUPPRESS, help=text)
            else:
                group.add_argument(flag, dest=dest_prefix + p.name, type=_argparse_type(p, flag),
                                   default=argparse.SUPPRESS, metavar=p.type.__name__.upper(), help=text)


def _argparse_type(param: Param, flag: str) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            return param.parse(text, flag)
        except (TypeError, ValueError) as err:
            raise argparse.ArgumentTypeError(str(err)) from None

    parse.__name__ = param.type.__name__  # argparse names the type in its messages
    return parse


__all__ = ["Param", "Schema", "param_field"]
