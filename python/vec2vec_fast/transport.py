"""Wasserstein-Procrustes refinement of a linear map: entropic optimal transport between the mapped A sample and the
B sample gives soft targets, orthogonal Procrustes fits the map to them, and the two alternate.

Why transport rather than nearest neighbours: the balanced plan gives every B row the same total mass, so hubs (rows
near many mapped rows) cannot pull the map, and a wrong first match is shared out instead of copied. Measured on
four real cross-family directed pairs it lifts mini-vec2vec's top-1 by 6 to 10 points, 2 to 3 more than MUSE-style
CSLS self-learning (benchmarks/studies/robust/README.md).

One round, on unit rows x (n, d_a) and z (m, d_b): S = unit(x W) zᵀ, kernel K = exp((S - 1) / eps) (stabilised row
by row, see ``_Kernel``), Sinkhorn scalings u, v with diag(u) K diag(v) having uniform marginals, targets
T = n diag(u) K diag(v) z (each mapped row's barycentre of B under the plan), W <- polar(xᵀ T).

Cost and determinism: K is kept (n * m float32: 256 MB at 8,000 rows a side). Every product runs on fixed blocks of
rows, each on one BLAS thread, spread over ``n_threads`` Python threads (numpy releases the GIL); column sums add the
blocks' partial sums in block order. The bits therefore do not depend on the thread count.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
from threadpoolctl import threadpool_limits

from . import _core
from ._numerics import unit_rows
from .procrustes import procrustes

BLOCK_ROWS = 512  # rows per unit of work: the result depends on this constant, never on the thread count
_TINY, _HUGE = 1e-30, 1e30  # Sinkhorn scalings stay within float32's range
MIN_ROUNDS = 4
_NO_WEIGHTS = np.empty(0, dtype=np.float32)


def _blocks(n: int) -> List[slice]:
    return [slice(i, min(i + BLOCK_ROWS, n)) for i in range(0, n, BLOCK_ROWS)]


def _run(pool: ThreadPoolExecutor, fn: Callable[[slice], Any], blocks: Sequence[slice]) -> List[Any]:
    return list(pool.map(fn, blocks))


class _Kernel:
    """exp((unit(x W) zᵀ - 1) / eps) in row blocks, with the products Sinkhorn and the targets need."""

    def __init__(self, pool: ThreadPoolExecutor, mapped: np.ndarray, z: np.ndarray, eps: float, keep: float = 1.0,
                 mask_seed: Optional[Sequence[int]] = None):
        self.pool, self.z, self.blocks = pool, z, _blocks(len(mapped))
        self.parts: List[np.ndarray] = _run(pool, lambda s: self._block(mapped[s], eps, keep, mask_seed, s.start),
                                            self.blocks)

    def _block(self, rows: np.ndarray, eps: float, keep: float, mask_seed: Optional[Sequence[int]],
               start: int) -> np.ndarray:
        # exp((S - max_j S) / eps): each row's largest entry is 1, so no row underflows to all zeros however small
        # eps is (the row's factor exp((max_j S - 1) / eps) folds into u and changes neither the plan nor targets).
        k = rows @ self.z.T
        k -= k.max(axis=1, keepdims=True)
        k *= np.float32(1.0 / eps)
        np.exp(k, out=k)
        if keep < 1.0:  # each entry kept with probability keep; the block's draw depends on its first row alone
            k *= np.random.default_rng([*mask_seed, start]).random(k.shape, dtype=np.float32) < keep
        return k

    def times(self, v: np.ndarray) -> np.ndarray:
        """K v."""
        v32 = v.astype(np.float32)
        return np.concatenate(_run(self.pool, lambda i: self.parts[i] @ v32, range(len(self.parts))))

    def transposed_times(self, u: np.ndarray) -> np.ndarray:
        """Kᵀ u, the block partial sums added in block order."""
        u32 = u.astype(np.float32)
        partial = _run(self.pool, lambda i: (self.parts[i].T @ u32[self.blocks[i]]).astype(np.float64),
                       range(len(self.parts)))
        total = np.zeros(len(self.z), dtype=np.float64)
        for p in partial:
            total += p
        return total

    def targets(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """n diag(u) K diag(v) z: each row's barycentre under the plan (rows of the plan sum to 1/n)."""
        n = sum(len(p) for p in self.parts)
        v32 = v.astype(np.float32)
        scale = (u * n).astype(np.float32)

        def block(i: int) -> np.ndarray:
            return ((self.parts[i] * v32) @ self.z) * scale[self.blocks[i], None]

        return np.concatenate(_run(self.pool, block, range(len(self.parts))))


