"""`amm experiment` on a corpus where only caption and picture together tell the label.

See tests/data/interaction_fixture.py: depressed posts are those whose caption mood and picture
mood disagree. A linear probe on the concatenated pooled features can only add the modalities'
evidence, and each modality alone carries none, so it stays near chance; the AMM reads both
modalities together and must beat it clearly, while its single-modality variants stay near chance.
"""

from __future__ import annotations

import pytest

from amm_core.cli import main
from tests.cli.helpers import amm_json
from tests.data.interaction_fixture import write_interaction_corpus

pytestmark = pytest.mark.slow

CHANCE_BAND = 65.0  # 100 balanced test posts: chance is 50 %, its 95 % range about 40-60


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("interaction")
    write_interaction_corpus(root / "mgid", root / "images", seed=0)
    home = root / "home"
    assert main(["import", "mgid", "--csv-dir", str(root / "mgid"), "--images",
                 str(root / "images"), "--name", "inter", "--home", str(home)]) == 0
    return {"home": home, "root": root}


def test_amm_beats_the_linear_floor_where_the_modalities_interact(report, capsys):
    code, out, err = amm_json(capsys, "experiment", "--dataset", "inter", "--suite", "paper",
                              "--epochs", "20", "--out", str(report["root"] / "report"),
                              "--home", str(report["home"]))
    assert code == 0, err
    rows = {row["model"]: row for row in out["rows"] if row["task"] == "depression"}
    amm, floor = rows["AMM (text+image)"]["micro_f1"], rows["Linear probe (floor)"]["micro_f1"]
    assert floor < CHANCE_BAND, rows["Linear probe (floor)"]
    assert amm >= 85.0 and amm - floor >= 20.0, (amm, floor)
    # The attention ablations keep the task LSTMs over both modalities: they solve it too.
    for ablation in ("AMM without I_e", "AMM without I_t", "AMM without attention"):
        assert rows[ablation]["micro_f1"] - floor >= 20.0, rows[ablation]
    # Either modality alone says nothing about the label: its variants stay near chance.
    for single in ("Text-AMM", "Image-AMM", "Linear probe, text only (floor for Text-AMM)"):
        assert rows[single]["micro_f1"] < CHANCE_BAND, rows[single]
    text = (report["root"] / "report" / "report.md").read_text(encoding="utf-8")
    assert "AMM - linear probe (depression" in text
