"""Clip audio: loudness on mono, stereo and 5.1 sources read by an independent meter, and the audio refusals.

The level signals are EBU Tech 3341's definitions (1 kHz sines at stated dBFS per channel), made with ffmpeg;
their documented loudness is checked with pyloudnorm first, which proves the meter and its channel weights.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mediakit import ClipOptions, render_clip
from mediakit.cli.main import main
from mediakit.errors import InputError
from tests import loudness_meter as meter
from tests.frames import without_progress
from tests.media import ffmpeg

pytestmark = pytest.mark.integration
FAST = {"x264_preset": "ultrafast"}


def sine(dbfs: float | None) -> str:
    return "0" if dbfs is None else f"{10 ** (dbfs / 20):.8f}*sin(2*PI*1000*t)"


def aevalsrc(path: Path, exprs: list[str], layout: str, seconds: float = 6.0) -> Path:
    if not path.exists():
        src = f"aevalsrc=exprs={'|'.join(exprs)}:s=48000:d={seconds}:channel_layout={layout}"
        ffmpeg("-f", "lavfi", "-i", src, "-c:a", "pcm_s24le", str(path))
    return path


# name, channel expressions, layout, loudness the definition documents
SIGNALS = {
    # Tech 3341 case 1: 1 kHz at -23 dBFS in both channels: -23.0 LUFS.
    "stereo": ([sine(-23), sine(-23)], "stereo", -23.0),
    # The same sine in one channel: BS.1770 sums channel powers, so a mono file reads 3 LU lower.
    "mono": ([sine(-23)], "mono", -26.0),
    # Tech 3341 case 6 (5.0 plus a silent LFE): L, R -28, C -24, Ls, Rs -30 dBFS (surrounds weighted +1.5 dB).
    "5.1": ([sine(-28), sine(-28), sine(-24), sine(None), sine(-30), sine(-30)], "5.1", -23.0),
}


@pytest.fixture(scope="module")
def still(media) -> Path:
    return media.still("audio-still.png", size=(720, 1280))


@pytest.mark.parametrize("name", SIGNALS)
def test_tech_3341_signals_land_on_target_whatever_the_layout(media, still, tmp_path, name):
    exprs, layout, documented = SIGNALS[name]
    track = aevalsrc(media.root / f"tech3341-{name}.wav", exprs, layout)
    assert abs(meter.integrated(track) - documented) <= 0.1  # the meter reads the definition's value
    out = tmp_path / f"{name}.mp4"
    result = render_clip(still, out, ClipOptions(audio=str(track), duration=5, **FAST))
    meter.assert_on_target(out)
    assert result.loudness is not None and abs(result.loudness.integrated - meter.integrated(out)) <= 0.2


def peaky_track(media, layout: str, channels: int) -> Path:
    """Quiet kick-drum-like hits every 0.5 s (peaks -20 dBFS, about -38 LUFS): the gain needs a limiter."""
    hit = "0.1*exp(-25*(t-0.5*floor(2*t)))*sin(2*PI*70*t)"  # no comma: lavfi would split on it
    exprs = [hit] * channels
    if layout == "5.1":
        exprs[3] = "0"  # LFE, which the downmix drops
    return aevalsrc(media.root / f"peaky-{layout}.wav", exprs, layout, seconds=6.0)


@pytest.mark.parametrize(("layout", "channels"), [("5.1", 6), ("stereo", 2), ("mono", 1)])
def test_quiet_peaky_audio_is_limited_onto_target(media, still, tmp_path, layout, channels):
    # A plain gain would push these peaks about 5 dB over the ceiling; loudnorm's fallback landed ~1 LU low.
    track = peaky_track(media, layout, channels)
    assert meter.true_peak(track) - meter.integrated(track) > meter.TARGET - meter.CEILING + 3
    out = tmp_path / f"peaky-{layout}.mp4"
    render_clip(still, out, ClipOptions(audio=str(track), duration=5, **FAST))
    meter.assert_on_target(out)


def onsets(path: Path) -> np.ndarray:
    """When each hit (every 0.5 s) first reaches a tenth of its peak, in seconds."""
    x, rate, _ = meter.samples(path)
    envelope = np.abs(x[:, 0])
    found = []
    for k in range(1, 8):
        start = int((k * 0.5 - 0.05) * rate)
        window = envelope[start : start + int(0.25 * rate)]
        found.append((start + np.argmax(window > 0.1 * window.max())) / rate)
    return np.array(found)


def test_the_limiter_keeps_the_audio_in_sync(media, still, tmp_path):
    track = peaky_track(media, "stereo", 2)
    out = tmp_path / "sync.mp4"
    render_clip(still, out, ClipOptions(audio=str(track), duration=5, **FAST))
    # The limiter looks ahead 2 ms: uncompensated, every hit would come that much late.
    shift = onsets(out) - onsets(track)
    assert np.all(np.abs(shift) < 0.001), shift


def test_a_near_silent_track_is_refused_naming_the_track(media, still, tmp_path):
    track = aevalsrc(media.root / "whisper.wav", [sine(-75), sine(-75)], "stereo", seconds=8.0)
    out = tmp_path / "x.mp4"
    with pytest.raises(InputError) as err:
        render_clip(still, out, ClipOptions(audio=str(track), duration=5, **FAST))
    assert "whisper.wav" in err.value.message and "--audio track is too quiet" in err.value.message
    assert "add a track" not in (err.value.hint or "") and "--audio-start" in (err.value.hint or "")
    assert not out.exists()


def test_near_silent_footage_sound_asks_for_a_track(media, tmp_path):
    footage = media.video(
        "whisper.mp4", size="720x1280", seconds=5, audio=True, extra=("-af", "volume=-80dB", "-c:a", "aac")
    )
    with pytest.raises(InputError) as err:
        render_clip(footage, tmp_path / "x.mp4", ClipOptions(**FAST))
    assert "footage's sound is too quiet" in err.value.message
    assert "--audio song.wav" in (err.value.hint or "")


def test_an_audio_start_past_the_track_is_refused(media, still, tmp_path):
    track = aevalsrc(media.root / "tech3341-stereo.wav", *SIGNALS["stereo"][:2])
    with pytest.raises(InputError, match="past the track's end") as err:
        render_clip(still, tmp_path / "x.mp4", ClipOptions(audio=str(track), audio_start=9, **FAST))
    assert "6.00 s" in (err.value.hint or "")


def tracker_module(path: Path) -> Path:
    """A minimal ProTracker module (31 empty samples but one, one pattern, the M.K. signature at 1080)."""
    header = b"mediakit test".ljust(20, b"\0")
    for i in range(31):
        length = 16 if i == 0 else 0
        header += b"".ljust(22, b"\0") + length.to_bytes(2, "big") + bytes([0, 64]) + b"\0\0\0\1"
    header += bytes([1, 127]) + bytes(128) + b"M.K."
    path.write_bytes(header + bytes(1024) + bytes([0x7F] * 16 + [0x81] * 16))
    return path


@pytest.mark.parametrize("name", ["song.mod", "song.xm", "song.wav"])
def test_a_tracker_module_gets_an_audio_hint(still, tmp_path, capsys, name):
    track = tracker_module(tmp_path / name)  # as .wav too: recognised by its signature, not its name
    with pytest.raises(InputError, match="tracker module") as err:
        render_clip(still, tmp_path / "x.mp4", ClipOptions(audio=str(track), **FAST))
    assert "WAV" in err.value.message and "MP4, MOV" not in (err.value.hint or "")
    with pytest.raises(SystemExit) as code:
        main(["clip", str(still), "--audio", str(track), "-o", str(tmp_path / "y.mp4")])
    assert code.value.code == 1 and not (tmp_path / "y.mp4").exists()
    err_lines = without_progress(capsys.readouterr().err).strip().splitlines()
    assert err_lines[0].startswith("mediakit: error: ") and "render it to WAV" in err_lines[1]


def test_an_unreadable_audio_file_gets_the_audio_formats(still, tmp_path):
    junk = tmp_path / "song.wav"
    junk.write_bytes(b"not audio at all\n" * 64)
    with pytest.raises(InputError) as err:
        render_clip(still, tmp_path / "x.mp4", ClipOptions(audio=str(junk), **FAST))
    assert "--audio takes WAV, FLAC" in (err.value.hint or "")
    with pytest.raises(InputError, match="no such file"):
        render_clip(still, tmp_path / "x.mp4", ClipOptions(audio=str(tmp_path / "missing.wav"), **FAST))


def test_a_camcorder_mod_file_is_not_called_a_tracker_module(still, tmp_path):
    # JVC and Panasonic camcorders name MPEG program streams .MOD: same suffix, another thing.
    cam = tmp_path / "MOV001.MOD"
    cam.write_bytes(b"\x00\x00\x01\xba\x44\x00\x04\x00\x04\x01" + bytes(2000))
    with pytest.raises(InputError) as err:
        render_clip(still, tmp_path / "x.mp4", ClipOptions(audio=str(cam), **FAST))
    assert "tracker" not in err.value.message and "--audio takes WAV" in (err.value.hint or "")
