"""What we send to Stripe, checked against stripe-python's own request types.

The SDK ships its request parameters as TypedDicts generated from Stripe's API specification
(``stripe/params/``). :func:`unknown_keys` walks a request's parameters (as sent, or as the
stand-in decoded them) beside such a TypedDict and names every key the SDK does not know, at
any depth: a misspelt or retired parameter fails a test here rather than at Stripe.
"""

from __future__ import annotations

import re
import sys
import typing
from typing import Any

# The SDK builds its TypedDicts with typing_extensions, which typing.is_typeddict misses.
import typing_extensions


def _resolve(annotation: Any, module: str) -> Any:
    """A forward reference by name to the class it names in ``module``, else ``None``."""
    if isinstance(annotation, typing.ForwardRef):
        annotation = annotation.__forward_arg__
    if isinstance(annotation, str):
        if re.fullmatch(r"\w+", annotation):
            return getattr(sys.modules[module], annotation, None)
        return None  # "Literal['a', 'b']|str", "Dict[str, str]|...": a value, not a shape
    return annotation


def _shape(annotation: Any, module: str) -> tuple[str, Any]:
    """("dict", TypedDict) or ("list", inner annotation) or ("value", None)."""
    annotation = _resolve(annotation, module)
    origin = typing.get_origin(annotation)
    if origin in (typing_extensions.NotRequired, typing_extensions.Required):
        return _shape(typing.get_args(annotation)[0], module)
    if origin is list:
        return "list", typing.get_args(annotation)[0]
    if annotation is not None and typing_extensions.is_typeddict(annotation):
        return "dict", annotation
    return "value", None


def unknown_keys(params: dict[str, Any], typed_dict: type, path: str = "") -> list[str]:
    """Every key of ``params`` (recursively) that ``typed_dict`` does not declare."""
    module = typed_dict.__module__
    declared = typed_dict.__annotations__
    found = []
    for key, value in params.items():
        where = f"{path}[{key}]" if path else key
        if key not in declared:
            found.append(where)
            continue
        found += _unknown_in(value, declared[key], module, where)
    return found


def _unknown_in(value: Any, annotation: Any, module: str, where: str) -> list[str]:
    kind, inner = _shape(annotation, module)
    if kind == "dict" and isinstance(value, dict):
        return unknown_keys(value, inner, where)
    if kind == "list" and isinstance(value, list):
        found = []
        for index, item in enumerate(value):
            found += _unknown_in(item, inner, module, f"{where}[{index}]")
        return found
    return []
