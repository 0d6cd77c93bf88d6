"""Where does the first correspondence break when B holds text A never saw? mini's anchor stage (k-means on a
subsample of each side, centroids matched by the QAP on their centred kernels, notebook defaults) is replayed, and
each matched pair of centroids is checked against the supervised ceiling map W* (Procrustes on Wikipedia's true
pairs): A's centroids mapped by W* are paired one to one with B's centroids (the matching of highest total cosine),
their true partners. Per setting, over ANCHOR_RUNS runs: the share of A's clusters matched to their true partner, the
share matched to a B cluster made mostly (> half) of WordNet rows, the share whose true partner is such a cluster, and
in how many runs the true partners score better than the found match on the QAP's objective (the product) and on the
distance form. A = MiniLM on Wikipedia, B = USE on other rows, a share of them WordNet glosses (drawn as
corpus_shift.py draws them for seed 0). B_CLUSTERS > 20: A's clusters are matched into B's, the surplus unmatched
(the QAP on A's kernel padded with zeros, or with MATCHER "distance" the partial matching of partial_qap.py); KERNEL:
"centred" (the notebook's) or "cosine".

usage (repository root): python benchmarks/studies/robust/anchor_truth.py WIKI_DIR WORDNET_DIR ROWS
    SHARE:B_CLUSTERS:SEED[:KERNEL[:MATCHER]] ..."""
import sys

import numpy as np
from corpus_shift import draw_b, shift_data, unit
from partial_anchors import qap_into_b
from partial_qap import partial_match

from vec2vec_fast._numerics import preprocess
from vec2vec_fast.kmeans import kmeans
from vec2vec_fast.lap import linear_sum_assignment
from vec2vec_fast.mini import MiniParams, _kernel

ANCHOR_RUNS = 30


def main():
    rows = int(sys.argv[3])
    data = shift_data(sys.argv[1], sys.argv[2], rows)
    a_train, truth = data.a_train, data.ceiling
    p = MiniParams()
    for job in sys.argv[4:]:
        fields = job.split(":")
        share, b_clusters, seed = float(fields[0]), int(fields[1]), int(fields[2])
        kernel = fields[3] if len(fields) > 3 else p.kernel
        matcher = fields[4] if len(fields) > 4 else "qap"
        n_wn = int(round(share * rows))
        b_train = draw_b(data, share, 0)
        is_wn = np.arange(rows) >= rows - n_wn
        a, b = preprocess(a_train, a_train.mean(0)), preprocess(b_train, b_train.mean(0))
        rng = np.random.default_rng(seed)
        right = to_wn = partner_wn = truth_higher_product = truth_lower_distance = 0
        for _ in range(ANCHOR_RUNS):
            pick_a = rng.choice(rows, min(p.anchor_subsample, rows), replace=False)
            pick_b = rng.choice(rows, min(p.anchor_subsample, rows), replace=False)
            ca = kmeans(a[pick_a], p.anchor_clusters, seed=rng, n_threads=2).centroids
            fit_b = kmeans(b[pick_b], b_clusters, seed=rng, n_threads=2)
            cb = fit_b.centroids
            labels = fit_b.labels
            wn_cluster = np.array([is_wn[pick_b][labels == j].mean() > 0.5 if np.any(labels == j) else False
                                   for j in range(b_clusters)])
            ka, kb = _kernel(ca, kernel), _kernel(cb, kernel)
            if matcher == "distance":
                perm = partial_match(ka, kb, p.qap_restarts, rng)
            else:
                perm = qap_into_b(ka, kb, method=p.qap_method, n_restarts=p.qap_restarts, seed=rng, n_threads=2).perm
            # True partners: the one-to-one matching of A's centroids mapped by W* to B's with the highest total cosine.
            partner = linear_sum_assignment(unit(ca @ truth) @ unit(cb).T, maximize=True)[1]
            # Is the QAP's objective (the product) what prefers the wrong match, or the solver? And the distance form?
            truth_higher_product += product(ka, kb, partner) > product(ka, kb, perm)
            truth_lower_distance += distance(ka, kb, partner) < distance(ka, kb, perm)
            right += int(np.sum(perm == partner))
            to_wn += int(np.sum(wn_cluster[perm]))
            partner_wn += int(np.sum(wn_cluster[partner]))
        n = ANCHOR_RUNS * p.anchor_clusters
        print(f"share {share} B clusters {b_clusters} seed {seed} kernel {kernel} {matcher}: matched to the true "
              f"partner {right / n:.3f}, "
              f"to a WordNet cluster {to_wn / n:.3f}; true partner a WordNet cluster {partner_wn / n:.3f}; runs where "
              f"the true partners score a higher product {truth_higher_product}, a lower distance "
              f"{truth_lower_distance} of {ANCHOR_RUNS}", flush=True)


def product(ka, kb, perm):
    """The QAP's objective, sum_ij ka[i, j] kb[perm i, perm j]."""
    return float(np.sum(ka * kb[np.ix_(perm, perm)]))


def distance(ka, kb, perm):
    """sum_ij (ka[i, j] - kb[perm i, perm j])^2: the product's objective less the matched part of B's own norm."""
    return float(np.sum((ka - kb[np.ix_(perm, perm)]) ** 2))


if __name__ == "__main__":
    main()
