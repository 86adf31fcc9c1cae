"""The embedded demo: synthetic MGID and DAIC-WOZ corpora in the real formats, learnable."""

from __future__ import annotations

import csv
import importlib.util
import io
import re
import time
import wave
import zipfile
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from amm_core.data.demo import NOTE_FILE, DemoPaths, write_demo_corpora
from amm_core.data.demo_text import (
    ADJECTIVES,
    NON_SAD_UTTERANCES,
    SAD_UTTERANCES,
    SHARED_SCENES,
)

MGID_HEADER = b"\xef\xbb\xbfDepression Label,Emotion Label,Title,Text,Image URL\n"
CSV_EMOTIONS = {"depressed", "Neutral", "Happiness", "Fear", "Surprise", "Anger"}
URL = re.compile(
    r"^https://media\.gettyimages\.com/(photos|illustrations|vectors)/[a-z0-9-]+-"
    r"(picture|illustration|vector)-id(\d{9,10})$"
)
LABEL_HEADER = (
    "Participant_ID,PHQ8_Binary,PHQ8_Score,Gender,PHQ8_NoInterest,PHQ8_Depressed,PHQ8_Sleep,"
    "PHQ8_Tired,PHQ8_Appetite,PHQ8_Failure,PHQ8_Concentrating,PHQ8_Moving"
)
AU_COLUMNS = [
    "AU01_r", "AU02_r", "AU04_r", "AU05_r", "AU06_r", "AU09_r", "AU10_r", "AU12_r", "AU14_r",
    "AU15_r", "AU17_r", "AU20_r", "AU25_r", "AU26_r",
    "AU04_c", "AU12_c", "AU15_c", "AU23_c", "AU28_c", "AU45_c",
]  # fmt: skip
GAZE_COLUMNS = [
    "x_0", "y_0", "z_0", "x_1", "y_1", "z_1", "x_h0", "y_h0", "z_h0", "x_h1", "y_h1", "z_h1",
]  # fmt: skip
POSE_COLUMNS = ["Tx", "Ty", "Tz", "Rx", "Ry", "Rz"]
LEADING = ["frame", "timestamp", "confidence", "success"]
SESSION_IDS = [300, 301, 302, 303, 304, 305, 370, 371]
SYNC_VALUES = {"<sync>", "<synch>", "<sync.", "[sync]", "[syncing]"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoPaths, float]:
    """The default demo (seed 7, 600 posts, 8 sessions) and how long it took to write."""
    started = time.perf_counter()
    paths = write_demo_corpora(tmp_path_factory.mktemp("demo"))
    return paths, time.perf_counter() - started


@pytest.fixture(scope="module")
def paths(demo: tuple[DemoPaths, float]) -> DemoPaths:
    return demo[0]


