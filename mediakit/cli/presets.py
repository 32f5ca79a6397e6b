"""`mediakit presets`: list the bundled spec profiles and show one with its rules and sources."""

from __future__ import annotations

import dataclasses

import click

from mediakit.cli.output import emit_json, escape, stdout


@click.group(
    help="List the spec profiles and show their rules.\n\n\b\nExamples:\n  mediakit presets list\n"
    "  mediakit presets show canvas\n  mediakit presets show ./my-profile.toml --json"
)
def presets() -> None:
    pass


@presets.command("list", help="List the bundled presets.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_presets(as_json: bool) -> None:
    from rich.table import Table

    from mediakit.preset import builtin_names, resolve

    loaded = [resolve(name) for name in builtin_names()]
    if as_json:
        emit_json(
            [
                {"name": p.name, "kind": p.kind, "title": p.title, "rules": len(p.rules), "path": str(p.path)}
                for p in loaded
            ]
        )
        return
    table = Table("name", "kind", "title", "rules", "description", box=None)
    for p in loaded:
        table.add_row(p.name, p.kind, p.title, str(len(p.rules)), escape(p.description))
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
        doc["safe_zone"] = dataclasses.asdict(p.safe_zone) if p.safe_zone else None
        doc["captions"] = dataclasses.asdict(p.captions) if p.captions else None
        doc["rules"] = [
            {**{f.name: getattr(r, f.name) for f in dataclasses.fields(r)}, "params": dict(r.params)}
            for r in p.rules
        ]
        doc["path"] = str(p.path)
        emit_json(doc)
        return
    stdout.print(f"[bold]{p.title}[/] ({p.name}, {p.kind}) — {escape(p.description)}")
    r = p.render
    stdout.print(
        f"renders {r.width}x{r.height} at {r.fps} fps, {r.duration:g} s by default, "
        f"x264 CRF {r.crf} preset {r.x264_preset}"
    )
    table = Table("rule", "severity", "check", "values", "source", box=None)
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
