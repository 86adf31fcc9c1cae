"""Write small DAIC-WOZ and E-DAIC corpora in exactly the real formats, quirks included.

`write_daic_corpus` builds the hand-counted corpus described in tests/data/test_daic.py;
the smaller writers let a test build one odd session or label file of its own.
"""

from __future__ import annotations

import io
import wave
import zipfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from amm_core.data.openface import AU_COLUMNS, GAZE_COLUMNS, POSE_COLUMNS

FPS = 30
SAMPLE_RATE = 16_000
WAV_PERIOD = 30_000  # sample i holds the value i % WAV_PERIOD, so a cut's start can be checked
TRANSCRIPT_HEADER = "start_time\tstop_time\tspeaker\tvalue"
ITEMS = "NoInterest,Depressed,Sleep,Tired,Appetite,Failure,Concentrating,Moving"
TRAIN_HEADER = "Participant_ID,PHQ8_Binary,PHQ8_Score,Gender," + ",".join(
    f"PHQ8_{item}" for item in ITEMS.split(",")
)
APPLEDOUBLE = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        \xff\xfe\x00"
OPENFACE2_GAZE = ("gaze_0_x", "gaze_0_y", "gaze_0_z", "gaze_1_x", "gaze_1_y", "gaze_1_z")
OPENFACE2_AUS = ("01", "02", "04", "05", "06", "07", "09", "10", "12", "14", "15", "17", "20",
                 "23", "25", "26", "45")  # fmt: skip


def row(start: float | str, stop: float | str, speaker: str, value: str) -> str:
    """One transcript line, fields joined by tabs exactly as given (no quoting)."""
    return f"{start}\t{stop}\t{speaker}\t{value}"


def transcript(lines: Iterable[str], newline: str = "\n", final_newline: bool = True) -> bytes:
    """A DAIC-WOZ transcript: the tab header then `lines` (use "" for a blank line)."""
    text = newline.join([TRANSCRIPT_HEADER, *lines])
    return (text + (newline if final_newline else "")).encode("utf-8")


def clnf_files(
    session_id: str,
    seconds: float,
    failed: dict[str, set[int]] | None = None,
    kinds: tuple[str, ...] = ("AUs", "gaze", "pose"),
) -> dict[str, bytes]:
    """CLNF AU/gaze/pose files at 30 fps from t=0 to `seconds`, fields separated by ", ".

    Frame k (0-based; `frame` column k + 1, timestamp k/30) has AU *_r = k/1000, AU *_c = k % 2,
    x_0 = k/100 (other gaze 0.5), Tx = k (other pose 0.25). `failed[kind]` lists frames k written
    with success 0 and zeroed features, as OpenFace writes them.
    """
    columns = {"AUs": AU_COLUMNS, "gaze": GAZE_COLUMNS, "pose": POSE_COLUMNS}
    failed = failed or {}
    count = int(round(seconds * FPS)) + 1
    files = {}
    for kind in kinds:
        lines = [", ".join(["frame", "timestamp", "confidence", "success", *columns[kind]])]
        for k in range(count):
            ok = k not in failed.get(kind, set())
            values = [_feature(name, k) if ok else 0 for name in columns[kind]]
            lead = [k + 1, f"{k / FPS:.6f}", 0.98 if ok else 0, int(ok)]
            lines.append(", ".join(str(v) for v in [*lead, *values]))
        files[f"{session_id}_CLNF_{kind}.txt"] = ("\n".join(lines) + "\n").encode()
    return files


def _feature(name: str, k: int) -> float | int:
    if name.endswith("_c"):
        return k % 2
    if name.endswith("_r"):
        return k / 1000
    return {"x_0": k / 100, "Tx": k}.get(name, 0.5 if name in GAZE_COLUMNS else 0.25)


