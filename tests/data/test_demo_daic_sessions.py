"""The demo DAIC sessions: gender must not be a shortcut for the label in any split."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from amm_core.data.demo_daic import plan_sessions


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("n_sessions", [8, 11, 20])
def test_every_split_has_as_many_depressed_as_other_sessions_per_gender(seed, n_sessions):
    sessions = plan_sessions(np.random.default_rng([seed, 3]), n_sessions)
    for split in ("train", "dev", "test"):
        counts = Counter((s.gender, s.depressed) for s in sessions if s.split == split)
        imbalance = [abs(counts[(g, True)] - counts[(g, False)]) for g in (0, 1)]
        assert sum(imbalance) <= 1, (split, dict(counts))  # an odd split leaves one unpaired
