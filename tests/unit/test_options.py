"""Options are declared once: the canvas, clip and batch commands and the batch manifest all take exactly
the fields of the kinds' options dataclasses, with the same types, choices and bounds."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click
import pytest

from mediakit import kinds
from mediakit.batch.jobs import KIND_KEYS, KINDS, build_options, options_class
from mediakit.cli.main import cli
from mediakit.errors import UsageError
from mediakit.options import check_fields, convert, spec, specs

# Options of the commands that are not render options of a kind.
COMMAND_ONLY = {
    "canvas": {"output", "preset", "draft", "overwrite", "dry_run", "as_json", "quiet", "source", "help"},
    "batch": {
        "src", "out", "kind", "preset", "include", "exclude", "workers", "cluster", "force", "as_json",
        "quiet", "help",
    },
}  # fmt: skip
COMMAND_ONLY["clip"] = COMMAND_ONLY["canvas"]


def _params(name: str) -> dict[str, click.Parameter]:
    command = cli.get_command(click.Context(cli), name)
    assert command is not None
    return {p.name: p for p in command.params if p.name}


def _render_specs(kind: str) -> dict[str, object]:
    return {s.name: s for s in specs(kinds.get(kind).options) if s.batch}


@pytest.mark.parametrize("kind", kinds.names())
def test_every_field_of_an_options_class_is_a_declared_option(kind):
    cls = kinds.get(kind).options
    declared = {s.name for s in specs(cls)}
    assert declared == {f.name for f in dataclasses.fields(cls)}


@pytest.mark.parametrize("kind", kinds.names())
def test_a_render_command_takes_exactly_its_kinds_options(kind):
    params = _params(kind)
    assert set(params) - COMMAND_ONLY[kind] == set(_render_specs(kind))
    for name, s in _render_specs(kind).items():
        param = params[name]
        if s.choices and s.type == "number":  # a number or a word (--start auto): parsed by convert
            assert param.callback is not None, name
        elif s.choices:
            assert isinstance(param.type, click.Choice)
            assert list(param.type.choices) == [str(c) for c in s.choices], name
        assert param.default is None, f"--{name}: unset must mean the kind's (or preset's) default"


def test_batch_takes_every_kinds_options_and_the_manifest_the_same_keys():
    params = _params("batch")
    # the render kinds' options, and those of batch's `fix` kind (mediakit fix on each file)
    batch_specs = {k: {s.name: s for s in specs(options_class(k)) if s.batch} for k in KINDS}
    union = set().union(*batch_specs.values())
    assert set(params) - COMMAND_ONLY["batch"] == union
    for kind in KINDS:
        assert set(KIND_KEYS[kind]) == set(batch_specs[kind])
    assert "threads" not in union  # the batch sets it from the core count


def test_a_shared_option_is_one_declaration_in_every_kind():
    # zoom's default differs by kind; its type, choices and bounds do not.
    # --start also takes "auto" for a canvas (the loop search) and only there: same type and bounds.
    for name in set(_render_specs("canvas")) & set(_render_specs("clip")):
        a, b = spec(kinds.get("canvas").options, name), spec(kinds.get("clip").options, name)
        if name == "start":
            assert (a.type, a.min, a.max, a.choices, b.choices) == (b.type, b.min, b.max, ("auto",), ())
            continue
        assert (a.type, a.choices, a.min, a.max, a.help) == (b.type, b.choices, b.min, b.max, b.help), name
    for name in {s.name for s in specs(options_class("fix"))} & set(_render_specs("canvas")):
        a, b = spec(kinds.get("canvas").options, name), spec(options_class("fix"), name)
        if name == "start":
            assert (a.type, a.min, a.max) == (b.type, b.min, b.max)
            continue
        assert a == b, name  # batch --fit/--focus mean the same for a fix


@pytest.mark.parametrize(
    ("kind", "values", "message"),
    [
        ("canvas", {"zoom": 2.0}, "--zoom 2 is outside 1.0-1.5"),
        ("canvas", {"crossfade": 0.0}, "--crossfade 0 must be more than 0 s"),
        ("canvas", {"start": -1.0}, "--start -1 is negative"),
        ("canvas", {"focus": (0.5, 1.5)}, "--focus 0.5,1.5 is outside 0.0-1.0"),
        ("canvas", {"motion": "spin"}, "unknown motion 'spin'"),
        ("clip", {"mix": 1.5}, "--mix 1.5 is outside 0.0-1.0"),
        ("clip", {"crf": 60}, "--crf 60 is outside 0-51"),
        ("clip", {"caption_style": "neon"}, "unknown caption style 'neon'"),
    ],
)
def test_bounds_and_choices_come_from_the_declaration(kind, values, message):
    options = kinds.get(kind).options(**values)
    with pytest.raises(UsageError) as err:
        check_fields(options)
    assert message in err.value.message


def test_start_auto_is_a_canvas_word_and_a_number_elsewhere(tmp_path: Path):
    canvas_start = spec(kinds.get("canvas").options, "start")
    assert convert(canvas_start, "auto", tmp_path) == "auto"  # a manifest's start = "auto", --start auto
    assert convert(canvas_start, "12.5", tmp_path) == 12.5  # the command line's string
    assert convert(canvas_start, 3, tmp_path) == 3.0
    with pytest.raises(ValueError, match="expected a number or auto"):
        convert(canvas_start, "soon", tmp_path)
    check_fields(kinds.get("canvas").options(start="auto"))
    with pytest.raises(UsageError, match="--start -1 is negative"):
        check_fields(kinds.get("canvas").options(start=-1.0))
    # A batch converts --start once for every kind; a clip (or a fix) refuses the canvas's word.
    options, problems = build_options("clip", {"start": "auto"}, tmp_path)
    assert options is None and problems and "not a number" in problems[0].message
    options, problems = build_options("canvas", {"start": "auto", "loop": "cut"}, tmp_path)
    assert problems == [] and options == kinds.get("canvas").options(start="auto", loop="cut")


def test_the_manifest_reads_values_as_the_command_line_does(tmp_path: Path):
    at = spec(kinds.get("clip").options, "at")
    assert convert(at, "0:02-0:06.5", tmp_path) == (2.0, 6.5)
    assert convert(at, [2, 6], tmp_path) == (2.0, 6.0)
    with pytest.raises(ValueError, match="ends before it starts"):
        convert(at, [6, 2], tmp_path)
    options, problems = build_options("clip", {"text": "hi", "at": "2-6", "crf": 18}, tmp_path)
    assert problems == [] and options == kinds.get("clip").options(text="hi", at=(2.0, 6.0), crf=18)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_a_non_finite_number_is_refused_not_rendered(value, tmp_path: Path):
    # NaN passes every comparison, so a bound alone would let it through to the renderer.
    with pytest.raises(UsageError, match="is not a number"):
        check_fields(kinds.get("canvas").options(zoom=value))
    with pytest.raises(UsageError, match="is not a number"):
        check_fields(kinds.get("clip").options(audio_start=value))
    with pytest.raises(ValueError, match="expected a number"):
        convert(spec(kinds.get("canvas").options, "start"), value, tmp_path)
