"""Fixed-point diagnostic for cell-mean steps: from init map (default ceiling), one cell step with several k, using
all training rows; also iterated 3 steps for k=300. Usage: python onestep_cells.py pair init out.json"""
import sys
import time

from cells import cell_step
from refine import get_init

from common import *

pair, init, outname = sys.argv[1:4]
res = load_json(outname, {})
D = load(pair)
X, Z = D["s_tr"], D["t_tr"]
W0 = get_init(pair, init)
out = {"init": evaluate(W0, pair)}
print(out, flush=True)
for k in [100, 300, 1000]:
    for union in [True]:
        t = time.time()
        W, info = cell_step(X, Z, W0, k, union=union)
        out[f"cell_k{k}_u{int(union)}"] = dict(**evaluate(W, pair), **info, seconds=time.time() - t)
        print(k, union, out[f"cell_k{k}_u{int(union)}"], flush=True)
        res[f"{pair}|{init}"] = out; save_json(outname, res)
