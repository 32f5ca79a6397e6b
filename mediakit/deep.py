"""Deep checks (`validate --deep`): one reduced decode pass and one loudness pass, judged by deep rules."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from mediakit.analysis import flash
from mediakit.analysis.cuts import cuts_per_window
from mediakit.analysis.loop import STEP_FLOOR, LoopReport, stall_cadence
from mediakit.analysis.loudness import OutputLoudness, output_loudness
from mediakit.analysis.video import VideoMeasures, VideoNeeds, measure_video
from mediakit.errors import FFmpegFailed
from mediakit.inputs import display
from mediakit.preset import RENDER_RATES, Preset, Rule
from mediakit.probe import MediaInfo
from mediakit.report import Finding

log = logging.getLogger(__name__)

_VIDEO_CHECKS = {"flashing", "extended-flash", "cut-rate", "loop-seam", "blur", "black-frozen"}
_AUDIO_CHECKS = {"audio-level", "loudness"}
# Frame rates footage is shot or delivered at: a repeat cadence is a frame-rate conversion only when it
# turns one of these into another (24 -> 25 repeats every 25 frames, 25 -> 30 every 6, 24 -> 30 every 5,
# 30 -> 60 every 2); any other period is a pattern of the content, not a conversion.
_COMMON_RATES = (23.976, 24.0, 25.0, 29.97, 30.0, 48.0, 50.0, 59.94, 60.0)
# How near a rate counts as that rate (23.976 -> 30 fps with a 5-frame period computes as 24.0).
_RATE_TOLERANCE = 0.01


@dataclass(frozen=True)
class Measures:
    info: MediaInfo
    preset: Preset
    video: VideoMeasures | None
    loudness: OutputLoudness | None
    loudness_error: str | None


Evaluator = Callable[[Rule, Measures], list[Finding]]
_EVALUATORS: dict[str, Evaluator] = {}


def _evaluator(name: str) -> Callable[[Evaluator], Evaluator]:
    def register(fn: Evaluator) -> Evaluator:
        _EVALUATORS[name] = fn
        return fn

    return register


def deep_checks() -> frozenset[str]:
    """The deep check kinds this module can judge (a test holds it equal to the deep kinds in CHECKS)."""
    return frozenset(_EVALUATORS)


def deep_check(info: MediaInfo, preset: Preset, ffmpeg_bin: str | None = None) -> tuple[Finding, ...]:
    """Every deep rule of `preset` that `info`'s decoded frames or audio break, each with its time range."""
    rules = [r for r in preset.rules if r.deep]
    if info.kind not in preset.accepts or not rules:
        return ()
    unknown = sorted({r.check for r in rules} - set(_EVALUATORS))
    if unknown:
        raise ValueError(f"no deep check for {', '.join(unknown)}")
    audio_rules = [r for r in rules if r.check in _AUDIO_CHECKS]
    video_rules = [r for r in rules if r.check in _VIDEO_CHECKS]
    loudness: OutputLoudness | None = None
    error: str | None = None
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending: Future[OutputLoudness] | None = None
        if audio_rules and info.audio:
            from mediakit.ffmpeg.binary import ffmpeg_path

            # ffmpeg measures the audio in its own process while this one decodes the video.
            pending = pool.submit(output_loudness, info.path, ffmpeg_path(ffmpeg_bin))
        video = measure_video(info, _needs(video_rules)) if video_rules and info.kind == "video" else None
        if pending is not None:
            try:
                loudness = pending.result()
            except FFmpegFailed as exc:
                error = exc.message
    measures = Measures(info, preset, video, loudness, error)
    findings: list[Finding] = []
    for rule in rules:
        findings.extend(_EVALUATORS[rule.check](rule, measures))
    return tuple(findings)