def openface2_file(seconds: float, gaze: tuple[float, float, float], ry: float) -> bytes:
    """E-DAIC OpenFace 2.1.0 CSV: frame, timestamp, confidence, success + 49 features.

    Every frame has gaze_0 = gaze_1 = `gaze`, pose_Ry = `ry`, pose_Tx = k, AU*_r = k/1000;
    frame k = 3 has success 0.
    """
    names = [
        *OPENFACE2_GAZE, "gaze_angle_x", "gaze_angle_y",
        "pose_Tx", "pose_Ty", "pose_Tz", "pose_Rx", "pose_Ry", "pose_Rz",
        *(f"AU{n}_r" for n in OPENFACE2_AUS),
        *(f"AU{n}_c" for n in (*OPENFACE2_AUS[:-1], "28", "45")),
    ]  # fmt: skip
    lines = [", ".join(["frame", "timestamp", "confidence", "success", *names])]
    for k in range(int(round(seconds * FPS)) + 1):
        values = {**dict(zip(OPENFACE2_GAZE, gaze * 2, strict=True)), "pose_Tx": k, "pose_Ry": ry}
        cells = [values.get(n, k / 1000 if n.endswith("_r") else 0) for n in names]
        lines.append(", ".join(str(v) for v in [k + 1, f"{k / FPS:.3f}", 0.9, int(k != 3), *cells]))
    return ("\n".join(lines) + "\n").encode()


def wav_file(seconds: float, rate: int = SAMPLE_RATE) -> bytes:
    """A mono 16-bit WAV whose sample i is i % WAV_PERIOD."""
    samples = (np.arange(int(seconds * rate)) % WAV_PERIOD).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(samples.tobytes())
    return buffer.getvalue()


def write_folder(root: Path, session_id: str, files: dict[str, bytes]) -> Path:
    folder = root / f"{session_id}_P"
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_zip(root: Path, session_id: str, files: dict[str, bytes], inner: bool = False) -> Path:
    """`XXX_P.zip` with files flat at the root (or inside one `XXX_P/` folder) plus macOS junk."""
    path = root / f"{session_id}_P.zip"
    prefix = f"{session_id}_P/" if inner else ""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        if inner:
            archive.writestr(prefix, b"")
        archive.writestr("__MACOSX/", b"")
        for name, data in files.items():
            archive.writestr(prefix + name, data)
            archive.writestr(f"__MACOSX/{prefix}._{name}", APPLEDOUBLE)
        archive.writestr(f"{prefix}._{session_id}_TRANSCRIPT.csv", APPLEDOUBLE)
    return path