def _all_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _mgid_rows(paths: DemoPaths, name: str) -> list[dict[str, str]]:
    with open(paths.mgid_csv_dir / name, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _asset(row: dict[str, str]) -> str:
    match = URL.match(row["Image URL"])
    assert match, row["Image URL"]
    return match.group(3)


def _session_bytes(paths: DemoPaths, session_id: int, suffix: str) -> bytes:
    """A session file, from its folder or from its zip."""
    name = f"{session_id}_{suffix}"
    folder = paths.daic_root / f"{session_id}_P"
    if folder.is_dir():
        return (folder / name).read_bytes()
    with zipfile.ZipFile(paths.daic_root / f"{session_id}_P.zip") as archive:
        return archive.read(name)


def _transcript(paths: DemoPaths, session_id: int) -> pd.DataFrame:
    data = _session_bytes(paths, session_id, "TRANSCRIPT.csv")
    return pd.read_csv(io.BytesIO(data), sep="\t", quoting=csv.QUOTE_NONE, keep_default_na=False)


def _openface(paths: DemoPaths, session_id: int, kind: str) -> pd.DataFrame:
    data = _session_bytes(paths, session_id, f"CLNF_{kind}.txt")
    return pd.read_csv(io.BytesIO(data), sep=",", skipinitialspace=True)


def _labels(paths: DemoPaths) -> dict[int, int]:
    """Session id -> PHQ-8 score, from the three labelled files."""
    scores = {}
    for name in ("train_split_Depression_AVEC2017.csv", "dev_split_Depression_AVEC2017.csv"):
        for row in csv.DictReader(io.StringIO((paths.daic_labels_dir / name).read_text())):
            scores[int(row["Participant_ID"])] = int(row["PHQ8_Score"])
    full = (paths.daic_labels_dir / "full_test_split.csv").read_bytes().decode()
    for row in csv.DictReader(io.StringIO(full.replace("\r", ""))):
        scores[int(row["Participant_ID"])] = int(row["PHQ_Score"])
    return scores


# --- the whole thing ---


def test_demo_is_written_fast_and_stays_small(demo: tuple[DemoPaths, float]) -> None:
    paths, seconds = demo
    assert seconds < 20  # ~7 s alone on 2 cores (600 posts' pictures and 8 interviews)
    root = paths.mgid_csv_dir.parent
    total = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    assert total < 40 * 1024 * 1024  # ~34 MB: 23 MB of DAIC, 11 MB of MGID pictures
    note = (root / NOTE_FILE).read_text(encoding="utf-8")
    assert note.startswith("ALL DATA IN THIS FOLDER IS SYNTHETIC.")


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    first = write_demo_corpora(tmp_path / "a", seed=3, n_posts=40, n_sessions=3)
    second = write_demo_corpora(tmp_path / "b", seed=3, n_posts=40, n_sessions=3)
    other = write_demo_corpora(tmp_path / "c", seed=4, n_posts=40, n_sessions=3)
    files = _all_files(tmp_path / "a")
    assert files == _all_files(tmp_path / "b")  # CSVs, JPEGs, transcripts, WAVs, the zip
    assert first.mgid_csv_dir != second.mgid_csv_dir
    for name in ("mgid/train/train.csv", "mgid/dataset.csv", "daic/300_P/300_TRANSCRIPT.csv"):
        assert files[name] != (tmp_path / "c" / name).read_bytes()
    assert other.daic_root == tmp_path / "c" / "daic"


def test_rewriting_replaces_only_the_demo_folders(tmp_path: Path) -> None:
    write_demo_corpora(tmp_path, n_posts=20, n_sessions=4)
    (tmp_path / "keep.txt").write_text("mine")
    paths = write_demo_corpora(tmp_path, n_posts=20, n_sessions=3)
    sessions = sorted(p.name for p in paths.daic_root.iterdir() if "_P" in p.name)
    assert sessions == ["300_P", "301_P.zip", "370_P"]
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_too_few_posts_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="n_posts must be at least 20"):
        write_demo_corpora(tmp_path, n_posts=5)


# --- MGID ---


def test_mgid_files_have_the_real_header_bom_and_split_sizes(paths: DemoPaths) -> None:
    sizes = {"train/train.csv": 360, "dev/dev.csv": 90, "test/test.csv": 150, "dataset.csv": 600}
    for name, size in sizes.items():
        data = (paths.mgid_csv_dir / name).read_bytes()
        assert data.startswith(MGID_HEADER)
        assert b"\r\n" not in data
        assert len(_mgid_rows(paths, name)) == size
    parts = [_mgid_rows(paths, f"{s}/{s}.csv") for s in ("train", "dev", "test")]
    assert _mgid_rows(paths, "dataset.csv") == parts[0] + parts[1] + parts[2]


def test_mgid_cells_look_like_mgid(paths: DemoPaths) -> None:
    rows = _mgid_rows(paths, "dataset.csv")
    assert {r["Depression Label"] for r in rows} == {"TRUE", "FALSE"}
    assert {r["Emotion Label"] for r in rows} == CSV_EMOTIONS
    assert all(r["Title"].startswith("Synthetic ") for r in rows)
    assert sum(r["Title"].endswith(" - stock photo") for r in rows) > 150
    kinds = Counter(URL.match(r["Image URL"]).group(1) for r in rows)  # type: ignore[union-attr]
    assert set(kinds) == {"photos", "illustrations", "vectors"}
    texts = [r["Text"] for r in rows]
    assert any("," in t for t in texts) and any('"' in t for t in texts)
    assert sum(t.startswith("https://") for t in texts) == 1
    for split, empty in {"train": 90, "dev": 22, "test": 37}.items():
        split_rows = _mgid_rows(paths, f"{split}/{split}.csv")
        assert sum(r["Text"] == "" for r in split_rows) == empty


def test_mgid_depressed_rows_shift_from_depressed_to_neutral(paths: DemoPaths) -> None:
    expected = {
        "train": ({"depressed": 153, "Neutral": 27}, 36),
        "dev": ({"Neutral": 31, "depressed": 14}, 9),
        "test": ({"Neutral": 52, "depressed": 23}, 15),
    }
    for split, (true_emotions, per_false_emotion) in expected.items():
        rows = _mgid_rows(paths, f"{split}/{split}.csv")
        true_rows = [r["Emotion Label"] for r in rows if r["Depression Label"] == "TRUE"]
        false_rows = Counter(r["Emotion Label"] for r in rows if r["Depression Label"] == "FALSE")
        assert Counter(true_rows) == true_emotions
        assert false_rows == dict.fromkeys(CSV_EMOTIONS - {"depressed"}, per_false_emotion)


