"""GAN configs: the packaged TOML files, overrides, and every way a key can be wrong (no torch needed)."""

import pytest

from vec2vec_fast.configs import INERT, NAMES, SCHEMA, GanConfig, load_config, parse_value


def test_defaults_equal_unsupervised_toml_and_the_spec():
    cfg = load_config("unsupervised")
    assert cfg == GanConfig({}) and cfg.ignored == {}
    # Spec sections 1.3, 2, 3 and 4.2: the values that define the original's training.
    expected = dict(depth=3, transform_depth=4, d_adapter=1024, d_hidden=1024, d_transform=1024, norm_style="batch",
                    disc_depth=5, disc_dim=1024, gan_style="least_squares", bs=256, lr=2e-5, disc_lr=1e-5,
                    eps=6.25e-10, warmup_length=2000, max_grad_norm=1000.0, loss_coefficient_rec=1.0,
                    loss_coefficient_vsp=1.0, loss_coefficient_cc_trans=10.0, loss_coefficient_cc_vsp=10.0,
                    loss_coefficient_gen=1.0, loss_coefficient_latent_gen=1.0, loss_coefficient_r1_penalty=0.0,
                    seed=5, sampling_seed=5, train_dataset_seed=10, val_dataset_seed=42, patience=20,
                    min_epochs=80, val_size=4096, detach_cycle=True, vsp_reflected=True, init="random")
    assert {k: cfg[k] for k in expected} == expected


@pytest.mark.parametrize("name", NAMES)
def test_every_packaged_config_loads(name):
    cfg = load_config(name)
    assert cfg.source == name and set(cfg) == set(SCHEMA)


def test_packaged_variants_differ_where_the_original_files_do():
    new, small, fmri = load_config("unsup_new"), load_config("small"), load_config("fmri_avg")
    assert (new.transform_depth, new.disc_depth, new.lr, new.disc_lr, new.loss_coefficient_latent_gen) == (
        6, 6, 5e-5, 2e-5, 10.0)
    assert (small.depth, small.d_adapter, small.disc_depth, small.loss_coefficient_cc_vsp) == (1, 768, 3, 0.0)
    assert (fmri.d_adapter, fmri.bs, fmri.mixed_precision, fmri.epochs) == (128, 128, "no", 500.0)


def test_overrides_and_round_trips(tmp_path):
    cfg = load_config("unsupervised", {"lr": 1e-4, "bs": 64, "init": "mini", "epochs": 3})
    assert (cfg.lr, cfg.bs, cfg.init, cfg.epochs) == (1e-4, 64, "mini", 3.0)
    assert isinstance(cfg.epochs, float)  # an int is accepted for a float key and widened
    for flat in (False, True):
        path = tmp_path / f"cfg_{flat}.toml"
        path.write_text(cfg.to_toml(flat=flat))
        assert load_config(path) == cfg
    assert cfg.replace(lr=3e-4).lr == 3e-4 and cfg.lr == 1e-4
    with pytest.raises(AttributeError, match="immutable"):
        cfg.lr = 1.0


def test_command_line_strings_are_parsed_by_the_key_type():
    cfg = load_config("unsupervised", {"lr": "1e-4", "bs": "128", "detach_cycle": "False", "no_scheduler": "yes",
                                       "norm_style": "layer"}, strings=True)
    assert (cfg.lr, cfg.bs, cfg.detach_cycle, cfg.no_scheduler, cfg.norm_style) == (1e-4, 128, False, True, "layer")
    assert parse_value("detach_cycle", "0") is False  # the original took any non-empty string as True


@pytest.mark.parametrize("overrides, strings, error, match", [
    ({"lrr": 1e-4}, False, TypeError, "unknown config key 'lrr'"),
    ({"lr": "fast"}, False, TypeError, "'lr' must be a number, got 'fast'"),
    ({"bs": 12.5}, False, TypeError, "'bs' must be an integer, got 12.5"),
    ({"bs": True}, False, TypeError, "'bs' must be an integer"),
    ({"detach_cycle": 1}, False, TypeError, "'detach_cycle' must be True or False"),
    ({"norm_style": 3}, False, TypeError, "'norm_style' must be a string"),
    ({"norm_style": "rms"}, False, ValueError, r"'norm_style' must be one of \('batch', 'layer'\), got 'rms'"),
    ({"lr": 0}, False, ValueError, "'lr' must be > 0"),
    ({"bs": 1}, False, ValueError, "'bs' must be >= 2"),
    ({"loss_coefficient_similarity_gen": 1.0}, False, ValueError,
     r"'loss_coefficient_similarity_gen' must be in \[0, 0\]"),
    ({"lr": float("nan")}, False, ValueError, "'lr' must be finite and > 0, got nan"),
    ({"epochs": float("inf")}, False, ValueError, "'epochs' must be finite"),
    ({"d_hidden": 2**40}, False, ValueError, r"'d_hidden' must be in \[1, 16384\]"),
    ({"sup_emb": "a"}, False, ValueError, "'unsup_emb' and 'sup_emb' must differ"),
    ({"sup_emb": "x.y"}, False, ValueError, "'sup_emb' must be a non-empty name without '.'"),
    ({"bs": "12.5"}, True, ValueError, "'bs' must be an integer, got '12.5'"),
    ({"detach_cycle": "maybe"}, True, ValueError, "'detach_cycle' must be true or false, got 'maybe'"),
])
def test_bad_keys_and_values_name_the_key(overrides, strings, error, match):
    with pytest.raises(error, match=match):
        load_config("unsupervised", overrides, strings=strings)


@pytest.mark.parametrize("text, error, match", [
    ("[train]\nlrr = 1.0\n", TypeError, r"unknown config key 'lrr' in \[train\]"),
    ("[trian]\nlr = 1.0\n", TypeError, r"unknown config section \[trian\]"),
    ("[gan]\nlr = 1.0\n", ValueError, r"key 'lr' belongs in \[train\], found in \[gan\]"),
    ("[train]\nbs = '256'\n", TypeError, "'bs' must be an integer, got '256'"),
    ("[train]\nlr = 1.0\n[train]\n", ValueError, "not valid TOML"),
    ("lr = 1.0\n[train]\nlr = 2.0\n", ValueError, "key 'lr' is set twice"),
])
def test_bad_files_name_the_key(tmp_path, text, error, match):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(error, match=match):
        load_config(path)


def test_the_original_files_inert_keys_load_and_are_reported(tmp_path):
    path = tmp_path / "original.toml"
    path.write_text('[general]\ndataset = "nq"\nmax_seq_length = 64\nunsup_emb = "stella"\nsup_emb = "gte"\n'
                    '[logging]\nuse_wandb = true\nsave_dir = "./x/{}/"\n[translator]\nuse_residual_adapters = true\n')
    cfg = load_config(path)
    assert (cfg.unsup_emb, cfg.sup_emb) == ("stella", "gte")
    assert set(cfg.ignored) == {"dataset", "max_seq_length", "use_wandb", "save_dir", "use_residual_adapters"}
    assert set(cfg.ignored) <= set(INERT)


def test_unknown_config_name():
    with pytest.raises(FileNotFoundError, match="neither a packaged config"):
        load_config("unsupervisd")


def test_a_file_that_is_not_utf8_or_too_deep_names_the_file(tmp_path):
    for i, blob in enumerate((b"\xff\xfe[train]\nlr = 1.0\n", b"depth = " + b"[" * 5000 + b"]" * 5000 + b"\n")):
        path = tmp_path / f"bad{i}.toml"
        path.write_bytes(blob)
        with pytest.raises(ValueError, match=f"{path} is not valid TOML"):
            load_config(path)
