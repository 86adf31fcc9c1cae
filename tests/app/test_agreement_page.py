"""The Agreement page through AppTest: statistics, heatmaps, and adjudicating a disagreement."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from streamlit.testing.v1 import AppTest

from amm_core.cli import main

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "app" / "pages" / "agreement.py")


@pytest.fixture
def labelled_home(tmp_path, monkeypatch):
    from tests.data.daic_fixtures import write_daic_corpus

    home = tmp_path / "home"
    assert main(["import", "daic", "--root", str(write_daic_corpus(tmp_path / "daic")),
                 "--home", str(home)]) == 0
    engine = create_engine(f"sqlite:///{home / 'amm.db'}")
    with engine.connect() as conn:
        ids = conn.execute(text("SELECT external_id FROM samples ORDER BY id")).scalars().all()
    engine.dispose()
    rows = [(ids[0], "ana", "sad"), (ids[0], "ben", "sad"), (ids[1], "ana", "sad"),
            (ids[1], "ben", "non-sad"), (ids[2], "ana", "non-sad"), (ids[2], "ben", "non-sad")]
    labels = tmp_path / "labels.csv"
    labels.write_text("sample_id,annotator,label\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows))
    assert main(["annotate", "import", str(labels), "--dataset", "daic", "--home",
                 str(home)]) == 0
    monkeypatch.setenv("AMM_HOME", str(home))
    monkeypatch.delenv("AMM_DATABASE_URL", raising=False)
    return home, ids


def test_statistics_and_adjudication(labelled_home):
    home, ids = labelled_home
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Items labelled"] == "3"
    assert metrics["Percent agreement"] == "0.667"
    assert len(at.get("plotly_chart")) == 2  # kappa heatmap + pairwise confusion
    assert any("1 item(s) where annotators disagree" in c.value for c in at.caption)
    at.text_input(key="agr_judge").input("dr lee").run()
    at.button(key=f"agr_gold_{2}_sad").click().run()
    assert not at.exception
    assert at.success[0].value == "No open disagreements."
    engine = create_engine(f"sqlite:///{home / 'amm.db'}")
    with engine.connect() as conn:
        gold = conn.execute(text("SELECT label, source FROM gold_labels")).all()
    assert [tuple(g) for g in gold] == [("sad", "adjudicated")]
