"""The translator and discriminators: state-dict keys and shapes of the original release, forward semantics, init."""

import pytest

torch = pytest.importorskip("torch")

from vec2vec_fast.configs import load_config
from vec2vec_fast.gan import Discriminator, MLPWithResidual, Translator, build_translator

TINY = dict(depth=3, transform_depth=3, d_adapter=32, d_hidden=24, d_transform=40, disc_depth=3, disc_dim=16)

# Tiny models: torch's thread pool only adds contention on a busy machine (restored afterwards).
pytestmark = pytest.mark.usefixtures("one_torch_thread")



def _spec_translator_table(dims):
    """Spec section 1.7, written out: key -> shape for unsupervised.toml (Linear weight = [out, in])."""
    table = {}

    def linear(prefix, out_dim, in_dim):
        table[f"{prefix}.weight"], table[f"{prefix}.bias"] = (out_dim, in_dim), (out_dim,)

    def batchnorm(prefix, width):
        for name in ("weight", "bias", "running_mean", "running_var"):
            table[f"{prefix}.{name}"] = (width,)
        table[f"{prefix}.num_batches_tracked"] = ()

    for f, d in dims.items():
        linear(f"in_adapters.{f}.layers.0.0", 1024, d)
        linear(f"in_adapters.{f}.layers.1.0", 1024, 1024)
        batchnorm(f"in_adapters.{f}.layers.1.2", 1024)
        linear(f"in_adapters.{f}.layers.2.0", 1024, 1024)
        linear(f"in_adapters.{f}.layers.2.3", 1024, 1024)
        linear(f"out_adapters.{f}.layers.0.0", 1024, 1024)
        linear(f"out_adapters.{f}.layers.1.0", 1024, 1024)
        batchnorm(f"out_adapters.{f}.layers.1.2", 1024)
        linear(f"out_adapters.{f}.layers.2.0", 1024, 1024)
        linear(f"out_adapters.{f}.layers.2.3", d, 1024)
    linear("transform.layers.0.0", 1024, 1024)
    linear("transform.layers.1.0", 1024, 1024)
    batchnorm("transform.layers.1.2", 1024)
    linear("transform.layers.2.0", 1024, 1024)
    batchnorm("transform.layers.2.2", 1024)
    linear("transform.layers.3.0", 1024, 1024)
    linear("transform.layers.3.3", 1024, 1024)
    return table


@pytest.mark.parametrize("dims", [{"gte": 768, "gtr": 768}, {"a": 384, "b": 768}])
def test_state_dict_matches_the_original_release(dims):
    translator = build_translator(dims)
    ours = {k: tuple(v.shape) for k, v in translator.state_dict().items()}
    assert ours == _spec_translator_table(dims)
    if dims == {"gte": 768, "gtr": 768}:  # spec 1.3's parameter counts
        assert sum(p.numel() for p in translator.parameters()) == 21_004_800
        assert sum(p.numel() for p in translator.in_adapters["gte"].parameters()) == 3_938_304
        assert sum(p.numel() for p in translator.transform.parameters()) == 5_252_096
    # A state dict with the original's names loads strictly into a fresh translator.
    Translator(dims, load_config("unsupervised")).load_state_dict(translator.state_dict(), strict=True)


def test_discriminator_keys_and_sizes_match_the_spec():
    disc = Discriminator(768)
    keys = {k: tuple(v.shape) for k, v in disc.state_dict().items()}
    linears = {"layers.0.0": (1024, 768), "layers.0.3": (1024, 1024), "layers.0.7": (1024, 1024),
               "layers.0.11": (1024, 1024), "layers.0.15": (1, 1024)}
    expected = {f"{k}.weight": s for k, s in linears.items()} | {f"{k}.bias": (s[0],) for k, s in linears.items()}
    expected |= {f"layers.0.{i}.{p}": (1024,) for i in (4, 8, 12) for p in ("weight", "bias")}
    assert keys == expected
    assert sum(p.numel() for p in disc.parameters()) == 3_943_425
    assert sum(p.numel() for p in Discriminator(1024).parameters()) == 4_205_569
    assert Discriminator(16, depth=1)(torch.ones(3, 16)).shape == (3, 1)


