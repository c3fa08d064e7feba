"""``tl.cuda``: there is no GPU here, and code that asks gets an honest answer.

``is_available()`` is False, so ``device = "cuda" if tl.cuda.is_available() else "cpu"``
picks the CPU. Seeding calls do nothing, as PyTorch's do without CUDA.
"""

from __future__ import annotations


def is_available() -> bool:
    """False: tinygrad_lab computes with NumPy on the CPU."""
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """Nothing to seed (as ``torch.cuda.manual_seed`` without CUDA)."""


manual_seed_all = manual_seed


def synchronize() -> None:
    """Nothing to wait for."""
