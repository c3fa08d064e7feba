"""nn.functional: PyTorch's names and signatures, the wrappers that add ``inplace=`` and
softmax's implicit ``dim``, and the loss modules' single reduction check."""

import inspect
import re
import warnings

import numpy as np
import pytest

import tinygrad_lab.nn.functional as F
from tinygrad_lab import Tensor, nn
from tinygrad_lab.ops import activation, layers, loss


def parameter_names(fn):
    """Positional-or-keyword parameter names, from the signature or, for PyTorch's
    builtins and boolean dispatchers, from the first line of the docstring
    (``relu_(input) -> Tensor``)."""
    try:
        params = inspect.signature(fn).parameters.values()
        names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if names or not fn.__doc__:
            return names
    except (TypeError, ValueError):
        pass
    head = fn.__doc__.strip().splitlines()[0]
    inside = re.match(r"\w+\((.*)\)", head).group(1)
    return [part.split("=")[0].strip() for part in inside.split(",") if part.strip()]


def test_every_name_is_pytorch_s_with_pytorch_s_parameters():
    torch = pytest.importorskip("torch")
    for name in F.__all__:
        ours, theirs = getattr(F, name), getattr(torch.nn.functional, name)
        if list(inspect.signature(ours).parameters) == ["self", "args", "kwargs"]:
            continue  # an in-place form built by tensor.inplace: any arguments
        assert parameter_names(ours) == parameter_names(theirs), name


def test_functional_re_exports_the_ops_themselves():
    assert F.sigmoid is activation.sigmoid and F.gelu is activation.gelu
    assert F.linear is layers.linear and F.dropout is layers.dropout
    assert F.mse_loss is loss.mse_loss and F.cross_entropy is loss.cross_entropy


def test_inplace_arguments():
    x = Tensor(np.array([-2.0, 0.5, 7.0]))
    for fn, kwargs, expected in (
        (F.relu, {}, [0.0, 0.5, 7.0]),
        (F.leaky_relu, {"negative_slope": 0.5}, [-1.0, 0.5, 7.0]),
        (F.hardtanh, {}, [-1.0, 0.5, 1.0]),
        (F.relu6, {}, [0.0, 0.5, 6.0]),
        (F.elu, {"alpha": 2.0}, [2 * np.expm1(-2.0), 0.5, 7.0]),
        (F.silu, {}, x.numpy() / (1 + np.exp(-x.numpy()))),
    ):
        y = Tensor(x.numpy().copy())
        out = fn(y, inplace=False, **kwargs)
        assert out is not y
        np.testing.assert_allclose(out.numpy(), expected)
        np.testing.assert_array_equal(y.numpy(), x.numpy())
        assert fn(y, inplace=True, **kwargs) is y
        np.testing.assert_allclose(y.numpy(), expected)


def test_softmax_without_dim_follows_pytorch_s_implicit_choice():
    for shape, axis in (((3,), 0), ((2, 3), 1), ((2, 3, 4), 0), ((2, 3, 4, 5), 1)):
        x = Tensor(np.random.default_rng(0).standard_normal(shape))
        with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
            out = F.softmax(x)
        np.testing.assert_allclose(out.numpy().sum(axis=axis), 1.0)
        with pytest.warns(UserWarning, match="Implicit dimension choice for log_softmax"):
            out = F.log_softmax(x)
        np.testing.assert_allclose(np.exp(out.numpy()).sum(axis=axis), 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.softmax(x, dim=-1)
        assert F.softmax(x, 1, dtype=np.float32).dtype == np.float32


def test_implicit_dim_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).standard_normal((2, 3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(F.softmax(Tensor(x)).numpy(),
                                   torch.nn.functional.softmax(torch.tensor(x)).numpy())


def test_loss_modules_check_reduction_once_with_the_functional_message():
    with pytest.raises(ValueError, match=r"^MSELoss: reduction must be one of 'mean', 'sum' "
                                         r"or 'none', got 'avg'"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match=r"^CrossEntropyLoss: reduction must be one of"):
        nn.CrossEntropyLoss(reduction="avg")
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        assert nn.L1Loss(size_average=False).reduction == "sum"
    with pytest.warns(UserWarning):
        assert nn.NLLLoss(reduce=False).reduction == "none"


def test_loss_modules_have_pytorch_s_constructor_parameters():
    torch = pytest.importorskip("torch")
    for name in ("MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss",
                 "NLLLoss"):
        ours = list(inspect.signature(getattr(nn, name).__init__).parameters)
        theirs = list(inspect.signature(getattr(torch.nn, name).__init__).parameters)
        assert ours == theirs, name
    assert not isinstance(nn.CrossEntropyLoss(), nn.NLLLoss)