def test_mgid_some_rows_share_an_image(paths: DemoPaths) -> None:
    by_asset: dict[str, list[tuple[str, str, str]]] = {}
    for split in ("train", "dev", "test"):
        for row in _mgid_rows(paths, f"{split}/{split}.csv"):
            labels = (split, row["Depression Label"], row["Emotion Label"])
            by_asset.setdefault(_asset(row), []).append(labels)
    shared = {a: rows for a, rows in by_asset.items() if len(rows) > 1}
    assert len(by_asset) == 595 and len(shared) == 5
    assert sum(len({s for s, _, _ in rows}) > 1 for rows in shared.values()) == 1
    assert sum(len({lab[1:] for lab in rows}) > 1 for rows in shared.values()) == 1


def test_some_captions_are_vague_and_only_the_picture_tells(paths: DemoPaths) -> None:
    rows = _mgid_rows(paths, "dataset.csv")
    for phrase in SHARED_SCENES:
        labels = {r["Depression Label"] for r in rows if f" {phrase}" in r["Text"]}
        classes = set(SHARED_SCENES[phrase])
        if "depressed" in classes and len(classes) > 1:  # the phrase is said on both sides
            assert labels == {"TRUE", "FALSE"}, phrase
    vague = [r for r in rows if any(f" {p}" in r["Text"] for p in SHARED_SCENES)]
    assert 0.15 * len(rows) < len(vague) < 0.35 * len(rows)
    mood_words = {w for words in ADJECTIVES.values() for w in words}
    for row in vague:
        if not any(p in row["Text"] for p in ("window", "phone")):  # also plain scenes
            assert not set(re.findall(r"[a-z]+", row["Text"].lower())) & mood_words, row["Text"]


def test_mgid_images_decode_at_480_by_360(paths: DemoPaths) -> None:
    assets = {_asset(r) for r in _mgid_rows(paths, "dataset.csv")}
    files = sorted(paths.mgid_images_dir.iterdir())
    assert {f.name for f in files} == {f"{a}.jpg" for a in assets}
    for file in files[:40]:
        image = cv2.imread(str(file))
        assert image is not None and image.shape == (360, 480, 3)


def test_depressed_pictures_are_darker_and_bluer_than_happy_ones(paths: DemoPaths) -> None:
    rows = _mgid_rows(paths, "train/train.csv")

    def colour(emotion: str) -> tuple[float, float]:
        images = [
            cv2.imread(str(paths.mgid_images_dir / f"{_asset(r)}.jpg")).astype(np.float64)
            for r in rows
            if r["Emotion Label"] == emotion
        ]
        brightness = np.mean([img.mean() for img in images])
        blue_minus_red = np.mean([img[..., 0].mean() - img[..., 2].mean() for img in images])
        return float(brightness), float(blue_minus_red)

    sad_brightness, sad_blue = colour("depressed")
    happy_brightness, happy_blue = colour("Happiness")
    assert happy_brightness > sad_brightness + 40
    assert sad_blue > happy_blue + 40


# --- DAIC-WOZ ---


def test_daic_sessions_are_folders_and_one_flat_zip(paths: DemoPaths) -> None:
    entries = sorted(p.name for p in paths.daic_root.iterdir() if "_P" in p.name)
    assert entries == [f"{i}_P" if i != 301 else "301_P.zip" for i in SESSION_IDS]
    kinds = ["AUDIO.wav", "CLNF_AUs.txt", "CLNF_gaze.txt", "CLNF_pose.txt", "TRANSCRIPT.csv"]
    with zipfile.ZipFile(paths.daic_root / "301_P.zip") as archive:
        assert sorted(archive.namelist()) == [f"301_{kind}" for kind in kinds]
    assert sorted(p.name for p in (paths.daic_root / "370_P").iterdir()) == [
        f"370_{kind}" for kind in kinds
    ]


