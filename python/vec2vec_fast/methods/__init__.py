"""The alignment methods behind ``Aligner(method=...)``, by name.

Adding a method is one module (a :class:`~vec2vec_fast.methods.base.Method` subclass) plus one line in
``_BUILTIN`` below; a method defined elsewhere (a plugin, a test) joins with :func:`register`.
"""

from __future__ import annotations

from typing import Dict, Tuple, Type

from .base import FitResult, FittedMap, Method
from .gan import GanMethod
from .mini import MiniMethod
from .mini_ot import MiniOTMethod
from .procrustes import ProcrustesMethod

_BUILTIN: Tuple[Type[Method], ...] = (MiniOTMethod, MiniMethod, ProcrustesMethod, GanMethod)
_REGISTRY: Dict[str, Type[Method]] = {m.name: m for m in _BUILTIN}
DEFAULT = "mini-ot"


def register(method: Type[Method], *, replace: bool = False) -> Type[Method]:
    """Make ``method`` available as ``Aligner(method.name)``, in saved models and on the command line. Usable as a
    class decorator."""
    if not (isinstance(method, type) and issubclass(method, Method)):
        raise TypeError(f"register expects a Method subclass, got {method!r}")
    if method.name in _REGISTRY and _REGISTRY[method.name] is not method and not replace:
        raise ValueError(f"a method named {method.name!r} is already registered; pass replace=True to replace it")
    _REGISTRY[method.name] = method
    return method


def unregister(name: str) -> None:
    """Remove a method added with :func:`register` (the built-in ones stay)."""
    if name in {m.name for m in _BUILTIN}:
        raise ValueError(f"{name!r} is a built-in method")
    _REGISTRY.pop(name, None)


def names() -> Tuple[str, ...]:
    return tuple(_REGISTRY)


def get(name: object) -> Type[Method]:
    """The method class called ``name``; ValueError naming the valid ones otherwise."""
    if not isinstance(name, str) or name not in _REGISTRY:
        raise ValueError(f"method must be one of {names()}, got {name!r}")
    return _REGISTRY[name]


__all__ = ["DEFAULT", "FitResult", "FittedMap", "Method", "get", "names", "register", "unregister"]
