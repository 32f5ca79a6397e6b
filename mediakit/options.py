"""Render options declared once: dataclass fields carry their help, type, choices and bounds, and the
command line, the batch manifest and option checking are all generated from them (cheap to import: no
numpy, no ffmpeg bindings, so `--help` stays quick)."""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from mediakit.errors import UsageError

# How a value is written on the command line and in a manifest, and what the dataclass holds:
# str, int, number (float), path (an absolute path string), pair (two floats: "0.5,0.4" or "2-6"),
# span (a start-end time pair: "2-6", "0:02-0:06.5"), flag (bool).
ValueType = Literal["str", "int", "number", "path", "pair", "span", "flag"]


@dataclass(frozen=True)
class Spec:
    """What one option is: its field name, how it is typed and bounded, and the words `--help` shows."""

    name: str
    type: ValueType
    help: str
    default: Any
    choices: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    min_open: bool = False  # the bound itself is refused (e.g. a crossfade of 0 s)
    unit: str = ""  # " s" for seconds, in refusals
    hint: str = ""  # the line that follows a refusal: what to choose instead
    default_text: str = ""  # `--help`'s default when the real one depends on the preset or the input
    metavar: str = ""
    batch: bool = True  # whether a batch manifest may set it (threads is set by the batch itself)

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


def option(
    default: Any,
    help: str,
    *,
    type: ValueType,
    choices: tuple[str, ...] = (),
    min: float | None = None,
    max: float | None = None,
    min_open: bool = False,
    unit: str = "",
    hint: str = "",
    default_text: str = "",
    metavar: str = "",
    batch: bool = True,
) -> Any:
    """A dataclass field that is a render option (see Spec)."""
    meta = {
        "type": type,
        "help": help,
        "choices": tuple(choices),
        "min": min,
        "max": max,
        "min_open": min_open,
        "unit": unit,
        "hint": hint,
        "default_text": default_text,
        "metavar": metavar,
        "batch": batch,
    }
    return dataclasses.field(default=default, metadata={"mediakit": meta})


def specs(cls: type[Any]) -> tuple[Spec, ...]:
    """The options of an options dataclass, in declaration order."""
    out = []
    for f in dataclasses.fields(cls):
        meta = f.metadata.get("mediakit")
        if meta is None:
            continue
        out.append(Spec(name=f.name, default=f.default, **meta))
    return tuple(out)


def spec(cls: type[Any], name: str) -> Spec | None:
    return next((s for s in specs(cls) if s.name == name), None)


_PAIR_TEXT = re.compile(r"^\s*(-?[\d.]+)\s*[,-]\s*(-?[\d.]+)\s*$")


def convert(s: Spec, value: Any, base: Path) -> Any:
    """A manifest (TOML) or command-line value as the dataclass holds it (ValueError says why not)."""
    if s.type == "str":
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {_type_name(value)}")
        return value
    if s.type == "path":
        if not isinstance(value, str) or not value:
            raise ValueError(f"expected a file path (string), got {_type_name(value)}")
        return os.path.abspath(base / Path(value).expanduser())
    if s.type == "flag":
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {_type_name(value)}")
        return value
    if s.type == "int":
        if isinstance(value, str) and value.strip().isdigit():  # the command line's "--fps 24"
            return int(value)
        # bool is an int subclass in Python, but `crf = true` is a mistake, not 1.
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected a whole number, got {_type_name(value)}")
        return value
    if s.type == "number":
        # A number option may also take words (--start auto): `choices` lists them.
        if isinstance(value, str) and s.choices:
            if value in s.choices:
                return value
            try:
                value = float(value)  # the command line's "--start 12.5"
            except ValueError:
                raise ValueError(f"expected a number or {' or '.join(s.choices)}, got {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"expected a number, got {_type_name(value)}")
        if not math.isfinite(value):
            raise ValueError(f"expected a number, got {value}")
        return float(value)
    if s.type == "span" and isinstance(value, str):
        from mediakit.captions.model import CaptionError
        from mediakit.captions.read import parse_at

        try:
            return parse_at(value)
        except CaptionError as exc:
            raise ValueError(exc.message) from None
    # pair: focus "0.5,0.4", or a two-number array (a span too: [2, 6])
    example = "2-6" if s.type == "span" else "0.5,0.4"
    if isinstance(value, str):
        match = _PAIR_TEXT.match(value)
        if not match:
            raise ValueError(f"expected two numbers such as {example}, got {value!r}")
        return (float(match[1]), float(match[2]))
    if (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        if s.type == "span" and value[1] <= value[0]:
            raise ValueError(f"{list(value)} ends before it starts")
        return (float(value[0]), float(value[1]))
    raise ValueError(f"expected two numbers, got {_type_name(value)}")


def _type_name(value: Any) -> str:
    names = {
        bool: "true/false",
        int: "a whole number",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "a table",
    }
    return next((n for t, n in names.items() if type(value) is t), type(value).__name__)


def check_value(s: Spec, value: Any) -> None:
    """Refuse a value outside the option's choices or bounds, in the option's own words (UsageError)."""
    if value is None:
        return
    worded = s.type == "number" and isinstance(value, int | float) and not isinstance(value, bool)
    if s.choices and value not in s.choices and not worded:
        name = s.name.replace("_", " ")
        raise UsageError(f"unknown {name} {value!r}", f"choose one of {', '.join(map(str, s.choices))}")
    if s.type in ("int", "number") and isinstance(value, str) and value not in s.choices:
        # A word one kind takes (a canvas's --start auto) given to a kind that does not (a batch's clip).
        raise UsageError(f"{s.flag} {value} is not a number here", s.hint or f"choose {_range(s)}")
    numeric = s.type in ("int", "number") and not isinstance(value, str)
    values = value if s.type in ("pair", "span") else (value,) if numeric else ()
    for v in values:
        if isinstance(v, float) and not math.isfinite(v):  # NaN passes every comparison: refuse it first
            raise UsageError(f"{s.flag} {_show(value)} is not a number", s.hint or f"choose {_range(s)}")
        if s.min is not None and s.min_open and v <= s.min:
            raise UsageError(f"{s.flag} {_show(value)} must be more than {s.min:g}{s.unit}", s.hint)
        if s.min == 0 and s.max is None and v < 0:
            raise UsageError(f"{s.flag} {_show(value)} is negative", s.hint)
        if (s.min is not None and v < s.min) or (s.max is not None and v > s.max):
            raise UsageError(
                f"{s.flag} {_show(value)} is outside {_range(s)}", s.hint or f"choose {_range(s)}"
            )


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(f"{v:g}" for v in value)
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def _range(s: Spec) -> str:
    if s.min is not None and s.max is not None:
        return f"{s.min}-{s.max}"  # 1.0-1.5 for a number, 0-51 for a whole number
    if s.min is not None:
        return f"{'more than' if s.min_open else 'at least'} {s.min:g}"
    if s.max is not None:
        return f"at most {s.max:g}"
    return "a number"


def check_fields(options: Any) -> None:
    """Every option of `options` against its declared choices and bounds (the first refusal is raised)."""
    for s in specs(type(options)):
        check_value(s, getattr(options, s.name))


def iter_set(options: Any) -> Iterator[tuple[str, Any]]:
    """(name, value) of the options that differ from their defaults."""
    for s in specs(type(options)):
        value = getattr(options, s.name)
        if value != s.default:
            yield s.name, value
