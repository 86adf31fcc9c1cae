"""Write synthetic DAIC-WOZ sessions (transcript, OpenFace, audio) and AVEC 2017 label files.

Depressed participants (PHQ-8 >= 10) say sad things more often, sigh more, and their faces
follow (see demo_daic_signals). One session is written as a `XXX_P.zip` with files at its root.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from amm_core.data import demo_text as vocab
from amm_core.data.demo_daic_signals import Speaker, Turn, interview_wav, openface_files

TRANSCRIPT_HEADER = "start_time\tstop_time\tspeaker\tvalue"
AUTOMATIC_ELLIE_FROM = 363  # from this session on Ellie's lines are "<prompt id> (<text>)"
# Real session ids with quirks the demo does not imitate (offsets, interruptions, gaps).
SPECIAL_IDS = {318, 321, 341, 342, 362, 373, 394, 398, 444, 451, 458, 460, 480}
LABEL_COLUMNS = (
    "Participant_ID,PHQ8_Binary,PHQ8_Score,Gender,PHQ8_NoInterest,PHQ8_Depressed,PHQ8_Sleep,"
    "PHQ8_Tired,PHQ8_Appetite,PHQ8_Failure,PHQ8_Concentrating,PHQ8_Moving"
)
TRAIN_LABELS = "train_split_Depression_AVEC2017.csv"
DEV_LABELS = "dev_split_Depression_AVEC2017.csv"
TEST_IDS = "test_split_Depression_AVEC2017.csv"
TEST_LABELS = "full_test_split.csv"
ZIP_DATE = (2016, 1, 1, 0, 0, 0)  # fixed so the zip is byte-identical between runs


@dataclass(frozen=True)
class DemoSession:
    """One interview: its id, split, PHQ-8 items and gender (1 = male, 0 = female)."""

    session_id: int
    split: str
    items: tuple[int, ...]
    gender: int
    zipped: bool

    @property
    def score(self) -> int:
        return sum(self.items)

    @property
    def depressed(self) -> bool:
        return self.score >= 10


def write_daic_demo(root: Path, seed: int, n_sessions: int) -> list[DemoSession]:
    """Write every session under `root` (folders, one zip) and the four label files there."""
    sessions = plan_sessions(np.random.default_rng([seed, 3]), n_sessions)
    root.mkdir(parents=True, exist_ok=True)
    for session in sessions:
        files = session_files(session, np.random.default_rng([seed, 4, session.session_id]))
        _store(root, session, files)
    write_label_files(root, sessions)
    return sessions


def session_ids(n_sessions: int) -> list[int]:
    """Real-looking ids: most from 300 up, a quarter from 370 up (automatic Ellie prompts)."""
    high = n_sessions // 4 if n_sessions >= 4 else min(1, n_sessions - 1)
    ids: list[int] = []
    for start, count in ((300, n_sessions - high), (370, high)):
        candidate = start
        while count:
            if candidate not in SPECIAL_IDS:
                ids.append(candidate)
                count -= 1
            candidate += 1
    return ids


def plan_sessions(rng: np.random.Generator, n_sessions: int) -> list[DemoSession]:
    """Sessions in id order, split about 50/25/25 with both classes in each split if possible."""
    ids = [int(i) for i in rng.permutation(session_ids(n_sessions))]
    held_out = max(1, round(n_sessions / 4)) if n_sessions >= 3 else 0
    sizes = {"train": n_sessions - 2 * held_out, "dev": held_out, "test": held_out}
    zipped_id = sorted(ids)[1] if n_sessions >= 2 else None
    sessions = []
    for split, size in sizes.items():
        chosen, ids = ids[:size], ids[size:]
        genders = _pair_genders(rng, size)
        for k, session_id in enumerate(chosen):
            depressed = k % 2 == 0 if size % 2 else k % 2 == 1  # odd sizes: one more depressed
            score = int(rng.integers(10, 21)) if depressed else int(rng.integers(0, 8))
            sessions.append(
                DemoSession(
                    session_id=session_id,
                    split=split,
                    items=_phq8_items(rng, score),
                    gender=genders[k],
                    zipped=session_id == zipped_id,
                )
            )
    return sorted(sessions, key=lambda s: s.session_id)


def _pair_genders(rng: np.random.Generator, size: int) -> list[int]:
    """One random gender per consecutive pair of sessions (one depressed, one not).

    Sessions alternate depressed / not within a split, so each pair shares a gender and gender
    carries no information about the label in any split. Drawn independently per session, a
    demo this small (four training sessions) often ties gender to the label in train and
    reverses the tie in dev; a model fed gender as knowledge (eq. 3) then learns the shortcut
    and scores below chance on held-out sessions. In real DAIC-WOZ gender is a weak prior.
    """
    return [int(g) for g in rng.integers(0, 2, (size + 1) // 2) for _ in range(2)][:size]


def _phq8_items(rng: np.random.Generator, score: int) -> tuple[int, ...]:
    """Eight items of 0-3 that sum to `score`."""
    items = [0] * 8
    for _ in range(score):
        open_items = [i for i, value in enumerate(items) if value < 3]
        items[open_items[int(rng.integers(len(open_items)))]] += 1
    return tuple(items)


# --- one session ---


def session_files(session: DemoSession, rng: np.random.Generator) -> dict[str, bytes]:
    """File name -> content for one session (transcript, three OpenFace files, audio)."""
    turns = interview_turns(session, rng)
    duration = turns[-1].stop + 1.0  # a second of silence after the goodbye
    who = Speaker(depressed=session.depressed, male=session.gender == 1)
    newline = "\r\n" if session.zipped else "\n"  # both endings occur in the corpus
    lines = [TRANSCRIPT_HEADER] + [_transcript_line(turn) for turn in turns]
    sid = session.session_id
    files = {f"{sid}_TRANSCRIPT.csv": (newline.join(lines) + newline).encode("utf-8")}
    for name, content in openface_files(turns, who, duration, rng).items():
        files[f"{sid}_CLNF_{name}.txt"] = content
    files[f"{sid}_AUDIO.wav"] = interview_wav(turns, who, duration, rng)
    return files


def _transcript_line(turn: Turn) -> str:
    return f"{turn.start:.3f}\t{turn.stop:.3f}\t{turn.speaker}\t{turn.value}"


class _Interview:
    """Builds the turns of one interview on a running clock."""

    def __init__(self, session: DemoSession, rng: np.random.Generator) -> None:
        self.session, self.rng = session, rng
        self.clock = float(rng.uniform(0.2, 0.6))
        self.turns: list[Turn] = []
        self.pause = 0.2 if session.depressed else 0.0  # slower answers when depressed

    def say(self, speaker: str, value: str, mood: str, seconds: float | None = None) -> None:
        words = len(value.split())
        length = seconds or (0.2 + 0.18 * words) * float(self.rng.uniform(0.85, 1.2))
        self.turns.append(Turn(self.clock, self.clock + length, speaker, value, mood))
        self.clock += length + float(self.rng.uniform(0.18, 0.4))
        if speaker == "Ellie":
            self.clock += self.pause

    def ellie(self, prompt: tuple[str, str]) -> None:
        prompt_id, text = prompt
        automatic = self.session.session_id >= AUTOMATIC_ELLIE_FROM
        self.say("Ellie", f"{prompt_id} ({text})" if automatic else text, "ellie")


def interview_turns(session: DemoSession, rng: np.random.Generator) -> list[Turn]:
    """Sync markers, then Ellie's questions and 31-34 participant rows (a few tags)."""
    talk = _Interview(session, rng)
    talk.say("Participant", vocab.SYNC_MARKERS[session.session_id % 4], "sync", 0.5)
    if session.session_id % 3 == 0:
        talk.say("Ellie", vocab.ELLIE_SYNC_MARKER, "sync", 0.4)
    talk.clock += 1.0
    for prompt in vocab.ELLIE_OPENING:
        talk.ellie(prompt)
        _answer(talk, 1)
    target = int(rng.integers(30, 34))
    tags = set(rng.choice(np.arange(4, target - 2), size=int(rng.integers(2, 4)), replace=False))
    questions = [vocab.ELLIE_QUESTIONS[i] for i in rng.permutation(len(vocab.ELLIE_QUESTIONS))]
    while _participant_rows(talk) < target:
        talk.ellie(_next_prompt(talk, questions))
        for _ in range(2 if rng.random() < 0.5 else 1):
            if _participant_rows(talk) in tags:
                _tag(talk)
            else:
                _answer(talk, 1)
    talk.ellie(vocab.ELLIE_CLOSING)
    talk.say("Participant", "okay bye", "neutral")
    return talk.turns


