"""Roles and audited destructive actions, through `amm admin`, the annotation doors and the Admin
page: only admins grant roles and delete, only adjudicators (or admins) adjudicate, every such
action is in `audit_events`, and a refused action writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from streamlit.testing.v1 import AppTest

from amm_core.cli.storage import open_workspace
from amm_core.workspace import Settings
from tests.trust.fixtures import amm, amm_json, sqlite_url, table_counts, write

ROOT = Path(__file__).resolve().parents[2]


def query(home: Path, sql: str) -> list[tuple]:
    engine = create_engine(sqlite_url(home))
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text(sql))]
    engine.dispose()
    return rows


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return labelled_daic_home(tmp_path)


def labelled_daic_home(tmp_path: Path) -> Path:
    """A DAIC workspace where ana and ben labelled three utterances (one disagreement)."""
    from tests.data.daic_fixtures import write_daic_corpus

    home = tmp_path / "home"
    amm_json("import", "daic", "--root", str(write_daic_corpus(tmp_path / "daic")),
             "--home", str(home))
    ids = [r[0] for r in query(home, "SELECT external_id FROM samples ORDER BY id")][:3]
    rows = [(ids[0], "ana", "sad"), (ids[0], "ben", "sad"), (ids[1], "ana", "sad"),
            (ids[1], "ben", "non-sad"), (ids[2], "ana", "non-sad")]
    labels = write(tmp_path / "labels.csv", "sample_id,annotator,label\n"
                   + "".join(f"{a},{b},{c}\n" for a, b, c in rows))
    amm_json("annotate", "import", str(labels), "--dataset", "daic", "--home", str(home))
    return home


def refused(home: Path, *args: str, names: str) -> None:
    """`amm ARGS` fails with one line containing `names`, and no table changes."""
    before = table_counts(sqlite_url(home))
    code, _, err = amm(*args, "--home", str(home))
    assert code != 0 and names in err and "Traceback" not in err, err
    assert len([line for line in err.splitlines() if line.startswith("amm: error:")]) == 1
    assert table_counts(sqlite_url(home)) == before


def audit(home: Path) -> list[tuple]:
    return query(home, "SELECT actor, action, target_kind, target FROM audit_events ORDER BY id")


def test_the_first_admin_is_bootstrapped_once_then_admins_grant(home):
    refused(home, "admin", "grant", "ben", "--role", "adjudicator", "--actor", "ana",
            names="needs the admin role; 'ana' is annotator")
    amm_json("admin", "grant", "root", "--role", "admin", "--bootstrap", "--home", str(home))
    refused(home, "admin", "grant", "ana", "--role", "admin", "--bootstrap",
            names="only for the first admin")
    amm_json("admin", "grant", "ben", "--role", "adjudicator", "--actor", "root", "--home",
             str(home))
    assert query(home, "SELECT role FROM annotators WHERE name = 'ben'") == [("adjudicator",)]
    assert audit(home) == [("root", "grant", "annotator", "root"),
                           ("root", "grant", "annotator", "ben")]


def test_adjudication_needs_the_role(home):
    amm_json("admin", "grant", "root", "--role", "admin", "--bootstrap", "--home", str(home))
    sample = query(home, "SELECT external_id FROM samples ORDER BY id")[1][0]
    adjudicate = ("annotate", "adjudicate", "--dataset", "daic", "--sample", sample, "--label",
                  "sad", "--adjudicator")
    refused(home, *adjudicate, "ana", names="adjudication needs the adjudicator or admin role")
    refused(home, *adjudicate, "newcomer", names="'newcomer' is not registered")
    amm_json("admin", "grant", "ana", "--role", "adjudicator", "--actor", "root", "--home",
             str(home))
    amm_json(*adjudicate, "ana", "--home", str(home))
    assert query(home, "SELECT label, source FROM gold_labels") == [("sad", "adjudicated")]


def test_the_page_service_enforces_the_role_too(home):
    from app import annotation_services as svc
    from db.admin import PermissionDenied

    workspace = open_workspace(Settings.resolve(home))
    before = table_counts(sqlite_url(home))
    with pytest.raises(PermissionDenied, match="'ana' is annotator"):
        svc.adjudicate(workspace, 2, "sad", "ana", {"ana": "sad", "ben": "non-sad"})
    assert table_counts(sqlite_url(home)) == before
    svc.adjudicate(workspace, 2, "sad", "dr lee", {})  # no admin yet: a newcomer may adjudicate
    amm_json("admin", "grant", "root", "--role", "admin", "--bootstrap", "--home", str(home))
    svc.ensure_annotator(workspace, "eve", "adjudicator")  # governed now: roles are granted
    assert query(home, "SELECT role FROM annotators WHERE name = 'eve'") == [("annotator",)]


def test_governed_imports_name_only_registered_people(home, tmp_path):
    amm_json("admin", "grant", "root", "--role", "admin", "--bootstrap", "--home", str(home))
    sample = query(home, "SELECT external_id FROM samples ORDER BY id")[3][0]
    labels = write(tmp_path / "more.csv", f"sample_id,annotator,label\n{sample},zed,sad\n")
    refused(home, "annotate", "import", str(labels), "--dataset", "daic",
            names="not registered: zed")


def test_deletes_need_an_admin_and_are_audited(home, tmp_path):
    from tests.trust.fixtures import save_random_run

    amm_json("admin", "grant", "root", "--role", "admin", "--bootstrap", "--home", str(home))
    checkpoint = save_random_run(home, dataset="daic", name="old-run")
    refused(home, "admin", "delete-run", "old-run", "--actor", "ana", names="admin role")
    refused(home, "admin", "delete-labels", "--annotator", "ana", "--actor", "ben",
            names="admin role")
    refused(home, "admin", "delete-dataset", "nope", "--actor", "root", names="unknown dataset")

    assert amm_json("admin", "delete-run", "old-run", "--actor", "root", "--home",
                    str(home))["files_removed"]
    assert not checkpoint.parent.exists() and query(home, "SELECT * FROM model_runs") == []
    gone = amm_json("admin", "delete-labels", "--annotator", "ana", "--actor", "root", "--home",
                    str(home))
    assert gone["labels_deleted"] == 3
    assert query(home, "SELECT COUNT(*) FROM annotation_events WHERE action = 'delete'") == [(3,)]
    assert query(home, "SELECT DISTINCT a.name FROM annotations l JOIN annotators a "
                       "ON a.id = l.annotator_id") == [("ben",)]
    amm_json("admin", "delete-dataset", "daic", "--actor", "root", "--home", str(home))
    assert query(home, "SELECT COUNT(*) FROM samples") == [(0,)]
    assert [a[1:] for a in audit(home)][1:] == [("delete", "run", "old-run"),
                                                ("delete", "labels", "ana"),
                                                ("delete", "dataset", "daic")]
    log = amm_json("admin", "log", "--home", str(home))["events"]
    assert [e["target"] for e in log][:3] == ["daic", "ana", "old-run"]  # newest first


def _admin_page(home: Path, monkeypatch) -> AppTest:
    monkeypatch.setenv("AMM_HOME", str(home))
    monkeypatch.delenv("AMM_DATABASE_URL", raising=False)
    return AppTest.from_file(str(ROOT / "app" / "pages" / "admin.py"), default_timeout=60).run()


def test_admin_page_bootstrap_grant_and_confirmed_delete(home, monkeypatch):
    at = _admin_page(home, monkeypatch)
    assert not at.exception
    assert "No admin yet" in at.info[0].value
    at.text_input(key="adm_actor").input("root").run()
    at.button(key="adm_bootstrap").click().run()
    assert not at.exception
    at.text_input(key="adm_grant_name").input("ben").run()
    at.selectbox(key="adm_grant_role").select("adjudicator").run()
    at.button(key="adm_grant").click().run()
    assert query(home, "SELECT role FROM annotators WHERE name = 'ben'") == [("adjudicator",)]
    at.radio(key="adm_delete_kind").set_value("labels").run()
    at.selectbox(key="adm_delete_target").select("ana").run()
    assert at.button(key="adm_delete").disabled  # not confirmed yet
    at.text_input(key="adm_delete_confirm").input("ana").run()
    at.button(key="adm_delete").click().run()
    assert not at.exception
    assert query(home, "SELECT COUNT(*) FROM annotations") == [(2,)]
    assert [a[1:] for a in audit(home)] == [("grant", "annotator", "root"),
                                           ("grant", "annotator", "ben"),
                                           ("delete", "labels", "ana")]


def test_admin_page_shows_nothing_destructive_to_others(home, monkeypatch):
    amm_json("admin", "grant", "root", "--role", "admin", "--bootstrap", "--home", str(home))
    at = _admin_page(home, monkeypatch)
    at.text_input(key="adm_actor").input("ana").run()
    assert not at.exception
    assert "need the admin role" in at.warning[0].value
    assert not [b for b in at.button if b.key in ("adm_delete", "adm_grant")]


def test_agreement_page_refuses_an_annotator_as_adjudicator(home, monkeypatch):
    amm_json("admin", "grant", "root", "--role", "admin", "--bootstrap", "--home", str(home))
    monkeypatch.setenv("AMM_HOME", str(home))
    monkeypatch.delenv("AMM_DATABASE_URL", raising=False)
    at = AppTest.from_file(str(ROOT / "app" / "pages" / "agreement.py"), default_timeout=60).run()
    at.text_input(key="agr_judge").input("ana").run()
    at.button(key="agr_gold_2_sad").click().run()
    assert not at.exception
    assert "adjudication needs the adjudicator or admin role" in at.error[0].value
    assert query(home, "SELECT COUNT(*) FROM gold_labels") == [(0,)]
