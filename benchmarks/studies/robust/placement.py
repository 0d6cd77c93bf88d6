"""How well can anything place an A row in B's space? Supervised, on the true pairs of A's training half (B's half 1),
evaluated on the held-out pairs: the cosine of the predicted B row with the true one, and top-1, for the orthogonal
Procrustes map (the ceiling), the ridge regression, and a small MLP (one hidden layer, torch, cosine loss, early
stopping on a tenth of the training pairs). If a nonlinear predictor is not much closer than the linear map, no
placement of rows beats x W, and the tenth round's limit stands for any method that ends in a linear map.
usage (repository root): python benchmarks/studies/robust/placement.py PAIR [HIDDEN]"""
import sys

import numpy as np
import torch

sys.path.insert(0, "benchmarks/studies/robust")
from study_pair import bq, protocol

from vec2vec_fast._numerics import preprocess, unit_rows
from vec2vec_fast.procrustes import procrustes

pair = sys.argv[1]
hidden = int(sys.argv[2]) if len(sys.argv) > 2 else 2048
p = protocol(bq.SHARED, pair)
x, y = p.a, preprocess(p.b_raw[p.h1], p.mean_b)


def report(name, pred):
    """Held-out cosine of each predicted row with its partner, and top-1 among all held-out B rows."""
    pred = unit_rows(np.asarray(pred, dtype=np.float32))
    cos = float(np.mean(np.sum(pred * p.ev_b, 1)))
    top1 = float(np.mean(bq.ranks(pred, p.ev_b) == 1))
    print(f"{name}: held-out cosine to the partner {cos:.3f}, top-1 {top1:.4f}", flush=True)


W = procrustes(x, y)
report("orthogonal Procrustes", p.ev_a @ W)
cov = x.astype(np.float64).T @ x
for lam in (0.01, 0.1, 1.0):
    B = np.linalg.solve(cov + lam * np.trace(cov) / len(cov) * np.eye(len(cov)), x.astype(np.float64).T @ y)
    report(f"ridge regression, lambda {lam}", p.ev_a @ B)

torch.manual_seed(0)
rng = np.random.default_rng(0)
val = rng.choice(len(x), len(x) // 10, replace=False)
tr = np.setdiff1d(np.arange(len(x)), val)
xt, yt = torch.from_numpy(x), torch.from_numpy(y)
net = torch.nn.Sequential(torch.nn.Linear(x.shape[1], hidden), torch.nn.GELU(), torch.nn.Linear(hidden, y.shape[1]))
skip = torch.from_numpy(W)  # the MLP learns what the Procrustes map leaves
opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-2)


def predict(inp):
    return inp @ skip + net(inp)


best, best_state, bad = -1.0, None, 0
epochs = 0
for _ in range(300):
    epochs += 1
    perm = torch.from_numpy(rng.permutation(tr))
    for s in range(0, len(perm), 256):
        idx = perm[s:s + 256]
        loss = -torch.nn.functional.cosine_similarity(predict(xt[idx]), yt[idx]).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        v = torch.nn.functional.cosine_similarity(predict(xt[val]), yt[val]).mean().item()
    if v > best + 1e-4:
        best, best_state, bad = v, {k: t.clone() for k, t in net.state_dict().items()}, 0
    else:
        bad += 1
        if bad >= 10:
            break
net.load_state_dict(best_state)
with torch.no_grad():
    pred = predict(torch.from_numpy(p.ev_a)).numpy()
print(f"MLP (hidden {hidden}, skip through the Procrustes map, {epochs} epochs, validation cosine {best:.3f})")
report("MLP", pred)
