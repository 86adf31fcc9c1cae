"""Cut an utterance's span from a session's WAV (folder or zip) as 16 kHz mono 16-bit WAV bytes."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np

from amm_core.data.daic_sessions import SessionFiles
from amm_core.data.records import ImportFailure

SAMPLE_RATE = 16_000
SAMPLE_WIDTH = 2  # bytes (16-bit PCM)
_DTYPES = {1: np.uint8, 2: np.int16, 4: np.int32}


def audio_name(session_id: str) -> str:
    return f"{session_id}_AUDIO.wav"


def has_audio(files: SessionFiles) -> bool:
    return files.has(audio_name(files.session_id))


def cut_audio(
    session_path: Path, session_id: str, start: float, stop: float, offset: float = 0.0
) -> bytes | None:
    """WAV bytes of `start + offset .. stop + offset` seconds (clipped to the recording).

    None when the session has no WAV; a span wholly outside the recording gives an empty WAV.
    Recordings in another format are converted to 16 kHz mono 16-bit.
    """
    files = SessionFiles.open_path(Path(session_path), session_id)
    name = audio_name(session_id)
    if not files.has(name):
        return None
    with files.open(name) as handle:  # zip members are seekable too
        try:
            samples, rate = _read_span(handle, start + offset, stop + offset)
        except (wave.Error, EOFError) as exc:
            raise ImportFailure(f"{files.display(name)}: not a readable WAV file ({exc})") from exc
    return _wav_bytes(_to_16k(samples, rate))


def _read_span(handle: object, start: float, stop: float) -> tuple[np.ndarray, int]:
    """Mono float samples (-1..1) of the span, and the file's sample rate."""
    with wave.open(handle, "rb") as reader:  # type: ignore[arg-type]
        rate, width, channels = reader.getframerate(), reader.getsampwidth(), reader.getnchannels()
        total = reader.getnframes()
        first = min(max(int(round(start * rate)), 0), total)
        last = min(max(int(round(stop * rate)), first), total)
        reader.setpos(first)
        data = reader.readframes(last - first)
    return _to_mono_float(data, width, channels), rate


def _to_mono_float(data: bytes, width: int, channels: int) -> np.ndarray:
    if width == 3:  # 24-bit: widen to 32-bit little-endian
        raw = np.frombuffer(data, dtype=np.uint8).reshape(-1, 3)
        padded = np.zeros((raw.shape[0], 4), dtype=np.uint8)
        padded[:, 1:] = raw
        data, width = padded.tobytes(), 4
    if width not in _DTYPES:
        raise wave.Error(f"unsupported sample width {width} bytes")
    values = np.frombuffer(data, dtype=_DTYPES[width]).astype(np.float64)
    if width == 1:
        values = (values - 128.0) / 128.0
    else:
        values /= float(2 ** (8 * width - 1))
    return values.reshape(-1, channels).mean(axis=1) if channels > 1 else values


def _to_16k(samples: np.ndarray, rate: int) -> np.ndarray:
    """16-bit samples at 16 kHz (linear interpolation when the file has another rate)."""
    if rate != SAMPLE_RATE and samples.size:
        count = int(round(samples.size * SAMPLE_RATE / rate))
        positions = np.arange(count) * (rate / SAMPLE_RATE)
        samples = np.interp(positions, np.arange(samples.size), samples)
    return np.clip(np.round(samples * 32768.0), -32768, 32767).astype("<i2")


def _wav_bytes(samples: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(SAMPLE_WIDTH)
        writer.setframerate(SAMPLE_RATE)
        writer.writeframes(samples.tobytes())
    return buffer.getvalue()
