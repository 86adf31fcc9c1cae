"""explain_item: Integrated Gradients checked by hand on a linear model, and the attention maps of
a real small AMM (distributions over the real steps, zeros where masked)."""

from __future__ import annotations

import json
from dataclasses import replace

import cv2
import numpy as np
import pytest
import torch
from torch import Tensor, nn

from amm_core.config import GENDER_WORDS, ModelConfig, RunConfig
from amm_core.dataset import OPENFACE_DIM, FeatureItem, VisualNormaliser
from amm_core.explain import explain_item, integrated_gradients, write_explanation
from amm_core.model import AMMBatch, build_model
from amm_core.predict import Predictor

TEXT_DIM = 8
SMALL = ModelConfig(text_dim=TEXT_DIM, visual_dim=OPENFACE_DIM, colour_dim=4, gru_hidden=8,
                    d_model=16, n_heads=8, lstm_hidden=12, dropout=0.0, n_emotion_classes=2)
LABELS = {"depression": ["not depressed", "depressed"], "emotion": ["non-sad", "sad"]}


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


class LinearLogits(nn.Module):
    """logits[c] = sum_t text[t] . a[c] + sum_v visual[v] . b[c] + 1: IG = x * weight exactly."""

    tasks = ("depression",)

    def __init__(self) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(1)
        self.a = nn.Parameter(torch.randn(2, 3, generator=gen))
        self.b = nn.Parameter(torch.randn(2, 5, generator=gen))

    def task_logits(self, text: Tensor, visual: Tensor, text_mask: Tensor, gender: Tensor,
                    visual_mask: Tensor, colour: Tensor, has_visual: Tensor,
                    task: str | None = None) -> Tensor:
        text = text * text_mask.unsqueeze(-1)
        visual = visual * visual_mask.unsqueeze(-1)
        return text.sum(1) @ self.a.T + visual.sum(1) @ self.b.T + 1.0


def linear_batch() -> AMMBatch:
    gen = torch.Generator().manual_seed(2)
    return AMMBatch(text=torch.randn(1, 4, 3, generator=gen),
                    text_mask=torch.tensor([[True, True, True, False]]),
                    gender=torch.zeros(1, 3), visual=torch.randn(1, 2, 5, generator=gen),
                    visual_mask=torch.tensor([[True, True]]), colour=torch.zeros(1, 2),
                    has_visual=torch.tensor([True]))


def test_integrated_gradients_on_a_linear_model_equal_input_times_weight() -> None:
    model, batch = LinearLogits(), linear_batch()
    text_attr, visual_attr, delta, baseline = integrated_gradients(model, batch, "depression",
                                                                   1, steps=8)
    expected_text = (batch.text[0] * model.a[1]).detach().numpy()
    expected_text[3] = 0.0  # the padded token cannot matter
    assert np.allclose(text_attr, expected_text, atol=1e-5)
    assert np.allclose(visual_attr, (batch.visual[0] * model.b[1]).detach().numpy(), atol=1e-5)
    with torch.no_grad():
        logit = float(model.task_logits(*batch.inputs())[0, 1])
    assert baseline == pytest.approx(1.0)
    assert text_attr.sum() + visual_attr.sum() == pytest.approx(logit - baseline, abs=1e-4)
    assert delta < 1e-4


def small_predictor(**model_changes: object) -> Predictor:
    torch.manual_seed(0)
    config = RunConfig(model=replace(SMALL, **model_changes))
    gen = torch.Generator().manual_seed(3)
    return Predictor(model=build_model(config.model).eval(), config=config, label_sets=LABELS,
                     normaliser=VisualNormaliser.fit([], config.model.visual_dim),
                     genders={w: torch.randn(TEXT_DIM, generator=gen) for w in GENDER_WORDS},
                     device=torch.device("cpu"), cache_dir=None)


def face_item(mask: list[bool] | None = None, tokens: int = 5) -> FeatureItem:
    gen = torch.Generator().manual_seed(4)
    item = FeatureItem(text=torch.randn(tokens, TEXT_DIM, generator=gen),
                       tokens=["[CLS]", *[f"w{k}" for k in range(tokens - 2)], "[SEP]"],
                       gender="female")
    if mask is not None:
        item.visual = torch.randn(len(mask), OPENFACE_DIM, generator=gen)
        item.visual_mask = torch.tensor(mask)
        item.colour = torch.zeros(4)
    return item


