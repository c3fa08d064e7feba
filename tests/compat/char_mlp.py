# ruff: noqa: B007, B905  (written as the tutorials write it: `for t in range(...)`, `zip(a, b)`)
"""A character-level language model, makemore style: bigram counts, the one-hot neural
bigram, then an MLP with an embedding table ``C`` indexed by integer tensors
(``C[X]``, ``emb.view(-1, ...)``, ``F.cross_entropy``), minibatches, and sampling
with ``torch.multinomial`` from a seeded ``torch.Generator``."""

import numpy as np

FRAMEWORK_RANDOM = {"random_batch_loss", "samples"}

WORDS = """emma olivia ava isabella sophia charlotte mia amelia harper evelyn abigail emily
elizabeth mila ella avery sofia camila aria scarlett victoria madison luna grace chloe
penelope layla riley zoey nora lily eleanor hannah lillian addison aubrey ellie stella
natalie zoe leah hazel violet aurora savannah audrey brooklyn bella claire skylar
jaxon quinn willow maxine""".split()

BLOCK_SIZE = 3  # context length: how many characters predict the next one
N_EMBD = 5
N_HIDDEN = 32
VOCAB = 27


def inputs() -> dict:
    rng = np.random.default_rng(6)
    n_examples = sum(len(w) + 1 for w in WORDS)
    return {
        "W_bigram": rng.standard_normal((VOCAB, VOCAB)),
        "C": rng.standard_normal((VOCAB, N_EMBD)),
        "W1": rng.standard_normal((BLOCK_SIZE * N_EMBD, N_HIDDEN)) * 0.3,
        "b1": rng.standard_normal(N_HIDDEN) * 0.01,
        "W2": rng.standard_normal((N_HIDDEN, VOCAB)) * 0.1,
        "b2": np.zeros(VOCAB),
        "batches": rng.integers(0, n_examples, (150, 32)),
    }


def run(torch, W_bigram, C, W1, b1, W2, b2, batches):
    F = torch.nn.functional
    words = WORDS
    chars = sorted(list(set("".join(words))))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi["."] = 0
    itos = {i: s for s, i in stoi.items()}
    vocab_size = len(itos)
    assert vocab_size == VOCAB  # '.' and every letter a..z

    # --- Bigram counts in an int32 table.
    N = torch.zeros((VOCAB, VOCAB), dtype=torch.int32)
    for w in words:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:]):
            ix1 = stoi[ch1]
            ix2 = stoi[ch2]
            N[ix1, ix2] += 1
    assert N.dtype == torch.int32 and N.sum().item() == sum(len(w) + 1 for w in words)
    P = (N + 1).double()
    P /= P.sum(1, keepdims=True)
    log_likelihood = 0.0
    n = 0
    for w in words:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:]):
            log_likelihood += torch.log(P[stoi[ch1], stoi[ch2]])
            n += 1
    count_nll = (-log_likelihood / n).item()

    # --- The neural bigram: one-hot inputs, softmax by hand, gradient descent.
    xs, ys = [], []
    for w in words:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:]):
            xs.append(stoi[ch1])
            ys.append(stoi[ch2])
    xs = torch.tensor(xs)
    ys = torch.tensor(ys)
    num = xs.nelement()
    assert xs.dtype == torch.int64
    W = torch.tensor(W_bigram, requires_grad=True)
    bigram_losses = []
    for k in range(60):
        xenc = F.one_hot(xs, num_classes=VOCAB).double()
        logits = xenc @ W  # log-counts
        counts = logits.exp()
        probs = counts / counts.sum(1, keepdims=True)
        loss = -probs[torch.arange(num), ys].log().mean() + 0.01 * (W ** 2).mean()
        bigram_losses.append(loss.item())
        W.grad = None
        loss.backward()
        W.data += -10 * W.grad
    assert bigram_losses[-1] < 0.6 * bigram_losses[0], (bigram_losses[0], bigram_losses[-1])

    # --- The MLP: build the dataset of (context, next character) pairs.
    def build_dataset(words):
        X, Y = [], []
        for w in words:
            context = [0] * BLOCK_SIZE
            for ch in w + ".":
                ix = stoi[ch]
                X.append(context)
                Y.append(ix)
                context = context[1:] + [ix]
        return torch.tensor(X), torch.tensor(Y)

    X, Y = build_dataset(words)
    assert X.shape == (num, BLOCK_SIZE) and Y.shape == (num,)

    C = torch.tensor(C)
    W1 = torch.tensor(W1)
    b1 = torch.tensor(b1)
    W2 = torch.tensor(W2)
    b2 = torch.tensor(b2)
    parameters = [C, W1, b1, W2, b2]
    print(sum(p.nelement() for p in parameters), "parameters")
    for p in parameters:
        p.requires_grad = True

    def full_loss():
        emb = C[X]  # (num, BLOCK_SIZE, N_EMBD)
        h = torch.tanh(emb.view(-1, BLOCK_SIZE * N_EMBD) @ W1 + b1)
        logits = h @ W2 + b2
        return F.cross_entropy(logits, Y)

    with torch.no_grad():
        loss0 = full_loss().item()
    lossi = []
    for i in range(len(batches)):
        # minibatch construct (indices drawn in NumPy so both frameworks see the same)
        ix = torch.tensor(batches[i])
        emb = C[X[ix]]  # (32, BLOCK_SIZE, N_EMBD)
        h = torch.tanh(emb.view(-1, BLOCK_SIZE * N_EMBD) @ W1 + b1)  # (32, N_HIDDEN)
        logits = h @ W2 + b2  # (32, VOCAB)
        loss = F.cross_entropy(logits, Y[ix])
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = 0.5 if i < 100 else 0.1
        for p in parameters:
            p.data += -lr * p.grad
        lossi.append(loss.log10().item())
    with torch.no_grad():
        final = full_loss().item()
    assert final < 0.75 * loss0, (loss0, final)

    # --- A minibatch drawn by the framework's generator, and sampling from the model.
    g = torch.Generator().manual_seed(2147483647)
    ix = torch.randint(0, X.shape[0], (32,), generator=g)
    assert ix.dtype == torch.int64 and ix.shape == (32,)
    with torch.no_grad():
        emb = C[X[ix]]
        h = torch.tanh(emb.view(-1, BLOCK_SIZE * N_EMBD) @ W1 + b1)
        random_batch_loss = F.cross_entropy(h @ W2 + b2, Y[ix]).item()

    samples = []
    for _ in range(5):
        out = []
        context = [0] * BLOCK_SIZE
        while len(out) < 20:
            emb = C[torch.tensor([context])]  # (1, BLOCK_SIZE, N_EMBD)
            h = torch.tanh(emb.view(1, -1) @ W1 + b1)
            logits = h @ W2 + b2
            probs = F.softmax(logits, dim=1)
            ix = torch.multinomial(probs, num_samples=1, generator=g).item()
            context = context[1:] + [ix]
            out.append(ix)
            if ix == 0:
                break
        samples.append("".join(itos[i] for i in out))
    assert all(isinstance(s, str) and s for s in samples)

    return {
        "counts": N.numpy(),
        "count_nll": count_nll,
        "bigram_losses": np.array(bigram_losses),
        "W_bigram": W.detach().numpy(),
        "lossi": np.array(lossi),
        "final_loss": final,
        "C": C.detach().numpy(),
        "W2": W2.detach().numpy(),
        "random_batch_loss": random_batch_loss,
        "samples": np.array(samples),
    }
