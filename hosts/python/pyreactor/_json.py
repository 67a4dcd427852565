"""JSON text to and from Python values, with integers of any size exact.

Python's ints are exact at any size, but since 3.11 the int <-> str
conversion refuses more than 4300 digits (sys.get_int_max_str_digits), and
json goes through it. Setting that limit is process-wide, so it is not
touched: the rare text or value past it takes a slower path through
decimal, whose conversions have no such limit.
"""

from __future__ import annotations

import decimal
import json
from typing import Any, List, Set


def _parse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse_int(text: str) -> int:
    return int(decimal.Decimal(text)) if len(text) > 4000 else int(text)


# Made once: json.loads/dumps with options build a new one per call.
_decoder = json.JSONDecoder(parse_constant=_parse_constant)
_big_decoder = json.JSONDecoder(parse_constant=_parse_constant, parse_int=_parse_int)
_encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _digit_limit(e: ValueError) -> bool:
    return "integer string conversion" in str(e)


def loads(text: str) -> Any:
    """Decodes JSON text (no NaN or Infinity: they are not JSON)."""
    try:
        return _decoder.decode(text)
    except ValueError as e:
        if not _digit_limit(e):
            raise
    return _big_decoder.decode(text)


def dumps(value: Any) -> str:
    """Encodes a value as compact JSON, UTF-8 characters unescaped; NaN and
    infinities are refused (ValueError), other types too (TypeError)."""
    try:
        return _encoder.encode(value)
    except ValueError as e:
        if not _digit_limit(e):
            raise
    out: List[str] = []
    _encode(value, out, set())
    return "".join(out)


def _int_text(n: int) -> str:
    return str(decimal.Decimal(n))


def _key(k: Any) -> str:
    # json.dumps's own rules for keys that are not strings.
    if isinstance(k, str):
        return k
    if k is True or k is False or k is None:
        return json.dumps(k)
    if isinstance(k, int):
        return _int_text(k)
    if isinstance(k, float):
        return json.dumps(k, allow_nan=False)
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(k).__name__}")


def _encode(v: Any, out: List[str], seen: Set[int]) -> None:
    if isinstance(v, int) and not isinstance(v, bool):
        out.append(_int_text(v))
    elif v is None or isinstance(v, (str, bool, float)):
        out.append(json.dumps(v, ensure_ascii=False, allow_nan=False))
    elif isinstance(v, (list, tuple, dict)):
        if id(v) in seen:
            raise ValueError("Circular reference detected")
        seen.add(id(v))
        if isinstance(v, dict):
            out.append("{")
            for i, (k, item) in enumerate(v.items()):
                out.append("," if i else "")
                out.append(json.dumps(_key(k), ensure_ascii=False))
                out.append(":")
                _encode(item, out, seen)
            out.append("}")
        else:
            out.append("[")
            for i, item in enumerate(v):
                out.append("," if i else "")
                _encode(item, out, seen)
            out.append("]")
        seen.discard(id(v))
    else:
        raise TypeError(f"Object of type {type(v).__name__} is not JSON serializable")
