#!/usr/bin/env python3
"""
Measurement (not shipped; issue 5 part 1): the numpy/scipy prototype that chose the parameters of the
label-free catalog adaptation (src/features/adapted/adaptation.ts, `shoplens adapt`). Same inputs as
manifold-ranking.py: the default extractor's vectors of the full Fashion-MNIST bench (60k catalog, 10k
queries) in /tmp/fx/cur-60000-10000.f32, written by `npx tsx bench/features/query-expansion.ts 60000 10000`.

  python3 bench/features/feature-diffusion.py [--alpha 0.95,0.99] [--anchors 4096,16384] [--own 0.3,0.4,0.5]

Pipeline (no labels): PCA of the catalog (exact, every 3rd vector) to 1024 components scaled by
lambda^-0.15, L2; mutual 50-NN graph of the catalog, weights sim^3, symmetric normalisation S; feature
diffusion F = X + alpha S F (20 steps); A = m random rows of l2(F) as anchors; a vector's adapted form
is [sqrt(w) * x, sqrt(1 - w) * l2(sum over its 10 most similar anchors of max(sim, 0)^3 * anchor)].
Scored on 4,000 test queries (seeded samples 0 and 1 of 2,000 each) by mAP / P@10 / top-1 as the bench.

Measured 2026-11-26 (load 2-3):
  whitened only                              mAP 0.5181  P@10 0.8720  top-1 0.9103
  sum form w + mix (alpha 0.95, m 4096):  own 0.5 0.6067 / 0.8708; 0.75 0.6017 / 0.8723; 1.0 0.5968 / 0.8741; 1.5 0.5879 / 0.8747
  concat form (alpha 0.95, m 4096):       own 0.3 0.6101 / 0.8724; 0.4 0.6055 / 0.8735; 0.5 0.5992 / 0.8749
  concat (alpha 0.95, m 16384):           own 0.3 0.6071 / 0.8755; 0.4 0.6022 / 0.8770; 0.5 0.5957 / 0.8774
  concat (alpha 0.99, m 4096):            own 0.3 0.6133 / 0.8731; 0.4 0.6086 / 0.8734; 0.5 0.6022 / 0.8750
  concat (alpha 0.99, m 16384):           own 0.3 0.6107 / 0.8759; 0.4 0.6057 / 0.8770; 0.5 0.5991 / 0.8772
The concatenation beats the sum at every weight; more anchors trade a little mAP for P@10; shipped:
alpha 0.99, 16,384 anchors, own weight 0.35. The TypeScript fit (randomized PCA on 20k rows, HNSW graph)
lands ~0.003 lower on P@10 than this exact prototype.
"""
import argparse, gzip
import numpy as np
import scipy.sparse as sp

ap = argparse.ArgumentParser()
ap.add_argument('--vectors', default='/tmp/fx/cur-60000-10000.f32')
ap.add_argument('--dir', default='/usr/share/datasets/fashion-mnist')
ap.add_argument('--alpha', default='0.95,0.99')
ap.add_argument('--anchors', default='4096,16384')
ap.add_argument('--own', default='0.3,0.4,0.5')
args = ap.parse_args()
NC, NQ = 60000, 10000

def labels(name):
    with gzip.open(f'{args.dir}/{name}') as g:
        return np.frombuffer(g.read()[8:], dtype=np.uint8)
yc, yq = labels('train-labels-idx1-ubyte.gz'), labels('t10k-labels-idx1-ubyte.gz')
a = np.fromfile(args.vectors, dtype=np.float32).reshape(NC + NQ, -1)
a /= np.linalg.norm(a, axis=1, keepdims=True) + 1e-12
X0, Q0 = a[:NC], a[NC:]
qsel = np.concatenate([np.random.default_rng(s).choice(NQ, 2000, replace=False) for s in (0, 1)])
nrm = lambda A: A / (np.linalg.norm(A, axis=1, keepdims=True) + 1e-12)

def report(name, Qv, Xv):
    tot = np.zeros(3)
    for s in range(0, len(qsel), 500):
        order = np.argsort(-(Qv[s:s + 500] @ Xv.T), axis=1); rel = yc[order] == yq[qsel[s:s + 500]][:, None]
        ap_ = (rel * np.cumsum(rel, 1) / np.arange(1, NC + 1)).sum(1) / rel.sum(1)
        tot += np.array([ap_.sum(), rel[:, :10].mean(1).sum(), rel[:, 0].sum()])
    m = tot / len(qsel)
    print(f'{name:40s} mAP {m[0]:.4f}  P@10 {m[1]:.4f}  top-1 {m[2]:.4f}', flush=True)

mu = X0[::3].mean(0); lam, V = np.linalg.eigh(np.cov((X0[::3] - mu).T)); o = np.argsort(-lam)[:1024]
T = (V[:, o] * (np.maximum(lam[o], 1e-12) ** -0.15)).astype(np.float32)
X = nrm((X0 - mu) @ T); Q = nrm((Q0[qsel] - mu) @ T)
report('whitened only', Q, X)

K = 50
I = np.zeros((NC, K), np.int32); S = np.zeros((NC, K), np.float32)
for s in range(0, NC, 2000):
    sims = X[s:s + 2000] @ X.T; sims[np.arange(sims.shape[0]), np.arange(s, s + sims.shape[0])] = -9
    idx = np.argpartition(-sims, K, axis=1)[:, :K]; v = np.take_along_axis(sims, idx, 1)
    I[s:s + 2000] = idx; S[s:s + 2000] = v
W = sp.csr_matrix((np.maximum(S.ravel(), 0) ** 3, (np.repeat(np.arange(NC), K), I.ravel())), shape=(NC, NC)); W = W.minimum(W.T).tocsr()
deg = np.asarray(W.sum(1)).ravel(); deg[deg == 0] = 1
Sm = (sp.diags(1 / np.sqrt(deg)) @ W @ sp.diags(1 / np.sqrt(deg))).tocsr()

def mixes(Vv, A, kq=10, g=3):
    M = np.zeros_like(Vv)
    for s in range(0, Vv.shape[0], 5000):
        sims = Vv[s:s + 5000] @ A.T; idx = np.argpartition(-sims, kq, axis=1)[:, :kq]
        w = np.maximum(np.take_along_axis(sims, idx, 1), 0) ** g
        M[s:s + 5000] = nrm((A[idx] * w[:, :, None]).sum(1))
    return M

for alpha in [float(x) for x in args.alpha.split(',')]:
    F = X.copy()
    for _ in range(20): F = X + alpha * (Sm @ F)
    Xd = nrm(F)
    for m in [int(x) for x in args.anchors.split(',')]:
        A = Xd[np.random.default_rng(2).choice(NC, m, replace=False)]
        MX, MQ = mixes(X, A), mixes(Q, A)
        for w in [float(x) for x in args.own.split(',')]:
            report(f'alpha {alpha} anchors {m} own {w}', np.hstack([np.sqrt(w) * Q, np.sqrt(1 - w) * MQ]), np.hstack([np.sqrt(w) * X, np.sqrt(1 - w) * MX]))
