"""Every registered variant builds for every modality setting and gives well-formed outputs."""

from __future__ import annotations

import pytest
import torch

from amm_core.config import MODALITIES, ModelConfig
from amm_core.model import VARIANTS, AMMBatch, AMMOutput, build_model
from amm_core.model.heads import AttentionPoolHead
from tests.model.conftest import N_EMOTIONS, tiny_config

EXPECTED_TASKS = {
    "amm": ("depression", "emotion"),
    "stl": ("depression",),  # TINY sets task="depression"
    "no_ie": ("depression", "emotion"),
    "no_it": ("depression", "emotion"),
    "no_attention": ("depression", "emotion"),
    "linear": ("depression",),  # linear honours an explicit task
}
HAS_INTER_MODAL = {"amm", "stl", "no_it"}
HAS_INTER_TASK = {"amm", "no_ie"}


def test_registry_names() -> None:
    assert list(VARIANTS) == ["amm", "stl", "no_ie", "no_it", "no_attention", "linear"]


@pytest.mark.parametrize("modalities", MODALITIES)
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_variant_outputs(variant: str, modalities: str, mixed_batch: AMMBatch) -> None:
    torch.manual_seed(0)
    model = build_model(tiny_config(variant=variant, modalities=modalities)).eval()
    out = model(mixed_batch)
    assert isinstance(out, AMMOutput)
    assert out.tasks == EXPECTED_TASKS[variant]
    classes = {"depression": 2, "emotion": N_EMOTIONS}
    for task in out.tasks:
        assert out.logits[task].shape == (4, classes[task])
        assert torch.isfinite(out.logits[task]).all()
        assert torch.allclose(out.probs[task].sum(-1), torch.ones(4))
    assert out.loss is not None and out.loss.ndim == 0 and torch.isfinite(out.loss)
    assert out.word_attention.shape == (4, 5)
    assert out.visual_attention.shape == (4, 3)
    lt, lv = 1 + 5, 1 + 3  # summary slot + steps
    if variant in HAS_INTER_MODAL:
        assert out.inter_modal["t2v"].shape == (4, 8, lt, lv)
        assert out.inter_modal["v2t"].shape == (4, 8, lv, lt)
    else:
        assert out.inter_modal is None
    if variant in HAS_INTER_TASK:
        assert out.inter_task["dep_from_emo"].shape == (4, lt + lv, lt + lv)
        assert out.inter_task["emo_from_dep"].shape == (4, lt + lv, lt + lv)
    else:
        assert out.inter_task is None
    out.loss.backward()  # the graph is whole: every variant trains


def test_no_labels_means_no_loss(mixed_batch: AMMBatch) -> None:
    mixed_batch.labels = None
    assert build_model(tiny_config())(mixed_batch).loss is None


def test_stl_emotion_predicts_only_emotion(mixed_batch: AMMBatch) -> None:
    out = build_model(tiny_config(variant="stl", task="emotion"))(mixed_batch)
    assert out.tasks == ("emotion",)
    assert out.logits["emotion"].shape == (4, N_EMOTIONS)


def test_linear_without_task_predicts_both(mixed_batch: AMMBatch) -> None:
    out = build_model(tiny_config(variant="linear", task=None))(mixed_batch)
    assert out.tasks == ("depression", "emotion")


def test_unknown_variant_names_the_valid_ones() -> None:
    with pytest.raises(ValueError) as err:
        build_model(tiny_config(variant="transformer"))
    assert str(err.value) == (
        "unknown model variant 'transformer'; valid: amm, stl, no_ie, no_it, no_attention, linear"
    )


def test_unknown_modalities_and_missing_stl_task() -> None:
    with pytest.raises(ValueError, match="valid: text, image, text\\+image"):
        build_model(tiny_config(modalities="audio"))
    with pytest.raises(ValueError, match="variant 'stl' needs a task"):
        build_model(tiny_config(variant="stl", task=None))


