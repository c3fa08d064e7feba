# ruff: noqa: B007, B905  (written as the tutorials write it: `for t in range(...)`, `zip(a, b)`)
"""Everyday tensor manipulation as tutorials spell it: ``cat``, ``stack``, ``view``,
``permute``, ``transpose``, ``unsqueeze``/``squeeze``, ``torch.max(x, dim)``,
``clamp``, ``where``, ``linspace``, ``eye``, ``.t()``, ``numel``, ``size(0)``, dtype
casts, the ``device`` idiom, ``.cpu().numpy()`` and ``.tolist()``; then a
least-squares fit by gradient descent written with those idioms (no autograd)."""

import numpy as np

FRAMEWORK_RANDOM: set[str] = set()


def inputs() -> dict:
    rng = np.random.default_rng(12)
    return {"a": rng.standard_normal((2, 3)), "b": rng.standard_normal((2, 3)),
            "img": rng.standard_normal((2, 3, 4, 5)), "noise": rng.standard_normal(50)}


def run(torch, a, b, img, noise):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    assert str(device) == "cpu"
    results = {}

    a = torch.tensor(a).to(device)
    b = torch.from_numpy(b).to(device)
    assert a.dtype == torch.float64 and a.device.type == "cpu"

    # cat / stack
    c0 = torch.cat((a, b), 0)
    c1 = torch.cat([a, b], dim=1)
    s0 = torch.stack([a, b])
    s2 = torch.stack((a, b), dim=2)
    assert c0.shape == (4, 3) and c1.shape == (2, 6)
    assert s0.shape == (2, 2, 3) and s2.shape == (2, 3, 2)
    results["cat"] = c1.cpu().numpy()
    results["stack"] = s2.cpu().numpy()

    # view / reshape / permute / transpose / t / contiguous
    x = torch.arange(24, dtype=torch.float64)
    v = x.view(2, 3, 4)
    assert v.view(-1, 4).shape == (6, 4) and x.view(4, -1).size() == (4, 6)
    p = v.permute(2, 0, 1)
    assert p.shape == (4, 2, 3) and p.size(0) == 4 and p.size(-1) == 3
    tr = v.transpose(0, 1)
    assert tr.shape == (3, 2, 4)
    flat = tr.contiguous().view(-1)
    assert flat.numel() == 24 and flat.dim() == 1
    assert a.t().shape == (3, 2) and bool(torch.equal(a.t().t(), a))
    batch = torch.tensor(img)
    nhwc = batch.permute(0, 2, 3, 1)
    assert nhwc.shape == (2, 4, 5, 3)
    results["permuted"] = nhwc.reshape(2, -1).numpy()
    results["transposed"] = flat.tolist()

    # unsqueeze / squeeze
    u = a.unsqueeze(0)
    assert u.shape == (1, 2, 3) and a.unsqueeze(-1).shape == (2, 3, 1)
    assert u.squeeze().shape == (2, 3) and u.squeeze(0).shape == (2, 3)
    assert torch.zeros(3, 1, 2).squeeze(1).shape == (3, 2)

    # torch.max(x, dim) -> (values, indices); max over everything; argmax
    values, indices = torch.max(a, 1)
    m = torch.max(a, dim=0)
    assert m.values.shape == (3,) and m.indices.dtype == torch.int64
    assert bool(torch.equal(values, a.max(dim=1)[0])) and bool(
        torch.equal(indices, a.argmax(dim=1)))
    assert torch.max(a).item() == a.max().item() == float(a.cpu().numpy().max())
    mn, imn = a.min(1, keepdim=True)
    assert mn.shape == (2, 1) and imn.shape == (2, 1)
    results["max_values"] = values.numpy()
    results["max_indices"] = indices.numpy()
    results["max_dim0"] = m.values.numpy()

    # clamp / where / linspace / eye
    clamped = a.clamp(min=-0.5, max=0.5)
    assert float(clamped.max()) <= 0.5 and float(clamped.min()) >= -0.5
    relu = torch.clamp(a, min=0)
    w = torch.where(a > 0, a, torch.zeros_like(a))
    assert bool(torch.equal(relu, w))
    lin = torch.linspace(0, 1, steps=5)
    assert lin.dtype == torch.float32 and lin.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    eye = torch.eye(3)
    assert eye.dtype == torch.float32 and eye.sum().item() == 3.0
    assert bool(torch.equal(torch.eye(3, dtype=torch.float64) @ a.t(), a.t()))
    results["clamped"] = clamped.numpy()
    results["where"] = torch.where(a > 0, a, b).numpy()

    # dtype casts
    i = a.long()
    assert i.dtype == torch.int64 and i.float().dtype == torch.float32
    assert i.double().dtype == torch.float64 and a.to(torch.float32).dtype == torch.float32
    assert a.float().to(torch.float64).dtype == torch.float64
    assert a.int().dtype == torch.int32 and a.type(torch.float32).dtype == torch.float32
    assert (a > 0).dtype == torch.bool and (a > 0).sum().item() == int((a > 0).sum())
    assert torch.tensor([1, 2]).dtype == torch.int64
    assert torch.tensor([1.0, 2.0]).dtype == torch.float32
    assert torch.zeros(2, dtype=torch.float32).dtype == torch.float32
    results["long"] = i.numpy()
    results["to_list"] = np.array((a * 2).tolist())

    # A least-squares line fit by hand: X = [x, 1], w <- w - lr * X^T (X w - y) / n.
    xs = torch.linspace(-1, 1, 50, dtype=torch.float64)
    ys = 3.0 * xs - 0.5 + 0.1 * torch.from_numpy(noise)
    X = torch.stack([xs, torch.ones_like(xs)], dim=1)
    wv = torch.zeros(2, 1, dtype=torch.float64, device=device)
    n = X.size(0)
    losses = []
    for step in range(200):
        residual = X @ wv - ys.unsqueeze(1)
        losses.append((residual ** 2).mean().item())
        wv = wv - 0.5 * X.t() @ residual / n
    assert losses[-1] < 0.01 * losses[0], (losses[0], losses[-1])
    results["fit_losses"] = np.array(losses)
    results["fit_w"] = wv.squeeze(1).cpu().numpy()

    # The legacy spellings of older tutorials: torch.Tensor(data) is always float.
    assert a.type(torch.FloatTensor).dtype == torch.float32
    assert a.type() == "torch.DoubleTensor" and i.type() == "torch.LongTensor"
    assert torch.LongTensor([1, 2]).dtype == torch.int64
    assert torch.FloatTensor([[1, 2]]).dtype == torch.float32
    # torch.Tensor([1, 2]) is float32 in PyTorch but int64 here (a documented deviation:
    # tl.Tensor infers dtypes as torch.tensor does); floats agree.
    assert torch.Tensor([1.0, 2.0]).dtype == torch.float32
    return results
