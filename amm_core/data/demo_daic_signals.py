"""Synthetic OpenFace (CLNF) feature files and interview audio for the demo DAIC sessions.

Facial action units follow the speaker's mood (sad turns raise AU04/AU15 and lower AU12), so the
visual modality carries the depression signal; the WAV is a quiet tone track of the turns.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass

import cv2
import numpy as np

from amm_core.data.openface import AU_COLUMNS, GAZE_COLUMNS, LEADING_COLUMNS, POSE_COLUMNS

FPS = 10  # written below OpenFace's 30 fps to keep the demo small; timestamps stay honest
SAMPLE_RATE = 16_000
# One source of truth for the OpenFace layout: the reader's column lists.
LEADING = LEADING_COLUMNS
AU_R = tuple(c for c in AU_COLUMNS if c.endswith("_r"))  # 14 intensities
AU_C = tuple(c for c in AU_COLUMNS if c.endswith("_c"))  # 6 presences
GAZE = GAZE_COLUMNS
POSE = POSE_COLUMNS

# Action-unit intensity offsets while the participant speaks in a mood.
MOOD_AUS: dict[str, dict[str, float]] = {
    "sad": {"AU01_r": 0.7, "AU04_r": 1.1, "AU15_r": 0.9, "AU17_r": 0.5, "AU12_r": -0.4,
            "AU06_r": -0.2},
    "sigh": {"AU01_r": 0.5, "AU04_r": 0.7, "AU15_r": 0.6},
    "happy": {"AU06_r": 0.8, "AU12_r": 1.1, "AU10_r": 0.2, "AU25_r": 0.3},
    "laugh": {"AU06_r": 1.4, "AU12_r": 1.8, "AU25_r": 0.8, "AU26_r": 0.8},
}  # fmt: skip
# A depressed participant's face at rest: more brow lowering, fewer smiles.
DEPRESSED_TRAIT = {"AU04_r": 0.3, "AU15_r": 0.2, "AU12_r": -0.15, "AU06_r": -0.1}


@dataclass(frozen=True)
class Turn:
    """One transcript row; `mood` drives face and voice (sad, happy, neutral, laugh, sigh, ...)."""

    start: float
    stop: float
    speaker: str
    value: str
    mood: str


@dataclass(frozen=True)
class Speaker:
    """What the signals need to know about a participant."""

    depressed: bool
    male: bool


@dataclass(frozen=True)
class _Speech:
    """Per video frame: the participant's mood ("" when silent), how strongly the face shows it,
    and the index of the turn being spoken (-1 when silent)."""

    moods: list[str]
    strength: np.ndarray  # (N,)
    utterance: np.ndarray  # (N,) int


def openface_files(
    turns: list[Turn], who: Speaker, duration: float, rng: np.random.Generator
) -> dict[str, bytes]:
    """The three CLNF files ("AUs", "gaze", "pose") covering `duration` seconds."""
    n = int(np.ceil(duration * FPS)) + 1
    times = np.arange(n) / FPS
    success = _tracking_success(n, rng)
    confidence = np.where(success == 1, rng.uniform(0.85, 0.98, n), rng.uniform(0.0, 0.3, n))
    speech = _speech_frames(turns, times, rng)
    aus = _action_units(speech, len(turns), who, times, rng)
    tables = {
        "AUs": (aus, [AU_R, AU_C], ["%.3f"] * len(AU_R) + ["%d"] * len(AU_C)),
        "gaze": (_gaze(speech.moods, who, rng), [GAZE], ["%.4f"] * len(GAZE)),
        "pose": (_pose(speech.moods, who, rng), [POSE], ["%.2f"] * 3 + ["%.4f"] * 3),
    }
    lead = np.stack([np.arange(1, n + 1), times, confidence, success], axis=1)
    files = {}
    for name, (values, column_groups, formats) in tables.items():
        values = np.where(success[:, None] == 1, values, 0.0)  # zeros where tracking failed
        columns = [*LEADING, *(c for group in column_groups for c in group)]
        files[name] = _openface_text(np.hstack([lead, values]), columns, formats)
    return files


def _openface_text(table: np.ndarray, columns: list[str], formats: list[str]) -> bytes:
    buffer = io.StringIO()
    fmt = ["%d", "%.3f", "%.3f", "%d", *formats]
    np.savetxt(buffer, table, fmt=fmt, delimiter=", ", header=", ".join(columns), comments="")
    return buffer.getvalue().encode("ascii")


def _tracking_success(n: int, rng: np.random.Generator) -> np.ndarray:
    """1 where the face was tracked: the first frames and a few short runs are failures."""
    success = np.ones(n, dtype=np.int64)
    success[: int(rng.integers(2, 5))] = 0
    for _ in range(int(rng.integers(2, 4))):
        start = int(rng.integers(0, max(1, n - 10)))
        success[start : start + int(rng.integers(3, 10))] = 0
    return success


def _speech_frames(turns: list[Turn], times: np.ndarray, rng: np.random.Generator) -> _Speech:
    """Strength varies per utterance, so some sad utterances look almost neutral."""
    n = len(times)
    moods, strength, utterance = [""] * n, np.zeros(n), np.full(n, -1)
    for k, turn in enumerate(turns):
        if turn.speaker != "Participant" or turn.mood == "sync":
            continue
        first, last = (int(i) for i in np.searchsorted(times, [turn.start, turn.stop]))
        strength[first:last] = rng.uniform(0.0, 1.1)
        utterance[first:last] = k
        moods[first:last] = [turn.mood] * (min(last, n) - first)
    return _Speech(moods, strength, utterance)


def _smooth_noise(rng: np.random.Generator, n: int, width: int, scale: float) -> np.ndarray:
    noise = rng.normal(0.0, scale, (n, width)).astype(np.float32)
    return cv2.blur(noise, (1, 5))  # a 5-frame moving average along time


def _action_units(
    speech: _Speech, n_turns: int, who: Speaker, times: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    n, width = len(times), len(AU_R)
    base = rng.uniform(0.05, 0.4, width)
    if who.depressed:
        base += np.array([DEPRESSED_TRAIT.get(au, 0.0) for au in AU_R])
    offsets = {m: np.array([d.get(au, 0.0) for au in AU_R]) for m, d in MOOD_AUS.items()}
    zero = np.zeros(width)
    mood = np.stack([offsets.get(m, zero) for m in speech.moods]) * speech.strength[:, None]
    # Each utterance also has its own random expression, shared by all its frames.
    quirks = np.vstack([rng.normal(0.0, 0.35, (n_turns, width)), np.zeros((1, width))])
    intensity = base + mood + quirks[speech.utterance]
    mouth = (speech.utterance >= 0) * (0.4 + 0.4 * np.abs(np.sin(2 * np.pi * 2.5 * times)))
    for au in ("AU25_r", "AU26_r"):
        intensity[:, AU_R.index(au)] += mouth
    intensity = np.clip(intensity + _smooth_noise(rng, n, width, 0.5), 0.0, 5.0)
    column = {au: intensity[:, i] for i, au in enumerate(AU_R)}
    presence = np.stack(
        [
            column["AU04_r"] > 1.0,
            column["AU12_r"] > 1.0,
            column["AU15_r"] > 0.8,
            rng.random(n) < 0.05,
            rng.random(n) < 0.03,
            rng.random(n) < (0.05 if who.depressed else 0.09),  # blinks
        ],
        axis=1,
    )
    return np.hstack([intensity, presence.astype(np.float64)])


def _gaze(moods: list[str], who: Speaker, rng: np.random.Generator) -> np.ndarray:
    """Four unit gaze vectors (left, right eye; head-relative left, right); OpenFace's y is down."""
    n = len(moods)
    down = np.array([0.15 if m in ("sad", "sigh") else 0.0 for m in moods])
    down += 0.15 if who.depressed else 0.0
    vectors = []
    for x_offset in (0.06, -0.04, 0.03, -0.02):
        drift = _smooth_noise(rng, n, 3, 0.05)
        v = np.stack([x_offset + drift[:, 0], 0.1 + down + drift[:, 1], -1 + drift[:, 2]], 1)
        vectors.append(v / np.linalg.norm(v, axis=1, keepdims=True))
    return np.hstack(vectors)