def test_wrong_feature_size_is_named(mixed_batch: AMMBatch) -> None:
    model = build_model(tiny_config(visual_dim=38))
    with pytest.raises(ValueError, match=r"visual features have shape \(4, 3, 6\).*visual_dim=38"):
        model(mixed_batch)


def test_default_config_builds_the_configured_sizes() -> None:
    config = ModelConfig()
    model = build_model(config)
    assert model.text_encoder.gru.hidden_size == config.gru_hidden
    assert model.text_encoder.out_dim == 2 * config.gru_hidden  # bidirectional
    assert model.text_encoder.gru.input_size == 384 and model.visual_encoder.gru.input_size == 1280
    assert model.task_sequences.lstms["depression"].hidden_size == config.lstm_hidden


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_init_ranges(variant: str) -> None:
    model = build_model(tiny_config(variant=variant, init_range=0.05))
    for name, param in model.named_parameters():
        if name.rsplit(".", 1)[-1].startswith("bias"):
            assert torch.count_nonzero(param) == 0, name
        else:
            assert param.abs().max() <= 0.05, name
            assert param.abs().max() > 0.02, name  # actually drawn from the range, not zeros


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_task_logits_seam_equals_forward(variant: str, mixed_batch: AMMBatch) -> None:
    model = build_model(tiny_config(variant=variant)).eval()
    out = model(mixed_batch)
    for task in out.tasks:
        seam = model.task_logits(*mixed_batch.inputs(), task=task)
        assert torch.equal(seam, out.logits[task])
    by_keyword = model.task_logits(
        mixed_batch.text,
        mixed_batch.visual,
        task=None,  # the main task
        text_mask=mixed_batch.text_mask,
        gender=mixed_batch.gender,
        visual_mask=mixed_batch.visual_mask,
        colour=mixed_batch.colour,
        has_visual=mixed_batch.has_visual,
    )
    assert torch.equal(by_keyword, out.logits["depression"])


def test_task_logits_rejects_a_task_the_model_lacks(mixed_batch: AMMBatch) -> None:
    model = build_model(tiny_config(variant="stl"))
    with pytest.raises(ValueError, match="this model predicts depression, not 'emotion'"):
        model.task_logits(*mixed_batch.inputs(), task="emotion")


@pytest.mark.parametrize("variant", ["amm", "linear"])
def test_same_seed_same_model_and_outputs(variant: str, mixed_batch: AMMBatch) -> None:
    def run(seed: int) -> AMMOutput:
        torch.manual_seed(seed)
        model = build_model(tiny_config(variant=variant, dropout=0.3)).train()
        return model(mixed_batch)  # dropout active: its draws must repeat too

    first, second, other = run(7), run(7), run(8)
    for task in first.tasks:
        assert torch.equal(first.logits[task], second.logits[task])
        assert not torch.equal(first.logits[task], other.logits[task])
    assert torch.equal(first.loss, second.loss)


def test_batch_to_device_and_output_cpu(mixed_batch: AMMBatch) -> None:
    moved = mixed_batch.to("cpu")
    assert torch.equal(moved.text, mixed_batch.text)
    assert moved.labels is not None and torch.equal(
        moved.labels["emotion"], mixed_batch.labels["emotion"]
    )
    out = build_model(tiny_config())(moved).cpu()
    assert not out.logits["depression"].requires_grad
    assert out.inter_task is not None and not out.inter_task["dep_from_emo"].requires_grad


def test_per_modality_heads_pool_each_part_and_a_missing_part_adds_nothing(
    mixed_batch: AMMBatch,
) -> None:
    torch.manual_seed(0)
    model = build_model(tiny_config(per_modality_pooling=True)).eval()
    head = model.heads["depression"]
    assert head.visual_pool is not None and head.classifier[1].in_features == 2 * 12
    seq, mask = torch.randn(4, 7, 12), torch.ones(4, 7, dtype=torch.bool)
    mask[0, 3:] = False  # row 0: no visual part at all
    moved = seq.clone()
    moved[0, 3:] = 1e3  # whatever sits in a masked part is ignored
    assert torch.equal(head(seq, mask, 3), head(moved, mask, 3))
    text_only = head.classifier(torch.cat([head.pool(seq[:1, :3], mask[:1, :3])[0],
                                           torch.zeros(1, 12)], dim=-1))
    assert torch.allclose(head(seq, mask, 3)[:1], text_only)
    with pytest.raises(ValueError, match="length of the text part"):
        head(seq, mask)


