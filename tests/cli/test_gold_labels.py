"""Gold labels stay true to the votes and to the adjudicators, and every change of one is in
the event trail: `amm annotate adjudicate` re-run after votes change, a decision, a tie."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from tests.cli.helpers import amm_json
from tests.cli.test_annotate_cli import _labels_csv, daic_home  # noqa: F401 - the fixture


def _gold(home) -> dict[str, tuple[str, str]]:
    engine = create_engine(f"sqlite:///{home / 'amm.db'}")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT s.external_id, g.label, g.source FROM gold_labels g "
                                 "JOIN samples s ON s.id = g.sample_id")).all()
    engine.dispose()
    return {r[0]: (r[1], r[2]) for r in rows}


def _trail(home, external_id: str) -> list[tuple[str, str, str | None, str | None]]:
    engine = create_engine(f"sqlite:///{home / 'amm.db'}")
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT a.name, e.action, e.old_label, e.new_label FROM annotation_events e "
            "JOIN annotators a ON a.id = e.annotator_id JOIN samples s ON s.id = e.sample_id "
            "WHERE s.external_id = :x AND e.action IN ('gold', 'adjudicate') ORDER BY e.id"),
            {"x": external_id}).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def test_majority_gold_follows_the_votes_and_never_overrides_an_adjudicator(
        daic_home, tmp_path, capsys):  # noqa: F811
    home, ids = daic_home
    args = ("--dataset", "daic", "--home", str(home))
    a, b = ids[:2]
    votes = [(a, "ana", "sad", ""), (a, "ben", "sad", ""), (a, "cy", "non-sad", ""),
             (b, "ana", "sad", ""), (b, "ben", "sad", "")]
    assert amm_json(capsys, "annotate", "import", str(_labels_csv(tmp_path / "v.csv", votes)),
                    *args)[0] == 0
    code, out, err = amm_json(capsys, "annotate", "adjudicate", *args)
    assert code == 0, err
    assert out["gold_majority"] == 2 and _gold(home) == {a: ("sad", "majority"),
                                                         b: ("sad", "majority")}
    # An adjudicator overrules the majority of `a`; a later majority run leaves that alone.
    assert amm_json(capsys, "annotate", "adjudicate", "--sample", a, "--label", "non-sad",
                    "--adjudicator", "dr lee", *args)[0] == 0
    # Ben changes his mind on `b`: 1 - 1, no majority any more.
    assert amm_json(capsys, "annotate", "import",
                    str(_labels_csv(tmp_path / "w.csv", [(b, "ben", "non-sad", "")])),
                    *args)[0] == 0
    code, out, err = amm_json(capsys, "annotate", "adjudicate", *args)
    assert code == 0, err
    assert (out["adjudicated"], out["cleared"], out["gold_majority"]) == (1, 1, 0)
    assert _gold(home) == {a: ("non-sad", "adjudicated")}
    assert _trail(home, a) == [("majority rule", "gold", None, "sad"),
                               ("dr lee", "adjudicate", "sad", "non-sad")]
    assert _trail(home, b) == [("majority rule", "gold", None, "sad"),
                               ("majority rule", "gold", "sad", None)]
    code, _, err = amm_json(capsys, "annotate", "adjudicate", *args)  # nothing new: no event
    assert code == 0, err
    assert (len(_trail(home, a)), len(_trail(home, b))) == (2, 2)


def test_nobody_labels_as_the_majority_rule(daic_home, tmp_path, capsys):  # noqa: F811
    from annotations.interop import RESERVED_NAMES
    from db.annotations import MAJORITY_RULE

    assert MAJORITY_RULE in RESERVED_NAMES
    home, ids = daic_home
    rows = [(ids[0], "Majority Rule", "sad", "")]
    code, out, err = amm_json(capsys, "annotate", "import",
                              str(_labels_csv(tmp_path / "x.csv", rows)), "--dataset", "daic",
                              "--home", str(home))
    assert code != 0 and "reserved" in err
