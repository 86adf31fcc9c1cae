"""Data-parallel training (amm_core/distributed.py): two Gloo processes on this CPU learn what one
process learns on the whole batch; a process with nothing to learn from does not hang the rest."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from amm_core.distributed import SINGLE, Parallel, shard
from tests.distributed_jobs import train, whole_batch_gradients

ROOT = Path(__file__).resolve().parents[1]


def test_without_torchrun_a_process_trains_alone() -> None:
    assert Parallel.from_env({}) == SINGLE and not SINGLE.active and SINGLE.main
    parallel = Parallel.from_env({"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1"})
    assert (parallel.rank, parallel.world, parallel.local_rank) == (3, 4, 1)
    assert parallel.active and not parallel.main


@pytest.mark.parametrize("env, names", [
    ({"WORLD_SIZE": "two"}, "WORLD_SIZE='two'"),
    ({"RANK": "2", "WORLD_SIZE": "2"}, "RANK=2 WORLD_SIZE=2"),
])
def test_a_broken_torchrun_environment_is_named(env: dict[str, str], names: str) -> None:
    with pytest.raises(ValueError, match=names):
        Parallel.from_env(env)


def test_each_process_takes_its_share_of_every_item() -> None:
    batch = torch.arange(7)
    shares = [shard(batch, Parallel(rank=r, world=3)) for r in range(3)]
    assert [s.tolist() for s in shares] == [[0, 1, 2], [3, 4], [5, 6]]
    assert shard(torch.arange(1), Parallel(rank=1, world=2)).numel() == 0
    assert torch.equal(shard(batch, SINGLE), batch)


def _torchrun(tmp_path: Path, job: str) -> list:
    """Run `job` of tests/distributed_jobs.py in 2 fresh processes; what each returned."""
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node",
               "2", "-m", "tests.distributed_jobs", job, str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return [pickle.loads((tmp_path / f"result{r}.pkl").read_bytes()) for r in range(2)]


def test_averaged_gradients_are_the_whole_batch_gradients(tmp_path: Path) -> None:
    results = _torchrun(tmp_path, "gradients")
    loss, whole = whole_batch_gradients(torch.arange(8))
    for result in results:  # every process holds the same, the one-process batch's
        assert result["loss"] == pytest.approx(loss, abs=1e-6)
        for name, grad in whole.items():
            if grad is None:
                assert result["grads"][name] is None, name
            else:
                torch.testing.assert_close(result["grads"][name], grad, atol=1e-6, rtol=1e-5)
    assert any(g is not None and g.abs().sum() > 0 for g in whole.values())


def test_a_process_with_nothing_to_learn_from_takes_the_others_step(tmp_path: Path) -> None:
    results = _torchrun(tmp_path, "gradients-silent-1")  # process 1 has no labels
    loss, first_half = whole_batch_gradients(torch.arange(4))
    for result in results:
        assert result["loss"] == pytest.approx(loss, abs=1e-6)
        for name, grad in first_half.items():
            if grad is not None:
                torch.testing.assert_close(result["grads"][name], grad, atol=1e-6, rtol=1e-5)


@pytest.mark.slow
def test_two_processes_learn_what_one_learns_on_their_joint_batch(tmp_path: Path) -> None:
    """Batch 4 on each of 2 processes = batch 8 in one (32 items: 4 equal steps an epoch).

    Not bit for bit: the sums run in another order, and Adam divides each gradient by its own
    size, so the additive-attention biases, whose gradients are tiny, move by up to ~1e-4
    (measured 8e-5; every other weight within 1e-6). Batch 4 in one process moves them by 4e-2.
    """
    (tmp_path / "two").mkdir()
    two = _torchrun(tmp_path / "two", "train")[0]
    one = train(SINGLE, 8, str(tmp_path / "one-run"))
    four = train(SINGLE, 4, str(tmp_path / "four-run"))
    assert set(two) == set(one)

    def farthest(weights: dict[str, torch.Tensor]) -> float:
        return max(float((weights[n] - w).abs().max()) for n, w in one.items())

    assert farthest(two) < 2e-4
    assert farthest(four) > 1e-2  # the test can tell batches apart
