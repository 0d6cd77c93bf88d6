"""Collect every JSON/log result in this folder into report tables (prints markdown)."""
import glob
import json
import re

from common import PAIRS, load_json

ceil, mini, ot = load_json("ceiling.json", {}), load_json("mini.json", {}), load_json("r_ot.json", {})
rows = {}


def put(method, pair, top1, mr, sec):
    rows.setdefault(method, {})[pair] = f"{top1:.3f} / {mr:.2f} / {sec:.0f}s"


for p, v in ceil.items():
    put("supervised ceiling (Procrustes, true pairs)", p, v["top1"], v["mean_rank"], v["seconds"])
for k, v in mini.items():
    p, s = k.rsplit("_", 1)
    put(f"Aligner('mini') {s}", p, v["top1"], v["mean_rank"], v["seconds"])
for f in glob.glob("r_csls_*.log"):
    for line in open(f):
        m = re.match(r"RESULT (\S+)\|(\S+)\|(\S+) \{'top1': ([\d.]+), 'mean_rank': ([\d.]+)\} ([\d.]+)", line)
        if m:
            put(f"{m.group(2)} + CSLS union-dict orth. Procrustes, 8k rows (<=6 rounds)", m.group(1),
                float(m.group(4)), float(m.group(5)), float(m.group(6)))
for k, v in ot.items():
    p, init, eps, n, s = k.split("|")
    init = init.split("/")[-1]
    put(f"{init} + OT-Procrustes {eps} {n} rows-seed {s}", p, v["final"]["top1"], v["final"]["mean_rank"], v["seconds"])
for name in ("gw.json", "gw2.json"):
    for k, v in load_json(name, {}).items():
        p = k.split("|")[0]
        put(f"GW init {name} {'|'.join(k.split('|')[1:])}", p, v["top1"], v["mean_rank"], v["seconds"])
print("| method | " + " | ".join(PAIRS) + " |\n|---|" + "---|" * len(PAIRS))
for m, d in rows.items():
    print(f"| {m} | " + " | ".join(d.get(p, "-") for p in PAIRS) + " |")

print("\nConfidence (label-free): csls_sg = CSLS(W; real target) - CSLS(W; Gaussian surrogate of target)")
conf = load_json("conf.json", {})
print("| map | top1 | csls | csls_null | csls_sg | top1cos_sg | mnn |\n|---|---|---|---|---|---|---|")
for k, v in sorted(conf.items(), key=lambda kv: -kv[1]["top1"]):
    print(f"| {k} | {v['top1']:.3f} | {v['csls']:.3f} | {v['csls_null']:.3f} | {v['csls'] - v['noise']['csls']:.3f} | "
          f"{v['top1cos'] - v['noise']['top1cos']:.3f} | {v['mnn']:.3f} |")
for p, v in load_json("conf_noise.json", {}).items():
    if "v2" in v:
        print(f"| NOISE CONTROL {p}: OT-refined on Gaussian target | chance | {v['v2']['on_fit_noise']['csls']:.3f} | "
              f"{v['v2']['on_fit_noise']['csls_null']:.3f} | {v['v2']['csls_structure_gain']:.3f} | "
              f"{v['v2']['top1cos_structure_gain']:.3f} | {v['v2']['on_fit_noise']['mnn']:.3f} |")
print("\nOne-step from ceiling (use_AB, 8k rows):", json.dumps(load_json("onestep.json", {}), indent=0)[:1500])
