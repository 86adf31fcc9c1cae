"""The DAIC-WOZ reader on a hand-counted fixture corpus in the real layout, quirks included.

Hand count (see daic_fixtures.py; `+` utterance, `-` skipped):
300 folder, train, OpenFace+WAV: 0- ellie sync, 1- sync, 2+, 3- ellie, 4+, 5- empty, 6+ tag,
    7- scrubbed, 8+, 9/10/11- garbage, 12- ellie, 13+                       -> 5 utterances
301 flat zip + macOS junk, dev, OpenFace+WAV, CRLF: 0- ellie, 1+, 2- sync, 3- ellie, 4+, 5+ -> 3
302 zip with a 302_P/ folder inside, test, OpenFace, no WAV: 0- ellie, 1+            -> 1
303 folder (wins over 303_P.zip), train, nothing but the transcript: 0+, 1- ellie, 2+  -> 2
318 folder, dev, audio offset 34.32: 0- ellie, 1+                                   -> 1
320 folder holding only an AppleDouble file, train: no transcript                  -> 0
373 folder, test, interruption: 0- ellie, 1+, 2+, 3- int, 4- ellie, 5/6- int, 7+, 8- ellie, 9+ -> 4
400 folder, in no label file, AUs+gaze only (no pose): 0+, 1- ellie, 2+              -> 2
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from amm_core.data.daic import read_daic
from amm_core.data.daic_labels import read_labels
from amm_core.data.records import DAIC_EMOTIONS, ImportFailure
from tests.data.daic_fixtures import (
    TRAIN_HEADER,
    clnf_files,
    row,
    transcript,
    write_daic_corpus,
    write_folder,
    write_text,
    write_zip,
)

EXTERNAL_IDS = [
    "300_2", "300_4", "300_6", "300_8", "300_13", "301_1", "301_4", "301_5", "302_1",
    "303_0", "303_2", "318_1", "373_1", "373_2", "373_7", "373_9", "400_0", "400_2",
]  # fmt: skip
CONTEXTS = {
    "300_2": None,
    "300_4": "hi i'm ellie thanks for coming in",
    "300_6": "hi i'm ellie thanks for coming in",
    "300_8": "hi i'm ellie thanks for coming in",
    "300_13": "where are you from originally",
    "301_1": "how are you doing today",
    "301_4": "that's good",
    "301_5": "that's good",
    "302_1": "so how are you",
    "303_0": None,
    "303_2": "hi",
    "318_1": "are you okay with this",
    "373_1": "hi i'm ellie",
    "373_2": "hi i'm ellie",
    "373_7": "hi i'm ellie",
    "373_9": "how are you doing today",
    "400_0": None,
    "400_2": "are you ready to start",
}
# session: (split, gender, depression label, PHQ8 score)
SESSIONS = {
    "300": ("train", "male", 1, 10),
    "301": ("dev", "female", 0, 3),
    "302": ("test", "male", 1, 14),
    "303": ("train", "female", 1, 15),
    "318": ("dev", "male", 1, 12),
    "373": ("test", "female", 0, 2),
    "400": (None, "unknown", None, None),
}
LABEL_FILES = [
    "train_split_Depression_AVEC2017.csv",
    "dev_split_Depression_AVEC2017.csv",
    "full_test_split.csv",
    "test_split_Depression_AVEC2017.csv",
]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_daic_corpus(tmp_path / "daic")


def by_id(result: object) -> dict:
    return {s.external_id: s for s in result.samples}  # type: ignore[attr-defined]


def test_summary_counts_everything_exactly(corpus: Path) -> None:
    result = read_daic(corpus)
    assert result.kind == "daic"
    assert result.source == str(corpus)
    assert result.label_sets == {
        "depression": ["not depressed", "depressed"],
        "emotion": list(DAIC_EMOTIONS),
    }
    summary = result.summary
    assert summary["sessions"] == 8
    assert summary["sessions_by_split"] == {"train": 3, "dev": 2, "test": 2, "unlabelled": 1}
    assert summary["utterances"] == 18
    assert summary["skipped"] == {
        "ellie_row": 12,
        "empty": 1,
        "sync_marker": 2,
        "scrubbed_entry": 1,
        "interruption": 3,
        "garbage_row": 3,
        "bad_label_row": 1,
    }
    assert summary["sessions_without_transcript"] == 1
    assert summary["sessions_without_openface"] == 5
    assert summary["sessions_without_audio"] == 6
    assert summary["sessions_without_labels"] == 1
    assert summary["labelled_sessions_not_found"] == 1
    assert summary["label_files"] == LABEL_FILES
    notes = " | ".join(summary["notes"])
    assert "read from the folder: 303" in notes
    assert "recomputed from the score: 300" in notes
    assert "in no label file (split None): 400" in notes
    assert "not found under the root: 305" in notes
    assert result.split_counts() == {"train": 7, "dev": 4, "test": 5, "unsplit": 2}


def test_external_ids_contexts_and_texts(corpus: Path) -> None:
    result = read_daic(corpus)
    assert [s.external_id for s in result.samples] == EXTERNAL_IDS
    assert {s.external_id: s.context for s in result.samples} == CONTEXTS
    samples = by_id(result)
    assert samples["300_4"].text == "okay sure"
    assert samples["300_4"].meta["raw_value"] == "  okay  sure  "
    assert samples["300_6"].text == "<sigh>"
    assert [s.external_id for s in result.samples if s.meta["tag_only"]] == ["300_6"]
    assert samples["300_13"].text == "[laughter] los angeles"
    assert samples["303_0"].text == "hello there"  # the folder, not the zip's "zip row 0"
    assert samples["300_8"].start_time == 6.6 and samples["300_8"].stop_time == 7.0
    assert all(s.session_id == s.participant_id == s.external_id[:3] for s in result.samples)


def test_labels_splits_and_genders_per_session(corpus: Path) -> None:
    for sample in read_daic(corpus).samples:
        split, gender, depression, score = SESSIONS[sample.session_id]
        assert (sample.split, sample.gender, sample.depression_label) == (split, gender, depression)
        assert sample.meta["phq8_score"] == score
        assert sample.emotion_label is None


def test_media_and_meta(corpus: Path) -> None:
    samples = by_id(read_daic(corpus))
    with_openface = {s.session_id for s in samples.values() if s.media_kind == "openface"}
    assert with_openface == {"300", "301", "302"}
    assert samples["300_2"].media_path == str((corpus / "300_P").resolve())
    assert samples["301_1"].media_path == str((corpus / "301_P.zip").resolve())
    assert samples["400_0"].media_path is None and samples["400_0"].media_kind is None
    assert samples["301_1"].meta["source"] == "zip"
    assert samples["302_1"].meta["source"] == "zip"
    assert samples["303_0"].meta["source"] == "folder"
    assert samples["303_0"].meta["session_path"] == str((corpus / "303_P").resolve())
    assert [s.session_id for s in samples.values() if s.meta["has_audio"]] == ["300"] * 5 + [
        "301"
    ] * 3
    assert samples["318_1"].meta["audio_offset"] == 34.32
    assert samples["300_2"].meta["audio_offset"] == 0.0
    assert samples["373_9"].meta["row_index"] == 9


def test_test_split_without_full_test_file_is_unlabelled_test(tmp_path: Path) -> None:
    root = write_daic_corpus(tmp_path / "daic", labels=tmp_path / "labels", full_test=False)
    result = read_daic(root, labels_dir=tmp_path / "labels")
    assert result.summary["sessions_by_split"] == {
        "train": 3,
        "dev": 2,
        "test": 2,
        "unlabelled": 1,
    }
    assert result.summary["sessions_without_labels"] == 3  # 302, 373 and 400
    samples = by_id(result)
    assert (samples["302_1"].split, samples["302_1"].gender) == ("test", "male")
    assert samples["302_1"].depression_label is None
    assert result.summary["label_files"] == [LABEL_FILES[0], LABEL_FILES[1], LABEL_FILES[3]]


def test_a_corpus_without_label_files_is_imported_unlabelled(tmp_path: Path) -> None:
    """No --labels and no label files beside the sessions: every session unlabelled, said in a
    note. A --labels folder that is missing or holds no label file is refused instead (a typo
    there would unlabel every session of an earlier import)."""
    corpus = write_daic_corpus(tmp_path / "daic", labels=tmp_path / "elsewhere")
    empty = tmp_path / "nolabels"
    empty.mkdir()
    for wrong in (empty, tmp_path / "typo"):
        with pytest.raises(ImportFailure, match="label"):
            read_daic(corpus, labels_dir=wrong)
    result = read_daic(corpus)
    assert result.summary["sessions_by_split"] == {
        "train": 0,
        "dev": 0,
        "test": 0,
        "unlabelled": 8,
    }
    assert result.summary["label_files"] == []
    assert result.summary["utterances"] == 18


def test_empty_item_cell_stays_missing_and_binary_is_recomputed(corpus: Path) -> None:
    table = read_labels(corpus)
    assert table.sessions["303"].items["phq8_appetite"] is None
    assert table.sessions["303"].items["phq8_sleep"] == 2
    assert table.sessions["300"].reported_binary == 0
    assert table.sessions["300"].depression == 1
    assert table.skipped["bad_label_row"] == 1


def test_reading_twice_gives_the_same_samples(corpus: Path) -> None:
    first, second = read_daic(corpus), read_daic(corpus)
    assert [s.as_row() for s in first.samples] == [s.as_row() for s in second.samples]
    assert first.summary == second.summary


def test_missing_root_and_empty_root_fail(tmp_path: Path) -> None:
    with pytest.raises(ImportFailure, match="nowhere: DAIC-WOZ folder not found"):
        read_daic(tmp_path / "nowhere")
    (tmp_path / "file.zip").write_bytes(b"")
    with pytest.raises(ImportFailure, match="file.zip: is not a folder"):
        read_daic(tmp_path / "file.zip")
    (tmp_path / "empty" / "notes").mkdir(parents=True)
    with pytest.raises(ImportFailure, match="no DAIC-WOZ sessions found"):
        read_daic(tmp_path / "empty")


def test_bad_label_header_names_the_file(corpus: Path) -> None:
    write_text(corpus / "dev_split_Depression_AVEC2017.csv", ["id,score", "301,3"], "\r\n")
    with pytest.raises(ImportFailure) as failure:
        read_daic(corpus)
    message = str(failure.value)
    assert message.startswith("dev_split_Depression_AVEC2017.csv: missing column(s)")
    assert "\n" not in message


def test_bad_transcript_header_names_the_file(tmp_path: Path) -> None:
    root = tmp_path / "daic"
    bad = b"start_time,stop_time,speaker,value\n1.0,2.0,Participant,hi\n"
    write_folder(root, "305", {"305_TRANSCRIPT.csv": bad})
    with pytest.raises(ImportFailure, match=r"^305_P/305_TRANSCRIPT.csv: transcript header"):
        read_daic(root)
    write_zip(root, "306", {"306_TRANSCRIPT.csv": "\t".join("abcd").encode()})
    (root / "305_P" / "305_TRANSCRIPT.csv").unlink()
    with pytest.raises(ImportFailure, match=r"^306_P.zip:306_TRANSCRIPT.csv: transcript header"):
        read_daic(root)


def test_non_utf8_transcript_names_the_file(tmp_path: Path) -> None:
    data = transcript([row(0, 1, "Participant", "caf\u00e9")]).replace(b"\xc3\xa9", b"\xe9")
    write_folder(tmp_path, "307", {"307_TRANSCRIPT.csv": data})
    with pytest.raises(ImportFailure, match=r"^307_P/307_TRANSCRIPT.csv: not UTF-8 text"):
        read_daic(tmp_path)


def test_label_file_without_participant_column_fails(tmp_path: Path) -> None:
    write_folder(tmp_path, "300", {"300_TRANSCRIPT.csv": transcript([])})
    header = TRAIN_HEADER.replace("Participant_ID", "Speaker")
    write_text(tmp_path / "train_split_Depression_AVEC2017.csv", [header], "\n")
    with pytest.raises(ImportFailure, match="^train_split_Depression_AVEC2017.csv: missing"):
        read_daic(tmp_path)


def test_reads_a_full_size_corpus_in_seconds(tmp_path: Path) -> None:
    lines = []
    for i in range(150):
        lines += [row(i * 4.0, i * 4 + 1.0, "Ellie", f"question_{i} (question {i})")]
        lines += [row(i * 4 + 1.5, i * 4 + 3.0, "Participant", f"answer  number {i}")]
    data = transcript(lines)
    openface = clnf_files("000", 1.0)
    for number in range(300, 489):
        session = f"{number:03d}"
        files = {f"{session}_TRANSCRIPT.csv": data}
        files.update({name.replace("000", session): v for name, v in openface.items()})
        write_folder(tmp_path, session, files)
    began = time.perf_counter()
    result = read_daic(tmp_path)
    elapsed = time.perf_counter() - began
    # 373 loses answers 99-106 (395-428 s) and 444 answers 71-96 (286-387 s) to interruptions.
    assert result.summary["skipped"]["interruption"] == 8 + 26
    assert result.summary["utterances"] == 189 * 150 - 34
    assert result.samples[1].context == "question 1"
    assert elapsed < 5.0, f"reading took {elapsed:.1f} s"


def test_corrupt_session_zip_names_the_zip(tmp_path: Path) -> None:
    (tmp_path / "399_P.zip").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ImportFailure, match=r"^399_P.zip: not a readable zip file"):
        read_daic(tmp_path)