def _needs(rules: list[Rule]) -> VideoNeeds:
    checks = {r.check for r in rules}
    return VideoNeeds(
        flashes=bool(checks & {"flashing", "extended-flash"}),
        cuts="cut-rate" in checks,
        loop="loop-seam" in checks,
        sharpness="blur" in checks,
        stillness=tuple(_levels(r) for r in rules if r.check == "black-frozen"),
    )


def _levels(rule: Rule) -> tuple[float, float]:
    return (rule.params["black_level"], rule.params["freeze_level"])


# --- judging ----------------------------------------------------------------------------------------------


def _finding(
    rule: Rule,
    observed: str,
    expected: str,
    message: str,
    hint: str,
    severity: str | None = None,
    fix: dict[str, Any] | None = None,
) -> Finding:
    return Finding(rule.id, severity or rule.severity, observed, expected, message, hint, rule.source, fix)


def _t(seconds: float) -> str:
    text = f"{seconds:.2f}"
    return text[:-1] if text.endswith("0") else text


def _span(start: float, end: float) -> str:
    return f"{_t(start)}-{_t(end)} s"


def _spans(starts: np.ndarray, length: float, end: float, limit: int = 3) -> str:
    """Merged [start, start + length] intervals, as text: '0.0-2.5 s, 3.0-4.0 s and 2 more'."""
    merged: list[list[float]] = []
    for s in np.sort(starts):
        e = min(float(s) + length, end)
        if merged and s <= merged[-1][1] + 1e-6:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([float(s), e])
    text = ", ".join(_span(a, b) for a, b in merged[:limit])
    return text + (f" and {len(merged) - limit} more" if len(merged) > limit else "")


def _audio_span(m: Measures) -> str:
    length = next((a.duration for a in m.info.audio if a.duration), None) or m.info.duration
    return _span(0.0, float(length)) if length else "the whole file"


@_evaluator("flashing")
def _flashing(rule: Rule, m: Measures) -> list[Finding]:
    p, v = rule.params, m.video
    if v is None or v.blocks is None:
        return []
    general, reds = flash.general_and_red(
        v.times, v.blocks, p["luminance_change"], p["dark_threshold"], p["min_area"]
    )
    limit = p["max_flashes_per_second"]
    # A flash is a pair of opposing transitions, and "more than 3 flashes" is more than 6 transitions: a
    # seventh that starts a fourth flash already fails (WCAG 2.3.1, BT.1702, and IRIS count it so).
    most = 2 * limit
    over = (general.transitions > most) | (reds.transitions > most)
    if not over.any():
        return []
    # Name the worse kind; a red strobe is usually a general one too.
    red_worst = reds.transitions.max() >= general.transitions.max() and reds.transitions.max() > most
    worst = reds if red_worst else general
    kind = "red " if red_worst else ""
    i = int(np.argmax(worst.transitions))
    n, start = int(worst.transitions[i]), float(v.times[worst.first[i]])
    most_red = int(reds.transitions.max())
    red_note = f" ({most_red / 2:g} a second saturated red)" if not red_worst and most_red > 1 else ""
    area = f"{p['min_area']:.0%}"
    failing = _spans(v.times[worst.first[over]], flash.WINDOW, v.end)
    return [
        _finding(
            rule,
            f"{n / 2:g} {kind}flashes in 1 s",
            f"≤ {limit} flashes ({most} opposing transitions) in any 1 s over ≥ {area} of the screen",
            f"{n / 2:g} {kind}flashes ({n} opposing transitions) in 1 s at "
            f"{_span(start, min(start + flash.WINDOW, v.end))} over {worst.area[i]:.0%} of the screen"
            f"{red_note}; more than {limit} a second in {failing}",
            f"slow the flashing to {limit} a second or less, shrink it to under {area} of the frame, or "
            f"lower its contrast{' and avoid saturated red' if most_red > most else ''} (WCAG 2.3.1)",
        )
    ]


