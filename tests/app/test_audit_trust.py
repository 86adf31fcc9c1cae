"""Home and the Data audit on a corpus with planted image quirks (built in tmp_path): one
definition of each image problem on both pages, undecodable files counted by the audit, and the
audit's label charts counting adjudicated gold labels."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from amm_core.cli.storage import open_workspace
from amm_core.workspace import Settings
from app import audit_services as svc
from tests.app import quirk_mgid

ROOT = Path(__file__).resolve().parents[2]
AUDIT = str(ROOT / "app" / "pages" / "audit.py")
HOME = str(ROOT / "app" / "pages" / "home.py")


def _audit_page() -> AppTest:
    at = AppTest.from_file(AUDIT, default_timeout=60).run()
    at.selectbox(key="audit_dataset").set_value(quirk_mgid.DATASET).run()
    assert not at.exception
    return at


def _number(at: AppTest, key: str) -> int:
    return int(at.button(key=f"audit_open_{key}").label.split()[0])


def _titles(at: AppTest, key: str) -> list[str]:
    at.button(key=f"audit_open_{key}").click().run()
    return sorted(at.dataframe[0].value["title"])


def _values(y) -> list[float]:
    """Plotly's y: a list, or a typed array ({"dtype", "bdata"} in base64)."""
    if isinstance(y, dict):
        return np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"]).tolist()
    return list(y)


def test_home_and_the_audit_count_image_problems_alike(quirk_home):
    audit = _audit_page()
    assert _titles(audit, "missing_images") == ["Missing"]
    assert _titles(audit, "bad_image_urls") == ["Bad url"]
    assert _titles(audit, "unreadable_images") == ["Corrupt", "Truncated"]

    home = AppTest.from_file(HOME, default_timeout=60).run()
    assert not home.exception
    metrics = {m.label: m.value for m in home.metric}
    for key in ("missing_images", "bad_image_urls"):
        label = svc.IMAGE_PROBLEMS[key][1]
        assert int(metrics[label]) == _number(audit, key) == 1, label


def test_the_audits_label_charts_count_gold_labels(quirk_home):
    quirk_mgid.add_gold(quirk_home, "Good one", "neutral")  # train, depressed, imported "depressed"
    audit = svc.dataset_audit(open_workspace(Settings.resolve(quirk_home, env={})),
                              quirk_mgid.DATASET)
    shift = {(r["split"], r["emotion"]): r["count"] for r in svc.split_shift_rows(audit)}
    assert shift[("train", "neutral")] == 1 and shift[("train", "depressed")] == 1

    at = _audit_page()
    charts = {c.key: json.loads(c.proto.spec) for c in at.get("plotly_chart")}
    bars = {t["name"]: dict(zip(t["x"], _values(t["y"]), strict=True))
            for t in charts["audit_emo"]["data"]}
    assert bars["neutral"]["train"] == 3 and bars["depressed"]["train"] == 1
