"""Tools to prove gradients: :func:`gradcheck` and hypothesis strategies."""

from .gradcheck import GradcheckError, gradcheck

__all__ = ["GradcheckError", "gradcheck", "strategies"]


def __getattr__(name: str):  # strategies need hypothesis, which only tests install
    if name == "strategies":
        from . import strategies

        return strategies
    raise AttributeError(name)
