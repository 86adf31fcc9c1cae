"""`amm demo --json` has one shape, whether it builds the demo now or finds it built."""

from __future__ import annotations

import json


def test_a_second_demo_reports_the_same_shape_as_the_first(demo_home, capsys):
    from amm_core.cli import main

    capsys.readouterr()
    assert main(["demo", "--home", str(demo_home), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["demo"] == "present"
    assert out["datasets"]["demo-mgid"] == {
        "samples": 600, "splits": {"train": 360, "dev": 90, "test": 150}}
    assert out["datasets"]["demo-daic"]["samples"] == sum(
        out["datasets"]["demo-daic"]["splits"].values()) == 260
    assert [(r["run"], r["status"]) for r in out["runs"]] == [
        ("demo-amm", "completed"), ("demo-amm-daic", "completed")]
