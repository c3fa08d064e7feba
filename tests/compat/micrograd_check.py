# ruff: noqa: B007, B905  (written as the tutorials write it: `for t in range(...)`, `zip(a, b)`)
"""A micrograd-style check: scalar expressions built from ``torch.Tensor([...]).double()``
leaves, ``.item()``, ``.backward()``, gradients compared with a tiny pure-Python
autograd (``Value``, after micrograd's tests); then micrograd's demo neuron network
trained on four points with ``p.data += -lr * p.grad``."""

import math

import numpy as np

FRAMEWORK_RANDOM: set[str] = set()


class Value:
    """A scalar with a gradient: micrograd's engine in a few lines."""

    def __init__(self, data, _children=()):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, k):
        out = Value(self.data ** k, (self,))

        def _backward():
            self.grad += k * self.data ** (k - 1) * out.grad
        out._backward = _backward
        return out

    def relu(self):
        out = Value(max(self.data, 0.0), (self,))

        def _backward():
            self.grad += (out.data > 0) * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,))

        def _backward():
            self.grad += (1 - t ** 2) * out.grad
        out._backward = _backward
        return out

    def backward(self):
        topo, visited = [], set()

        def build(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build(child)
                topo.append(v)
        build(self)
        self.grad = 1.0
        for v in reversed(topo):
            v._backward()

    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * other ** -1

    def __rtruediv__(self, other):
        return other * self ** -1


def inputs() -> dict:
    rng = np.random.default_rng(10)
    return {"layer1": rng.uniform(-1, 1, (4, 4)), "layer2": rng.uniform(-1, 1, (1, 5))}


def sanity(x_in, Tensor):
    x = Tensor([x_in]).double() if Tensor is not None else Value(x_in)
    if Tensor is not None:
        x.requires_grad = True
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    return x, y


def more_ops(a_in, b_in, Tensor):
    if Tensor is not None:
        a = Tensor([a_in]).double()
        b = Tensor([b_in]).double()
        a.requires_grad = True
        b.requires_grad = True
    else:
        a, b = Value(a_in), Value(b_in)
    c = a + b
    d = a * b + b ** 3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    g = g + 10.0 / f
    g.backward()
    return a, b, g


def run(torch, layer1, layer2):
    tol = 1e-6
    results = {}

    # micrograd's test_sanity_check
    xmg, ymg = sanity(-4.0, None)
    xpt, ypt = sanity(-4.0, torch.Tensor)
    assert ymg.data == ypt.data.item()  # forward pass went well
    assert xmg.grad == xpt.grad.item()  # backward pass went well
    results["sanity"] = np.array([ypt.item(), xpt.grad.item()])

    # micrograd's test_more_ops
    amg, bmg, gmg = more_ops(-4.0, 2.0, None)
    apt, bpt, gpt = more_ops(-4.0, 2.0, torch.Tensor)
    assert abs(gmg.data - gpt.data.item()) < tol
    assert abs(amg.grad - apt.grad.item()) < tol
    assert abs(bmg.grad - bpt.grad.item()) < tol
    results["more_ops"] = np.array([gpt.item(), apt.grad.item(), bpt.grad.item()])

    # The single neuron of "building micrograd", in torch.
    x1 = torch.Tensor([2.0]).double()
    x1.requires_grad = True
    x2 = torch.Tensor([0.0]).double()
    x2.requires_grad = True
    w1 = torch.Tensor([-3.0]).double()
    w1.requires_grad = True
    w2 = torch.Tensor([1.0]).double()
    w2.requires_grad = True
    b = torch.Tensor([6.8813735870195432]).double()
    b.requires_grad = True
    n = x1 * w1 + x2 * w2 + b
    o = torch.tanh(n)
    o.backward()
    # b went through float32 (torch.Tensor's default dtype) before .double()
    assert abs(o.data.item() - 0.7071067811865476) < 1e-6
    assert abs(x1.grad.item() - (-1.5)) < 1e-6 and w2.grad.item() == 0.0
    results["neuron_grads"] = np.array([x1.grad.item(), x2.grad.item(), w1.grad.item(),
                                        w2.grad.item()])

    # micrograd's demo: a 3-4-1 network of tanh neurons on four points, trained by hand.
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]

    def make_params(Tensor):
        params = []
        for row in list(layer1) + list(layer2):
            for v in row:
                if Tensor is None:
                    # torch.Tensor([v]) holds float32: start from the same rounded value
                    params.append(Value(float(np.float32(v))))
                else:
                    p = Tensor([float(v)]).double()
                    p.requires_grad = True
                    params.append(p)
        return params

    def forward(params, x):
        # layer 1: 4 neurons with 3 weights and a bias each; layer 2: one neuron
        hidden = []
        for j in range(4):
            w = params[4 * j:4 * j + 4]
            act = sum((wi * xi for wi, xi in zip(w[:3], x)), w[3])
            hidden.append(act.tanh())
        w = params[16:21]
        return sum((wi * hi for wi, hi in zip(w[:4], hidden)), w[4]).tanh()

    def train(Tensor, steps=40, lr=0.05):
        params = make_params(Tensor)
        losses = []
        for k in range(steps):
            ypred = [forward(params, x) for x in xs]
            loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
            for p in params:
                p.grad = None if Tensor is not None else 0.0
            loss.backward()
            for p in params:
                p.data += -lr * p.grad
            losses.append(loss.item() if Tensor is not None else loss.data)
        return params, losses

    params_pt, losses_pt = train(torch.Tensor)
    params_mg, losses_mg = train(None)
    assert np.allclose(losses_pt, losses_mg, rtol=1e-9, atol=1e-12)
    assert np.allclose([p.item() for p in params_pt], [p.data for p in params_mg],
                       rtol=1e-9, atol=1e-12)
    assert losses_pt[-1] < 0.1 * losses_pt[0], (losses_pt[0], losses_pt[-1])
    results["demo_losses"] = np.array(losses_pt)
    results["demo_params"] = np.array([p.item() for p in params_pt])
    return results
