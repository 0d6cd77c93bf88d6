"""Aligner follows scikit-learn's estimator contract: explicit keyword hyperparameters stored unchanged,
get_params / set_params (method parameters included), clone, fitted attributes ending in "_", n_features_in_,
NotFittedError a subclass of scikit-learn's, fit returns self."""

import warnings

import numpy as np
import pytest

from vec2vec_fast import Aligner, methods
from vec2vec_fast.errors import NotFittedError

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone
from sklearn.exceptions import NotFittedError as SklearnNotFittedError
from sklearn.utils import estimator_checks

TINY = {"anchor_runs": 2, "refine1_iterations": 3, "refine1_sample": 100, "refine2_clusters": 10,
        "anchor_clusters": 8}


def _data(n=300, d_a=12, d_b=16, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d_a)).astype(np.float32), rng.standard_normal((n, d_b)).astype(np.float32)


def test_get_params_lists_every_hyperparameter_of_the_method():
    aligner = Aligner("mini", seed=4, anchor_runs=3)
    params = aligner.get_params()
    assert params["method"] == "mini" and params["seed"] == 4 and params["n_threads"] is None
    assert params["anchor_runs"] == 3
    assert set(params) == {"method", "seed", "n_threads"} | set(Aligner.param_schema("mini"))
    assert params["refine2_clusters"] == Aligner.param_schema("mini")["refine2_clusters"].default == 500
    assert aligner.get_params(deep=False) == params


def test_values_are_stored_unchanged():
    rng = np.random.default_rng(5)
    smoothing = np.float32(0.25)  # not rewritten to a Python float
    aligner = Aligner("mini", seed=rng, smoothing=smoothing)
    assert aligner.seed is rng and aligner.get_params()["smoothing"] is smoothing


def test_set_params_round_trip_and_refusals():
    aligner = Aligner("mini")
    assert aligner.set_params(anchor_runs=7, seed=9) is aligner
    assert aligner.get_params()["anchor_runs"] == 7 and aligner.seed == 9
    with pytest.raises(TypeError, match="unknown parameter 'bogus'"):
        aligner.set_params(bogus=1)
    with pytest.raises(ValueError, match="anchor_runs must be in"):
        aligner.set_params(anchor_runs=0)
    assert aligner.get_params()["anchor_runs"] == 7, "a refused set_params changes nothing"
    aligner.set_params(method="procrustes")  # mini's hyperparameters do not apply to procrustes: dropped
    assert aligner.method == "procrustes" and aligner.params == {}
    assert set(aligner.get_params()) == {"method", "seed", "n_threads"}


def test_clone_gives_an_equal_unfitted_estimator():
    a, b = _data()
    fitted = Aligner("mini", seed=2, **TINY).fit(a, b)
    twin = clone(fitted)
    assert twin is not fitted and twin.get_params() == fitted.get_params()
    assert not hasattr(twin, "map_") and not hasattr(twin, "W_")
    np.testing.assert_array_equal(twin.fit(a, b).W_, fitted.W_)


def test_fit_returns_self_and_sets_underscored_attributes():
    a, b = _data()
    aligner = Aligner("mini", seed=1, **TINY)
    before = set(vars(aligner))
    assert aligner.fit(a, b) is aligner
    added = set(vars(aligner)) - before
    assert added and all(name.endswith("_") for name in added), added
    assert aligner.n_features_in_ == 12 and aligner.n_features_out_ == 16


def test_not_fitted_error_is_scikit_learns():
    assert issubclass(NotFittedError, SklearnNotFittedError)
    assert issubclass(NotFittedError, ValueError) and issubclass(NotFittedError, AttributeError)
    with pytest.raises(SklearnNotFittedError, match="not fitted"):
        Aligner("mini").transform(np.ones((2, 3), np.float32))
    from sklearn.utils.validation import check_is_fitted

    a, b = _data()
    with pytest.raises(SklearnNotFittedError):
        check_is_fitted(Aligner("procrustes"))
    check_is_fitted(Aligner("procrustes").fit(a, b))  # fitted attributes end in "_": scikit-learn sees them


@pytest.mark.parametrize("method", list(methods.names()))
def test_every_method_default_constructs_and_clones(method):
    aligner = Aligner(method)
    twin = clone(aligner)
    assert twin.get_params() == aligner.get_params()


# scikit-learn's own checks that apply to an estimator whose fit takes two matrices (X_a, X_b). Not run:
# - the fit/predict/transform checks: they call fit(X, y) with y a label or target vector, or use the estimator as a
#   one-input pipeline transformer, which an aligner of two spaces is not;
# - check_do_not_raise_errors_in_init_or_set_params: Aligner checks hyperparameters when it is built (the issue
#   allows a validator called from __init__ that rewrites nothing), so a typo fails at once, not after a long load;
# - check_param_validation: it needs scikit-learn's private _parameter_constraints table; ours is the schema.
APPLICABLE = ["check_no_attributes_set_in_init", "check_parameters_default_constructible",
              "check_get_params_invariance", "check_set_params", "check_estimator_repr",
              "check_estimator_cloneable"]


@pytest.mark.parametrize("check", APPLICABLE)
def test_scikit_learn_estimator_checks(check):
    fn = getattr(estimator_checks, check, None)
    if fn is None:
        pytest.skip(f"this scikit-learn has no {check}")
    with warnings.catch_warnings():
        # check_set_params sets inf / None everywhere and warns where set_params refuses them: ours refuses by design
        # (see above), and the check still verifies that nothing changed on a refusal.
        warnings.filterwarnings("ignore", message=".*delay parameter validation until fit", category=UserWarning)
        fn("Aligner", Aligner("mini", anchor_runs=3))