def _participant_rows(talk: _Interview) -> int:
    return sum(1 for turn in talk.turns if turn.speaker == "Participant" and turn.mood != "sync")


def _sad_share(session: DemoSession) -> float:
    """How often an answer is sad: grows with the PHQ-8 score, with a step at the cut-off."""
    if session.depressed:
        return min(0.6, 0.3 + 0.025 * (session.score - 10))
    return 0.04 + 0.02 * session.score


def _answer(talk: _Interview, count: int) -> None:
    rng = talk.rng
    for _ in range(count):
        draw = rng.random()
        if draw < _sad_share(talk.session):
            talk.say("Participant", _pick(rng, vocab.SAD_UTTERANCES), "sad")
        elif draw < _sad_share(talk.session) + 0.15:
            talk.say("Participant", _pick(rng, vocab.FILLER_UTTERANCES), "neutral")
        else:
            talk.say("Participant", _pick(rng, vocab.NON_SAD_UTTERANCES), "happy")


def _tag(talk: _Interview) -> None:
    """A lone `<sigh>` (mostly depressed participants) or `<laughter>` row."""
    sigh = talk.rng.random() < (0.75 if talk.session.depressed else 0.25)
    value, mood = (vocab.SAD_TAG, "sigh") if sigh else (vocab.HAPPY_TAG, "laugh")
    talk.say("Participant", value, mood, float(talk.rng.uniform(0.6, 1.2)))


