"""ops/extra.py: ``//``, ``%``, ``fmod``, ``div(rounding_mode=)``, ``norm``, diagonals and
traces, ``sort``/``argsort``/``topk``/``unique``/``bincount``, ``is_floating_point``.

Values and gradients against PyTorch in float64 (where torch is installed), gradients
and second derivatives against finite differences, and the error messages.
"""

import math

import numpy as np
import pytest
from _higher_order import check_second_order
from conftest import examples, leaf
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_lab import Tensor
from tinygrad_lab.autograd import grad
from tinygrad_lab.ops import extra
from tinygrad_lab.testing import gradcheck, gradgradcheck

RNG = np.random.default_rng(0)


def _away_from_zero(shape, rng=RNG):
    """Random values with |x| in [0.5, 2]: no element near a kink at 0."""
    return rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def _torch_pair(torch, ours_fn, torch_fn, *arrays, seed=1):
    """Values and input gradients (for a random output gradient) of both frameworks."""
    xs = [leaf(a) for a in arrays]
    ts = [torch.tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    out, ref = ours_fn(*xs), torch_fn(*ts)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    v = np.random.default_rng(seed).standard_normal(tuple(ref.shape))
    ours = grad(out, xs, grad_outputs=v, allow_unused=True)
    theirs = torch.autograd.grad(ref, ts, grad_outputs=torch.tensor(v), allow_unused=True)
    for g, h in zip(ours, theirs, strict=True):
        g = np.zeros(1) if g is None else g.numpy()
        h = np.zeros(1) if h is None else h.numpy()
        np.testing.assert_allclose(g, h, rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------- division


def test_integer_floor_division_and_remainder_follow_python():
    a = np.array([7, -7, 7, -7, 0, 6], dtype=np.int64)
    b = np.array([2, 2, -2, -2, 3, 3], dtype=np.int64)
    x, y = Tensor(a), Tensor(b)
    assert (x // y).tolist() == [int(p) // int(q) for p, q in zip(a, b, strict=True)]
    assert (x % y).tolist() == [int(p) % int(q) for p, q in zip(a, b, strict=True)]
    assert extra.fmod(x, y).tolist() == [int(math.fmod(p, q)) for p, q in zip(a, b, strict=True)]
    trunc = extra.div(x, y, rounding_mode="trunc")
    assert trunc.tolist() == [int(p / q) for p, q in zip(a, b, strict=True)]
    for t in (x // y, x % y, trunc):
        assert t.dtype == np.int64 and not t.requires_grad


@settings(max_examples=examples(100))
@given(st.lists(st.tuples(st.integers(-10**12, 10**12),
                          st.integers(-10**6, 10**6).filter(bool)), min_size=1, max_size=8))
def test_integer_division_identities(pairs):
    a = np.array([p for p, _ in pairs], dtype=np.int64)
    b = np.array([q for _, q in pairs], dtype=np.int64)
    x, y = Tensor(a), Tensor(b)
    assert ((x // y) * y + x % y).tolist() == a.tolist()
    assert (extra.div(x, y, rounding_mode="trunc") * y + extra.fmod(x, y)).tolist() == a.tolist()
    assert (x // y).tolist() == [p // q for p, q in pairs]
    assert (x % y).tolist() == [p % q for p, q in pairs]


def test_trunc_division_of_large_integers_is_exact():
    big = 2**62 + 1  # not a float: true division then trunc would round it
    assert extra.div(Tensor([big, -big]), 3, rounding_mode="trunc").tolist() == [
        big // 3, -(big // 3)
    ]


def test_operators_take_python_numbers_on_either_side():
    x = Tensor([7, -7])
    assert (x // 2).tolist() == [3, -4] and (x % 3).tolist() == [1, 2]
    assert (7 // Tensor([2, -2])).tolist() == [3, -4]
    np.testing.assert_allclose((7 % Tensor([2.5, -2.5])).numpy(), [2.0, -0.5])
    floats = x // 2.5  # an int tensor and a float number: the default float dtype
    assert floats.dtype == np.float32 and floats.tolist() == [2.0, -3.0]
    assert (Tensor(np.array([7.5], np.float32)) // 2).dtype == np.float32


def test_numpy_ufuncs_run_the_ops():
    x = leaf([3.5, -2.5])
    for ufunc, op in ((np.floor_divide, "floor_divide"), (np.remainder, "remainder"),
                      (np.fmod, "fmod"), (np.mod, "remainder")):
        out = ufunc(x, 2.0)
        assert isinstance(out, Tensor) and out._op == op


def test_integer_division_by_zero_raises_both_ways():
    for fn in (lambda a, b: a // b, lambda a, b: a % b, extra.fmod,
               lambda a, b: extra.div(a, b, rounding_mode="trunc")):
        with pytest.raises(ZeroDivisionError, match="division by zero"):
            fn(Tensor([1, 2]), Tensor([1, 0]))
        with pytest.raises(RuntimeError, match="division by zero"):
            fn(Tensor([1, 2]), 0)


def test_float_division_by_zero_is_inf_or_nan_without_warning(recwarn):
    x = Tensor([1.0, -1.0, 0.0])
    assert (x // 0.0).tolist()[:2] == [math.inf, -math.inf]
    assert np.isnan((x % 0.0).numpy()).all()
    assert not recwarn.list


def test_div_rounding_modes_and_bad_mode():
    x = Tensor([7.0, -7.0])
    assert extra.div(x, 2).tolist() == [3.5, -3.5]
    assert extra.div(x, 2, rounding_mode="trunc").tolist() == [3.0, -3.0]
    assert extra.div(x, 2, rounding_mode="floor").tolist() == [3.0, -4.0]
    assert x.div(2, rounding_mode="floor").tolist() == [3.0, -4.0]
    assert Tensor([7, -7]).div(2).tolist() == [3.5, -3.5]  # true division of integers
    with pytest.raises(ValueError, match="rounding_mode.*'round'"):
        extra.div(x, 2, rounding_mode="round")


def test_division_shapes_that_do_not_broadcast():
    with pytest.raises(ValueError, match=r"remainder: shapes \(2,\) and \(3,\)"):
        Tensor([1.0, 2.0]) % Tensor([1.0, 2.0, 3.0])


def test_in_place_division_forms():
    x = Tensor([7, -7])
    x //= 2
    assert x.tolist() == [3, -4]
    x %= 3
    assert x.tolist() == [0, 2]
    y = Tensor([7.5, -7.5])
    assert y.div_(2, rounding_mode="trunc") is y and y.tolist() == [3.0, -3.0]
    z = Tensor([5.0, -5.0])
    z.fmod_(3.0)
    assert z.tolist() == [2.0, -2.0]
    w = leaf([1.0])
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w //= 2


def test_rounded_quotients_have_zero_gradients():
    a, b = leaf([3.5, -2.5]), leaf([2.0, 2.0])
    for fn in (lambda a, b: a // b, lambda a, b: extra.div(a, b, rounding_mode="trunc"),
               lambda a, b: extra.div(a, b, rounding_mode="floor")):
        ga, gb = grad(fn(a, b).sum(), (a, b))
        assert ga.tolist() == [0.0, 0.0] and gb.tolist() == [0.0, 0.0]


def test_remainder_and_fmod_gradients():
    # Points away from the jumps (a / b not near an integer).
    a = leaf([3.3, -2.6, 5.7, -0.4])
    b = leaf([2.0, 1.5, -2.2, 0.9])
    for op in (extra.remainder, extra.fmod):
        assert gradcheck(op, (a, b))
        assert gradgradcheck(lambda a, b, op=op: op(a, b) ** 2, (a, b))
    ga, gb = grad((a % b).sum(), (a, b))
    np.testing.assert_allclose(gb.numpy(), -np.floor(a.numpy() / b.numpy()))


def test_division_ops_against_torch():
    torch = pytest.importorskip("torch")
    ints = np.array([7, -7, 7, -7, 0, 9], dtype=np.int64)
    divisors = np.array([2, 2, -2, -3, 5, 4], dtype=np.int64)
    floats = np.array([7.5, -7.5, 7.25, -0.5, 0.0, 1e10])
    float_divisors = np.array([2.0, 2.0, -2.5, 0.3, 3.0, -7.0])
    cases = [(ints, divisors), (floats, float_divisors), (ints, float_divisors)]
    ours = {
        "floor_divide": lambda a, b: a // b, "remainder": lambda a, b: a % b,
        "fmod": extra.fmod,
        "trunc": lambda a, b: extra.div(a, b, rounding_mode="trunc"),
        "floor": lambda a, b: extra.div(a, b, rounding_mode="floor"),
    }
    theirs = {
        "floor_divide": lambda a, b: a // b, "remainder": lambda a, b: a % b,
        "fmod": torch.fmod,
        "trunc": lambda a, b: torch.div(a, b, rounding_mode="trunc"),
        "floor": lambda a, b: torch.div(a, b, rounding_mode="floor"),
    }
    for a, b in cases:
        for name in ours:
            got = ours[name](Tensor(a), Tensor(b))
            want = theirs[name](torch.tensor(a), torch.tensor(b))
            np.testing.assert_array_equal(got.numpy(), want.numpy(), err_msg=name)
            assert str(got.dtype) == str(want.dtype).removeprefix("torch.")
            for number in (3, -2.5):  # a Python number on either side
                np.testing.assert_array_equal(ours[name](Tensor(a), number).numpy(),
                                              theirs[name](torch.tensor(a), number).numpy())
    a, b = np.array([3.3, -2.6, 5.7]), np.array([2.0, 1.5, -2.2])
    _torch_pair(torch, extra.remainder, torch.remainder, a, b)
    _torch_pair(torch, extra.fmod, torch.fmod, a, b)


# ---------------------------------------------------------------------------- norm

NORM_PS = [2, "fro", 1, 3, 0.5, 1.5, math.inf, -math.inf, -1.0]


@pytest.mark.parametrize("p", NORM_PS)
def test_norm_values_and_gradients_against_torch(p):
    torch = pytest.importorskip("torch")
    x = _away_from_zero((3, 4))
    for dim, keepdim in ((None, False), (1, False), (0, True), ((0, 1), False), (-1, True)):
        _torch_pair(torch, lambda t, d=dim, k=keepdim: extra.norm(t, p, d, k),
                    lambda t, d=dim, k=keepdim: torch.norm(t, p, d, k), x)
    # Zero elements, and a row that is all zeros: PyTorch's 0 (sub)gradients, not NaN.
    x[0, 1] = 0.0
    x[2] = 0.0
    for dim in (None, 1):
        _torch_pair(torch, lambda t, d=dim: extra.norm(t, p, d),
                    lambda t, d=dim: torch.norm(t, p, d), x)


def test_norm_of_zero_vector_has_zero_gradient():
    for p in (2, 1, 3, 0.5, math.inf):
        x = leaf(np.zeros(3))
        (g,) = grad(extra.norm(x, p), x)
        assert g.tolist() == [0.0, 0.0, 0.0], p


@pytest.mark.parametrize("p", [2, 1, 3, 0.5, math.inf, -math.inf])
def test_norm_first_and_second_derivatives(p):
    # Distinct magnitudes so that the max/min of |x| is unique.
    x = leaf([[0.7, -1.3, 1.9], [-0.4, 1.1, 2.3]])
    assert gradcheck(lambda t: t.norm(p, dim=1), (x,))
    assert gradgradcheck(lambda t: t.norm(p), (x,))
    check_second_order(lambda t: t.norm(p, dim=0, keepdim=True), x.numpy())


def test_norm_zero_counts_nonzero_elements_without_gradient():
    x = leaf([0.0, 1.5, -2.0])
    out = extra.norm(x, 0)
    assert out.item() == 2.0 and out.requires_grad
    out.backward()
    assert x.grad is None  # as in PyTorch


def test_norm_as_method_and_defaults():
    x = Tensor([[3.0, 4.0], [6.0, 8.0]])
    assert x.norm().item() == pytest.approx(math.sqrt(125))
    assert x.norm(dim=1).tolist() == [5.0, 10.0]
    assert x.norm(1, 0, True).shape == (1, 2)
    assert x.norm(dtype=np.float64).dtype == np.float64


def test_norm_errors():
    with pytest.raises(RuntimeError, match="floating point.*int64"):
        extra.norm(Tensor([1, 2]))
    with pytest.raises(NotImplementedError, match="nuclear"):
        extra.norm(Tensor([[1.0]]), "nuc")
    with pytest.raises(ValueError, match="Frobenius.*two dims"):
        extra.norm(Tensor(np.ones((2, 2, 2))), "fro", dim=(0, 1, 2))
    with pytest.raises(ValueError, match="p must be"):
        extra.norm(Tensor([1.0]), "max")


# ------------------------------------------------------------------------ diagonals


def test_diag_builds_and_reads_diagonals():
    v = Tensor([1.0, 2.0])
    np.testing.assert_array_equal(extra.diag(v).numpy(), np.diag([1.0, 2.0]))
    np.testing.assert_array_equal(extra.diag(v, 1).numpy(), np.diag([1.0, 2.0], 1))
    np.testing.assert_array_equal(extra.diag(v, -2).numpy(), np.diag([1.0, 2.0], -2))
    m = np.arange(12.0).reshape(3, 4)
    for k in (-3, -1, 0, 1, 3, 5):
        np.testing.assert_array_equal(extra.diag(Tensor(m), k).numpy(), np.diag(m, k))
    assert Tensor(m).diag().tolist() == [0.0, 5.0, 10.0]


def test_diagonal_ops_against_torch():
    torch = pytest.importorskip("torch")
    m = RNG.standard_normal((3, 4))
    v = RNG.standard_normal(3)
    cube = RNG.standard_normal((2, 3, 4))
    for k in (-2, 0, 1, 3):
        _torch_pair(torch, lambda t, k=k: extra.diag(t, k), lambda t, k=k: torch.diag(t, k), m)
        _torch_pair(torch, lambda t, k=k: extra.diag(t, k), lambda t, k=k: torch.diag(t, k), v)
        for d1, d2 in ((0, 1), (2, 0), (-1, 1)):
            _torch_pair(torch, lambda t, k=k, a=d1, b=d2: extra.diagonal(t, k, a, b),
                        lambda t, k=k, a=d1, b=d2: torch.diagonal(t, k, a, b), cube)
        for d1, d2 in ((-2, -1), (0, 2), (2, 0), (1, -1)):
            _torch_pair(torch, lambda t, k=k, a=d1, b=d2: extra.diag_embed(t, k, a, b),
                        lambda t, k=k, a=d1, b=d2: torch.diag_embed(t, k, a, b), m)
    _torch_pair(torch, extra.trace, torch.trace, m)
    assert extra.trace(Tensor(np.arange(6).reshape(2, 3))).item() == 4


def test_diagonal_is_a_view_and_diag_a_copy():
    a = Tensor(np.zeros((3, 3)))
    a.diagonal().fill_(2.0)
    assert a.tolist() == np.diag([2.0, 2.0, 2.0]).tolist()
    d = extra.diagonal(a, 1)
    version = a._version
    d += 1.0
    assert a.numpy()[0, 1] == 1.0 and a.numpy()[1, 2] == 1.0 and a._version > version
    copy = extra.diag(a)
    copy += 5.0
    assert a.numpy()[0, 0] == 2.0  # diag(matrix) copies, as in PyTorch
    b = Tensor(np.zeros((2, 3, 4)))
    # Offset -1 below the diagonal of (dim 2, dim 1): element j sits at dim 2 = j + 1,
    # dim 1 = j.
    extra.diagonal(b, -1, 2, 1).add_(Tensor([1.0, 2.0, 3.0]))
    expected = np.zeros((2, 3, 4))
    for j in range(3):
        expected[:, j, j + 1] = j + 1
    np.testing.assert_array_equal(b.numpy(), expected)


def test_in_place_change_through_the_diagonal_is_caught_by_backward():
    x = leaf(np.ones((2, 2)))
    y = x * 1.0
    z = (y * y).sum()
    y.diagonal().mul_(3.0)  # y was saved for z's gradient
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()


def test_diagonal_ops_second_order():
    m = RNG.standard_normal((3, 4))
    v = RNG.standard_normal(3)
    check_second_order(lambda t: extra.diag(t, 1), m, linear=True)
    check_second_order(lambda t: extra.diag(t, -1), v, linear=True)
    check_second_order(lambda t: extra.diag_embed(t, 1, 0, 2), m, linear=True)
    check_second_order(extra.trace, m, linear=True)


def test_numpy_diagonal_functions_run_the_ops():
    m = leaf(np.arange(6.0).reshape(2, 3))
    assert np.diag(m).grad_fn is not None and np.diag(m).tolist() == [0.0, 4.0]
    assert np.diagonal(m, 1).tolist() == [1.0, 5.0]
    assert np.trace(m).item() == 4.0 and np.trace(m).requires_grad
    assert np.diag(leaf([1.0, 2.0])).shape == (2, 2)


def test_diagonal_errors():
    with pytest.raises(RuntimeError, match="Supports 1D or 2D tensors. Got 3D"):
        extra.diag(Tensor(np.ones((2, 2, 2))))
    with pytest.raises(RuntimeError, match="trace: expected a matrix.*dim 3"):
        extra.trace(Tensor(np.ones((2, 2, 2))))
    with pytest.raises(RuntimeError, match="dim1 and dim2 must differ"):
        extra.diagonal(Tensor(np.ones((2, 2))), 0, 1, -1)
    with pytest.raises(IndexError, match="out of range"):
        extra.diagonal(Tensor(np.ones((2, 2))), 0, 0, 2)


# -------------------------------------------------------------------------- sorting


def test_sort_returns_values_and_indices():
    x = Tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 5.0]])
    values, indices = extra.sort(x)
    assert values.tolist() == [[1.0, 2.0, 3.0], [0.0, 5.0, 5.0]]
    assert indices.tolist() == [[1, 2, 0], [0, 1, 2]] and indices.dtype == np.int64
    down = x.sort(descending=True)
    assert down.values.tolist() == [[3.0, 2.0, 1.0], [5.0, 5.0, 0.0]]
    assert down.indices.tolist() == [[0, 2, 1], [1, 2, 0]]  # ties keep their order
    assert extra.argsort(x, dim=0).tolist() == [[1, 0, 0], [0, 1, 1]]
    zero_d = extra.sort(Tensor(3.0))
    assert zero_d.values.item() == 3.0 and zero_d.indices.item() == 0


@settings(max_examples=examples(100))
@given(st.lists(st.integers(-5, 5), min_size=1, max_size=12), st.booleans())
def test_sort_is_a_stable_ordering_permutation(values, descending):
    x = Tensor(np.array(values, dtype=np.float64))
    result = extra.sort(x, descending=descending)
    order = result.indices.tolist()
    assert sorted(order) == list(range(len(values)))
    assert result.values.tolist() == [values[i] for i in order]
    key = (lambda i: (-values[i], i)) if descending else (lambda i: (values[i], i))
    assert order == sorted(range(len(values)), key=key)  # stable: ties in input order
    k = len(values) // 2
    assert extra.topk(x, k, largest=descending).indices.tolist() == order[:k]


def test_sort_places_nan_as_the_largest():
    x = Tensor([math.nan, 1.0, 0.0])
    assert extra.sort(x).indices.tolist() == [2, 1, 0]
    assert extra.sort(x, descending=True).indices.tolist() == [0, 1, 2]


def test_sort_and_topk_against_torch():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((3, 5))
    tied = np.array([[1.0, 3.0, 1.0, 3.0, 2.0], [0.0, 0.0, 0.0, 1.0, 1.0]])
    for dim in (-1, 0):
        for descending in (False, True):
            for a in (x, tied):
                ours = extra.sort(Tensor(a), dim, descending)
                theirs = torch.sort(torch.tensor(a), stable=True, dim=dim, descending=descending)
                np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
                np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
            _torch_pair(torch, lambda t, d=dim, s=descending: extra.sort(t, d, s).values,
                        lambda t, d=dim, s=descending: torch.sort(t, d, s).values, x)
        for largest in (True, False):
            for k in (0, 1, 3):
                ours = extra.topk(Tensor(x), k, dim, largest)
                theirs = torch.topk(torch.tensor(x), k, dim, largest)
                np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
                np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
                _torch_pair(torch, lambda t, k=k, d=dim, g=largest: extra.topk(t, k, d, g)[0],
                            lambda t, k=k, d=dim, g=largest: torch.topk(t, k, d, g)[0], x)


def test_sort_and_topk_values_are_differentiable_twice():
    x = RNG.standard_normal((3, 4))
    check_second_order(lambda t: extra.sort(t, 0, True).values, x, linear=True)
    check_second_order(lambda t: t.topk(2).values, x, linear=True)
    assert gradcheck(lambda t: t.sort().values * t, (leaf(x),))


def test_topk_errors_and_zero_d():
    with pytest.raises(RuntimeError, match="selected index k out of range.*k=4"):
        extra.topk(Tensor([1.0, 2.0, 3.0]), 4)
    with pytest.raises(RuntimeError, match="out of range"):
        extra.topk(Tensor([1.0]), -1)
    assert extra.topk(Tensor(2.0), 1).values.item() == 2.0


def test_unique_with_inverse_and_counts():
    x = Tensor([[3, 1], [3, 2]])
    assert extra.unique(x).tolist() == [1, 2, 3]
    values, inverse, counts = x.unique(return_inverse=True, return_counts=True)
    assert values.tolist() == [1, 2, 3]
    assert inverse.tolist() == [[2, 0], [2, 1]] and inverse.dtype == np.int64
    assert counts.tolist() == [1, 1, 2] and counts.dtype == np.int64
    rows, row_counts = extra.unique(Tensor([[1, 2], [1, 2], [0, 1]]), dim=0,
                                    return_counts=True)
    assert rows.tolist() == [[0, 1], [1, 2]] and row_counts.tolist() == [1, 2]
    assert not extra.unique(leaf([1.0, 1.0])).requires_grad


def test_unique_against_torch_keeps_nans_distinct():
    torch = pytest.importorskip("torch")
    a = np.array([2.0, math.nan, 1.0, 2.0, math.nan])
    ours = extra.unique(Tensor(a), return_inverse=True, return_counts=True)
    theirs = torch.unique(torch.tensor(a), return_inverse=True, return_counts=True)
    for o, t in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(o.numpy(), t.numpy())


def test_bincount():
    x = Tensor([0, 2, 2])
    counts = extra.bincount(x)
    assert counts.tolist() == [1, 0, 2] and counts.dtype == np.int64
    weighted = x.bincount(Tensor(np.array([0.5, 1.0, 1.0], np.float32)), minlength=5)
    assert weighted.tolist() == [0.5, 0.0, 2.0, 0.0, 0.0] and weighted.dtype == np.float32
    assert extra.bincount(x, Tensor([1, 2, 3])).dtype == np.float64  # as PyTorch
    assert extra.bincount(Tensor(np.array([], np.int64))).tolist() == []
    for bad in (Tensor([-1]), Tensor([[1]]), Tensor([1.0])):
        with pytest.raises(RuntimeError, match="1-d non-negative integral"):
            extra.bincount(bad)
    with pytest.raises(RuntimeError, match="weights of shape"):
        extra.bincount(x, Tensor([1.0]))


def test_bincount_against_torch():
    torch = pytest.importorskip("torch")
    a = RNG.integers(0, 6, 20)
    w = RNG.standard_normal(20)
    np.testing.assert_array_equal(extra.bincount(Tensor(a), minlength=8).numpy(),
                                  torch.bincount(torch.tensor(a), minlength=8).numpy())
    np.testing.assert_allclose(extra.bincount(Tensor(a), Tensor(w)).numpy(),
                               torch.bincount(torch.tensor(a), torch.tensor(w)).numpy())


def test_numpy_sort_of_a_tensor_is_differentiable():
    x = leaf([[3.0, 1.0], [0.5, 2.0]])
    out = np.sort(x)
    assert out.tolist() == [[1.0, 3.0], [0.5, 2.0]] and out.requires_grad
    assert np.sort(x, axis=None).tolist() == [0.5, 1.0, 2.0, 3.0]


def test_is_floating_point():
    assert Tensor([1.0]).is_floating_point() and extra.is_floating_point(Tensor([1.0]))
    assert not Tensor([1]).is_floating_point() and not extra.is_floating_point(Tensor([True]))
