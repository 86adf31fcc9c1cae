"""The demo's training steps: `demo-amm` on demo-mgid and `demo-amm-daic` on demo-daic.

Small epoch budgets keep the first launch short on a 2-core CPU; the runs are ordinary runs
(checkpoints, metrics, predictions), so every page has something real to show.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from amm_core.cli.output import Output
from amm_core.cli.storage import Workspace

Progress = Callable[[float, str], None]
# demo-mgid epochs: with per-modality heads the best dev epoch of 30-epoch runs came at 15, 10
# and 28 (seeds 0-2; dev micro-F1 moves by a post or two of 90 between epochs), so 15 epochs
# keep the first launch short at little cost. Table II's lr / dropout stay (alternatives did
# not improve dev micro-F1).
DEMO_RUNS = (
    # (run name, dataset, epochs)
    ("demo-amm", "demo-mgid", 15),
    ("demo-amm-daic", "demo-daic", 15),
)
_EPOCH = re.compile(r"epoch (\d+)/(\d+)")


class _ProgressRelay(Output):
    """Turns the training's progress lines into fractions of one demo step."""

    def __init__(self, progress: Progress, start: float, span: float, label: str) -> None:
        super().__init__(json_mode=True)
        self.report, self.start, self.span, self.label = progress, start, span, label

    def progress(self, message: str) -> None:
        match = _EPOCH.match(message)
        fraction = 0.2 if not match else 0.2 + 0.8 * int(match[1]) / int(match[2])
        self.report(self.start + self.span * fraction, f"{self.label}: {message.split(' dev')[0]}")


def demo_training_steps() -> list[Callable[[Workspace, Progress, float, float], dict[str, Any]]]:
    return [_step(name, dataset, epochs) for name, dataset, epochs in DEMO_RUNS]


def _step(name: str, dataset: str, epochs: int):
    def run(workspace: Workspace, progress: Progress, start: float, span: float) -> dict[str, Any]:
        from amm_core.cli.training import TrainRequest, train_run

        relay = _ProgressRelay(progress, start, span, f"training {name} on {dataset}")
        request = TrainRequest(dataset=dataset, name=name, epochs=epochs, replace=True)
        result = train_run(workspace, request, relay)
        return {"run": name, "status": result["status"], "best_epoch": result["best_epoch"],
                "seconds": result["seconds"]}

    return run
