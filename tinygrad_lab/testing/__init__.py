"""Tools to prove gradients: :func:`gradcheck`, and hypothesis strategies in
``tinygrad_lab.testing.strategies`` (imported on demand, since it needs hypothesis)."""

from .gradcheck import (
    GradcheckError,
    analytic_jacobian,
    gradcheck,
    gradgradcheck,
    numeric_jacobian,
)

__all__ = ["GradcheckError", "analytic_jacobian", "gradcheck", "gradgradcheck", "numeric_jacobian"]
