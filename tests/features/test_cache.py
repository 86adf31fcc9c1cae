"""The content-hash cache: keys, atomic .safetensors entries, legacy .pt entries, counters,
corrupt files."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import torch

from amm_core.features.cache import FeatureCache, cache_key, content_digest

SHA256_OF_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_digest_of_bytes_text_and_file_agree(tmp_path: Path) -> None:
    (tmp_path / "abc.txt").write_bytes(b"abc")
    assert content_digest(b"abc") == content_digest("abc") == SHA256_OF_ABC
    assert content_digest(tmp_path / "abc.txt") == SHA256_OF_ABC


def test_any_part_of_the_key_changes_it() -> None:
    base = cache_key(SHA256_OF_ABC, "image", "1", {"n_zones": 4, "zone_mode": "rows"})
    assert base == cache_key(SHA256_OF_ABC, "image", "1", {"zone_mode": "rows", "n_zones": 4})
    changed = {
        cache_key(content_digest(b"abd"), "image", "1", {"n_zones": 4, "zone_mode": "rows"}),
        cache_key(SHA256_OF_ABC, "video", "1", {"n_zones": 4, "zone_mode": "rows"}),
        cache_key(SHA256_OF_ABC, "image", "2", {"n_zones": 4, "zone_mode": "rows"}),
        cache_key(SHA256_OF_ABC, "image", "1", {"n_zones": 5, "zone_mode": "rows"}),
        cache_key(SHA256_OF_ABC, "image", "1", {"n_zones": 4, "zone_mode": "crops"}),
    }
    assert base not in changed and len(changed) == 5


def test_put_then_get_round_trips_tensors_and_strings(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    entry = {"tokens": ["[CLS]", "hi", "[SEP]"], "pooled": torch.arange(3.0), "n": 3}
    cache.put("text", "ab12", entry)
    stored = tmp_path / "text" / "ab" / "ab12.safetensors"
    assert list((tmp_path / "text" / "ab").iterdir()) == [stored]  # no temp file left behind
    loaded = cache.get("text", "ab12")
    assert loaded is not None and loaded["tokens"] == ["[CLS]", "hi", "[SEP]"]
    assert torch.equal(loaded["pooled"], torch.arange(3.0)) and loaded["n"] == 3
    assert cache.get("text", "cd34") is None
    assert cache.stats.as_dict() == {"hits": 1, "misses": 1, "corrupt": 0, "write_errors": 0}


def test_an_entry_written_by_an_earlier_version_is_still_read(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    legacy = cache.path("image", "ab99").with_suffix(".pt")
    legacy.parent.mkdir(parents=True)
    torch.save({"steps": torch.ones(4, 2), "colour": torch.zeros(3)}, legacy)
    entry = cache.get("image", "ab99", ("steps", "colour"))
    assert entry is not None and torch.equal(entry["steps"], torch.ones(4, 2))
    assert cache.stats.hits == 1


def test_an_entry_cannot_smuggle_code(tmp_path: Path) -> None:
    """Entries are data only: a pickle payload under an entry's name is refused, not run."""
    import pickle

    class Boom:
        def __reduce__(self):
            return (Path(tmp_path / "ran").write_text, ("code ran",))

    cache = FeatureCache(tmp_path)
    current = cache.path("text", "ee00")
    current.parent.mkdir(parents=True)
    for path in (current, current.with_suffix(".pt")):  # the current format, then a legacy file
        path.write_bytes(pickle.dumps({"pooled": Boom()}, protocol=2))  # torch's default protocol
        assert cache.get("text", "ee00") is None and not (tmp_path / "ran").exists()
        path.unlink()
    assert cache.stats.corrupt == 2


