"""Where an anchor k-means spends its time: the library's k-means on one side's rows (the anchor stage's setting:
20 clusters, k-means++), 1 Lloyd iteration against 20, k-means++ seeding against random seeding, interleaved, median
of REPS. Usage (repository root): python benchmarks/studies/robust/kmeans_profile.py DATA_DIR/A.npy ROWS THREADS
[REPS] (logs/kmeans_profile.log; study README, nineteenth round). The rows are centred and made unit, as mini's
preprocessing does."""
import sys
import time

import numpy as np

from vec2vec_fast.kmeans import kmeans

path, rows, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
reps = int(sys.argv[4]) if len(sys.argv) > 4 else 30
x = np.load(path, mmap_mode="r")[:rows].astype(np.float32)
x -= x.mean(axis=0)
x = np.ascontiguousarray(x / np.linalg.norm(x, axis=1, keepdims=True))
cases = {"k-means++, 1 iteration": dict(max_iter=1), "random, 1 iteration": dict(init="random", max_iter=1),
         "k-means++, 20 iterations": dict(max_iter=20), "random, 20 iterations": dict(init="random", max_iter=20)}
times = {name: [] for name in cases}
iterations = {name: [] for name in cases}
for rep in range(reps):
    for name, kw in cases.items():
        t = time.perf_counter()
        result = kmeans(x, 20, seed=rep, n_threads=threads, **kw)
        times[name].append(time.perf_counter() - t)
        iterations[name].append(result.n_iter)
print(f"{path}: {x.shape[0]} x {x.shape[1]}, {threads} thread(s), median of {reps}")
for name, ts in times.items():
    print(f"  {name}: {np.median(ts) * 1e3:.1f} ms ({np.mean(iterations[name]):.1f} updates on average)")
med = {name: np.median(ts) for name, ts in times.items()}
seeding = med["k-means++, 1 iteration"] - med["random, 1 iteration"]
updates = np.mean(iterations["k-means++, 20 iterations"])
lloyd = (med["k-means++, 20 iterations"] - med["k-means++, 1 iteration"]) / max(updates - 1, 1)
print(f"  k-means++ seeding: {seeding * 1e3:.1f} ms, {seeding / med['k-means++, 20 iterations']:.0%} of a 20-iteration "
      f"k-means; a Lloyd iteration: {lloyd * 1e3:.2f} ms")
