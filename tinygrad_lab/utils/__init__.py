"""Utilities under PyTorch's names: ``tinygrad_lab.utils.data`` is ``torch.utils.data``."""

from . import data

__all__ = ["data"]
