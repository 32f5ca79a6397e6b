"""`mediakit presets`: list the bundled spec profiles and show one with its rules and sources."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import click

from mediakit.cli.output import emit_json, escape, stdout

if TYPE_CHECKING:
    from mediakit.preset import Preset


@click.group(
    help="List the spec profiles and show their rules.\n\n\b\nExamples:\n  mediakit presets list\n"
    "  mediakit presets show canvas\n  mediakit presets show ./my-profile.toml --json"
)
def presets() -> None:
    pass


def _seconds(value: float) -> str:
    return f"{value:g} s"


def _duration_range(p: Preset) -> str:
    """The first duration rule, short: '3-8 s', '3 < d < 30 s', '≤ 180 s', '≥ 5 s' or 'any'."""
    lo, hi, lo_in, hi_in = p.duration_limits()
    below, above = ("≤" if hi_in else "<"), ("≤" if lo_in else "<")
    if hi == float("inf"):
        return f"≥ {_seconds(lo)}" if lo else "any"
    if not lo:
        return f"{below} {_seconds(hi)}"
    if lo_in and hi_in:
        return f"{lo:g}-{_seconds(hi)}"
    return f"{lo:g} {above} d {below} {_seconds(hi)}"


def _audio(p: Preset) -> str:
    """'required', 'forbidden' or 'optional', from the preset's audio rules (their severity aside)."""
    present = {r.params["present"] for r in p.rules if r.check == "audio"}
    return "required" if True in present else "forbidden" if False in present else "optional"


_AUDIO_SHORT = {"required": "needed", "forbidden": "none", "optional": "any"}


def _summary(p: Preset) -> dict[str, Any]:
    lo, hi, lo_in, hi_in = p.duration_limits()
    return {
        "name": p.name,
        "aliases": list(p.aliases),
        "kind": p.kind,
        "title": p.title,
        "width": p.render.width,
        "height": p.render.height,
        "duration": {
            "min": lo,
            "max": hi if hi != float("inf") else None,
            "min_inclusive": lo_in,
            "max_inclusive": hi_in,
        },
        "audio": _audio(p),
        "chosen_for": list(p.chosen_for),
        "rules": len(p.rules),
        "description": p.description,
        "path": str(p.path),
    }


@presets.command("list", help="List the bundled presets: name, aliases, render kind, size, duration, audio.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_presets(as_json: bool) -> None:
    from rich.table import Table

    from mediakit.preset import builtin_names, resolve

    loaded = [resolve(name) for name in builtin_names()]
    if as_json:
        emit_json([_summary(p) for p in loaded])
        return
    # Names are what a user types: they never wrap or get cut. The title goes under the name (it may wrap),
    # so the table fits 80 columns.
    table = Table(box=None, pad_edge=False)
    table.add_column("name / title", min_width=max(len(p.name) for p in loaded))
    for column in ("aliases", "kind", "size", "duration", "audio"):
        table.add_column(column, no_wrap=True)
    for p in loaded:
        table.add_row(
            f"{p.name}\n[dim]{escape(p.title)}[/]",
            ", ".join(p.aliases),
            p.kind,
            f"{p.render.width}x{p.render.height}",
            _duration_range(p),
            _AUDIO_SHORT[_audio(p)],
        )
    stdout.print(table)


@presets.command("show", help="Show one preset: NAME (canvas, clip, spotify-canvas, ...) or a .toml path.")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show_preset(name: str, as_json: bool) -> None:
    from rich.table import Table

    from mediakit.preset import resolve

    p = resolve(name)
    if as_json:
        # Not dataclasses.asdict(p): it deep-copies each rule's read-only params (a mappingproxy) and fails.
        doc = {f.name: getattr(p, f.name) for f in dataclasses.fields(p)}
        doc["render"] = dataclasses.asdict(p.render)
        doc["aliases"], doc["chosen_for"] = list(p.aliases), list(p.chosen_for)
        doc["safe_zone"] = dataclasses.asdict(p.safe_zone) if p.safe_zone else None
        doc["captions"] = dataclasses.asdict(p.captions) if p.captions else None
        doc["rules"] = [
            {**{f.name: getattr(r, f.name) for f in dataclasses.fields(r)}, "params": dict(r.params)}
            for r in p.rules
        ]
        doc["path"] = str(p.path)
        emit_json(doc)
        return
    stdout.print(f"[bold]{escape(p.title)}[/] ({p.name}, kind {p.kind}) — {escape(p.description)}")
    if p.aliases or p.chosen_for:
        chosen = ", ".join(c.replace("-", " ") for c in p.chosen_for)
        stdout.print(
            (f"aliases: {', '.join(p.aliases)}" if p.aliases else "")
            + ("; " if p.aliases and chosen else "")
            + (f"chosen without --as for: {chosen}" if chosen else "")
        )
    r = p.render
    loud = f", audio at {r.loudness:g} LUFS / {r.true_peak:g} dBTP" if r.loudness is not None else ""
    stdout.print(
        f"renders {r.width}x{r.height} at {r.fps} fps, {r.duration:g} s by default, "
        f"x264 CRF {r.crf} preset {r.x264_preset}, {'with' if r.audio else 'no'} audio{loud}"
        + (f", fit: {', '.join(r.fits)}" if r.fits else "")
    )
    # Rule ids are what --json and a script match on: shown whole; values and sources wrap.
    table = Table(box=None, pad_edge=False)
    for column in ("rule", "severity", "check"):
        table.add_column(column, no_wrap=True)
    table.add_column("values", ratio=1)
    table.add_column("source", ratio=1)
    for rule in p.rules:
        values = ", ".join(f"{k}={v}" for k, v in rule.params.items())
        table.add_row(
            rule.id,
            rule.severity,
            rule.check + (" (deep)" if rule.deep else ""),
            escape(values),
            escape(rule.source),
        )
    stdout.print(table)
    if p.safe_zone:
        z = p.safe_zone
        stdout.print(
            f"safe zone: top {z.top:.0%}, bottom {z.bottom:.0%}, left {z.left:.0%}, right {z.right:.0%}"
            f"{' (an estimate)' if z.estimate else ''} — {escape(z.source)}"
        )
    if p.captions:
        c = p.captions
        stdout.print(
            f"captions: at most {c.max_lines} lines of {c.max_chars_per_line} characters, "
            f"{c.max_chars_per_second:g} characters a second, {c.min_duration:g} s on screen — "
            f"{escape(c.source)}"
        )