@_evaluator("extended-flash")
def _extended_flash(rule: Rule, m: Measures) -> list[Finding]:
    p, v = rule.params, m.video
    if v is None or v.blocks is None:
        return []
    counted = flash.general_and_red(
        v.times, v.blocks, p["luminance_change"], p["dark_threshold"], p["min_area"]
    )
    low, high = p["min_flashes_per_second"], p["max_flashes_per_second"]
    window, seconds = p["window"], p["seconds"]
    # IRIS's extended failure: seconds at 2-3 flashes a second (4-6 transitions in the second up to them),
    # at least `seconds` of any `window`. Faster flashing is the flashing rule's failure and not counted.
    found = []
    for kind, counts in zip(("", "red "), counted, strict=True):
        active = (counts.transitions >= 2 * low) & (counts.transitions <= 2 * high)
        held = flash.sustained(v.times, active, window, v.end)
        hit = active & (held >= seconds - 1e-6)
        if hit.any():
            found.append((float(held.max()), kind, hit))
    if not found:
        return []
    longest, kind, hit = max(found, key=lambda f: f[0])
    starts = v.times[flash.window_starts(v.times, window)]
    i = int(np.argmax(hit))  # the first moment it fails, and the window up to it
    until = float(v.times[i]) + (v.end - float(v.times[-1]))
    return [
        _finding(
            rule,
            f"{longest:.1f} s of {window:g} s at {low}-{high} {kind}flashes a second",
            f"under {seconds:g} s of any {window:g} s at {low} or more flashes a second",
            f"{kind}flashing at {low}-{high} flashes a second ({2 * low}-{2 * high} opposing transitions) is "
            f"sustained for {seconds:g} s of the {window:g} s at {_span(float(starts[i]), until)}"
            f"; sustained in {_spans(starts[hit], window, v.end)}",
            f"flash fewer than {low} times a second, or break the flashing up with pauses "
            f"(sustained flashing is a risk even at {high} a second or less: ITU-R BT.1702, Ofcom)",
        )
    ]


@_evaluator("cut-rate")
def _cut_rate(rule: Rule, m: Measures) -> list[Finding]:
    if m.video is None or not m.video.cuts:
        return []
    v, cuts, window, limit = m.video, m.video.cuts, rule.params["window"], rule.params["max_cuts_per_second"]
    starts = v.times[v.times + window <= v.end + 1e-6]
    span = window
    if starts.size == 0 or window <= 0:  # shorter than one window: judge the whole video
        starts, span = v.times[:1], v.end
    rates = cuts_per_window(cuts, starts, window) / span
    over = rates > limit + 1e-9
    if not over.any():
        return []
    i = int(np.argmax(rates))
    count = round(rates[i] * span)
    hint = "join shots with dissolves instead of hard cuts"
    if limit > 0:
        hint = f"hold each shot for at least {1 / limit:g} s, or {hint}"
    return [
        _finding(
            rule,
            f"{rates[i]:.1f} cuts/s",
            f"≤ {limit:g} cuts/s over any {window:g} s",
            f"{count} cuts in {span:g} s at {_span(float(starts[i]), min(float(starts[i]) + span, v.end))} "
            f"(more than {limit:g} a second); rapid cutting in {_spans(starts[over], span, v.end)}",
            hint,
        )
    ]


