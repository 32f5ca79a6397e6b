"""click options generated from the kinds' options dataclasses (mediakit.options), so the canvas, clip
and batch commands and the batch manifest cannot drift apart."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click

from mediakit.options import Spec, convert, specs


def _pair(s: Spec) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def parse(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is None:
            return None
        try:
            return convert(s, value, Path.cwd())
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None

    return parse


def _default_text(s: Spec) -> str:
    if s.default_text:
        return s.default_text
    if s.default is None or s.type == "flag":
        return ""
    if isinstance(s.default, tuple):
        return ",".join(f"{v:g}" for v in s.default)
    return f"{s.default:g}" if isinstance(s.default, float) else str(s.default)


def click_option(s: Spec, tag: str = "", show_default: bool = True) -> Callable[[Any], Any]:
    """One option. Its click default is None, so an unset option keeps the dataclass's (or the preset's)
    default; the help shows that default."""
    kwargs: dict[str, Any] = {"default": None}
    if s.choices and s.type == "number":  # a number or a word (--start auto)
        kwargs["callback"] = _pair(s)
    elif s.choices:
        kwargs["type"] = click.Choice([str(c) for c in s.choices])
    elif s.type == "int":
        kwargs["type"] = int
    elif s.type == "number":
        kwargs["type"] = float
    elif s.type == "path":
        kwargs["type"] = click.Path(dir_okay=False, path_type=str)
    elif s.type in ("pair", "span"):
        kwargs["callback"] = _pair(s)
    elif s.type == "flag":
        kwargs.update(is_flag=True, default=None)
    if s.metavar:
        kwargs["metavar"] = s.metavar
    shown = _default_text(s) if show_default else ""
    text = s.help + (f"  [default: {shown}]" if shown else "") + (f" {tag}" if tag else "")
    return click.option(s.flag, s.name, help=text, **kwargs)


def render_options(classes: Iterable[tuple[str, type[Any]]], tagged: bool = False) -> Callable[[Any], Any]:
    """Every option of the given (kind, options class) pairs, each once; with `tagged`, the help says which
    kinds take it (batch: `[canvas, clip]`) and shows no default (each kind has its own)."""
    classes = list(classes)
    seen: dict[str, tuple[Spec, list[str]]] = {}
    for kind, cls in classes:
        for s in specs(cls):
            if not s.batch:  # runtime-only (threads): set by mediakit itself
                continue
            if s.name in seen:
                seen[s.name][1].append(kind)
            else:
                seen[s.name] = (s, [kind])

    def decorate(f: Any) -> Any:
        for s, owners in reversed(list(seen.values())):
            tag = f"[{', '.join(owners)}]" if tagged else ""
            f = click_option(s, tag, show_default=not tagged)(f)
        return f

    return decorate


def given(cls: type[Any], values: dict[str, Any]) -> dict[str, Any]:
    """The values of `cls`'s options that were given on the command line, as the dataclass holds them."""
    out = {}
    for s in specs(cls):
        value = values.get(s.name)
        if value is None:
            continue
        if s.type == "int" and isinstance(value, str):
            value = int(value)
        out[s.name] = value
    return out
