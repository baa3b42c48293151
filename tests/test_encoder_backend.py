"""The ONNX encoder backends against the torch reference, and the encoder's own errors."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from index.encoder import Encoder, EncoderError, onnx_model_dir
from index.settings import EncoderSettings
from tests.conftest import MODEL_CACHE

TEXTS = [
    "How many containers did the DPRK send?",
    "كم عدد حاويات الذخيرة التي أرسلتها كوريا الشمالية إلى روسيا؟",
    "ووفق تقارير استخباراتية دولية، فإن كوريا الشمالية زوّدت موسكو بأكثر من 20 ألف حاوية ذخيرة.",
    "The floating library on Lake Varna opened on Monday with 4,512 books, most of them donated.",
    "x",
    "صاروخ " * 600,  # longer than the model reads: truncated the same way by both backends
]


@pytest.mark.exact_vectors
@pytest.mark.parametrize("kind", ["query", "passage"])
def test_onnx_int8_agrees_with_torch_fp32(encoder, torch_encoder, kind):
    """The fast backend's vectors stay within cosine 0.995 of the reference, both languages."""
    assert encoder.settings.backend == "onnx-int8"
    encode = {"query": lambda e: e.encode_queries(TEXTS), "passage": lambda e: e.encode_passages(TEXTS)}[kind]
    fast, reference = encode(encoder), encode(torch_encoder)
    assert fast.shape == reference.shape == (len(TEXTS), 384)
    np.testing.assert_allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    cosines = np.sum(fast * reference, axis=1)
    assert cosines.min() >= 0.995, cosines.round(4).tolist()


def test_both_backends_count_the_same_tokens(encoder, torch_encoder):
    for text in TEXTS:
        assert encoder.count_tokens(text) == torch_encoder.count_tokens(text)


def test_a_batch_gives_each_text_the_vector_it_gets_alone(encoder):
    """Length-sorted batching must put every vector back in its text's place.

    Dynamic int8 quantization picks each batch's activation scale from the whole batch, so a
    vector moves slightly with its batch-mates (cosine about 0.997); a vector put back in the
    wrong place would be another text's (cosine below 0.9).
    """
    together = encoder.encode_passages(TEXTS)
    alone = np.stack([encoder.encode_passages([t])[0] for t in TEXTS])
    assert np.sum(together * alone, axis=1).min() >= 0.995


def test_the_backend_is_part_of_the_name_an_index_records():
    assert Encoder(EncoderSettings(backend="torch")).name == "bundled:multilingual-e5-small"
    assert Encoder(EncoderSettings(backend="onnx-int8")).name == "bundled:multilingual-e5-small#onnx-int8"


def test_a_hub_model_name_runs_on_torch_whatever_the_backend():
    """ONNX export needs a local folder; a name for the hub is fetched by sentence-transformers."""
    encoder = Encoder(EncoderSettings(model="intfloat/multilingual-e5-base", backend="onnx-int8"))
    assert encoder.backend == "torch" and encoder.name == "intfloat/multilingual-e5-base"


def test_a_local_model_folder_keeps_its_backend(tmp_path):
    encoder = Encoder(EncoderSettings(model=str(tmp_path), backend="onnx"))
    assert encoder.backend == "onnx" and encoder.name == f"{tmp_path}#onnx"


def test_an_unknown_backend_is_refused_at_once():
    with pytest.raises(EncoderError, match="unknown \\[encoder\\] backend 'tensorrt'"):
        Encoder(EncoderSettings(backend="tensorrt"))


def test_onnx_export_refuses_a_folder_without_a_tokenizer(tmp_path):
    with pytest.raises(EncoderError, match="tokenizer.json"):
        onnx_model_dir(tmp_path, quantized=True)


def test_onnx_export_refuses_pooling_it_does_not_implement(tmp_path, encoder):
    """A CLS-pooled model must not be silently mean-pooled: the user is told to use torch."""
    source = tmp_path / "cls-model"
    source.mkdir()
    built = next(p for p in MODEL_CACHE.iterdir() if p.is_dir() and p.name.startswith("multilingual-e5-small-") and "onnx" not in p.name)
    for name in ("modules.json", "tokenizer.json", "sentence_bert_config.json"):
        shutil.copyfile(built / name, source / name)
    (source / "1_Pooling").mkdir()
    pooling = json.loads((built / "1_Pooling" / "config.json").read_text())
    pooling.update(pooling_mode_cls_token=True, pooling_mode_mean_tokens=False)
    (source / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    with pytest.raises(EncoderError, match='backend = "torch"'):
        onnx_model_dir(source, quantized=True)
