"""Which compute device this process uses, described for people."""

from __future__ import annotations


def describe_device() -> dict[str, str]:
    """{"kind": "cuda"|"cpu", "name": GPU name or CPU description}. Imports torch lazily."""
    import platform

    import torch

    if torch.cuda.is_available():
        return {"kind": "cuda", "name": torch.cuda.get_device_name(0)}
    cpu = platform.processor() or platform.machine()
    threads = torch.get_num_threads()
    return {"kind": "cpu", "name": f"CPU ({cpu}, {threads} threads)"}
