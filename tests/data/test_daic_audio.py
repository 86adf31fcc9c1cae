"""Cutting an utterance's audio: right length, offset applied, folders and zips, no WAV -> None.

The fixture WAVs hold sample i = i % 30000 at 16 kHz (300: 10 s folder, 301: 6 s flat zip).
"""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np
import pytest

from amm_core.data.daic_audio import cut_audio
from amm_core.data.records import ImportFailure
from tests.data.daic_fixtures import (
    SAMPLE_RATE,
    WAV_PERIOD,
    wav_file,
    write_daic_corpus,
    write_folder,
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_daic_corpus(tmp_path_factory.mktemp("audio") / "daic")


def samples_of(data: bytes) -> tuple[np.ndarray, tuple[int, int, int]]:
    with wave.open(io.BytesIO(data), "rb") as reader:
        shape = (reader.getnchannels(), reader.getsampwidth(), reader.getframerate())
        return np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2"), shape


def test_cut_has_the_span_length_and_content(corpus: Path) -> None:
    samples, shape = samples_of(cut_audio(corpus / "300_P", "300", 2.0, 3.0))
    assert shape == (1, 2, SAMPLE_RATE)
    assert len(samples) == SAMPLE_RATE
    assert samples[0] == 2 * SAMPLE_RATE % WAV_PERIOD


def test_offset_shifts_the_cut(corpus: Path) -> None:
    samples, _ = samples_of(cut_audio(corpus / "300_P", "300", 2.0, 2.5, offset=1.0))
    assert len(samples) == SAMPLE_RATE // 2
    assert samples[0] == 3 * SAMPLE_RATE % WAV_PERIOD


def test_cut_is_clipped_to_the_recording(corpus: Path) -> None:
    samples, _ = samples_of(cut_audio(corpus / "300_P", "300", 9.5, 12.0))
    assert len(samples) == SAMPLE_RATE // 2
    outside, _ = samples_of(cut_audio(corpus / "300_P", "300", 20.0, 21.0))
    assert len(outside) == 0


def test_cut_from_a_zip(corpus: Path) -> None:
    samples, _ = samples_of(cut_audio(corpus / "301_P.zip", "301", 1.2, 2.0))
    assert len(samples) == int(0.8 * SAMPLE_RATE)
    assert samples[0] == int(1.2 * SAMPLE_RATE) % WAV_PERIOD


def test_no_wav_gives_none(corpus: Path) -> None:
    assert cut_audio(corpus / "302_P.zip", "302", 0.0, 1.0) is None
    assert cut_audio(corpus / "303_P", "303", 0.0, 1.0) is None


def test_other_rates_are_converted_to_16k(tmp_path: Path) -> None:
    folder = write_folder(tmp_path, "311", {"311_AUDIO.wav": wav_file(2.0, rate=8000)})
    samples, shape = samples_of(cut_audio(folder, "311", 0.5, 1.5))
    assert shape == (1, 2, SAMPLE_RATE) and len(samples) == SAMPLE_RATE


def test_corrupt_wav_names_the_file(tmp_path: Path) -> None:
    folder = write_folder(tmp_path, "312", {"312_AUDIO.wav": b"RIFF\x00\x00not a wave"})
    with pytest.raises(ImportFailure, match=r"^312_P/312_AUDIO.wav: not a readable WAV"):
        cut_audio(folder, "312", 0.0, 1.0)