def _next_prompt(talk: _Interview, questions: list[tuple[str, str]]) -> tuple[str, str]:
    """A follow-up fitting the last answer, or the next question (cycling the list)."""
    last = talk.turns[-1].mood
    rng = talk.rng
    if last in ("sad", "sigh") and rng.random() < 0.4:
        return vocab.ELLIE_SYMPATHY[int(rng.integers(len(vocab.ELLIE_SYMPATHY)))]
    if last in ("happy", "laugh") and rng.random() < 0.3:
        return vocab.ELLIE_PRAISE[int(rng.integers(len(vocab.ELLIE_PRAISE)))]
    if rng.random() < 0.25:
        return vocab.ELLIE_BACKCHANNELS[int(rng.integers(len(vocab.ELLIE_BACKCHANNELS)))]
    questions.append(questions.pop(0))
    return questions[-1]


def _pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return options[int(rng.integers(len(options)))]


# --- files on disk ---


def _store(root: Path, session: DemoSession, files: dict[str, bytes]) -> None:
    name = f"{session.session_id}_P"
    if session.zipped:
        with zipfile.ZipFile(root / f"{name}.zip", "w") as archive:
            for file_name, content in files.items():
                info = zipfile.ZipInfo(file_name, date_time=ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, content)
        return
    folder = root / name
    folder.mkdir(exist_ok=True)
    for file_name, content in files.items():
        (folder / file_name).write_bytes(content)


def write_label_files(folder: Path, sessions: list[DemoSession]) -> None:
    """The four AVEC 2017 label files with their real headers and line endings."""

    def rows(split: str) -> list[DemoSession]:
        return [s for s in sessions if s.split == split]

    def full(s: DemoSession) -> str:
        items = ",".join(str(v) for v in s.items)
        return f"{s.session_id},{int(s.depressed)},{s.score},{s.gender},{items}"

    def text(header: str, lines: list[str], newline: str) -> bytes:
        return newline.join([header, *lines, ""]).encode("ascii")

    (folder / TRAIN_LABELS).write_bytes(text(LABEL_COLUMNS, [full(s) for s in rows("train")], "\n"))
    (folder / DEV_LABELS).write_bytes(text(LABEL_COLUMNS, [full(s) for s in rows("dev")], "\r\n"))
    test = rows("test")
    ids = [f"{s.session_id},{s.gender}" for s in test]
    (folder / TEST_IDS).write_bytes(text("participant_ID,Gender", ids, "\n"))
    scored = [f"{s.session_id},{int(s.depressed)},{s.score},{s.gender}" for s in test]
    header = "Participant_ID,PHQ_Binary,PHQ_Score,Gender"
    (folder / TEST_LABELS).write_bytes(text(header, scored, "\r\r\n"))