def test_attention_maps_are_distributions_over_the_steps_that_hold_data() -> None:
    """A masked window (no face found) is left out of every figure, not drawn as a step of zero
    influence; the others keep their numbers, so the gap shows, and a note names it."""
    mask = [True, True, False, True, True]  # window 3 had no face
    e = explain_item(small_predictor(), face_item(mask), "depression")
    assert e.zone_names == ["window 1", "window 2", "window 4", "window 5"]
    assert any("window 3" in note and "left out" in note for note in e.notes)
    assert sum(e.word_attention) == pytest.approx(1.0, abs=1e-5)
    assert len(e.visual_attention) == 4 and sum(e.visual_attention) == pytest.approx(1.0)
    assert min(e.visual_attention) > 0
    t2v, v2t = e.inter_modal["t2v"], e.inter_modal["v2t"]
    assert t2v.shape == (8, 6, 5) and v2t.shape == (8, 5, 6)  # [summary; 5 tokens / 4 windows]
    assert e.inter_modal["visual_steps"] == ["[visual + colour]", *e.zone_names]
    assert np.allclose(t2v.sum(-1), 1.0, atol=1e-5) and np.allclose(v2t.sum(-1), 1.0, atol=1e-5)
    steps = e.inter_task["steps"]
    assert len(steps) == 11 and steps[0] == "[text + gender]" and steps[6] == "[visual + colour]"
    for name in ("dep_from_emo", "emo_from_dep"):
        weights = e.inter_task[name]
        assert weights.shape == (11, 11)
        assert np.allclose(weights.sum(-1), 1.0, atol=1e-5)


def test_a_run_that_does_not_read_text_draws_no_text_steps() -> None:
    e = explain_item(small_predictor(modalities="image"), face_item([True, True]), "depression")
    assert e.inter_modal is None  # nothing to attend between: the text side is masked
    assert e.inter_task["steps"] == ["[visual + colour]", "window 1", "window 2"]
    assert np.allclose(e.inter_task["dep_from_emo"].sum(-1), 1.0, atol=1e-5)
    assert any("text is ignored" in note for note in e.notes)


def test_attributions_are_complete_and_the_facial_map_sums_to_the_windows() -> None:
    e = explain_item(small_predictor(), face_item([True, True, False, True]), "emotion", "sad")
    assert (e.target, e.target_index) == ("sad", 1)
    total = sum(e.token_attributions) + sum(e.zone_attributions)
    assert abs(total - (e.target_logit - e.baseline_logit)) == pytest.approx(e.delta, abs=1e-4)
    assert e.facial.shape == (3, OPENFACE_DIM) and len(e.facial_names) == OPENFACE_DIM
    assert np.allclose(e.facial.sum(-1), e.zone_attributions, atol=1e-5)
    assert e.zone_names == ["window 1", "window 2", "window 4"]  # the masked one left out
    probabilities = e.probabilities
    assert set(probabilities) == {"depression", "emotion"}
    assert sum(probabilities["emotion"].values()) == pytest.approx(1.0, abs=1e-5)
    json.dumps(e.to_json())  # plain JSON


def test_without_visual_input_there_are_no_zone_maps_and_a_note_says_why() -> None:
    e = explain_item(small_predictor(), face_item(None), "depression", target=0)
    assert e.zone_attributions is None and e.visual_attention is None and e.zone_names == []
    assert e.inter_modal is None
    assert any("no visual input" in note for note in e.notes)
    assert len(e.inter_task["steps"]) == 6 and np.allclose(e.inter_task["dep_from_emo"].sum(-1),
                                                            1.0, atol=1e-5)
    assert e.target == "not depressed"


def test_an_unknown_class_or_a_task_the_run_lacks_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown class 'maybe'"):
        explain_item(small_predictor(), face_item(None), "depression", "maybe")
    stl = small_predictor(variant="stl", task="depression")
    with pytest.raises(ValueError, match="predicts depression, not 'emotion'"):
        explain_item(stl, face_item(None), "emotion")
    image_item = face_item(None)
    image_item.visual, image_item.visual_mask = torch.zeros(4, 1280), torch.ones(4, dtype=bool)
    with pytest.raises(ValueError, match="OpenFace"):
        explain_item(small_predictor(), image_item, "depression")


def test_a_variant_without_attention_layers_says_so() -> None:
    e = explain_item(small_predictor(variant="no_attention"), face_item([True]), "depression")
    assert e.inter_modal is None and e.inter_task is None
    assert "this model variant has no inter-modal attention" in e.notes
    assert len(e.zone_attributions) == 1


def test_written_explanation_is_json_html_and_pngs(tmp_path) -> None:
    e = explain_item(small_predictor(), face_item([True, False, True]), "depression")
    files = write_explanation(e, tmp_path / "out")
    saved = json.loads((tmp_path / "out" / "explanation.json").read_text())
    assert saved["target"] == e.target and len(saved["facial"]) == 2
    page = (tmp_path / "out" / "explanation.html").read_text()
    assert "data:image/png;base64," in page and "<script" not in page and "http" not in page
    assert "w0" in page and f"{e.delta:.4g}" in page
    figures = ("tokens", "zones", "facial", "attention", "inter_modal_t2v",
               "inter_task_dep_from_emo")
    for name in figures:
        image = cv2.imread(files[name])
        assert image is not None and image.shape[0] > 20, name