def test_a_corrupt_file_is_a_miss_and_is_overwritten(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    path = cache.path("image", "ef56")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x80\x02 this is not a torch file")
    calls = []

    def compute() -> dict[str, torch.Tensor]:
        calls.append(1)
        return {"steps": torch.ones(2, 3)}

    entry = cache.get_or_compute("image", "ef56", compute)
    assert torch.equal(entry["steps"], torch.ones(2, 3)) and len(calls) == 1
    assert cache.stats.as_dict() == {"hits": 0, "misses": 1, "corrupt": 1, "write_errors": 0}
    again = cache.get_or_compute("image", "ef56", compute)
    assert torch.equal(again["steps"], torch.ones(2, 3)) and len(calls) == 1  # rewritten: a hit


def test_an_entry_missing_a_required_field_is_a_miss(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    cache.put("image", "aa00", {"steps": torch.zeros(1)})
    assert cache.get("image", "aa00", ("steps", "colour")) is None
    assert cache.stats.corrupt == 1


def test_a_truncated_entry_is_a_miss(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    cache.put("text", "bb00", {"pooled": torch.zeros(384)})
    path = cache.path("text", "bb00")
    path.write_bytes(path.read_bytes()[:100])
    assert cache.get("text", "bb00") is None


def test_a_disabled_cache_stores_nothing() -> None:
    cache = FeatureCache(None)
    cache.put("text", "cc00", {"pooled": torch.zeros(1)})
    assert cache.get("text", "cc00") is None
    assert cache.stats.misses == 1


def test_a_failed_write_is_counted_not_raised(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    cache = FeatureCache(blocker)
    with pytest.warns(UserWarning, match="feature cache not written"):
        cache.put("text", "dd00", {"pooled": torch.zeros(1)})
    cache.put("text", "dd01", {"pooled": torch.zeros(1)})  # warned once only
    assert cache.stats.write_errors == 2


def test_sweeping_removes_only_old_unfinished_writes(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    cache.put("text", "ab" * 32, {"x": torch.zeros(2)})
    folder = cache.path("text", "ab" * 32).parent
    old, fresh = folder / ".abababab-old.tmp", folder / ".abababab-new.tmp"
    old.write_bytes(b"half"), fresh.write_bytes(b"half")  # a killed write, one in progress
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert cache.sweep_orphans() == 1
    assert not old.exists() and fresh.exists()
    assert cache.get("text", "ab" * 32) is not None  # entries are never touched
    assert FeatureCache(None).sweep_orphans() == 0


def _flip_last(path: Path, needle: bytes) -> None:
    """Change one byte of the file, inside the last occurrence of `needle`; same size."""
    data = bytearray(path.read_bytes())
    at = data.rindex(needle)
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def test_a_flipped_byte_in_the_features_is_a_miss_and_is_recomputed(tmp_path: Path) -> None:
    """Same size, valid structure, one bit changed in a tensor: not served as a hit."""
    cache = FeatureCache(tmp_path)
    right = {"steps": torch.full((4, 8), 0.5), "tokens": ["i", "feel", "low"]}
    cache.put("text", "cc00", right)
    path = cache.path("text", "cc00")
    _flip_last(path, torch.full((1,), 0.5).numpy().tobytes())
    assert cache.get("text", "cc00") is None and cache.stats.corrupt == 1
    entry = cache.get_or_compute("text", "cc00", lambda: right)
    assert torch.equal(entry["steps"], right["steps"])
    assert torch.equal(cache.get("text", "cc00")["steps"], right["steps"])  # rewritten: a hit


def test_a_flipped_byte_in_the_token_strings_is_a_miss(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    cache.put("text", "dd00", {"steps": torch.zeros(3, 2), "tokens": ["i", "feel", "low"]})
    _flip_last(cache.path("text", "dd00"), b"feel")  # "feel" -> "geel", JSON still valid
    assert cache.get("text", "dd00") is None and cache.stats.corrupt == 1


def test_an_entry_written_before_checksums_is_still_read(tmp_path: Path) -> None:
    """Earlier versions wrote no checksum: their entries stay hits (no mass recomputation)."""
    from safetensors.torch import save

    cache = FeatureCache(tmp_path)
    path = cache.path("text", "ee11")
    path.parent.mkdir(parents=True)
    old = save({"steps": torch.ones(2, 2)}, metadata={"amm_json": '{"tokens": ["a", "b"]}'})
    path.write_bytes(old)
    entry = cache.get("text", "ee11")
    assert entry is not None and entry["tokens"] == ["a", "b"]
    assert torch.equal(entry["steps"], torch.ones(2, 2))
