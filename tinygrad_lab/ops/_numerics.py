"""Numerics NumPy lacks: the error function ``erf`` and its complement ``erfc`` on float
arrays (for the exact GELU; the ops ``erf``/``erfc`` in ``activation.py`` wrap these),
and :func:`ignoring`, a cheaper ``np.errstate`` decorator for hot ops.

Why here rather than a dependency: ``scipy.special.erf`` would do, but SciPy is a large
package (over 100 MB installed, more than half a second to import) for one function, and
tinygrad_lab otherwise needs only NumPy. ``math.erf`` is exact but scalar: mapped over an
array it is two orders of magnitude slower.

The method is W. J. Cody's rational Chebyshev approximations, accurate to double
precision (W. J. Cody, "Rational Chebyshev approximations for the error function",
Math. Comp. 23 (1969), 631-637; the coefficients are those of his CALERF routine in
SPECFUN, also used by SciPy's ancestors). Three ranges of ``|x|``: a rational function of
``x²`` for erf below 0.46875, and ``exp(-x²)`` times a rational function of ``|x|``
(up to 4) or of ``1/x²`` (beyond) for erfc. Tests compare with ``math.erf``/``math.erfc``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["erf", "erfc", "ignoring"]

# NumPy 2 keeps the float-error state in a context variable. ``np.errstate`` builds a new
# state object on every call (about 1 µs, as long as a small sigmoid); setting a prepared
# one costs 0.1 µs. Private, so looked up defensively: without it, np.errstate is used
# (``ignoring`` here, and tl.compile's replays, set it).
_ufunc_config = getattr(getattr(np, "_core", None), "_ufunc_config", None)
error_context = getattr(_ufunc_config, "_extobj_contextvar", None)


def ignoring(**errors: str) -> Callable[[Callable], Callable]:
    """Decorate a function to run as under ``np.errstate(**errors)``, thread-safely.

    The combined state (the caller's settings with ``errors`` on top) is built once per
    caller state and reused, so the decorator costs a tenth of ``np.errstate``'s.
    """
    if error_context is None:
        return np.errstate(**errors)
    combined: dict[Any, Any] = {}  # the caller's state -> the state to run in

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            outer = error_context.get()
            state = combined.get(outer)
            if state is None:
                with np.errstate(**errors):
                    state = error_context.get()
                if len(combined) >= 16:  # callers that make a new state every time
                    combined.clear()
                combined[outer] = state
            token = error_context.set(state)
            try:
                return fn(*args, **kwargs)
            finally:
                error_context.reset(token)

        return inner

    return decorate

_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
      3.20937758913846947e03, 1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
      2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
      2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)

_SMALL = 0.46875  # below: erf directly; above: erfc
_ZERO = 27.0  # erfc(27) < 1e-318: beyond it erfc is 0 (and exp(-x²) would underflow)


# Underflow is expected in both (erfc(x) and x² of a tiny x round towards 0, which is
# the right answer), so it is silenced even where a caller asks NumPy to raise on it.


@np.errstate(under="ignore")
def erf(x: np.ndarray) -> np.ndarray:
    """The error function ``2/√π ∫₀ˣ exp(-t²) dt`` of a float array, elementwise."""
    x = np.asarray(x)
    small = np.abs(x) < _SMALL
    out = np.empty_like(x, dtype=np.result_type(x, np.float16))
    out[small] = _erf_small(x[small])
    large = ~small
    # For |x| >= 0.46875, erfc(|x|) <= 0.51: 1 - erfc loses no precision.
    out[large] = np.copysign(1 - _erfc_positive(np.abs(x[large])), x[large])
    return out


@np.errstate(under="ignore")
def erfc(x: np.ndarray) -> np.ndarray:
    """The complementary error function ``1 - erf(x)`` of a float array, elementwise,
    accurate where ``erf`` rounds to 1 (``erfc(10) = 2.1e-45``)."""
    x = np.asarray(x)
    small = np.abs(x) < _SMALL
    out = np.empty_like(x, dtype=np.result_type(x, np.float16))
    out[small] = 1 - _erf_small(x[small])
    large = ~small
    tail = _erfc_positive(np.abs(x[large]))
    out[large] = np.where(x[large] < 0, 2 - tail, tail)  # erfc(-y) = 2 - erfc(y)
    return out


def _erf_small(x: np.ndarray) -> np.ndarray:
    z = x * x
    num, den = _A[4] * z, z
    for i in range(3):
        num, den = (num + _A[i]) * z, (den + _B[i]) * z
    return x * (num + _A[3]) / (den + _B[3])


def _erfc_positive(y: np.ndarray) -> np.ndarray:
    """``erfc(y)`` for ``y >= 0.46875`` (NaN stays NaN)."""
    out = np.zeros_like(y)
    middle = y <= 4.0
    t = y[middle]
    num, den = _C[8] * t, t
    for i in range(7):
        num, den = (num + _C[i]) * t, (den + _D[i]) * t
    out[middle] = _exp_minus_square(t) * (num + _C[7]) / (den + _D[7])

    large = (y > 4.0) & (y < _ZERO)
    t = y[large]
    z = 1 / (t * t)
    num, den = _P[5] * z, z
    for i in range(4):
        num, den = (num + _P[i]) * z, (den + _Q[i]) * z
    r = z * (num + _P[4]) / (den + _Q[4])
    out[large] = _exp_minus_square(t) * (1 / math.sqrt(math.pi) - r) / t
    out[np.isnan(y)] = np.nan
    return out


def _exp_minus_square(t: np.ndarray) -> np.ndarray:
    """``exp(-t²)`` as Cody computes it: ``t²`` split in two so that its rounding error
    is not magnified by the exponential."""
    head = np.trunc(t * 16) / 16
    return np.exp(-head * head) * np.exp(-(t - head) * (t + head))
