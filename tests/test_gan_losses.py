"""Loss terms against hand computations, and the paper's variants (config keys) as real alternatives."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from vec2vec_fast.configs import load_config
from vec2vec_fast.gan import GanTrainer
from vec2vec_fast.gan.adversary import lr_lambda
from vec2vec_fast.gan.losses import cosine_loss, discriminator_loss, generator_loss, gradient_penalty, vsp_loss

F = torch.nn.functional


# Tiny models: torch's thread pool only adds contention on a busy machine (restored afterwards).
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_least_squares_uses_the_original_inverted_labels():
    real, fake = torch.zeros(4, 1), torch.ones(4, 1)
    assert discriminator_loss("least_squares", real, fake, 0.9) == 0  # perfect D: real -> 0, fake -> 1
    assert discriminator_loss("least_squares", fake, real, 0.9) == 1.0  # ½ (1 + 1)
    assert generator_loss("least_squares", torch.zeros(4, 1)) == 0  # G wants D(fake) = 0, the 'real' value
    torch.testing.assert_close(generator_loss("least_squares", torch.full((3, 1), 2.0)), torch.tensor(2.0))


def test_vanilla_smooths_labels_and_relativistic_compares():
    d_real, d_fake = torch.tensor([[0.3], [-1.0]]), torch.tensor([[2.0], [0.5]])
    bce = F.binary_cross_entropy_with_logits
    expected = 0.5 * (bce(d_real, torch.full_like(d_real, 0.1)) + bce(d_fake, torch.full_like(d_fake, 0.9)))
    torch.testing.assert_close(discriminator_loss("vanilla", d_real, d_fake, 0.9), expected)
    torch.testing.assert_close(generator_loss("vanilla", d_fake), bce(d_fake, torch.zeros_like(d_fake)))
    torch.testing.assert_close(discriminator_loss("relativistic", d_real, d_fake, 0.9),
                               bce(d_fake - d_real, torch.ones_like(d_fake)))
    torch.testing.assert_close(generator_loss("relativistic", d_fake, d_real), bce(d_real - d_fake,
                                                                                   torch.ones_like(d_fake)))
    with pytest.raises(ValueError, match="needs D\\(real\\)"):
        generator_loss("relativistic", d_fake)


def test_vsp_and_cosine_by_hand():
    g = torch.Generator().manual_seed(0)
    s, a = torch.randn(5, 4, generator=g), torch.randn(5, 4, generator=g)
    ns, na = F.normalize(s, dim=-1), F.normalize(a, dim=-1)
    pairwise = (ns @ ns.T - na @ na.T).abs().mean()
    reflected = (ns @ ns.T - na @ ns.T).abs().mean()
    torch.testing.assert_close(vsp_loss(s, a), pairwise + reflected)
    torch.testing.assert_close(vsp_loss(s, a, reflected=False), pairwise)
    torch.testing.assert_close(vsp_loss(s, a, reflected=False, squared=True), (ns @ ns.T - na @ na.T).pow(2).mean())
    assert vsp_loss(s, 3 * s) < 1e-6  # scale-free
    torch.testing.assert_close(cosine_loss(s, a), 1 - F.cosine_similarity(s, a).mean())
    inputs, outputs = a.clone().requires_grad_(True), s.clone().requires_grad_(True)
    vsp_loss(inputs, outputs).backward()  # the inputs side is detached: gradient reaches the outputs only
    assert inputs.grad is None and torch.count_nonzero(outputs.grad) > 0


def test_gradient_penalty_of_a_linear_discriminator():
    disc = torch.nn.Linear(3, 1)
    with torch.no_grad():
        disc.weight.copy_(torch.tensor([[1.0, 2.0, 2.0]]))
    # d(sum D)/dx = w for every row: R1 + R2 = 2 * rows * |w|^2.
    torch.testing.assert_close(gradient_penalty(disc, torch.ones(4, 3), torch.zeros(4, 3)), torch.tensor(72.0))


def test_warmup_schedule_matches_the_original():
    cfg = load_config(None, {"warmup_length": 4})
    f = lr_lambda(cfg, 10)
    assert [f(s) for s in range(6)] == [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    decay = lr_lambda(cfg.replace(no_scheduler=False), 10)
    assert [decay(s) for s in (4, 7, 10)] == [1.0, 0.5, 0.0]


TINY = dict(depth=3, transform_depth=2, d_adapter=16, d_hidden=16, d_transform=16, disc_depth=3, disc_dim=16,
            bs=16, warmup_length=0, lr=1e-3, disc_lr=1e-3)


@pytest.mark.parametrize("variant", [
    {"detach_cycle": False}, {"vsp_reflected": False}, {"vsp_squared": True}, {"loss_coefficient_vsp_trans": 1.0},
    {"loss_coefficient_reverse_rec": 1.0}, {"loss_coefficient_cc_rec": 1.0}, {"loss_coefficient_r1_penalty": 1.0},
    {"gan_style": "vanilla"}, {"gan_style": "relativistic"}, {"norm_style": "layer"}, {"noise_level": 0.1},
    {"gradient_accumulation_steps": 2}, {"weight_init": "orthogonal"}, {"weight_init": "xavier"},
])
def test_each_variant_trains_and_changes_the_result(variant):
    rng = np.random.default_rng(0)
    x_a = F.normalize(torch.from_numpy(rng.standard_normal((16, 6)).astype(np.float32)), dim=-1)
    x_b = F.normalize(torch.from_numpy(rng.standard_normal((16, 10)).astype(np.float32)), dim=-1)

    def two_steps(overrides):
        cfg = load_config(None, {**TINY, **overrides})
        trainer = GanTrainer({"a": 6, "b": 10}, cfg, torch.device("cpu"), torch.Generator().manual_seed(0), 10)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            losses = [trainer.train_step(x_a, x_b) for _ in range(2)]
        return trainer.translator.state_dict(), losses

    base, _ = two_steps({})
    changed, losses = two_steps(variant)
    assert all(np.isfinite(v) for step in losses for v in step.values())
    assert not all(torch.equal(base[k], changed[k]) for k in base)