def test_daic_transcripts_follow_the_corpus_format(paths: DemoPaths) -> None:
    prompt = re.compile(r"^\w+ \(.+\)$")
    for session_id in SESSION_IDS:
        data = _session_bytes(paths, session_id, "TRANSCRIPT.csv")
        newline = b"\r\n" if session_id == 301 else b"\n"
        assert data.startswith(b"start_time\tstop_time\tspeaker\tvalue" + newline)
        assert data.count(newline) == data.count(b"\n")
        rows = _transcript(paths, session_id)
        assert set(rows["speaker"]) == {"Ellie", "Participant"}
        assert rows.iloc[0]["speaker"] == "Participant" and rows.iloc[0]["value"] in SYNC_VALUES
        assert rows["start_time"].is_monotonic_increasing
        assert 60 < rows["stop_time"].iloc[-1] < 180
        said = rows[(rows["speaker"] == "Participant") & ~rows["value"].isin(SYNC_VALUES)]
        assert 30 <= len(said) <= 40
        assert 2 <= said["value"].isin(["<sigh>", "<laughter>"]).sum() <= 3
        ellie = rows[(rows["speaker"] == "Ellie") & ~rows["value"].isin(SYNC_VALUES)]
        automatic = ellie["value"].str.match(prompt)
        assert automatic.all() if session_id >= 363 else not automatic.any()
        spoken = rows["value"].str.replace(r"^\w+ \((.*)\)$", r"\1", regex=True)
        assert not spoken.str.contains(r"\d").any()  # prompt ids like yeah3 may carry digits


def test_openface_files_parse_into_the_openface_columns(paths: DemoPaths) -> None:
    for session_id in SESSION_IDS:
        end = _transcript(paths, session_id)["stop_time"].iloc[-1]
        tables = {kind: _openface(paths, session_id, kind) for kind in ("AUs", "gaze", "pose")}
        assert list(tables["AUs"].columns) == LEADING + AU_COLUMNS
        assert list(tables["gaze"].columns) == LEADING + GAZE_COLUMNS
        assert list(tables["pose"].columns) == LEADING + POSE_COLUMNS
        aus = tables["AUs"]
        assert (aus["frame"] == np.arange(1, len(aus) + 1)).all()
        assert np.allclose(np.diff(aus["timestamp"]), 0.1)  # 10 fps, honest timestamps
        assert aus["timestamp"].iloc[-1] >= end
        assert 0 < (aus["success"] == 0).sum() < len(aus) * 0.1
        for table in tables.values():
            assert table["timestamp"].equals(aus["timestamp"])
            assert table["success"].equals(aus["success"])


def test_audio_is_16k_mono_16_bit_and_covers_the_transcript(paths: DemoPaths) -> None:
    for session_id in SESSION_IDS:
        end = _transcript(paths, session_id)["stop_time"].iloc[-1]
        with wave.open(io.BytesIO(_session_bytes(paths, session_id, "AUDIO.wav"))) as audio:
            assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (
                16000,
                1,
                2,
            )
            assert audio.getnframes() / 16000 >= end
            samples = np.frombuffer(audio.readframes(audio.getnframes()), dtype="<i2")
        assert 0 < np.abs(samples).max() < 8000  # quiet, but not silent


def test_label_files_have_the_avec_2017_shape(paths: DemoPaths) -> None:
    folder = paths.daic_labels_dir
    train = (folder / "train_split_Depression_AVEC2017.csv").read_bytes()
    dev = (folder / "dev_split_Depression_AVEC2017.csv").read_bytes()
    test_ids = (folder / "test_split_Depression_AVEC2017.csv").read_bytes()
    full = (folder / "full_test_split.csv").read_bytes()
    assert train.startswith(LABEL_HEADER.encode() + b"\n") and b"\r" not in train
    assert dev.startswith(LABEL_HEADER.encode() + b"\r\n") and dev.count(b"\r\n") == 3
    assert test_ids.splitlines()[0] == b"participant_ID,Gender" and len(test_ids.split()) == 3
    assert full.startswith(b"Participant_ID,PHQ_Binary,PHQ_Score,Gender\r\r\n")
    assert full.count(b"\r\r\n") == 3
    for data, size in ((train, 4), (dev, 2)):
        table = pd.read_csv(io.BytesIO(data))
        assert len(table) == size and set(table["Gender"]) <= {0, 1}
        items = table[LABEL_HEADER.split(",")[4:]]
        assert items.shape[1] == 8 and (items.sum(axis=1) == table["PHQ8_Score"]).all()
        assert (table["PHQ8_Binary"] == (table["PHQ8_Score"] >= 10).astype(int)).all()
        assert set(table["PHQ8_Binary"]) == {0, 1}
    scored = pd.read_csv(io.StringIO(full.decode().replace("\r", "")))
    assert set(scored["PHQ_Binary"]) == {0, 1}
    assert sorted(_labels(paths)) == SESSION_IDS


