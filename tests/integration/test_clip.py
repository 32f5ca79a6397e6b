"""`mediakit clip` end to end: loudness measured independently, exact audio length, sync, mixing, errors."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest
from click.testing import CliRunner

from mediakit import ClipOptions, render_clip
from mediakit.cli.main import cli, main
from mediakit.errors import InputError, UsageError
from mediakit.probe import probe
from tests.media import FFMPEG, ffmpeg

pytestmark = pytest.mark.integration
FAST = {"x264_preset": "ultrafast"}


def ebur128(path: Path) -> tuple[float, float]:
    """Integrated LUFS and true peak dBTP, measured here with ffmpeg's ebur128 (not mediakit's code)."""
    done = subprocess.run(
        [
            FFMPEG,
            "-hide_banner",
            "-nostdin",
            "-i",
            str(path),
            "-vn",
            "-af",
            "ebur128=peak=true",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    summary = done.stderr[done.stderr.rfind("Summary:") :]
    i = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    tp = float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary).group(1))
    return i, tp


def audio_samples(path: Path) -> tuple[np.ndarray, int]:
    with av.open(str(path)) as c:
        stream = c.streams.audio[0]
        chunks = [f.to_ndarray() for f in c.decode(stream)]
        rate = stream.codec_context.sample_rate
    return np.concatenate(chunks, axis=1), rate


@pytest.fixture(scope="module")
def quiet_footage(media) -> Path:
    """Landscape footage with quiet, music-like audio (pink noise at about -35 LUFS)."""
    out = media.root / "quiet.mp4"
    if not out.exists():
        ffmpeg(
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=1280x720:r=30:d=14",
            "-f",
            "lavfi",
            "-i",
            "anoisesrc=color=pink:amplitude=0.03:d=14:sample_rate=44100",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-c:a",
            "aac",
            "-shortest",
            str(out),
        )
    return out


@pytest.fixture(scope="module")
def loud_song(media) -> Path:
    """A hot, clipped master (normalizing it must pull its true peaks under -1 dBTP)."""
    out = media.root / "loud.wav"
    if not out.exists():
        ffmpeg(
            "-f",
            "lavfi",
            "-i",
            "anoisesrc=color=pink:amplitude=1:d=30:sample_rate=48000,volume=12dB",
            "-ac",
            "2",
            "-c:a",
            "pcm_s16le",
            str(out),
        )  # clipped: true peak over 0 dBTP
    return out


@pytest.mark.parametrize("seconds", [3.5, 12.0])
def test_footage_audio_is_normalized_to_minus_14_lufs(quiet_footage, tmp_path, seconds):
    before, _ = ebur128(quiet_footage)
    assert before < -25
    out = tmp_path / "clip.mp4"
    result = render_clip(quiet_footage, out, ClipOptions(duration=seconds, start=0.5, **FAST))
    integrated, peak = ebur128(out)
    assert abs(integrated - (-14.0)) <= 1.0, integrated
    assert peak <= -1.0, peak
    assert result.loudness is not None and abs(result.loudness.integrated - integrated) < 0.2


def test_a_hot_track_is_brought_down_under_the_true_peak_ceiling(quiet_footage, loud_song, tmp_path):
    assert ebur128(loud_song)[1] > -1.0
    out = tmp_path / "hot.mp4"
    render_clip(quiet_footage, out, ClipOptions(duration=5, audio=str(loud_song), audio_start=10, **FAST))
    integrated, peak = ebur128(out)
    assert abs(integrated + 14.0) <= 1.0 and peak <= -1.0, (integrated, peak)


def test_output_spec_and_audio_length_match_the_video(quiet_footage, tmp_path):
    out = tmp_path / "spec.mp4"
    result = render_clip(quiet_footage, out, ClipOptions(duration=6, **FAST))
    info = probe(out)
    v, a = info.primary_video, info.audio[0]
    assert (v.display_width, v.display_height, v.codec, v.pix_fmt, v.frames) == (
        1080,
        1920,
        "h264",
        "yuv420p",
        180,
    )
    assert (a.codec, a.sample_rate, a.channels) == ("aac", 48000, 2)
    samples, rate = audio_samples(out)
    assert abs(samples.shape[1] / rate - 6.0) < 0.025  # within one AAC frame of the video
    assert result.report.verdict() == "pass"


def test_variable_frame_rate_footage_stays_in_sync(media, tmp_path):
    """A white flash and a beep at the same moment in VFR footage are still together in the clip."""
    src = media.root / "sync-vfr.mp4"
    if not src.exists():
        ffmpeg(
            "-f",
            "lavfi",
            "-i",
            "color=black:s=720x1280:r=30:d=6",
            "-f",
            "lavfi",
            "-i",
            "aevalsrc='0.5*sin(2*PI*1000*t)*between(t,3,3.2)':s=48000:d=6",
            "-vf",
            "drawbox=c=white:t=fill:enable='between(t,3,3.2)',select='if(lt(t,2),1,not(mod(n,3)))'",
            "-fps_mode",
            "vfr",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-c:a",
            "aac",
            str(src),
        )
    assert probe(src).primary_video.constant_rate is False
    out = tmp_path / "sync.mp4"
    render_clip(src, out, ClipOptions(start=1.0, duration=4, **FAST))
    with av.open(str(out)) as c:
        flash = next(float(f.time) for f in c.decode(video=0) if f.to_ndarray(format="gray").mean() > 128)
    samples, rate = audio_samples(out)
    beep = int(np.argmax(np.abs(samples[0]) > 0.1)) / rate
    assert flash == pytest.approx(2.0, abs=0.1)
    assert abs(flash - beep) <= 1.5 / 30, (flash, beep)


def _tone_level(samples: np.ndarray, rate: int, hz: float) -> float:
    spectrum = np.abs(np.fft.rfft(samples[0][: rate * 2]))
    freqs = np.fft.rfftfreq(rate * 2, 1 / rate)
    return float(spectrum[np.argmin(np.abs(freqs - hz))] / spectrum.mean())


def test_mix_keeps_some_footage_sound_under_the_track(media, tmp_path):
    footage_src = media.video("tone660.mp4", size="720x1280", seconds=6, audio=True)  # 440 Hz sine
    song = media.root / "tone220.wav"
    if not song.exists():
        ffmpeg("-f", "lavfi", "-i", "sine=frequency=220:sample_rate=48000:d=20", str(song))
    only_song, mixed = tmp_path / "a.mp4", tmp_path / "b.mp4"
    render_clip(footage_src, only_song, ClipOptions(duration=4, audio=str(song), audio_start=5, **FAST))
    render_clip(footage_src, mixed, ClipOptions(duration=4, audio=str(song), audio_start=5, mix=0.3, **FAST))
    s1, rate = audio_samples(only_song)
    s2, _ = audio_samples(mixed)
    assert _tone_level(s1, rate, 220) > 50 and _tone_level(s1, rate, 440) < 5
    assert _tone_level(s2, rate, 220) > 50 and _tone_level(s2, rate, 440) > 10


def test_still_with_a_song_makes_a_moving_clip(media, tmp_path):
    song = media.root / "tone220.wav"
    if not song.exists():
        ffmpeg("-f", "lavfi", "-i", "sine=frequency=220:sample_rate=48000:d=20", str(song))
    out = tmp_path / "still.mp4"
    result = render_clip(
        media.still("sq.png", (1400, 1400)),
        out,
        ClipOptions(duration=4, audio=str(song), audio_start=2, **FAST),
    )
    with av.open(str(out)) as c:
        frames = [f.to_ndarray(format="gray").astype(np.float32) for f in c.decode(video=0)]
    assert len(frames) == 120 and np.abs(frames[0] - frames[60]).mean() > 1.0  # the push-in moves
    assert result.report.verdict() == "pass"


def test_no_audio_is_a_clear_error(media, tmp_path):
    silent = media.video("silent.mp4", size="720x1280", seconds=5)
    with pytest.raises(InputError, match="a Spotify Clip needs sound") as info:
        render_clip(silent, tmp_path / "x.mp4", ClipOptions(**FAST))
    assert "--audio" in (info.value.hint or "")
    with pytest.raises(SystemExit) as code:
        main(["clip", str(silent), "-o", str(tmp_path / "y.mp4")])
    assert code.value.code == 1 and not (tmp_path / "y.mp4").exists()


@pytest.mark.parametrize("seconds", [3.0, 30.0, 2.0, 31.0])
def test_duration_must_be_strictly_between_3_and_30(quiet_footage, tmp_path, seconds):
    with pytest.raises(UsageError, match="outside the Spotify Clip range"):
        render_clip(quiet_footage, tmp_path / "x.mp4", ClipOptions(duration=seconds))


def test_cli_json_and_dry_run(quiet_footage, tmp_path):
    runner = CliRunner()
    out = tmp_path / "c.mp4"
    dry = runner.invoke(cli, ["clip", str(quiet_footage), "-o", str(out), "--dry-run", "--duration", "4"])
    assert dry.exit_code == 0 and "loudnorm" not in dry.output and "aac" in dry.output and not out.exists()
    done = runner.invoke(
        cli,
        [
            "clip",
            str(quiet_footage),
            "-o",
            str(out),
            "--json",
            "--duration",
            "4",
            "--x264-preset",
            "ultrafast",
        ],
    )
    assert done.exit_code == 0, done.output
    doc = json.loads(done.stdout)
    assert doc["frames"] == 120 and doc["validation"]["verdict"] == "pass"
    assert abs(doc["loudness"]["integrated"] + 14) <= 1


@pytest.fixture(scope="module")
def grey_footage(media) -> Path:
    """Flat grey footage with a tone: caption pixels are whatever differs from the caption-less render."""
    out = media.root / "grey.mp4"
    if not out.exists():
        ffmpeg(
            "-f",
            "lavfi",
            "-i",
            "color=c=0x808080:s=720x1280:r=30:d=8",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=330:sample_rate=48000:d=8",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-c:a",
            "aac",
            "-shortest",
            str(out),
        )
    return out


def _caption_masks(with_captions: Path, without: Path) -> list[np.ndarray]:
    with av.open(str(with_captions)) as a, av.open(str(without)) as b:
        pairs = zip(a.decode(video=0), b.decode(video=0), strict=True)
        return [
            np.abs(
                fa.to_ndarray(format="gray").astype(np.int16) - fb.to_ndarray(format="gray").astype(np.int16)
            )
            > 40
            for fa, fb in pairs
        ]


def test_captions_follow_start_show_only_during_their_cue_and_stay_in_the_safe_zone(grey_footage, tmp_path):
    srt = tmp_path / "lyrics: 'live' [v2], 100%.srt"  # a hostile name never reaches a filter argument
    srt.write_text(
        "1\n00:00:03,000 --> 00:00:04,500\n{\\an8}If this hits you, tap Save\n\n"
        "2\n00:00:05,000 --> 00:00:06,000\nQuotes \" ' colons: commas, [brackets] \\ back\\slash %\n",
        encoding="latin-1",
    )
    plain, captioned = tmp_path / "plain.mp4", tmp_path / "captioned.mp4"
    render_clip(grey_footage, plain, ClipOptions(start=2, duration=5, **FAST))
    result = render_clip(grey_footage, captioned, ClipOptions(start=2, duration=5, captions=str(srt), **FAST))
    masks = _caption_masks(captioned, plain)
    shown = [i for i, m in enumerate(masks) if m.sum() > 200]
    # Cue 1 is 3.0-4.5 s of the footage = 1.0-2.5 s of the clip (frames 30-74); cue 2 = 3.0-4.0 s (90-119).
    assert shown == [*range(30, 75), *range(90, 120)], shown
    ink = np.logical_or.reduce(masks)
    ys, xs = np.nonzero(ink)
    safe = (0.06 * 1080, 0.14 * 1920, (1 - 0.10) * 1080, (1 - 0.30) * 1920)
    # The renders are 1080x1920; the override tag {\an8} in the SRT text must not move the caption up.
    assert xs.min() >= safe[0] and ys.min() >= safe[1] and xs.max() <= safe[2] and ys.max() <= safe[3], (
        xs.min(),
        ys.min(),
        xs.max(),
        ys.max(),
    )
    assert ys.min() > 1920 / 2
    assert result.report.verdict() == "pass"


@pytest.mark.parametrize("style", ["box", "karaoke"])
def test_text_caption_styles_stay_in_the_safe_zone(grey_footage, tmp_path, style):
    plain, captioned = tmp_path / "plain.mp4", tmp_path / f"{style}.mp4"
    text = "If this hits you, tap Save — مرحبا שלום 😀"
    render_clip(grey_footage, plain, ClipOptions(duration=4, **FAST))
    result = render_clip(
        grey_footage,
        captioned,
        ClipOptions(duration=4, text=text, at=(1.0, 3.0), caption_style=style, **FAST),
    )
    masks = _caption_masks(captioned, plain)
    shown = [i for i, m in enumerate(masks) if m.sum() > 200]
    assert shown[0] == 30 and shown[-1] == 89
    ys, xs = np.nonzero(np.logical_or.reduce(masks))
    assert xs.min() >= 0.06 * 1080 and xs.max() <= 0.90 * 1080 and ys.min() >= 0.14 * 1920
    assert ys.max() <= 0.70 * 1920
    assert not any("glyphs" in w for w in result.warnings)  # DejaVu has Arabic, Hebrew and U+1F600


def test_missing_glyphs_are_a_warning_not_a_failure(grey_footage, tmp_path):
    # Japanese comes from the bundled CJK font; an Egyptian hieroglyph is in none of the fonts.
    result = render_clip(
        grey_footage, tmp_path / "cjk.mp4", ClipOptions(duration=4, text="春が来た Spring 𓀀", **FAST)
    )
    [warning] = [w for w in result.warnings if "no glyphs" in w]
    assert "1 character(s) (𓀀)" in warning
    assert result.report.verdict() == "pass"


def test_broken_caption_timestamp_names_its_line(grey_footage, tmp_path):
    srt = tmp_path / "bad.srt"
    srt.write_text("1\n00:00:01,000 --> 00:00:02,000\nfine\n\n2\n00:00:03,000 --> 00:0x:04,000\nbroken\n")
    with pytest.raises(InputError, match="line 6"):
        render_clip(grey_footage, tmp_path / "x.mp4", ClipOptions(duration=4, captions=str(srt), **FAST))
    assert not (tmp_path / "x.mp4").exists()


def test_a_start_past_the_end_is_named_as_canvas_names_it(quiet_footage, tmp_path):
    """14 s of footage: --start 20 is past its end (canvas's words); --start 12 leaves 2 s, too short."""
    with pytest.raises(UsageError, match=r"--start 20 is past the end of the footage \(14\.\d\d s\)") as past:
        render_clip(quiet_footage, tmp_path / "x.mp4", ClipOptions(start=20), dry_run=True)
    assert "--start below 14" in (past.value.hint or "")
    with pytest.raises(InputError, match="a clip needs more than 3 s") as short:
        render_clip(quiet_footage, tmp_path / "x.mp4", ClipOptions(start=12), dry_run=True)
    assert short.value.hint == "use an earlier --start"  # no --duration was given: do not suggest one
    with pytest.raises(InputError, match="a 8 s clip needs 8 s") as both:
        render_clip(quiet_footage, tmp_path / "x.mp4", ClipOptions(start=8, duration=8), dry_run=True)
    assert "shorter --duration" in (both.value.hint or "")


def _rms_db(samples: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(samples.astype(np.float64) ** 2)) + 1e-12))


