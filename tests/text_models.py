"""Tiny text models on disk, for tests that need a second or a changed model folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import torch

from amm_core.features.text import packaged_model_folder

TOKENIZER_FILES = ("vocab.txt", "tokenizer.json", "tokenizer_config.json",
                   "special_tokens_map.json")


def tiny_bert(folder: Path, seed: int, width: int = 32) -> Path:
    """A `width`-wide one-layer BERT with the packaged model's tokenizer (random weights)."""
    from transformers import BertConfig, BertModel

    folder.mkdir(parents=True, exist_ok=True)
    for name in TOKENIZER_FILES:
        shutil.copy(packaged_model_folder() / name, folder / name)
    torch.manual_seed(seed)
    config = BertConfig(hidden_size=width, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=37)
    BertModel(config).save_pretrained(folder)
    return folder