def sinkhorn_targets(pool: ThreadPoolExecutor, mapped: np.ndarray, z: np.ndarray, eps: float, sweeps: int,
                     v: np.ndarray, keep: float = 1.0, mask_seed: Optional[Sequence[int]] = None
                     ) -> Tuple[np.ndarray, np.ndarray, float]:
    """Barycentric targets of the entropic plan between unit rows ``mapped`` and ``z`` (uniform weights), the scaling
    ``v`` that warm-starts the next call, and the plan's mean cosine (the transport objective, higher is better).
    ``keep`` < 1: each kernel entry is kept with that probability (a mask drawn from ``mask_seed``), the rest are 0."""
    n, m = len(mapped), len(z)
    kernel = _Kernel(pool, mapped, z, eps, keep, mask_seed)
    u = np.ones(n)
    for _ in range(sweeps):
        # Clipped so that float32 copies stay finite: a B row no mapped row comes near (its column underflowed to
        # zeros) gets a large finite v and still no mass.
        u = np.clip((1.0 / n) / np.maximum(kernel.times(v), _TINY), _TINY, _HUGE)
        v = np.clip((1.0 / m) / np.maximum(kernel.transposed_times(u), _TINY), _TINY, _HUGE)
    targets = kernel.targets(u, v)
    objective = float(np.mean(np.sum(mapped * targets, axis=1)))
    return targets, v, objective


def ot_refine(x: np.ndarray, z: np.ndarray, W: np.ndarray, *, eps: float, max_rounds: int, sweeps: int, tol: float,
              n_threads: int, ridge: Optional[float] = None, min_rounds: int = MIN_ROUNDS,
              folds: int = 1, momentum: float = 0.0, fold_seed: Union[int, Sequence[int], None] = None,
              group_rows: Optional[int] = None, group_seed: Optional[Sequence[int]] = None
              ) -> Tuple[np.ndarray, List[Dict[str, float]]]:
    """Refine W (d_a, d_b) on unit rows ``x`` (A) and ``z`` (B), float32. After at least ``min_rounds`` rounds, rounds
    stop when the transport objective (mean cosine of the mapped rows with their targets) gains less than ``tol`` over
    the best so far; at most ``max_rounds``. Returns the map and one record per round.

    ``ridge``: if given, each Procrustes step takes the polar factor of (Σx + ridge · mean eigenvalue · I)⁻¹ xᵀ T (the
    ridge regression of the targets on x) instead of that of xᵀ T. Why: a barycentric target is a B row smoothed by
    the plan, and the smoothing pulls polar(xᵀ T) off the map along A's unequal variances; Σx⁻¹ undoes that, the ridge
    keeps A's low-variance directions from amplifying noise (measured on four real pairs: ridge 1 gains 0.5 to 2.3
    points of top-1 over 8 plain rounds in a final polish; 0.001-0.1 loses on MiniLM -> e5).

    ``folds`` > 1: cross-fitted rounds. Row i of x belongs to fold i % folds; each fold's rows enter the plan mapped
    by the map fitted on the *other* folds' targets, so no row is pulled toward partners that its own fit chose; the
    returned map is fitted on all rows. Why: the plain rounds overfit their sample. Started at the supervised map,
    they raise the plan's mean cosine on the training rows (0.333 -> 0.373, MiniLM -> e5) while it falls on a fresh
    unpaired sample (0.336 -> 0.308), and top-1 falls with it. ``fold_seed``: if given, the rows are dealt into the
    folds in an order drawn from this seed instead of round-robin.

    ``momentum`` > 0: each round's cross-covariances M (one per fold) are extrapolated, M + momentum (M - M of the
    previous round), before their polar factors. Why: a map far from the fixed point climbs slowly, by steps in the
    same direction (e5 -> MiniLM, seed 0, 5 folds: top-1 0.890 after 8 rounds, 0.919 after 24); momentum 0.5 reaches
    the top-1 of 32 rounds without it in 16 (8 fits of three real pairs, benchmarks/studies/robust/accel.py).

    ``group_rows``: when either side has more rows, each round's plan is computed in groups: both sides' rows are dealt
    into as many groups as it takes to hold at most ``group_rows`` a side (a fresh deal each round, drawn from
    ``group_seed`` and the round), each A group is planned against one B group (warm-started from B's scalings of the
    last round), and the Procrustes step sums every row's term. Memory stays that of one ``group_rows`` plan and the
    time grows with the rows rather than their square. Why: what more rows buy the rounds is mostly terms in the
    Procrustes sum, not a larger plan. From the supervised map on MiniLM -> e5-small (7,952 rows a side), 16 of the
    method's rounds end at top-1 0.923 with one plan, 0.911 with two groups dealt afresh each round, and 0.833 on one
    group's rows alone (benchmarks/studies/robust/grouped_polish.py)."""
    x, z, W = _float32(x, z, W)
    v = np.ones(len(z))
    history: List[Dict[str, float]] = []
    groups = plan_groups(len(x), len(z), group_rows)
    if groups > 1 and group_seed is None:
        raise ValueError(f"group_rows={group_rows} splits {len(x)} / {len(z)} rows into {groups} groups a side, "
                         f"which needs a group_seed")
    with _block_pool(n_threads) as pool:
        x_fit = x if ridge is None else _ridge_whitened(x, ridge)
        order, slices = _folds(len(x), folds, fold_seed)
        if len(slices) > 1:  # fold-contiguous copies, so that each fold is a slice
            x, x_fit = x[order], x_fit[order]
        W = _rounds(pool, x, x_fit, z, W, v, history, eps=eps, max_rounds=max_rounds, sweeps=sweeps, tol=tol,
                    n_threads=n_threads, min_rounds=min_rounds, slices=slices, momentum=momentum,
                    groups=(groups, group_seed))
    return W, history