@_evaluator("loop-seam")
def _loop_seam(rule: Rule, m: Measures) -> list[Finding]:
    if m.video is None or m.video.loop is None:
        return []
    report, times = m.video.loop, m.video.loop_times
    limit = rule.params["max_seam"]
    found = []
    if report.seam > limit:
        wrap = f"from the last frame ({times[-1]:.2f} s) back to the first (0.00 s)"
        # "Barely moves" only when even its larger steps are noise: a picture held between swaps has a
        # median step of 0 but changes at every swap.
        larger = float(np.percentile(report.steps[1:], 95))
        if max(report.step_median, report.local_median, larger) < STEP_FLOOR:
            # The ratio is against the floor, not the clip's own (noise-level) steps: say it in levels.
            message = (
                f"the picture barely moves (frame steps under {STEP_FLOOR:g} of 255 levels), but the loop "
                f"jumps {wrap}: a change of {report.seam_diff:.1f} levels, {report.seam:.1f} times the "
                "smallest visible step"
            )
        else:
            message = (
                f"the loop jumps {wrap}: {report.seam:.1f} times an ordinary frame step (a hard-cut loop "
                "shows this when the footage ends far from where it starts)"
            )
        found.append(
            _finding(
                rule,
                f"seam {report.seam:.1f}x a frame step",
                f"≤ {limit:g}x",
                message,
                "re-render it from the footage so the end meets the start: "
                f"{m.preset.command('SOURCE', '--loop', 'pingpong')} (or --loop crossfade)",
            )
        )
    if report.stalls:
        found.append(_stall_finding(rule, m, report, times))
    return found


def conversion_rate(fps: float, period: int | None) -> float | None:
    """The source rate a repeat every ``period`` frames at ``fps`` raised, when both are common rates."""
    if period is None or period < 2:
        return None
    # One repeat every `period` frames: (period - 1) source frames stretched over `period` shown ones.
    source = fps * (period - 1) / period
    common = all(any(abs(r - c) <= _RATE_TOLERANCE * c for c in _COMMON_RATES) for r in (fps, source))
    return source if common else None


def _stall_finding(rule: Rule, m: Measures, report: LoopReport, times: list[float]) -> Finding:
    stalls = report.stalls
    at = [("the wrap" if i == 0 else f"{times[i]:.2f} s") for i in stalls]
    shown = ", ".join(at[:5]) + (f" and {len(at) - 5} more" if len(at) > 5 else "")
    observed, expected = f"{len(at)} stall(s)", "no repeated frame inside motion"
    period = stall_cadence(stalls, report.steps)
    video = m.info.primary_video
    fps = float(video.avg_rate) if video is not None and video.avg_rate else 0.0
    source_fps = conversion_rate(fps, period)
    if source_fps is not None:
        own = round(source_fps)
        hint = (
            "render the footage at its own rate, not by repeating frames: "
            f"{m.preset.command('SOURCE', '--fps', str(own))}"
            if own in RENDER_RATES
            else "render the footage at its own frame rate, not by repeating frames"
        )
        return _finding(
            rule,
            observed,
            expected,
            f"a frame repeats every {period} frames (at {shown}): footage of about {source_fps:.3g} fps "
            f"was raised to {fps:.3g} fps by repeating frames, so the motion judders",
            hint,
            severity="warning",
        )
    return _finding(
        rule,
        observed,
        expected,
        f"the motion stalls on a repeated frame at {shown}, which may be the footage's own repeat (the "
        "file cannot show whether)",
        "if the footage does not repeat a frame there, re-render from it: "
        f"{m.preset.command('SOURCE', '--loop', 'pingpong')} (its turnaround never shows a frame twice); "
        "if it does, replace that frame",
        severity="warning",
    )


@_evaluator("blur")
def _blur(rule: Rule, m: Measures) -> list[Finding]:
    if m.video is None or not m.video.sharpness:
        return []
    limit = rule.params["min_sharpness"]
    times = np.array([t for t, _ in m.video.sharpness])
    scores = np.array([s for _, s in m.video.sharpness])
    median = float(np.median(scores))
    if median >= limit:
        return []
    soft = scores < limit
    length = float(np.median(np.diff(times))) if times.size > 1 else m.video.end
    return [
        _finding(
            rule,
            f"sharpness {median:.2f}",
            f"≥ {limit:g}",
            f"the picture is soft: sharpness {median:.2f} (median of {scores.size} frames) in "
            f"{_spans(times[soft], length, m.video.end)}",
            "use a sharper or higher-resolution source, check the focus, and avoid upscaling",
        )
    ]