@pytest.mark.parametrize("d_a, d_b", [(16, 16), (16, 24), (24, 16)])
def test_shapes_and_output_normalisation(d_a, d_b):
    translator = build_translator({"a": d_a, "b": d_b}, None, **TINY).eval()
    g = torch.Generator().manual_seed(0)
    x_a, x_b = torch.randn(7, d_a, generator=g), torch.randn(5, d_b, generator=g)
    recons, trans, reps = translator({"a": x_a, "b": x_b}, include_reps=True)
    assert recons["a"].shape == (7, d_a) and recons["b"].shape == (5, d_b)
    assert trans["b"]["a"].shape == (7, d_b) and trans["a"]["b"].shape == (5, d_a)  # [target][source]
    assert reps["a"].shape == (7, 32) and reps["b"].shape == (5, 32)
    for out in (recons["a"], recons["b"], trans["b"]["a"], trans["a"]["b"]):
        torch.testing.assert_close(out.norm(dim=1), torch.ones(len(out)))
    assert not torch.allclose(reps["a"].norm(dim=1), torch.ones(7))  # latents are raw
    torch.testing.assert_close(translator.translate(x_a, "a", "b"), trans["b"]["a"])
    with pytest.raises(ValueError, match=rf"space 'a' takes \(n, {d_a}\) inputs, got shape \(5, {d_a + 1}\)"):
        translator.translate(torch.randn(5, d_a + 1), "a", "b")
    with pytest.raises(KeyError, match="unknown space 'c'"):
        translator.translate(x_a, "a", "c")


def test_any_number_of_spaces_share_one_backbone():
    translator = build_translator({"x": 8, "y": 12, "z": 20}, None, **TINY).eval()
    inputs = {name: torch.randn(4, d) for name, d in translator.dims.items()}
    _, trans, _ = translator(inputs)
    assert {(t, s) for t in trans for s in trans[t]} == {(t, s) for t in "xyz" for s in "xyz" if s != t}
    n_backbone = sum(p.numel() for p in translator.transform.parameters())
    before = sum(p.numel() for p in translator.parameters())
    translator.add_space("w", 6)
    added = sum(p.numel() for p in translator.parameters()) - before
    assert added == sum(p.numel() for p in translator.in_adapters["w"].parameters()) + sum(
        p.numel() for p in translator.out_adapters["w"].parameters()) and n_backbone > 0
    with pytest.raises(ValueError, match="space 'w' exists"):
        translator.add_space("w", 6)
    with pytest.raises(ValueError, match="without '.'"):
        translator.add_space("a.b", 6)


def test_residual_pads_and_truncates():
    """A block whose output is zero passes the input through zero-padded (widening) or truncated (narrowing)."""
    for in_dim, out_dim in ((4, 6), (6, 4)):
        mlp = MLPWithResidual(2, in_dim, 5, out_dim)
        for p in mlp.parameters():
            torch.nn.init.zeros_(p)
        x = torch.randn(3, in_dim)
        # block 0 widens/narrows to hidden 5 first, then the last block maps 5 -> out_dim.
        hidden = torch.nn.functional.pad(x, (0, 5 - in_dim)) if in_dim < 5 else x[:, :5]
        expected = torch.nn.functional.pad(hidden, (0, out_dim - 5)) if out_dim > 5 else hidden[:, :out_dim]
        torch.testing.assert_close(mlp(x), expected)
    one = MLPWithResidual(1, 3, 99, 5)
    assert [tuple(m.weight.shape) for m in one.modules() if isinstance(m, torch.nn.Linear)] == [(5, 3)]


def test_init_follows_the_original_and_the_seed():
    translator = build_translator({"a": 64, "b": 64}, None, depth=3, transform_depth=3, d_adapter=256,
                                  d_hidden=256, d_transform=256)
    first = translator.in_adapters["a"].layers[0][0]
    assert torch.count_nonzero(first.bias) == 0
    assert abs(first.weight.std().item() - (2 / 64) ** 0.5) < 0.02  # kaiming normal, fan_in, ReLU gain
    bn = translator.transform.layers[1][2]
    assert isinstance(bn, torch.nn.BatchNorm1d)
    assert abs(bn.weight.mean().item() - 1) < 0.01 and abs(bn.weight.std().item() - 0.02) < 0.005
    same = build_translator({"a": 64, "b": 64}, None, depth=3, transform_depth=3, d_adapter=256, d_hidden=256,
                            d_transform=256)
    other = build_translator({"a": 64, "b": 64}, None, seed=6, depth=3, transform_depth=3, d_adapter=256,
                             d_hidden=256, d_transform=256)
    for k, v in translator.state_dict().items():
        assert torch.equal(v, same.state_dict()[k])
    assert not torch.equal(first.weight, other.in_adapters["a"].layers[0][0].weight)
    layer = build_translator({"a": 8, "b": 8}, None, norm_style="layer", **{k: v for k, v in TINY.items()
                                                                             if k != "norm_style"})
    assert any(isinstance(m, torch.nn.LayerNorm) for m in layer.modules())
    assert not any(isinstance(m, torch.nn.BatchNorm1d) for m in layer.modules())