def plan_groups(n: int, m: int, group_rows: Optional[int]) -> int:
    """How many groups a side hold at most ``group_rows`` rows of the larger side (1: one plan); never more than the
    smaller side has rows, so that every group has a row on each side."""
    if group_rows is None:
        return 1
    if group_rows < 1:
        raise ValueError(f"group_rows must be at least 1, got {group_rows}")
    return max(1, min(-(-max(n, m) // int(group_rows)), min(n, m)))


def grouped_targets(pool: ThreadPoolExecutor, mapped: np.ndarray, z: np.ndarray, eps: float, sweeps: int,
                    v: np.ndarray, groups: int, seed: Sequence[int]) -> Tuple[np.ndarray, np.ndarray, float]:
    """:func:`sinkhorn_targets` with the rows of both sides dealt into ``groups`` groups (a permutation of each side
    drawn from ``seed``; the k-th A group planned against the k-th B group, warm-started from ``v``'s entries for
    its rows). Returns every row's target, B's scalings, and the mean cosine of all rows with their targets. One
    group is :func:`sinkhorn_targets` itself."""
    if groups <= 1:
        return sinkhorn_targets(pool, mapped, z, eps, sweeps, v)
    rng = np.random.default_rng(seed)
    deal_a = np.array_split(rng.permutation(len(mapped)), groups)
    deal_b = np.array_split(rng.permutation(len(z)), groups)
    targets = np.empty((len(mapped), z.shape[1]), dtype=np.float32)
    v = v.copy()
    total = 0.0
    for rows_a, rows_b in zip(deal_a, deal_b):
        rows_a, rows_b = np.sort(rows_a), np.sort(rows_b)
        targets[rows_a], v[rows_b], objective = sinkhorn_targets(pool, mapped[rows_a], z[rows_b], eps, sweeps,
                                                                 v[rows_b])
        total += objective * len(rows_a)
    return targets, v, total / len(mapped)


def _float32(x: np.ndarray, z: np.ndarray, W: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (np.ascontiguousarray(x, dtype=np.float32), np.ascontiguousarray(z, dtype=np.float32),
            np.asarray(W, dtype=np.float32))


@contextmanager
def _block_pool(n_threads: int) -> Iterator[ThreadPoolExecutor]:
    """Python threads for the row blocks, each block's BLAS on one thread (the same bits at any thread count)."""
    pool = ThreadPoolExecutor(max_workers=max(1, n_threads))
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            yield pool
    finally:  # Ctrl-C: drop the queued blocks rather than finish them
        pool.shutdown(wait=True, cancel_futures=True)


def _ridge_whitened(x: np.ndarray, ridge: float) -> np.ndarray:
    """x (Σx + ridge · mean eigenvalue · I)⁻¹, float32: Procrustes on these rows and the targets gives the polar factor
    of the ridge regression (the matrix is symmetric). One BLAS thread (the caller's limit): the same bits always."""
    x64 = x.astype(np.float64)
    cov = x64.T @ x64 / len(x)
    shift = ridge * np.trace(cov) / len(cov)
    return (x64 @ np.linalg.inv(cov + shift * np.eye(len(cov)))).astype(np.float32)


def _rounds(pool: ThreadPoolExecutor, x: np.ndarray, x_fit: np.ndarray, z: np.ndarray, W: np.ndarray,
            v: np.ndarray, history: List[Dict[str, float]], *, eps: float, max_rounds: int, sweeps: int, tol: float,
            n_threads: int, min_rounds: int, slices: List[slice], momentum: float,
            groups: Tuple[int, Optional[Sequence[int]]] = (1, None)) -> np.ndarray:
    """The rounds of :func:`ot_refine`; appends one record per round to ``history`` and returns the map. The plan
    comes from ``x``; the Procrustes step fits ``x_fit`` (``x`` itself, or its ridge-whitened rows) to the targets.
    With more than one slice the rows come fold by fold, and the rounds are cross-fitted. ``groups``: (count, seed)
    of :func:`grouped_targets`; round r deals its groups from (*seed, r)."""
    count, seed = groups
    best = -np.inf
    W_folds = [W] * len(slices)
    cross_fitted = len(slices) > 1
    previous: Optional[np.ndarray] = None  # the last round's cross-covariances, for the momentum
    for _ in range(max_rounds):
        mapped = np.concatenate([unit_rows(x[s] @ W_k) for s, W_k in zip(slices, W_folds)]) if cross_fitted \
            else unit_rows(x @ W)
        targets, v, objective = grouped_targets(pool, mapped, z, eps, sweeps, v, count,
                                                (*seed, len(history)) if count > 1 else ())
        if cross_fitted or momentum:
            parts = np.array([_core.cross_covariance(x_fit[s], targets[s], _NO_WEIGHTS, n_threads) for s in slices])
            used = parts if previous is None or not momentum else parts + momentum * (parts - previous)
            previous = parts
            total = np.sum(used, axis=0)
            if cross_fitted:
                W_folds = [_core.polar_factor(total - part, True).astype(np.float32) for part in used]
            W_new = _core.polar_factor(total, True).astype(np.float32)
        else:
            W_new = procrustes(x_fit, targets, n_threads=n_threads)
        change = float(np.linalg.norm(W_new.astype(np.float64) - W) / np.sqrt(min(W.shape)))
        history.append({"objective": objective, "change": change})
        W = W_new
        # The plan's mean cosine is not monotone in the first rounds (measured: it dips after the first step from
        # mini-vec2vec's map while top-1 keeps rising), so the stopping rule waits for min_rounds.
        if len(history) >= min_rounds and objective - best < tol:
            break
        best = max(best, objective)
    return W


def stochastic_refine(x: np.ndarray, z: np.ndarray, W: np.ndarray, *, eps: float, stage_rounds: int, keep: float,
                      sweeps: int, seed: Sequence[int], n_threads: int) -> Tuple[np.ndarray, List[Dict[str, float]]]:
    """Transport rounds on a randomly thinned kernel (stochastic dictionary induction, VecMap: Artetxe et al. 2018):
    each round keeps every entry of the plan's kernel with probability ``keep`` (a fresh mask drawn from ``seed`` and
    the round), takes the masked plan's barycentric targets and the orthogonal Procrustes map onto them; after
    ``stage_rounds`` rounds ``keep`` doubles, and the rounds end after the stage below 1 (the plain rounds that follow
    in the caller are the last stage). Returns the map and one record per stage.

    Why: the plain rounds climb to the nearest fixed point of the transport objective. Where the first map holds
    only a few right correspondences (WordNet glosses, USE -> MiniLM: mini's first maps at top-1 0.03-0.04) that is
    a wrong one (top-1 0.08-0.27 after the method's polish), while thinned plans give the map room to move and the
    right correspondences, which every thinning keeps in part, pull it along: 0.92 and 0.90 after the polish
    (benchmarks/studies/robust/README.md, twenty-second round). It cannot create a correspondence the start does not
    hold (MiniLM -> e5-small WordNet, a first map at chance, stays there)."""
    x, z, W = _float32(x, z, W)
    v = np.ones(len(z))
    history: List[Dict[str, float]] = []
    with _block_pool(n_threads) as pool:
        step = 0
        while keep < 1.0 and stage_rounds > 0:
            for _ in range(stage_rounds):
                targets, v, objective = sinkhorn_targets(pool, unit_rows(x @ W), z, eps, sweeps, v, keep,
                                                         (*seed, step))
                W = procrustes(x, targets, n_threads=n_threads)
                step += 1
            history.append({"keep": keep, "objective": objective})
            keep = min(1.0, 2.0 * keep)
    return W, history


def _folds(n: int, folds: int, seed: Union[int, Sequence[int], None] = None) -> Tuple[np.ndarray, List[slice]]:
    """Rows dealt round-robin into at most ``folds`` folds (fold k: rows k, k + folds, ...; with a seed, the k-th,
    (k + folds)-th ... rows of a permutation drawn from it): the order that makes them fold-contiguous, and each
    fold's slice of that order."""
    folds = max(1, min(int(folds), n))
    dealt = np.arange(n) if seed is None else np.random.default_rng(seed).permutation(n)
    members = [dealt[k::folds] for k in range(folds)]
    ends = np.cumsum([len(m) for m in members])
    return np.concatenate(members), [slice(int(end - len(m)), int(end)) for m, end in zip(members, ends)]


__all__ = ["BLOCK_ROWS", "grouped_targets", "ot_refine", "plan_groups", "sinkhorn_targets", "stochastic_refine"]
