"""nn: Module bookkeeping (names, state_dict, repr, modes, forward hooks), the layers and
their PyTorch inits, gradients of Linear/Conv1d/pools/Embedding, all-or-nothing
load_state_dict with version bumps, losses."""

import math
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lab as tl
import tinygrad_lab.nn.functional as F
from tinygrad_lab import Tensor, nn
from tinygrad_lab.nn import init
from tinygrad_lab.random import get_rng, manual_seed
from tinygrad_lab.testing import gradcheck
from tinygrad_lab.testing import strategies as tst


def mlp():
    return nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 1))


class Block(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc = nn.Linear(width, width)
        self.act = nn.Tanh()

    def forward(self, x):
        return self.act(self.fc(x))


class Net(nn.Module):
    """A custom module with every kind of member: Linear children, a Sequential, a
    ModuleList, a raw Parameter and a buffer."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 3)
        self.body = nn.Sequential(Block(3), nn.ReLU())
        self.heads = nn.ModuleList([nn.Linear(3, 2), nn.Linear(3, 1, bias=False)])
        self.scale = nn.Parameter(np.ones(1))
        self.register_buffer("running", np.zeros(3))

    def forward(self, x):
        h = self.body(self.fc1(x)) * self.scale
        return [head(h) for head in self.heads]


def leaf(shape, seed=0):
    return Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


# --------------------------------------------------------------------------- Parameter


def test_parameter_is_a_tensor_that_requires_grad_and_has_no_dict():
    p = nn.Parameter(np.zeros((2, 3)))
    assert isinstance(p, Tensor) and p.requires_grad and p.is_leaf
    assert not hasattr(p, "__dict__")  # Tensor has __slots__; so does Parameter
    assert not nn.Parameter(np.zeros(2), requires_grad=False).requires_grad
    assert type(p * 2) is Tensor  # op results are plain tensors
    assert repr(p) == "Parameter containing:\ntensor([[0., 0., 0.],\n        [0., 0., 0.]], " \
        "dtype=float64, requires_grad=True)"


def test_parameter_shares_a_tensors_storage_and_defaults_to_empty():
    t = Tensor(np.zeros(3))
    p = nn.Parameter(t)  # as in PyTorch: the same storage
    assert p.numpy() is t.numpy() and p._version == t._version
    with tl.no_grad():
        p.add_(1.0)
    assert t.tolist() == [1.0, 1.0, 1.0] and t._version == p._version == 1
    empty = nn.Parameter()
    assert empty.shape == (0,) and empty.dtype == tl.get_default_dtype()
    with pytest.raises(RuntimeError, match="float"):
        nn.Parameter(Tensor(np.arange(3)))


# ------------------------------------------------------------------------ bookkeeping


def test_sequential_parameters_names_and_counts():
    model = mlp()
    names = [n for n, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert sum(p.numel() for p in model.parameters()) == 2 * 4 + 4 + 4 * 1 + 1
    assert list(model.state_dict()) == names
    assert [n for n, _ in model.named_modules()] == ["", "0", "1", "2"]
    assert [n for n, _ in model.named_children()] == ["0", "1", "2"]
    assert list(model.children()) == [model[0], model[1], model[2]]
    assert model[0].weight.shape == (4, 2) and model[0].bias.shape == (4,)


def test_custom_module_names():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "scale", "fc1.weight", "fc1.bias", "body.0.fc.weight", "body.0.fc.bias",
        "heads.0.weight", "heads.0.bias", "heads.1.weight",
    ]
    assert list(net.state_dict()) == [
        "scale", "running", "fc1.weight", "fc1.bias", "body.0.fc.weight", "body.0.fc.bias",
        "heads.0.weight", "heads.0.bias", "heads.1.weight",
    ]
    assert [n for n, _ in net.named_modules()] == [
        "", "fc1", "body", "body.0", "body.0.fc", "body.0.act", "body.1", "heads",
        "heads.0", "heads.1",
    ]
    assert [n for n, _ in net.named_buffers()] == ["running"]
    assert [n for n, _ in net.named_parameters(recurse=False)] == ["scale"]
    assert net.heads[1].bias is None


def test_names_equal_torchs_for_the_same_structure():
    torch = pytest.importorskip("torch")
    tnn = torch.nn

    class TBlock(tnn.Module):
        def __init__(self, width):
            super().__init__()
            self.fc = tnn.Linear(width, width)
            self.act = tnn.Tanh()

    class TNet(tnn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = tnn.Linear(2, 3)
            self.body = tnn.Sequential(TBlock(3), tnn.ReLU())
            self.heads = tnn.ModuleList([tnn.Linear(3, 2), tnn.Linear(3, 1, bias=False)])
            self.scale = tnn.Parameter(torch.ones(1))
            self.register_buffer("running", torch.zeros(3))

    pairs = [
        (mlp(), tnn.Sequential(tnn.Linear(2, 4), tnn.Sigmoid(), tnn.Linear(4, 1))),
        (Net(), TNet()),
    ]
    for ours, theirs in pairs:
        assert list(ours.state_dict()) == list(theirs.state_dict())
        assert [n for n, _ in ours.named_parameters()] == [
            n for n, _ in theirs.named_parameters()
        ]
        assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
        theirs_state = theirs.state_dict()
        for key, value in ours.state_dict().items():
            assert value.shape == tuple(theirs_state[key].shape)


def test_shared_parameters_and_modules_are_listed_once():
    lin = nn.Linear(3, 3)
    act = nn.ReLU()
    model = nn.Sequential(lin, act, lin, act)
    assert len(list(model.parameters())) == 2
    assert [n for n, _ in model.named_modules()] == ["", "0", "1"]
    # state_dict keeps both names, as PyTorch does
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_assignment_rules():
    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.zeros(1))  # before super().__init__()

    with pytest.raises(AttributeError, match=r"before Module.__init__\(\) call"):
        Bad()
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign Tensor as parameter 'weight'"):
        lin.weight = Tensor(np.zeros((2, 2)))
    seq = mlp()
    with pytest.raises(TypeError, match="as child module '0'"):
        seq.__setattr__("0", 3)
    lin.bias = None  # a parameter may be set to None (like bias=False)
    assert [n for n, _ in lin.named_parameters()] == ["weight"]
    lin.bias = nn.Parameter(np.zeros(2))
    assert [n for n, _ in lin.named_parameters()] == ["weight", "bias"]
    lin.weight = nn.Parameter(np.zeros((2, 2)))  # replacing keeps the position
    assert [n for n, _ in lin.named_parameters()] == ["weight", "bias"]
    lin.extra = Tensor(np.zeros(1))  # a plain tensor is just an attribute
    assert "extra" not in dict(lin.named_parameters())
    del lin.bias
    assert [n for n, _ in lin.named_parameters()] == ["weight"]
    assert not hasattr(lin, "bias")


def test_register_buffer_and_parameter():
    m = nn.Module()
    m.register_buffer("steps", np.zeros(2))
    m.register_buffer("cache", np.ones(1), persistent=False)
    m.register_parameter("w", nn.Parameter(np.ones(3)))
    assert isinstance(m.steps, Tensor)
    assert list(m.state_dict()) == ["w", "steps"]
    assert [n for n, _ in m.named_buffers()] == ["steps", "cache"]
    m.steps = np.full(2, 5.0)  # assigning to a buffer name updates the buffer
    assert m.state_dict()["steps"].tolist() == [5.0, 5.0]
    with pytest.raises(KeyError, match="contain '.'"):
        m.register_buffer("a.b", np.zeros(1))
    with pytest.raises(TypeError, match="nn.Parameter or None expected"):
        m.register_parameter("v", Tensor(np.ones(1)))
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        m(Tensor(np.ones(1)))


def test_sequential_and_modulelist_behave_like_lists():
    a, b, c = nn.Linear(1, 1), nn.ReLU(), nn.Tanh()
    seq = nn.Sequential(a, b)
    assert len(seq) == 2 and seq[-1] is b and list(seq) == [a, b]
    seq.append(c)
    assert seq[2] is c
    sliced = seq[1:]
    assert isinstance(sliced, nn.Sequential) and list(sliced) == [b, c]
    assert [n for n, _ in sliced.named_children()] == ["1", "2"]  # PyTorch keeps keys
    del seq[0]
    assert list(seq) == [b, c] and [n for n, _ in seq.named_children()] == ["0", "1"]
    seq.insert(0, a)
    assert list(seq) == [a, b, c]
    seq[1] = nn.Sigmoid()
    assert isinstance(seq[1], nn.Sigmoid)
    with pytest.raises(IndexError, match="index 3 is out of range for Sequential of length 3"):
        seq[3]
    with pytest.raises(TypeError, match="is not a Module subclass"):
        seq.append(lambda x: x)
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"]
    x = Tensor(np.ones((1, 2)))
    assert np.allclose(named(x).numpy(), np.maximum(named.fc(x).numpy(), 0))

    ml = nn.ModuleList([nn.Linear(1, 2), nn.Linear(2, 3)])
    ml.append(nn.Linear(3, 4)).extend([nn.ReLU()])
    assert len(ml) == 4 and isinstance(ml[-1], nn.ReLU)
    assert isinstance(ml[1:], nn.ModuleList) and len(ml[1:]) == 3
    del ml[0]
    assert [n for n, _ in ml.named_children()] == ["0", "1", "2"]
    assert ml[0].in_features == 2
    with pytest.raises(NotImplementedError):
        ml(Tensor(np.ones(1)))


# ------------------------------------------------------------------------------- repr


def test_nested_repr():
    net = Net()
    assert repr(net) == (
        "Net(\n"
        "  (fc1): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (body): Sequential(\n"
        "    (0): Block(\n"
        "      (fc): Linear(in_features=3, out_features=3, bias=True)\n"
        "      (act): Tanh()\n"
        "    )\n"
        "    (1): ReLU()\n"
        "  )\n"
        "  (heads): ModuleList(\n"
        "    (0): Linear(in_features=3, out_features=2, bias=True)\n"
        "    (1): Linear(in_features=3, out_features=1, bias=False)\n"
        "  )\n"
        ")"
    )


def test_repr_equals_torchs():
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    ours = nn.Sequential(
        nn.Conv1d(2, 4, 3, stride=2, padding=1, groups=2, bias=False), nn.LeakyReLU(0.2),
        nn.MaxPool1d(2), nn.AvgPool1d(2, 1), nn.Flatten(), nn.Linear(8, 4), nn.Sigmoid(),
        nn.Sequential(nn.Linear(4, 2), nn.Softmax(dim=1)), nn.Identity(), nn.GELU(),
        nn.ELU(0.5), nn.LogSoftmax(dim=-1), nn.Tanh(), nn.ReLU(),
    )
    theirs = tnn.Sequential(
        tnn.Conv1d(2, 4, 3, stride=2, padding=1, groups=2, bias=False), tnn.LeakyReLU(0.2),
        tnn.MaxPool1d(2), tnn.AvgPool1d(2, 1), tnn.Flatten(), tnn.Linear(8, 4), tnn.Sigmoid(),
        tnn.Sequential(tnn.Linear(4, 2), tnn.Softmax(dim=1)), tnn.Identity(), tnn.GELU(),
        tnn.ELU(0.5), tnn.LogSoftmax(dim=-1), tnn.Tanh(), tnn.ReLU(),
    )
    assert repr(ours) == repr(theirs)


# ------------------------------------------------------------------- modes, grads, dtypes


def test_train_eval_propagate_to_every_module():
    net = Net()
    assert list(net.modules()) == [m for _, m in net.named_modules()]
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.body.train()
    assert net.body[0].act.training and not net.training and not net.fc1.training
    net.train()
    assert all(m.training for m in net.modules())


def test_zero_grad_sets_grads_to_none():
    model = mlp()
    model(Tensor(np.ones((3, 2), dtype=np.float32))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all(not p.grad.numpy().any() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_apply_visits_children_first():
    visited = []
    net = Net()
    assert net.apply(lambda m: visited.append(type(m).__name__)) is net
    assert visited[-1] == "Net" and visited.index("Block") > visited.index("Tanh")
    net.apply(lambda m: init.zeros_(m.weight) if isinstance(m, nn.Linear) else None)
    assert not net.fc1.weight.numpy().any() and not net.heads[1].weight.numpy().any()


def test_to_double_float_cast_in_place_keeping_the_parameter_objects():
    model = mlp()
    params = list(model.parameters())
    model(Tensor(np.ones((1, 2), dtype=np.float32))).sum().backward()
    assert model.double() is model
    assert all(p.dtype == np.float64 and p.grad.dtype == np.float64 for p in params)
    assert list(model.parameters()) == params
    assert model(Tensor(np.ones((1, 2)))).dtype == np.float64
    model.float()
    assert all(p.dtype == np.float32 for p in params)
    assert model.to("cpu") is model
    with pytest.raises(TypeError, match="float dtype"):
        model.to(np.int32)


def test_requires_grad_freezes():
    model = mlp().requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


# ------------------------------------------------------------------------------- hooks


class Scale(nn.Module):
    """forward(x, factor=1.0) = x * factor: positional and keyword inputs to hook into."""

    def forward(self, x, factor=1.0):
        return x * factor


def test_forward_hooks_run_in_order_around_forward():
    calls = []
    model = nn.Sequential(Scale(), Scale())
    x = Tensor(np.array([1.0, 2.0]))
    for name, module in model.named_modules():
        module.register_forward_pre_hook(
            lambda m, args, name=name: calls.append(("pre", name, args[0].tolist())))
        module.register_forward_hook(
            lambda m, args, out, name=name: calls.append(("post", name, out.tolist())))
    model[0].register_forward_pre_hook(lambda m, args: calls.append(("first",)), prepend=True)
    model(x)
    assert calls == [
        ("pre", "", [1.0, 2.0]), ("first",), ("pre", "0", [1.0, 2.0]),
        ("post", "0", [1.0, 2.0]), ("pre", "1", [1.0, 2.0]), ("post", "1", [1.0, 2.0]),
        ("post", "", [1.0, 2.0]),
    ]


def test_hooks_can_replace_inputs_and_outputs():
    scale = Scale()
    x = Tensor(np.array([1.0, 2.0]))
    first = scale.register_forward_pre_hook(lambda m, args: args[0] * 10)  # one value
    second = scale.register_forward_pre_hook(lambda m, args: (args[0] + 1, 2.0))  # a tuple
    seen = []
    scale.register_forward_hook(lambda m, args, out: seen.append(args) or out * -1)
    scale.register_forward_hook(lambda m, args, out: None)  # None keeps the output
    assert scale(x).tolist() == [-22.0, -42.0]
    assert [a.tolist() if isinstance(a, Tensor) else a for a in seen[0]] == [[11.0, 21.0], 2.0]
    first.remove()
    second.remove()
    assert scale(x).tolist() == [-1.0, -2.0]


def test_hooks_with_kwargs():
    scale = Scale()
    x = Tensor(np.array([1.0, 2.0]))
    scale.register_forward_pre_hook(
        lambda m, args, kwargs: (args, {**kwargs, "factor": 3.0}), with_kwargs=True)
    got = []
    scale.register_forward_hook(lambda m, args, kwargs, out: got.append(kwargs),
                                with_kwargs=True)
    assert scale(x, factor=2.0).tolist() == [3.0, 6.0]
    assert got == [{"factor": 3.0}]
    bad = Scale()
    bad.register_forward_pre_hook(lambda m, args, kwargs: args, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"tuple of \(new_args, new_kwargs\)"):
        bad(x)


def test_handles_remove_hooks_once_and_work_as_context_managers():
    scale, calls = Scale(), []
    x = Tensor(np.array([1.0]))
    with scale.register_forward_hook(lambda m, a, o: calls.append("with")):
        scale(x)
    handle = scale.register_forward_hook(lambda m, a, o: handle.remove() or calls.append("once"))
    scale(x)
    scale(x)
    handle.remove()  # removing twice is harmless
    assert calls == ["with", "once"]
    assert not scale._forward_hooks and not scale._forward_pre_hooks


def test_always_call_hooks_run_when_forward_fails():
    class Failing(nn.Module):
        def forward(self, x):
            raise ValueError("forward failed")

    failing, calls = Failing(), []
    failing.register_forward_hook(lambda m, args, out: calls.append(("always", out)),
                                  always_call=True)
    failing.register_forward_hook(lambda m, args, out: calls.append(("normal", out)))
    with pytest.raises(ValueError, match="forward failed"):
        failing(1)
    assert calls == [("always", None)]

    def broken(m, args, out):
        raise KeyError("in the hook")

    failing.register_forward_hook(broken, always_call=True)
    with pytest.warns(UserWarning, match="in the hook"):
        with pytest.raises(ValueError, match="forward failed"):
            failing(1)


def test_hook_order_equals_torchs():
    torch = pytest.importorskip("torch")

    def trace(model, x):
        calls = []
        for name, module in model.named_modules():
            module.register_forward_pre_hook(lambda m, a, name=name: calls.append(("pre", name)))
            module.register_forward_hook(lambda m, a, o, name=name: calls.append(("post", name)))
        model[1].register_forward_pre_hook(lambda m, a: calls.append("first"), prepend=True)
        model(x)
        return calls

    ours = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Tanh()))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 2),
                                 torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Tanh()))
    assert trace(ours, Tensor(np.ones((1, 2), dtype=np.float32))) == trace(
        theirs, torch.ones(1, 2))


def test_copies_and_pickles_own_their_parameters():
    import copy
    import pickle

    net = Net()
    x = Tensor(np.ones((1, 2), dtype=np.float32))
    for clone in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        assert np.array_equal(clone(x)[0].numpy(), net(x)[0].numpy())
        clone.fc1.weight.numpy()[...] = 0
        assert net.fc1.weight.numpy().any()


def test_calling_an_uninitialised_module_is_a_clear_error():
    class Forgot(nn.Module):
        def __init__(self):
            pass

        def forward(self, x):
            return x

    with pytest.raises(AttributeError, match=r"call super\(\).__init__\(\)"):
        Forgot()(1)


# ---------------------------------------------------------------------------- dropout


def test_dropout_train_scales_and_eval_is_identity():
    manual_seed(0)
    x = Tensor(np.ones((200, 50)), requires_grad=True)
    drop = nn.Dropout(0.3)
    y = drop(x)
    kept = y.numpy() != 0
    assert abs(1 - kept.mean() - 0.3) < 0.02
    assert np.allclose(y.numpy()[kept], 1 / 0.7)
    y.sum().backward()
    assert np.array_equal(x.grad.numpy(), y.numpy())  # the gradient is the same scaled mask
    drop.eval()
    assert drop(x) is x
    assert F.dropout(x, 0.0, training=True) is x
    assert not F.dropout(x, 1.0).numpy().any()
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def test_dropout_takes_numpy_scalars_and_has_torchs_repr():
    drop = nn.Dropout(np.float32(0.25))
    assert drop.p == 0.25 and type(drop.p) is float
    assert repr(drop) == "Dropout(p=0.25, inplace=False)"
    assert repr(nn.Dropout(np.float64(1.0), inplace=True)) == "Dropout(p=1.0, inplace=True)"
    for bad in (np.float32(1.5), -0.1, float("nan"), True, "0.5", None):
        with pytest.raises(ValueError, match="between 0 and 1"):
            nn.Dropout(bad)


def test_dropout_inplace_follows_pytorchs_rules():
    manual_seed(0)
    w = Tensor(np.ones(1000), requires_grad=True)
    h = w * 1.0
    out = nn.Dropout(0.5, inplace=True)(h)
    assert out is h and h._version == 1
    kept = h.numpy() != 0
    assert 0.4 < kept.mean() < 0.6 and np.allclose(h.numpy()[kept], 2.0)
    h.sum().backward()
    assert np.array_equal(w.grad.numpy(), h.numpy())  # the gradient is the mask
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        nn.Dropout(0.5, inplace=True)(w)
    assert nn.Dropout(0.5, inplace=True).eval()(w) is w


def test_dropout_uses_the_framework_generator():
    x = Tensor(np.ones(100))
    manual_seed(3)
    a = F.dropout(x, 0.5).numpy()
    manual_seed(3)
    b = F.dropout(x, 0.5).numpy()
    assert np.array_equal(a, b)
    assert not np.array_equal(a, F.dropout(x, 0.5).numpy())


# ------------------------------------------------------------------------------- init


def test_fan_rules_and_gains_match_torch_formulas():
    for shape, fans in [((4, 3), (3, 4)), ((5, 2, 3), (6, 15)), ((2, 3, 4, 5), (60, 40))]:
        assert init._calculate_fan_in_and_fan_out(np.empty(shape)) == fans
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(np.empty(3))
    assert init.calculate_gain("linear") == 1 == init.calculate_gain("conv1d")
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("swish")


def test_fans_and_gains_equal_torchs():
    torch = pytest.importorskip("torch")
    for shape in [(4, 3), (5, 2, 3), (2, 3, 4, 5), (1, 7)]:
        assert init._calculate_fan_in_and_fan_out(np.empty(shape)) == (
            torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
        )
    for name, param in [("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None),
                        ("leaky_relu", None), ("leaky_relu", 0.3), ("leaky_relu", math.sqrt(5)),
                        ("selu", None), ("conv1d", None)]:
        assert init.calculate_gain(name, param) == pytest.approx(
            torch.nn.init.calculate_gain(name, param)
        )


def _bound_and_std(rule, shape=(400, 300), **kwargs):
    w = Tensor(np.empty(shape))
    arr = w.numpy()
    assert rule(w, **kwargs) is w and w.numpy() is arr  # in place, returns the tensor
    return np.abs(arr).max(), arr.std(), arr.mean()


def test_init_statistics():
    manual_seed(0)
    fan_in, fan_out = 300, 400
    bound, std, mean = _bound_and_std(init.kaiming_uniform_, a=math.sqrt(5))
    assert bound <= 1 / math.sqrt(fan_in) and bound > 0.99 / math.sqrt(fan_in)
    assert std == pytest.approx(1 / math.sqrt(3 * fan_in), rel=0.02)
    _, std, mean = _bound_and_std(init.kaiming_normal_, nonlinearity="relu")
    assert std == pytest.approx(math.sqrt(2 / fan_in), rel=0.02) and abs(mean) < 1e-3
    _, std, _ = _bound_and_std(init.kaiming_normal_, mode="fan_out", nonlinearity="relu")
    assert std == pytest.approx(math.sqrt(2 / fan_out), rel=0.02)
    bound, std, _ = _bound_and_std(init.xavier_uniform_, gain=2.0)
    assert bound <= 2 * math.sqrt(6 / (fan_in + fan_out))
    assert std == pytest.approx(2 * math.sqrt(2 / (fan_in + fan_out)), rel=0.02)
    _, std, _ = _bound_and_std(init.xavier_normal_)
    assert std == pytest.approx(math.sqrt(2 / (fan_in + fan_out)), rel=0.02)
    _, std, mean = _bound_and_std(init.normal_, mean=1.0, std=0.5)
    assert std == pytest.approx(0.5, rel=0.02) and mean == pytest.approx(1.0, abs=0.01)
    w = Tensor(np.empty((50, 50), dtype=np.float32))
    init.uniform_(w, -2.0, 3.0)
    assert w.dtype == np.float32 and w.numpy().min() >= -2 and w.numpy().max() <= 3
    assert not init.zeros_(w).numpy().any() and (init.ones_(w).numpy() == 1).all()
    assert (init.constant_(w, 0.25).numpy() == 0.25).all()
    with pytest.raises(ValueError, match="mode 'fan_avg' not supported"):
        init.kaiming_uniform_(w, mode="fan_avg")
    with pytest.raises(TypeError, match="can only fill float"):
        init.ones_(Tensor(np.zeros(3, dtype=np.int64)))


def test_init_is_reproducible_with_manual_seed_or_a_generator():
    manual_seed(7)
    a = nn.Linear(5, 3).weight.numpy().copy()
    manual_seed(7)
    assert np.array_equal(a, nn.Linear(5, 3).weight.numpy())
    w1, w2 = Tensor(np.empty((3, 3))), Tensor(np.empty((3, 3)))
    init.normal_(w1, generator=np.random.default_rng(1))
    init.normal_(w2, generator=np.random.default_rng(1))
    assert np.array_equal(w1.numpy(), w2.numpy())
    state = get_rng().bit_generator.state
    init.normal_(w1, generator=np.random.default_rng(1))
    init.uniform_(w2, generator=tl.Generator().manual_seed(1))
    assert get_rng().bit_generator.state == state  # the framework generator untouched
    init.uniform_(w1, generator=tl.Generator().manual_seed(1))
    assert np.array_equal(w1.numpy(), w2.numpy())


def test_init_fills_in_place_and_bumps_the_version():
    lin = nn.Linear(2, 2, dtype=np.float64)
    y = lin(Tensor(np.ones((1, 2))))
    array, version = lin.weight.numpy(), lin.weight._version
    assert init.zeros_(lin.weight) is lin.weight and lin.weight.numpy() is array
    assert lin.weight._version == version + 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()  # the forward pass saw the old weight


def test_linear_and_conv1d_default_init_like_pytorch():
    manual_seed(0)
    lin = nn.Linear(50, 400)
    assert lin.weight.dtype == np.float32 and lin.weight.shape == (400, 50)
    for p in (lin.weight, lin.bias):
        assert np.abs(p.numpy()).max() <= 1 / math.sqrt(50)
        assert p.numpy().std() == pytest.approx(1 / math.sqrt(3 * 50), rel=0.1)
    conv = nn.Conv1d(6, 300, 5, groups=3)
    assert conv.weight.shape == (300, 2, 5) and conv.bias.shape == (300,)
    fan_in = 2 * 5
    for p in (conv.weight, conv.bias):
        assert np.abs(p.numpy()).max() <= 1 / math.sqrt(fan_in)
        assert np.abs(p.numpy()).max() > 0.9 / math.sqrt(fan_in)
    assert nn.Linear(2, 2, dtype=np.float64).weight.dtype == np.float64
    assert nn.Linear(2, 2, bias=False).bias is None
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv1d(4, 6, 3, groups=4)


# -------------------------------------------------------------------------- gradients


@pytest.mark.parametrize(
    "x_shape, bias", [((5, 3), True), ((3,), True), ((2, 4, 3), True), ((5, 3), False)]
)
def test_linear_gradcheck(x_shape, bias):
    lin = nn.Linear(3, 2, bias=bias, dtype=np.float64)
    x = leaf(x_shape)
    inputs = [x, lin.weight] + ([lin.bias] if bias else [])
    assert gradcheck(lambda *t: F.linear(*t), inputs)
    assert gradcheck(lambda x: lin(x), [x])
    expected = x.numpy() @ lin.weight.numpy().T + (lin.bias.numpy() if bias else 0)
    assert np.allclose(lin(x).numpy(), expected)


def test_linear_errors_name_the_shapes():
    lin = nn.Linear(3, 2)
    with pytest.raises(ValueError, match=r"linear: input of shape \(4, 5\).*\(2, 3\)"):
        lin(Tensor(np.ones((4, 5), dtype=np.float32)))


def test_linear_only_computes_needed_gradients():
    lin = nn.Linear(3, 2, dtype=np.float64)
    x = Tensor(np.ones((4, 3)))  # no grad for the input
    lin(x).sum().backward()
    assert x.grad is None
    assert np.allclose(lin.bias.grad.numpy(), 4) and np.allclose(lin.weight.grad.numpy(), 4)


@settings(max_examples=15)
@given(args=tst.conv1d_args(max_batch=2, max_channels=4, max_length=7, max_kernel=3))
def test_conv1d_module_gradcheck(args):
    conv = nn.Conv1d(
        args["x_shape"][1], args["weight_shape"][0], args["weight_shape"][2],
        stride=args["stride"], padding=args["padding"], dilation=args["dilation"],
        groups=args["groups"], bias=args["bias_shape"] is not None, dtype=np.float64,
    )
    x = leaf(args["x_shape"])
    params = [p for p in (conv.weight, conv.bias) if p is not None]

    def fn(x, *ps):
        return conv(x)

    assert gradcheck(fn, [x, *params])


@pytest.mark.parametrize("padding", ["same", "valid", 2])
def test_conv1d_padding_modes(padding):
    conv = nn.Conv1d(2, 3, 4, padding=padding, dilation=1, dtype=np.float64)
    x = leaf((2, 2, 6))
    out = conv(x)
    expected_len = {"same": 6, "valid": 3, 2: 7}[padding]
    assert out.shape == (2, 3, expected_len)
    assert gradcheck(lambda x: conv(x), [x])


@pytest.mark.parametrize(
    "layer",
    [nn.MaxPool1d(2), nn.MaxPool1d(3, stride=1, padding=1), nn.AvgPool1d(2),
     nn.AvgPool1d(3, stride=2, padding=1, count_include_pad=False)],
    ids=repr,
)
def test_pool_modules_gradcheck(layer):
    # distinct values so the max is never tied (finite differences need a unique arg-max)
    x = Tensor(np.random.default_rng(1).permutation(24).reshape(2, 2, 6) / 7.0,
               requires_grad=True)
    assert gradcheck(lambda x: layer(x), [x])


def test_layers_match_torch_forward_and_backward():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    cases = [
        (nn.Conv1d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2, dtype=np.float64),
         torch.nn.Conv1d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2).double(),
         (3, 4, 11)),
        (nn.Linear(5, 3, dtype=np.float64), torch.nn.Linear(5, 3).double(), (4, 2, 5)),
        (nn.MaxPool1d(3, 2, 1), torch.nn.MaxPool1d(3, 2, 1), (2, 3, 9)),
        (nn.AvgPool1d(3, 2, 1), torch.nn.AvgPool1d(3, 2, 1), (2, 3, 9)),
    ]
    for ours, theirs, shape in cases:
        theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
        x = rng.standard_normal(shape)
        tx = torch.tensor(x, requires_grad=True)
        ty = theirs(tx)
        ty.backward(torch.ones_like(ty))
        ox = Tensor(x, requires_grad=True)
        oy = ours(ox)
        oy.backward(np.ones(oy.shape))
        assert np.allclose(oy.numpy(), ty.detach().numpy())
        assert np.allclose(ox.grad.numpy(), tx.grad.numpy())
        for (name, p), tp in zip(ours.named_parameters(), theirs.parameters(), strict=True):
            assert np.allclose(p.grad.numpy(), tp.grad.numpy()), name


def test_conv1d_options_are_checked_at_creation_by_the_ops_check():
    # One home: the layer calls the conv op's conv_options, at creation as PyTorch does.
    with pytest.raises(ValueError, match="Conv1d: padding must be an int, 'valid' or 'same'"):
        nn.Conv1d(2, 3, 3, padding="full")
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        nn.Conv1d(2, 3, 3, stride=2, padding="same")


def test_embedding_looks_up_rows_and_sums_gradients_of_repeats():
    manual_seed(0)
    emb = nn.Embedding(5, 3, dtype=np.float64)
    assert emb.weight.shape == (5, 3) and repr(emb) == "Embedding(5, 3)"
    idx = Tensor(np.array([[1, 4, 1], [0, 1, 3]]))
    out = emb(idx)
    assert out.shape == (2, 3, 3)
    assert np.array_equal(out.numpy(), emb.weight.numpy()[idx.numpy()])
    (out * out).sum().backward()
    expected = np.zeros((5, 3))
    np.add.at(expected, idx.numpy(), 2 * emb.weight.numpy()[idx.numpy()])
    assert np.allclose(emb.weight.grad.numpy(), expected)  # row 1: three lookups summed
    assert np.allclose(emb(np.array([2])).numpy(), emb.weight.numpy()[[2]])  # arrays work
    assert gradcheck(lambda w: emb(idx), [emb.weight])


def test_embedding_padding_row_and_errors():
    manual_seed(0)
    emb = nn.Embedding(4, 2, padding_idx=-1)
    assert emb.padding_idx == 3 and repr(emb) == "Embedding(4, 2, padding_idx=3)"
    assert not emb.weight.numpy()[3].any()
    emb(Tensor(np.array([3, 0, 3]))).sum().backward()
    assert emb.weight.grad.numpy()[3].tolist() == [0.0, 0.0]  # no gradient into it
    assert emb.weight.grad.numpy()[0].tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="integer tensor, got dtype float32"):
        emb(Tensor([1.0]))
    for bad in (4, -1):
        with pytest.raises(IndexError, match=f"index {bad} is out of range for 4"):
            emb(Tensor(np.array([0, bad])))
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(4, 2, padding_idx=4)
    frozen = nn.Embedding.from_pretrained(Tensor(np.eye(3)))
    assert not frozen.weight.requires_grad and frozen(np.array([1])).tolist() == [[0, 1, 0]]


def test_embedding_matches_torch():
    torch = pytest.importorskip("torch")
    ours = nn.Embedding(6, 4, padding_idx=2, dtype=np.float64)
    theirs = torch.nn.Embedding(6, 4, padding_idx=2).double()
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    idx = np.array([[2, 5, 5], [0, 2, 1]])
    out = ours(Tensor(idx))
    tout = theirs(torch.tensor(idx))
    g = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(g)
    tout.backward(torch.tensor(g))
    assert np.allclose(out.numpy(), tout.detach().numpy())
    assert np.allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy())
    assert repr(ours) == repr(theirs)


def test_flatten_identity_and_activation_modules():
    x = leaf((2, 3, 4))
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0, 1)(x).shape == (6, 4)
    assert nn.Identity(5, foo=1)(x) is x
    d = x.numpy()
    checks = {
        nn.ReLU(): np.maximum(d, 0),
        nn.Sigmoid(): 1 / (1 + np.exp(-d)),
        nn.Tanh(): np.tanh(d),
        nn.LeakyReLU(0.1): np.where(d > 0, d, 0.1 * d),
        nn.ELU(0.5): np.where(d > 0, d, 0.5 * np.expm1(d)),
        nn.Softmax(dim=1): np.exp(d) / np.exp(d).sum(axis=1, keepdims=True),
        nn.LogSoftmax(dim=1): d - np.log(np.exp(d).sum(axis=1, keepdims=True)),
    }
    for module, expected in checks.items():
        assert np.allclose(module(x).numpy(), expected), module
    gelu = nn.GELU()(x).numpy()
    assert np.allclose(gelu, d * 0.5 * (1 + np.vectorize(math.erf)(d / math.sqrt(2))))
    assert np.allclose(F.softmax(x, dim=0).numpy().sum(axis=0), 1)


# ------------------------------------------------------------------- load_state_dict


def _snapshot(model):
    return {k: v.copy() for k, v in model.state_dict().items()}


def _same(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_load_state_dict_round_trip_casts_and_keeps_arrays():
    src, dst = mlp(), mlp()
    arrays = [p.numpy() for p in dst.parameters()]
    state = {k: v.astype(np.float64) for k, v in src.state_dict().items()}
    result = dst.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert _same(dst.state_dict(), src.state_dict())
    assert [p.numpy() for p in dst.parameters()] == arrays  # copied in place
    assert all(p.dtype == np.float32 for p in dst.parameters())
    state["0.bias"][:] = 99  # the model holds copies, not the caller's arrays
    assert not (dst[0].bias.numpy() == 99).any()
    # Tensors and lists are accepted too
    dst.load_state_dict({k: Tensor(v) for k, v in src.state_dict().items()})
    sd = src.state_dict()
    sd["0.bias"] = sd["0.bias"].tolist()
    dst.load_state_dict(sd)


def test_load_state_dict_bumps_versions_and_state_dict_copies():
    model = mlp()
    state = model.state_dict()
    assert all(type(v) is np.ndarray for v in state.values())
    assert state["0.weight"] is not model[0].weight.numpy()  # a copy, as before
    y = model(Tensor(np.ones((1, 2), dtype=np.float32)))
    version = model[0].weight._version
    model.load_state_dict(state)
    assert model[0].weight._version == version + 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()  # made with the weights that were replaced


def test_load_state_dict_failure_names_every_problem_and_changes_nothing():
    model = mlp()
    before = _snapshot(model)
    bad = mlp().state_dict()
    del bad["2.bias"]  # missing
    bad["3.weight"] = np.zeros((1, 4))  # unexpected
    bad["0.weight"] = np.zeros((3, 2))  # wrong shape
    bad["0.bias"] = np.array(["a", "b", "c", "d"])  # non-numeric
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(bad)
    message = str(info.value)
    assert 'Missing key(s) in state_dict: "2.bias"' in message
    assert 'Unexpected key(s) in state_dict: "3.weight"' in message
    assert "size mismatch for 0.weight" in message and "(3, 2)" in message
    assert "(4, 2)" in message
    assert "non-numeric value for 0.bias" in message
    assert _same(model.state_dict(), before)  # 2.weight was valid, yet not loaded


@pytest.mark.parametrize("problem", ["missing", "unexpected", "shape", "value"])
def test_load_state_dict_each_failure_alone_leaves_model_identical(problem):
    model = mlp()
    before = _snapshot(model)
    bad = {k: v + 1 for k, v in model.state_dict().items()}
    if problem == "missing":
        del bad["0.weight"]
        pattern = 'Missing key.*"0.weight"'
    elif problem == "unexpected":
        bad["extra"] = np.zeros(1)
        pattern = 'Unexpected key.*"extra"'
    elif problem == "shape":
        bad["2.weight"] = np.zeros((4, 1))
        pattern = r"size mismatch for 2.weight.*\(4, 1\).*\(1, 4\)"
    else:
        bad["2.bias"] = None
        pattern = "non-numeric value for 2.bias"
    with pytest.raises(RuntimeError, match=pattern):
        model.load_state_dict(bad)
    assert _same(model.state_dict(), before)


def test_load_state_dict_non_strict_returns_the_key_lists():
    model = mlp()
    part = {k: v + 1 for k, v in model.state_dict().items() if k.startswith("0.")}
    part["head.weight"] = np.zeros(2)
    result = model.load_state_dict(part, strict=False)
    assert result.missing_keys == ["2.weight", "2.bias"]
    assert result.unexpected_keys == ["head.weight"]
    assert type(result).__name__ == "IncompatibleKeys"
    missing, unexpected = result
    assert missing == result[0]
    assert np.array_equal(model[0].bias.numpy(), part["0.bias"])
    before = _snapshot(model)
    with pytest.raises(RuntimeError, match="size mismatch for 0.bias"):
        model.load_state_dict({"0.bias": np.zeros(3)}, strict=False)
    assert _same(model.state_dict(), before)


def test_state_dict_moves_to_torch_and_back():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 1)).double()
    theirs = torch.nn.Sequential(
        torch.nn.Linear(2, 4), torch.nn.Sigmoid(), torch.nn.Linear(4, 1)
    ).double()
    x = np.random.default_rng(0).random((8, 2))
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    assert np.allclose(ours(Tensor(x)).numpy(), theirs(torch.from_numpy(x)).detach().numpy())
    fresh = mlp()  # float32: values are cast on load
    with torch.no_grad():
        for p in theirs.parameters():
            p.add_(0.5)
    fresh.load_state_dict(theirs.state_dict())
    expected = theirs(torch.from_numpy(x)).detach().numpy()
    assert np.allclose(fresh(Tensor(x.astype(np.float32))).numpy(), expected, atol=1e-6)


# ------------------------------------------------------------------------------ losses


def _loss_cases(rng):
    logits = rng.standard_normal((5, 3))
    probs = 1 / (1 + np.exp(-rng.standard_normal((5, 3))))
    labels = rng.integers(0, 3, 5)
    binary = rng.integers(0, 2, (5, 3)).astype(np.float64)
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    weight = np.array([0.2, 1.0, 3.0])
    return [
        ("MSELoss", {}, logits, probs),
        ("L1Loss", {"reduction": "sum"}, logits, probs),
        ("BCELoss", {"weight": weight}, probs, binary),
        ("BCEWithLogitsLoss", {"pos_weight": weight}, logits, binary),
        ("CrossEntropyLoss", {"weight": weight, "label_smoothing": 0.1}, logits, labels),
        ("CrossEntropyLoss", {"ignore_index": 1, "reduction": "none"}, logits, labels),
        ("NLLLoss", {"weight": weight}, log_probs, labels),
    ]


def test_loss_modules_match_torch():
    torch = pytest.importorskip("torch")
    for name, kwargs, inp, target in _loss_cases(np.random.default_rng(0)):
        ours = getattr(nn, name)(**kwargs)
        theirs = getattr(torch.nn, name)(
            **{k: torch.tensor(v) if isinstance(v, np.ndarray) else v
               for k, v in kwargs.items()}
        )
        x = Tensor(inp, requires_grad=True)
        tx = torch.tensor(inp, requires_grad=True)
        out = ours(x, Tensor(target))
        tout = theirs(tx, torch.tensor(target))
        assert np.allclose(out.numpy(), tout.detach().numpy()), name
        out.sum().backward()
        tout.sum().backward()
        assert np.allclose(x.grad.numpy(), tx.grad.numpy()), name


def test_loss_modules_gradcheck_and_buffers():
    for name, kwargs, inp, target in _loss_cases(np.random.default_rng(1)):
        loss = getattr(nn, name)(**kwargs)
        x = Tensor(inp, requires_grad=True)
        assert gradcheck(lambda x, loss=loss, target=target: loss(x, Tensor(target)), [x])
    assert list(nn.CrossEntropyLoss(weight=np.ones(3)).state_dict()) == ["weight"]
    assert list(nn.MSELoss().state_dict()) == []
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.MSELoss(reduction="avg")


@pytest.mark.parametrize("dataset", ["linear", "xor"])
def test_the_lab_network_reaches_full_accuracy_with_sgd(dataset):
    """The lab's own network: 2-4-4-1, sigmoid everywhere, MSE, trained with optim.SGD."""
    from tinygrad_lab import optim
    from tinygrad_lab.data import generate_linear, generate_xor_easy

    manual_seed(0)
    X, y = generate_linear(100, seed=0) if dataset == "linear" else generate_xor_easy()
    model = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 4), nn.Sigmoid(),
                          nn.Linear(4, 1), nn.Sigmoid())
    optimizer = optim.SGD(model.parameters(), lr=1.0, momentum=0.9)
    loss_fn = nn.MSELoss()
    x, t = Tensor(X), Tensor(y)
    for _ in range(3000):
        optimizer.zero_grad()
        loss = loss_fn(model(x), t)
        loss.backward()
        optimizer.step()
    assert ((model(x).numpy() > 0.5) == (y > 0.5)).all()


@settings(max_examples=20)
@given(
    shape=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    out_features=st.integers(1, 4),
)
def test_linear_matches_composed_ops(shape, out_features):
    lin = nn.Linear(shape[1], out_features, dtype=np.float64)
    x = leaf(shape)
    y = lin(x)
    (y * y).sum().backward()
    grads = [t.grad.numpy() for t in (x, lin.weight, lin.bias)]
    for t in (x, lin.weight, lin.bias):
        t.grad = None
    z = x @ lin.weight.T + lin.bias
    (z * z).sum().backward()
    assert np.allclose(y.numpy(), z.numpy())
    for g, t in zip(grads, (x, lin.weight, lin.bias), strict=True):
        assert np.allclose(g, t.grad.numpy())