@pytest.mark.parametrize(
    "field_name", ["per_modality_pooling", "head_norm", "text_mean_knowledge"])
def test_a_config_stored_before_a_model_choice_loads_as_it_was_trained(field_name: str) -> None:
    from dataclasses import asdict

    from amm_core.config import RunConfig, from_dict

    stored = asdict(RunConfig())
    assert getattr(from_dict(stored).model, field_name) is True  # new runs keep theirs
    del stored["model"][field_name]
    assert getattr(from_dict(stored).model, field_name) is False
    if field_name == "head_norm":  # the rebuilt heads are the plain Linear-ReLU-Linear again
        modules = build_model(from_dict(stored).model).modules()
        assert not any(isinstance(m, torch.nn.LayerNorm) for m in modules)


@pytest.mark.parametrize("norm", [True, False])
def test_a_head_whose_relu_bias_went_far_negative_dies_only_without_the_norm(norm: bool) -> None:
    torch.manual_seed(0)
    head = AttentionPoolHead(12, 2, dropout=0.0, per_modality=True, norm=norm).eval()
    with torch.no_grad():
        head.classifier[1].bias.fill_(-100.0)  # what a run of bad Adam steps can leave behind
    seq = torch.randn(4, 7, 12, requires_grad=True)
    logits = head(seq, torch.ones(4, 7, dtype=torch.bool), 3)  # (4, 2)
    logits[:, 1].sum().backward()
    assert seq.grad is not None
    if norm:  # each sample still fires about half the units: outputs differ, gradient flows
        assert logits[:, 1].std() > 1e-3 and seq.grad.abs().max() > 0
    else:  # every ReLU is off for every input: constant logits, nothing flows upstream
        assert torch.equal(logits[0], logits[3]) and seq.grad.abs().max() == 0


def test_the_text_knowledge_step_carries_the_mean_of_the_frozen_tokens() -> None:
    """h^tg ends with the mean of the valid frozen tokens (what the linear probe reads), and
    whatever sits in a padded token never reaches it."""
    torch.manual_seed(0)
    with_mean = build_model(tiny_config(text_mean_knowledge=True, modalities="text")).eval()
    paper = build_model(tiny_config(text_mean_knowledge=False, modalities="text")).eval()
    c = with_mean.config
    gru_out = 2 * c.gru_hidden
    assert with_mean.text_sequence.summary_proj.in_features == gru_out + 2 * c.text_dim
    assert paper.text_sequence.summary_proj.in_features == gru_out + c.text_dim
    captured: list[torch.Tensor] = []
    with_mean.text_sequence.summary_proj.register_forward_hook(
        lambda _m, args, _out: captured.append(args[0].detach()))
    text = torch.randn(1, 5, c.text_dim)
    mask = torch.tensor([[True, True, True, False, False]])
    padded = text.clone()
    padded[0, 3:] = 50.0  # padding content must not reach the mean
    gender, visual = torch.zeros(1, c.text_dim), torch.zeros(1, 3, c.visual_dim)
    visual_mask, colour = torch.zeros(1, 3, dtype=torch.bool), torch.zeros(1, c.colour_dim)
    has_visual = torch.zeros(1, dtype=torch.bool)
    for tokens in (text, padded):
        with_mean.compute(tokens, visual, mask, gender, visual_mask, colour, has_visual)
    expected_mean = text[0, :3].mean(dim=0)
    assert torch.allclose(captured[0][0, -c.text_dim:], expected_mean, atol=1e-6)
    assert torch.allclose(captured[1], captured[0], atol=1e-6)
