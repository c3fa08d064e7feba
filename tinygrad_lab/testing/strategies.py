"""Hypothesis strategies for testing ops and models (requires ``hypothesis``).

Examples
--------
>>> from hypothesis import given
>>> from tinygrad_lab.testing import strategies as tst
>>> @given(tst.arrays(shape=tst.shapes(max_dims=3)))
... def test_my_op(a): ...
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


def shapes(
    min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4
) -> st.SearchStrategy[tuple[int, ...]]:
    """Array shapes, 0-d (``()``) included when ``min_dims`` is 0."""
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def arrays(
    dtype: Any = np.float64,
    shape: Any = None,
    *,
    min_value: float = -3.0,
    max_value: float = 3.0,
    min_magnitude: float = 0.0,
    elements: st.SearchStrategy[float] | None = None,
    unique: bool = False,
) -> st.SearchStrategy[np.ndarray]:
    """Finite float arrays of ``dtype`` and ``shape`` (a tuple or a shape strategy).

    Parameters
    ----------
    dtype : dtype
        Array dtype (float64 for gradient checks).
    shape : tuple or strategy, optional
        Defaults to :func:`shapes` ().
    min_value, max_value : float
        Range of the values.
    min_magnitude : float
        Keep ``|x| >= min_magnitude`` (off a singularity or kink at 0, e.g. for log, relu).
    elements : strategy, optional
        Overrides the value range entirely.
    unique : bool
        All values distinct (e.g. for max/min, whose gradient picks one element).
    """
    if shape is None:
        shape = shapes()
    if elements is None:
        width = 64 if np.dtype(dtype) == np.float64 else 32
        elements = st.floats(min_value, max_value, allow_nan=False, allow_infinity=False,
                             width=width)
        if min_magnitude > 0:
            elements = elements.filter(lambda v: abs(v) >= min_magnitude)
    return hnp.arrays(dtype=dtype, shape=shape, elements=elements, unique=unique)


@st.composite
def broadcastable_shapes(
    draw: st.DrawFn, min_dims: int = 0, max_dims: int = 3, max_side: int = 4
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A pair of shapes that broadcast together under NumPy's rules (size-1 axes,
    missing leading axes and 0-d included)."""
    base = draw(shapes(min_dims=min_dims, max_dims=max_dims, max_side=max_side))
    pair = draw(hnp.mutually_broadcastable_shapes(
        num_shapes=2, base_shape=base, min_dims=min_dims, max_dims=max_dims,
        min_side=1, max_side=max_side))
    return pair.input_shapes[0], pair.input_shapes[1]


@st.composite
def matmul_shapes(
    draw: st.DrawFn, max_batch_dims: int = 2, max_side: int = 4
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A pair of shapes valid for ``a @ b``: 1-D operands, 2-D, and batched with
    broadcast batch axes."""
    n, k, m = (draw(st.integers(1, max_side)) for _ in range(3))
    batch_a, batch_b = draw(broadcastable_shapes(max_dims=max_batch_dims, max_side=3))
    a_vector = draw(st.booleans()) and draw(st.booleans())
    b_vector = draw(st.booleans()) and draw(st.booleans())
    shape_a = (k,) if a_vector else (*batch_a, n, k)
    shape_b = (k,) if b_vector else (*batch_b, k, m)
    return shape_a, shape_b


@st.composite
def conv1d_args(
    draw: st.DrawFn, max_batch: int = 3, max_channels: int = 4, max_length: int = 10,
    max_kernel: int = 4,
) -> dict[str, Any]:
    """Consistent arguments for ``conv1d``: shapes of ``x`` ``(N, C_in, L)``, ``weight``
    ``(C_out, C_in/groups, K)`` and ``bias``, and stride, padding, dilation, groups, such
    that the output has at least one position."""
    groups = draw(st.integers(1, 3))
    c_in = groups * draw(st.integers(1, max(1, max_channels // groups)))
    c_out = groups * draw(st.integers(1, max(1, max_channels // groups)))
    kernel = draw(st.integers(1, max_kernel))
    dilation = draw(st.integers(1, 3))
    stride = draw(st.integers(1, 3))
    padding = draw(st.integers(0, 2))
    span = dilation * (kernel - 1) + 1
    length = draw(st.integers(max(1, span - 2 * padding), max(span, max_length)))
    return {
        "x_shape": (draw(st.integers(1, max_batch)), c_in, length),
        "weight_shape": (c_out, c_in // groups, kernel),
        "bias_shape": (c_out,) if draw(st.booleans()) else None,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "groups": groups,
    }