@_evaluator("audio-level")
def _audio_level(rule: Rule, m: Measures) -> list[Finding]:
    if m.loudness_error:
        return [
            _finding(
                rule,
                "not measurable",
                "audible audio",
                f"the audio could not be measured: {m.loudness_error}",
                "export or download the file again",
            )
        ]
    limit = rule.params["silence_lufs"]
    if m.loudness is None or m.loudness.integrated >= limit:
        return []
    return [
        _finding(
            rule,
            f"{m.loudness.integrated:.1f} LUFS",
            f"≥ {limit:g} LUFS",
            f"the audio is silent: {m.loudness.integrated:.1f} LUFS integrated over {_audio_span(m)}",
            f"add a track: {m.preset.command(display(m.info.path.name), '--audio', 'song.wav')}",
            fix={"action": "add-audio"},
        )
    ]


@_evaluator("loudness")
def _loudness(rule: Rule, m: Measures) -> list[Finding]:
    got = m.loudness
    silence = [r.params["silence_lufs"] for r in m.preset.rules if r.check == "audio-level"]
    # Silent audio is the audio-level rule's finding; its loudness would only repeat it.
    if got is None or (silence and got.integrated < max(silence)):
        return []
    p = rule.params
    target, tol, peak_limit = p["target"], p["tolerance"], p["max_true_peak"]
    problems = []
    if abs(got.integrated - target) > tol:
        side = "below" if got.integrated < target else "above"
        off = abs(got.integrated - target)
        problems.append(
            f"{got.integrated:.1f} LUFS integrated is {off:.1f} LU {side} the {target:g} LUFS target "
            f"(±{tol:g})"
        )
    if got.true_peak > peak_limit:
        problems.append(f"the true peak of {got.true_peak:.1f} dBTP is over {peak_limit:g} dBTP")
    if not problems:
        return []
    return [
        _finding(
            rule,
            f"{got.integrated:.1f} LUFS, {got.true_peak:.1f} dBTP",
            f"{target:g} ± {tol:g} LUFS, ≤ {peak_limit:g} dBTP",
            f"{'; '.join(problems)} over {_audio_span(m)}",
            f"normalize it to {target:g} LUFS and {peak_limit:g} dBTP: "
            + (f"{m.preset.command(display(m.info.path.name))} does " if m.preset.render.audio else "")
            + f"(or ffmpeg -af loudnorm=I={target:g}:TP={peak_limit:g})",
            fix={"action": "normalize-loudness", "lufs": target, "true_peak": peak_limit},
        )
    ]


@_evaluator("black-frozen")
def _black_frozen(rule: Rule, m: Measures) -> list[Finding]:
    if m.video is None or _levels(rule) not in m.video.stillness:
        return []
    limit = rule.params["max_seconds"]
    black, frozen = m.video.stillness[_levels(rule)]
    black = [s for s in black if s.seconds > limit]
    # A video that is one still picture throughout is a still on purpose (mediakit canvas --motion static).
    frozen = [s for s in frozen if s.seconds > limit and not (s.first == 0 and s.last == m.video.frames - 1)]
    if not black and not frozen:
        return []
    parts = [f"{s.seconds:.1f} s of black at {_span(s.start, s.end)}" for s in black]
    parts += [f"the picture freezes for {s.seconds:.1f} s at {_span(s.start, s.end)}" for s in frozen]
    longest = max(black + frozen, key=lambda s: s.seconds)
    what = "black" if longest in black else "frozen"
    hints = (["trim the black or put picture over it"] if black else []) + (
        ["replace the frozen stretch with moving footage or trim it"] if frozen else []
    )
    return [
        _finding(
            rule,
            f"{longest.seconds:.1f} s {what}",
            f"no black or frozen stretch over {limit:g} s",
            "; ".join(parts[:3]) + (f" and {len(parts) - 3} more" if len(parts) > 3 else ""),
            " and ".join(hints),
        )
    ]