def test_a_track_shorter_than_the_footage_sets_the_length_or_is_warned_about(quiet_footage, media, tmp_path):
    """14 s of footage, a 4.5 s tone: the clip takes the tone's length, not 4.5 s of tone and 9.5 s of
    silence; with --duration 8 the silent tail is kept but said. The tail is decoded, not assumed."""
    tone = media.root / "tone-4.5s.wav"
    if not tone.exists():
        ffmpeg("-f", "lavfi", "-i", "sine=frequency=330:sample_rate=48000:d=4.5", str(tone))
    result = render_clip(quiet_footage, tmp_path / "a.mp4", ClipOptions(audio=str(tone), **FAST))
    assert float(probe(result.output).duration) == pytest.approx(4.5, abs=0.1)
    assert any("the length of the --audio track" in w for w in result.warnings), result.warnings
    samples, rate = audio_samples(result.output)
    assert _rms_db(samples[:, -rate // 2 : -rate // 10]) > -40  # the tone plays to (nearly) the end

    longer = render_clip(quiet_footage, tmp_path / "b.mp4", ClipOptions(audio=str(tone), duration=8, **FAST))
    assert float(probe(longer.output).duration) == pytest.approx(8.0, abs=0.1)
    assert any("ends at 4.50 s of the 8.00 s clip: the rest is silent" in w for w in longer.warnings)
    samples, rate = audio_samples(longer.output)
    assert _rms_db(samples[:, 5 * rate :]) < -80  # what the warning says: 5-8 s is silence
    assert _rms_db(samples[:, 2 * rate : 4 * rate]) > -40
