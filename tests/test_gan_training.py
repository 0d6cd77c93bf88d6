"""GAN training: what one step updates, determinism, a falling loss, early stopping, the best epoch kept, NaN abort,
time budget, data splits, the init='mini' warm start, and the CUDA path."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from vec2vec_fast.configs import load_config
from vec2vec_fast.gan import GanDivergedError, GanTrainer, fit as fit_module, train_gan
from vec2vec_fast.gan.data import prepare_data

TINY = dict(depth=3, transform_depth=3, d_adapter=32, d_hidden=32, d_transform=32, disc_depth=3, disc_dim=32,
            bs=32, warmup_length=0, val_size=64, val_bs=64, log_every=0, epochs=1.0, lr=1e-3, disc_lr=1e-3)

# Tiny models: torch's thread pool only adds contention on a busy machine (restored afterwards).
pytestmark = pytest.mark.usefixtures("one_torch_thread")



def _toy(rng, n=256, d_a=16, d_b=24):
    """Unpaired rows of two spaces related by a fixed map (clustered, so there is structure to learn)."""
    centres = rng.standard_normal((8, d_a))
    Q = np.linalg.qr(rng.standard_normal((d_b, d_b)))[0][:d_a]

    def draw(m):
        return (centres[rng.integers(0, 8, m)] + 0.3 * rng.standard_normal((m, d_a))).astype(np.float32)

    return draw(n), (draw(n) @ Q).astype(np.float32)


def _trainer(cfg, d_a=16, d_b=24, seed=0):
    return GanTrainer({"a": d_a, "b": d_b}, cfg, torch.device("cpu"), torch.Generator().manual_seed(seed), 100)


def _batch(rng, n, d):
    return torch.nn.functional.normalize(torch.from_numpy(rng.standard_normal((n, d)).astype(np.float32)), dim=-1)


def _snapshot(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def test_one_step_changes_every_parameter_of_every_group(rng):
    cfg = load_config(None, TINY)
    trainer = _trainer(cfg)
    modules = {"translator": trainer.translator, **trainer.discriminators}
    before = {name: dict(m.named_parameters()) for name, m in modules.items()}
    before = {name: {k: p.detach().clone() for k, p in params.items()} for name, params in before.items()}
    losses = trainer.train_step(_batch(rng, 32, 16), _batch(rng, 32, 24))
    assert set(losses) >= {"rec", "vsp", "cc_trans", "cc_vsp", "gen", "sup_gen", "latent_gen", "total"}
    for name, module in modules.items():
        unchanged = [k for k, p in module.named_parameters() if torch.equal(p, before[name][k])]
        assert unchanged == [], f"{name}: {unchanged} did not move"
    groups = {k.split(".layers")[0] for k, _ in trainer.translator.named_parameters()}
    assert groups == {"transform", "in_adapters.a", "in_adapters.b", "out_adapters.a", "out_adapters.b"}


def test_the_discriminator_step_leaves_the_generator_untouched(rng):
    cfg = load_config(None, TINY)
    trainer = _trainer(cfg)
    x_a, x_b = _batch(rng, 32, 16), _batch(rng, 32, 24)
    trainer.translator.train()
    _, trans, _ = trainer.translator({"a": x_a, "b": x_b})
    state = _snapshot(trainer.translator)
    adversary = trainer.adversaries["sup_disc"]
    disc_before = _snapshot(adversary.disc)
    adversary.discriminator_step(real=x_b, fake=trans["b"]["a"])
    assert all(torch.equal(v, state[k]) for k, v in trainer.translator.state_dict().items())
    assert all(p.grad is None for p in trainer.translator.parameters())
    assert not all(torch.equal(v, disc_before[k]) for k, v in adversary.disc.state_dict().items())
    # ... and the generator's term reaches the translator only: the frozen discriminator gets no gradient.
    adversary.optimizer.zero_grad(set_to_none=True)
    adversary.generator_term(trans["b"]["a"], x_b).backward()
    assert all(p.grad is None for p in adversary.disc.parameters())
    assert all(p.grad is not None for p in trainer.translator.out_adapters["b"].parameters())


def test_loss_falls_on_a_toy_problem(rng):
    a, b = _toy(rng, n=512)
    cfg = load_config(None, {**TINY, "epochs": 8.0})
    trainer = _trainer(cfg)
    data = prepare_data(a, b, cfg, torch.device("cpu"))
    from vec2vec_fast.gan.data import batches

    gen = torch.Generator().manual_seed(0)
    totals = []
    for _ in range(8):
        for x_a, x_b in batches(data, gen):
            totals.append(trainer.train_step(x_a, x_b))
    first = np.mean([t["rec"] + 10 * t["cc_trans"] for t in totals[:10]])
    last = np.mean([t["rec"] + 10 * t["cc_trans"] for t in totals[-10:]])
    assert last < 0.5 * first, (first, last)
    assert np.mean([t["total"] for t in totals[-10:]]) < np.mean([t["total"] for t in totals[:10]])


def test_same_seed_same_weights_other_seed_other_weights(rng):
    a, b = _toy(rng)
    runs = [train_gan(a, b, None, {**TINY, "epochs": 2.0, "seed": s, "noise_level": 0.01}) for s in (3, 3, 4)]
    first, again, other = (r.translator.state_dict() for r in runs)
    assert all(torch.equal(first[k], again[k]) for k in first)
    assert not all(torch.equal(first[k], other[k]) for k in first)
    assert [h["score"] for h in runs[0].history] == [h["score"] for h in runs[1].history]
    assert runs[0].config.seed == 3


def test_training_leaves_the_global_torch_generator_alone(rng):
    a, b = _toy(rng)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    train_gan(a, b, None, TINY)
    torch.testing.assert_close(torch.rand(3), expected)


def test_early_stopping_and_the_best_epoch_is_kept(rng, monkeypatch):
    a, b = _toy(rng)
    scores = iter([5.0, 3.0, 4.0, 6.0, 7.0, 8.0, 9.0])
    real_evaluate = fit_module.evaluate

    def scripted(*args, **kwargs):
        out = real_evaluate(*args, **kwargs)
        out["score"] = next(scores)
        return out

    monkeypatch.setattr(fit_module, "evaluate", scripted)
    states = []
    result = train_gan(a, b, None, {**TINY, "epochs": 6.0, "patience": 2, "min_epochs": 0},
                       callback=lambda record, translator: states.append(
                           {k: v.clone() for k, v in translator.state_dict().items()}))
    assert [h["epoch"] for h in result.history] == [0, 1, 2, 3]  # stopped two epochs after the best
    assert result.report["seeds"][0]["stopped"] == "early stopping"
    assert result.best["epoch"] == 1 and result.best["score"] == 3.0
    kept = result.translator.state_dict()
    assert all(torch.equal(kept[k], states[1][k]) for k in kept)
    assert not all(torch.equal(kept[k], states[3][k]) for k in kept)


def test_nan_aborts_with_a_clear_message_and_keeps_the_best_checkpoint(rng, tmp_path):
    a, b = _toy(rng)

    def poison(record, translator):
        with torch.no_grad():
            translator.transform.layers[0][0].weight.fill_(float("nan"))

    message = r"seed 5: training aborted, non-finite loss at iteration 0: .*'total': nan"
    with pytest.raises(GanDivergedError, match=message):
        train_gan(a, b, None, {**TINY, "seed": 5}, callback=poison, out_dir=tmp_path / "run")
    from vec2vec_fast.gan import load_checkpoint

    translator, _, summary = load_checkpoint(tmp_path / "run")  # epoch 0, saved before the NaN
    assert summary["best"]["epoch"] == 0
    assert all(torch.isfinite(p).all() for p in translator.parameters())


def test_time_budget_and_several_seeds(rng):
    a, b = _toy(rng)
    result = train_gan(a, b, None, {**TINY, "epochs": 50.0, "max_seconds": 1e-9, "n_seeds": 2, "seed": 10})
    seeds = result.report["seeds"]
    assert [s["seed"] for s in seeds] == [10, 11] and all(s["stopped"] == "time limit" for s in seeds)
    assert [(h["seed"], h["epoch"]) for h in result.history] == [(10, 0), (11, 0)]  # validated, then out of time
    best = min(result.history, key=lambda h: h["score"])
    assert (result.best["seed"], result.best["epoch"]) == (best["seed"], best["epoch"])
    assert result.config.seed == best["seed"]


def test_paired_split_is_disjoint_and_validation_is_held_out(rng):
    n = 300
    a = np.zeros((n, 4), np.float32)
    a[:, 0] = np.arange(n)  # row ids survive the split (no normalisation below)
    b = np.repeat(a, 2, axis=1)
    cfg = load_config(None, {**TINY, "val_size": 50, "normalize_embeddings": False})
    data = prepare_data(a, b, cfg, torch.device("cpu"), paired=True)
    ids = {name: set(t[:, 0].long().tolist()) for name, t in (("a", data.a), ("b", data.b), ("val", data.val_a))}
    assert len(ids["val"]) == 50 and len(ids["a"]) == len(ids["b"]) == 125
    assert not ids["a"] & ids["b"] and not ids["val"] & (ids["a"] | ids["b"])
    assert torch.equal(data.val_a[:, 0], data.val_b[:, 0])  # validation rows stay paired
    again = prepare_data(a, b, cfg, torch.device("cpu"), paired=True)
    assert torch.equal(again.a, data.a)
    other = prepare_data(a, b, cfg.replace(train_dataset_seed=11), torch.device("cpu"), paired=True)
    assert set(other.val_a[:, 0].long().tolist()) == ids["val"] and not torch.equal(other.a, data.a)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(paired=True, b_rows=200), ValueError, "paired=True needs as many rows in A as in B: 256 vs 200"),
    (dict(bs=512), ValueError, "bs=512 is larger than the 256 training rows of space 'a'"),
    (dict(val_a=np.ones((5, 16), np.float32)), ValueError, "paired validation needs both val_a and val_b"),
    (dict(nan=True), ValueError, "X_a contains a non-finite value nan at row 3, column 2"),
])
def test_bad_training_input(rng, kwargs, error, match):
    a, b = _toy(rng)
    if kwargs.pop("nan", False):
        a[3, 2] = np.nan
    b = b[:kwargs.pop("b_rows", len(b))]
    overrides = {**TINY, **({"bs": kwargs.pop("bs")} if "bs" in kwargs else {})}
    with pytest.raises(error, match=match):
        train_gan(a, b, None, overrides, **kwargs)


def test_paired_validation_reports_retrieval_metrics(rng):
    a, b = _toy(rng)
    result = train_gan(a[:200], b[:200], None, TINY, val_a=a[200:], val_b=b[200:])
    val = result.history[-1]["val"]
    for key in ("top1[a->b]", "mean_rank[b->a]", "mean_cos[a->b]", "matching[a->b]", "vsp[b->a]", "label_free"):
        assert key in val
    assert val["score"] == val["mean_rank"] == pytest.approx((val["mean_rank[a->b]"] + val["mean_rank[b->a]"]) / 2)


def test_mini_warm_start_helps_on_a_planted_map():
    """A planted orthogonal map (conftest.planted_pair): after the same few steps, the warm-started translator
    translates held-out rows close to the truth; the cold one is no better than chance."""
    from conftest import planted_pair

    x_a, x_b, Q, draw = planted_pair(np.random.default_rng(7), 12, 20)
    held_out = draw(300)
    truth = torch.nn.functional.normalize(torch.from_numpy(held_out @ Q), dim=-1).numpy()
    cheap = dict(mini_anchor_runs=3, mini_anchor_subsample=1500, mini_qap_restarts=10, mini_refine1_iterations=10,
                 mini_refine1_sample=300, mini_refine2_clusters=30)
    base = {**TINY, "bs": 64, "epochs": 0.05, "init_steps": 300, "seed": 0, **cheap}
    cos = {}
    for init in ("random", "mini"):
        result = train_gan(x_a, x_b, None, {**base, "init": init})
        cos[init] = float(np.mean(np.sum(result.translate(held_out) * truth, axis=1)))
    assert cos["mini"] > 0.9 and cos["random"] < 0.5, cos
    warm = result.report["seeds"][0]["init"]
    assert result.report["mini"]["seconds"] > 0 and warm["steps"] == 300
    assert warm["loss_last"] < 0.2 * warm["loss_first"]


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_with_mixed_precision(rng):
    a, b = _toy(rng)
    result = train_gan(a, b, None, {**TINY, "epochs": 2.0, "mixed_precision": "fp16"}, device="cuda")
    assert result.report["device"].startswith("cuda") and "float16" in result.report["autocast"]
    assert all(torch.isfinite(p).all() and p.device.type == "cpu" for p in result.translator.parameters())
    y = result.translate(a[:10])
    np.testing.assert_allclose(np.linalg.norm(y, axis=1), 1, atol=1e-5)