def test_sadness_shows_in_words_and_faces(paths: DemoPaths) -> None:
    scores = _labels(paths)
    sad_share: dict[bool, list[float]] = {True: [], False: []}
    frames: dict[bool, list[pd.DataFrame]] = {True: [], False: []}
    for session_id in SESSION_IDS:
        rows = _transcript(paths, session_id)
        said = rows[rows["speaker"] == "Participant"]
        sad_share[scores[session_id] >= 10].append(said["value"].isin(SAD_UTTERANCES).mean())
        aus = _openface(paths, session_id, "AUs")
        aus = aus[aus["success"] == 1]
        for row in said.itertuples():
            if row.value in SAD_UTTERANCES or row.value in NON_SAD_UTTERANCES:
                inside = aus["timestamp"].between(row.start_time, row.stop_time)
                frames[row.value in SAD_UTTERANCES].append(aus[inside])
    assert np.mean(sad_share[True]) > np.mean(sad_share[False]) + 0.15
    sad, other = pd.concat(frames[True]), pd.concat(frames[False])
    assert sad["AU04_r"].mean() > other["AU04_r"].mean() + 0.3
    assert sad["AU15_r"].mean() > other["AU15_r"].mean() + 0.3
    assert sad["AU12_r"].mean() < other["AU12_r"].mean() - 0.3


# --- through the real readers ---


def _needs(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not written yet: the demo cannot be read through it")


def test_demo_reads_through_the_mgid_reader(paths: DemoPaths) -> None:
    _needs("amm_core.data.mgid")
    from amm_core.data.mgid import read_mgid

    result = read_mgid(paths.mgid_csv_dir, images_dir=paths.mgid_images_dir)
    assert len(result.samples) == 600
    assert result.split_counts() == {"train": 360, "dev": 90, "test": 150}
    assert sum(result.summary["skipped"].values()) == 0
    assert result.summary["images_missing"] == 0
    assert all(s.media_kind == "image" and Path(s.media_path).is_file() for s in result.samples)
    assert result.summary["duplicated_images"] == 5
    assert result.summary["cross_split_images"] == 1
    assert result.summary["label_conflicts"] == 1
    assert result.summary["split_shift_warning"]


def test_demo_reads_through_the_daic_reader(paths: DemoPaths) -> None:
    _needs("amm_core.data.daic")
    from amm_core.data.daic import read_daic

    result = read_daic(paths.daic_root, labels_dir=paths.daic_labels_dir)
    transcripts = [_transcript(paths, session_id) for session_id in SESSION_IDS]
    participant = sum(int((t["speaker"] == "Participant").sum()) for t in transcripts)
    ellie = sum(int((t["speaker"] == "Ellie").sum()) for t in transcripts)
    skipped = {reason: n for reason, n in result.summary["skipped"].items() if n}
    assert all(re.search("sync|ellie|tag", reason, re.IGNORECASE) for reason in skipped)
    assert sum(skipped.values()) == ellie + len(SESSION_IDS)  # one participant sync row each
    assert len(result.samples) == participant - len(SESSION_IDS)
    assert result.summary["sessions"] == 8
    assert result.summary["sessions_without_openface"] == 0
    assert result.summary["sessions_without_audio"] == 0
    assert {s.session_id for s in result.samples} == {str(i) for i in SESSION_IDS}
    assert all(s.media_kind == "openface" and s.meta["has_audio"] for s in result.samples)
    scores = _labels(paths)
    assert all(s.depression_label == int(scores[int(s.session_id)] >= 10) for s in result.samples)


def test_demo_utterances_have_face_frames_and_sound(paths: DemoPaths) -> None:
    for module in ("amm_core.data.daic", "amm_core.data.openface", "amm_core.data.daic_audio"):
        _needs(module)
    from amm_core.data.daic import read_daic
    from amm_core.data.daic_audio import cut_audio
    from amm_core.data.openface import utterance_frames

    samples = read_daic(paths.daic_root, labels_dir=paths.daic_labels_dir).samples
    with_frames = sum(
        len(utterance_frames(Path(s.media_path), s.session_id, s.start_time, s.stop_time)) > 0
        for s in samples
    )
    assert with_frames >= 0.9 * len(samples)
    first_of_each = {s.session_id: s for s in reversed(samples)}.values()
    for s in first_of_each:  # the zipped session 301 included
        clip = cut_audio(Path(s.meta["session_path"]), s.session_id, s.start_time, s.stop_time)
        with wave.open(io.BytesIO(clip)) as audio:
            assert audio.getnframes() == pytest.approx((s.stop_time - s.start_time) * 16000, abs=2)