def _pose(moods: list[str], who: Speaker, rng: np.random.Generator) -> np.ndarray:
    """Head translation (mm) as a slow random walk, rotation (rad) pitched down when sad."""
    n = len(moods)
    walk = np.cumsum(rng.normal(0.0, 0.6, (n, 3)), axis=0)
    translation = np.array([15.0, 20.0, 560.0]) + walk - walk.mean(axis=0)
    pitch = 0.05 + (0.12 if who.depressed else 0.0)
    pitch += np.array([0.08 if m in ("sad", "sigh") else 0.0 for m in moods])
    rotation = np.stack([pitch, np.zeros(n), np.zeros(n)], 1) + _smooth_noise(rng, n, 3, 0.03)
    return np.hstack([translation, rotation])


# --- audio ---


def interview_wav(
    turns: list[Turn], who: Speaker, duration: float, rng: np.random.Generator
) -> bytes:
    """A 16 kHz mono 16-bit WAV of `duration` s: quiet tones while Ellie or the participant talk."""
    signal = np.zeros(int(np.ceil(duration * SAMPLE_RATE)), dtype=np.float32)
    for turn in turns:
        first = int(turn.start * SAMPLE_RATE)
        piece = _turn_sound(turn, who, int((turn.stop - turn.start) * SAMPLE_RATE), rng)
        piece = piece[: max(0, len(signal) - first)]
        signal[first : first + len(piece)] += piece
    pcm = np.clip(signal * 32767, -32768, 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


def _turn_sound(turn: Turn, who: Speaker, length: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(length, dtype=np.float32) / SAMPLE_RATE
    if turn.mood == "sync":
        return 0.05 * np.sin(2 * np.pi * 1000 * t) * (t < 0.1)
    if turn.mood in ("laugh", "sigh"):
        rate = 5.0 if turn.mood == "laugh" else 0.8
        envelope = np.abs(np.sin(np.pi * rate * t)) * np.exp(-t)
        return (0.02 * rng.standard_normal(length) * envelope).astype(np.float32)
    if turn.speaker == "Ellie":
        f0, amplitude, wobble = 230.0, 0.03, 0.03
    else:
        f0 = (120.0 if who.male else 200.0) * (0.9 if who.depressed else 1.0)
        amplitude = 0.035 if who.depressed else 0.05
        wobble = 0.03 if who.depressed else 0.1  # flatter prosody when depressed
    pitch = f0 * (1 + wobble * np.sin(2 * np.pi * 0.7 * t))
    phase = 2 * np.pi * np.cumsum(pitch) / SAMPLE_RATE
    syllables = 0.6 + 0.4 * np.sin(2 * np.pi * 4 * t) ** 2
    fade = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.02) if length else t
    voice = np.sin(phase) + 0.4 * np.sin(2 * phase)
    return (amplitude * voice * syllables * fade).astype(np.float32)