def write_text(path: Path, lines: list[str], newline: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((newline.join(lines) + newline).encode("utf-8"))


def write_daic_labels(folder: Path, full_test: bool = True) -> None:
    """The four AVEC 2017 label files with their real headers and line endings.

    train (LF): 300 binary 0 score 10 male; 303 score 15 female with an empty item cell;
    320 score 5 male; 305 (no such session); a row with id "x". dev (CRLF): 301 score 3 female,
    318 score 12 male. test_split (LF): 302 male, 373 female. full_test (\\r\\r\\n): 302 score 14,
    373 score 2.
    """
    train = [
        TRAIN_HEADER,
        "300,0,10,1,1,1,1,1,2,2,1,1",
        "303,1,15,0,2,2,2,2,,2,2,1",
        "320,0,5,1,1,1,1,1,1,0,0,0",
        "305,1,20,0,3,3,3,3,2,2,2,2",
        "x,0,1,1,0,0,0,0,0,0,0,1",
    ]
    dev = [TRAIN_HEADER, "301,0,3,0,0,0,1,1,1,0,0,0", "318,1,12,1,2,2,2,2,1,1,1,1"]
    write_text(folder / "train_split_Depression_AVEC2017.csv", train, "\n")
    write_text(folder / "dev_split_Depression_AVEC2017.csv", dev, "\r\n")
    write_text(
        folder / "test_split_Depression_AVEC2017.csv",
        ["participant_ID,Gender", "302,1", "373,0"],
        "\n",
    )
    if full_test:
        write_text(folder / "full_test_split.csv",
                   ["Participant_ID,PHQ_Binary,PHQ_Score,Gender", "302,1,14,1", "373,0,2,0"],
                   "\r\r\n")  # fmt: skip


SESSION_300 = [  # folder, LF, no final newline; row index in the trailing comment
    row(0.5, 1.2, "Ellie", "<sync>"),  # 0 ellie (sync: no context)
    row(1.0, 1.8, "Participant", "<synch>"),  # 1 sync_marker
    row(2.0, 3.0, "Participant", "before ellie speaks"),  # 2 utterance, context None
    row(3.1, 4.0, "Ellie", "hi i'm ellie  thanks for coming in"),  # 3 ellie
    row(4.2, 5.0, "Participant", "  okay  sure  "),  # 4 utterance "okay sure"
    "",
    "   ",
    row(5.1, 5.5, "Participant", ""),  # 5 empty (row ends in a tab)
    row(5.6, 6.0, "Participant", " <sigh> "),  # 6 utterance, tag only
    row(6.1, 6.5, "Participant", "scrubbed_entry"),  # 7 scrubbed_entry
    row(6.6, 7.0, "Participant", "people <peop> xxx"),  # 8 utterance
    row(7.1, 7.5, "Doctor", "unknown speaker"),  # 9 garbage
    row("abc", 8.0, "Participant", "bad time"),  # 10 garbage
    "8.1\t8.5\tParticipant",  # 11 garbage (three fields)
    row(8.6, 9.0, "Ellie", "where are you from originally"),  # 12 ellie
    row(9.1, 9.8, "Participant", "[laughter] los angeles"),  # 13 utterance
]
SESSION_301 = [  # flat zip, CRLF
    row(0.0, 1.0, "Ellie", "how are you doing today"),  # 0
    row(1.2, 2.0, "Participant", "i'm fine"),  # 1 utterance
    row(2.1, 3.0, "Participant", "[syncing]"),  # 2 sync_marker
    row(3.1, 4.0, "Ellie", "that's good"),  # 3
    row(4.1, 5.0, "Participant", "yeah"),  # 4 utterance
    row(5.1, 6.0, "Participant", "it's been a long week <laughter>"),  # 5 utterance
]
SESSION_373 = [  # interruption 395-428 s, prompt ids
    row(390.0, 391.0, "Ellie", "intro_greet (hi i'm ellie)"),  # 0
    row(391.5, 392.5, "Participant", "hi"),  # 1 utterance
    row(393.0, 395.0, "Participant", "just before"),  # 2 utterance (touches the window)
    row(394.5, 396.0, "Participant", "interrupted one"),  # 3 interruption
    row(400.0, 410.0, "Ellie", "yeah3 (yeah)"),  # 4 ellie inside the window: no context
    row(410.0, 420.0, "Participant", "somebody came in"),  # 5 interruption
    row(427.0, 430.0, "Participant", "straddles the end"),  # 6 interruption
    row(428.5, 430.0, "Participant", "okay where were we"),  # 7 utterance
    row(431.0, 432.0, "Ellie", "doing_well (how are you doing today)"),  # 8
    row(432.5, 433.0, "Participant", "good"),  # 9 utterance
]
SESSION_400 = [
    row(0.0, 1.0, "Participant", "um hello"),  # 0 utterance, context None
    row(1.0, 2.0, "Ellie", "ready_1 (are you ready  to start)"),  # 1
    row(2.0, 3.0, "Participant", "a_b_c yes"),  # 2 utterance
]


def write_daic_corpus(root: Path, labels: Path | None = None, full_test: bool = True) -> Path:
    """The hand-counted DAIC-WOZ corpus of test_daic.py (labels in `labels` or `root`)."""
    root.mkdir(parents=True, exist_ok=True)
    failed = {"AUs": {200, 201, 205}, "pose": {203}}
    write_folder(root, "300", {
        "300_TRANSCRIPT.csv": transcript(SESSION_300, final_newline=False),
        "300_AUDIO.wav": wav_file(10.0),
        **clnf_files("300", 8.0, failed),
        "._300_TRANSCRIPT.csv": APPLEDOUBLE,
    })  # fmt: skip
    write_zip(root, "301", {
        "301_TRANSCRIPT.csv": transcript(SESSION_301, newline="\r\n"),
        "301_AUDIO.wav": wav_file(6.0),
        **clnf_files("301", 6.0),
    })  # fmt: skip
    session_302 = [row(0.0, 1.0, "Ellie", "so how are you"), row(1.1, 2.0, "Participant", "good")]
    write_zip(root, "302", {"302_TRANSCRIPT.csv": transcript(session_302),
                            **clnf_files("302", 2.0)}, inner=True)  # fmt: skip
    session_303 = [row(0.0, 1.0, "Participant", "hello there"), row(1.5, 2.0, "Ellie", "hi"),
                   row(2.0, 3.0, "Participant", "nice to meet you")]  # fmt: skip
    write_folder(root, "303", {"303_TRANSCRIPT.csv": transcript(session_303)})
    zipped_303 = [row(float(i), i + 0.5, "Participant", f"zip row {i}") for i in range(3)]
    write_zip(root, "303", {"303_TRANSCRIPT.csv": transcript(zipped_303), **clnf_files("303", 1)})
    session_318 = [row(0.0, 1.0, "Ellie", "are you okay with this"),
                   row(1.0, 2.0, "Participant", "yes")]  # fmt: skip
    write_folder(root, "318", {"318_TRANSCRIPT.csv": transcript(session_318)})
    write_folder(root, "320", {"._320_TRANSCRIPT.csv": APPLEDOUBLE})
    write_folder(root, "373", {"373_TRANSCRIPT.csv": transcript(SESSION_373)})
    write_folder(root, "400", {"400_TRANSCRIPT.csv": transcript(SESSION_400),
                               **clnf_files("400", 3.0, kinds=("AUs", "gaze"))})  # fmt: skip
    (root / "__MACOSX").mkdir(exist_ok=True)
    (root / "._300_P.zip").write_bytes(APPLEDOUBLE)
    write_daic_labels(labels or root, full_test=full_test)
    return root


def write_edaic_corpus(root: Path) -> Path:
    """The hand-counted E-DAIC corpus of test_edaic.py."""
    labels = root / "labels"
    write_text(labels / "train_split.csv", [
        "Participant_ID, Gender, PHQ_Binary, PHQ_Score, PCL-C (PTSD), PTSD Severity",
        "300, male, 0, 10, 0, 20", "601, female, 1, 18, 1, 50",
    ], "\n")  # fmt: skip
    write_text(labels / "dev_split.csv", ["Participant_ID,Gender,PHQ_Binary,PHQ_Score",
                                          "302,female,0,4"], "\n")  # fmt: skip
    write_text(labels / "test_split.csv", ["Participant_ID,Gender,PHQ_Binary,PHQ_Score",
                                           "603,male,1,22"], "\n")  # fmt: skip
    text_300 = ["Start_Time,End_Time,Text,Confidence", "0.1,1.5,hello there,0.93",
                "1.6,2.2,,0.5", '2.5,4.0,"well, i guess so",0.88', "abc,5.0,bad,0.9",
                "", "6.0,7.0,  fine  thanks ,0.7"]  # fmt: skip
    write_folder(root, "300", {
        "300_Transcript.csv": ("\n".join(text_300) + "\n").encode(),
        "300_AUDIO.wav": wav_file(8.0),
        "features/300_OpenFace2.1.0_Pose_gaze_AUs.csv": openface2_file(7.0, (1.0, 0.0, 0.0), 0.0),
    })  # fmt: skip
    text_601 = ["Start_Time,End_Time,Text,Confidence", "0.0,1.0,yes,0.9", "1.5,2.5,no,0.8"]
    write_folder(root, "601", {"601_Transcript.csv": "\r\n".join(text_601).encode()})
    text_603 = ["Start_Time,End_Time,Text,Confidence", "0.2,0.9,i think so,0.95"]
    write_folder(root / "data", "603", {
        "603_Transcript.csv": ("\n".join(text_603) + "\n").encode(),
        "features/603_OpenFace2.1.0_Pose_gaze_AUs.csv": openface2_file(1.0, (1.0, 0.0, 0.0),
                                                                       np.pi / 2),
    })  # fmt: skip
    return root
