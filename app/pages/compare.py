"""Compare runs: where run A is right and run B wrong and the reverse, side by side with both
runs' probabilities and explanations; McNemar's test; per-slice deltas with bootstrap
intervals (e.g. AMM multi-task vs a single-task run, as in the paper's Fig. 3)."""

import streamlit as st

from amm_core.analysis_compare import p_phrase, p_text
from amm_core.cli.output import CommandError
from app import analysis_services as svc
from app import deps
from app.components.cases import pair_card

SHOWN = 10


def reset_b() -> None:
    for key in ("cmp_b", "cmp_task", "cmp_split"):
        st.session_state.pop(key, None)


def fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


workspace = deps.workspace()
st.title("Compare runs")
runs = svc.analysable_runs(workspace)
by_name = {r.run: r for r in runs}
with_partner = [r.run for r in runs if svc.comparable_runs(runs, r.run)]
if not with_partner:
    st.info("Comparing needs two runs with predictions on the same dataset, e.g. "
            "`amm train --dataset NAME --variant stl --task emotion` next to an AMM run.")
    st.stop()
top = st.columns(4)
run_a = top[0].selectbox("Run A", with_partner, format_func=lambda n: by_name[n].title,
                         key="cmp_a", on_change=reset_b)
partners = [r.run for r in svc.comparable_runs(runs, run_a)]
run_b = top[1].selectbox("Run B", partners, format_func=lambda n: by_name[n].title,
                         key="cmp_b", on_change=lambda: st.session_state.pop("cmp_task", None))
try:
    tasks = svc.compare_tasks(workspace, run_a, run_b)
except CommandError as exc:
    st.error(str(exc))
    st.stop()
task = top[2].selectbox("Task", tasks, key="cmp_task")
splits = [s for s in by_name[run_a].splits if s in by_name[run_b].splits] + [svc.ALL_SPLITS]
split = top[3].selectbox("Split", splits, key="cmp_split",
                         index=splits.index("test") if "test" in splits else 0)
try:
    result = svc.compare_runs(workspace, run_a, run_b, task, split)
except CommandError as exc:
    st.error(str(exc))
    st.stop()

test = result.mcnemar
figures = st.columns(4)
figures[0].metric(f"Accuracy A ({run_a})", fmt(result.metrics_a["accuracy"]))
figures[1].metric(f"Accuracy B ({run_b})", fmt(result.metrics_b["accuracy"]))
delta = result.deltas["accuracy"]
figures[2].metric("A − B accuracy", "—" if delta["delta"] is None else f"{delta['delta']:+.3f}",
                  help="95 % paired bootstrap interval: " + (
                      "—" if delta["interval"] is None else
                      f"[{delta['interval'][0]:+.3f}, {delta['interval'][1]:+.3f}]"))
if result.utterances:  # DAIC: the row test counts utterances, which are not independent
    sessions = result.session_mcnemar
    figures[3].metric("McNemar p-value (utterance-level)", p_text(test["p_value"]),
                      help="Treats the utterances as independent, which those of one session "
                           "are not: read it with care.")
    st.caption(f"Utterance-level McNemar's test ({test['method']}; it assumes the utterances "
               f"are independent, which those of one session are not) on "
               f"{test['discordant']} discordant utterance(s) of {test['n']}: A right and B "
               f"wrong {test['a_right_b_wrong']}, the reverse {test['b_right_a_wrong']}. "
               f"Per session (mean utterance probabilities): A right and B wrong "
               f"{sessions['a_right_b_wrong']}, the reverse {sessions['b_right_a_wrong']} of "
               f"{sessions['n']} sessions, {p_phrase(sessions['p_value'])} "
               f"({sessions['method']}).")
else:
    figures[3].metric("McNemar p-value", p_text(test["p_value"]))
    st.caption(f"McNemar's test ({test['method']}) on {test['discordant']} discordant case(s) "
               f"of {test['n']}: A right and B wrong {test['a_right_b_wrong']}, the reverse "
               f"{test['b_right_a_wrong']}.")

left, right = st.columns(2)
for column, key, title in ((left, "a_right_b_wrong", "A right, B wrong"),
                           (right, "b_right_a_wrong", "B right, A wrong")):
    pairs = result.flips[key]
    with column:
        st.subheader(f"{title} ({len(pairs)})", anchor=False)
        if not pairs:
            st.caption("None.")
        for pair in pairs[:SHOWN]:
            pair_card(run_a, run_b, pair, result.a.labels, key_prefix=f"cmp_{key}")
        if len(pairs) > SHOWN:
            st.caption(f"… and {len(pairs) - SHOWN} more (`amm report --compare` lists all).")

st.subheader("Per-slice deltas (A − B)", anchor=False)
st.dataframe(svc.delta_rows(result.slice_deltas), hide_index=True, key="cmp_slices")
