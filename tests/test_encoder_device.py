"""[encoder] device: the CUDA path (fp16, large batches) held to the CPU's fp32 vectors.

On a machine without a GPU the same code runs with device "cpu": the fp16 model is loaded by the
function the CUDA path uses and run on the CPU, so its vectors are checked here too. Only what
needs CUDA itself is skipped, with the reason.
"""

from __future__ import annotations

import numpy as np
import pytest

from index.encoder import CUDA_BATCH_SIZE, Encoder, EncoderError, _cuda_available, _load_sentence_transformer
from index.settings import EncoderSettings
from tests.conftest import MODEL_CACHE
from tests.test_encoder_backend import TEXTS

HAS_CUDA = _cuda_available()
needs_cuda = pytest.mark.skipif(not HAS_CUDA, reason="torch sees no GPU on this machine")
no_cuda = pytest.mark.skipif(HAS_CUDA, reason="this machine has a GPU: 'auto' picks it")


def torch_settings(device: str, batch_size: int = 32) -> EncoderSettings:
    return EncoderSettings(cache_dir=MODEL_CACHE, backend="torch", device=device, batch_size=batch_size)


def test_an_unknown_device_is_refused_at_once():
    with pytest.raises(EncoderError, match=r"unknown \[encoder\] device 'gpu': choose one of auto, cpu, cuda"):
        Encoder(EncoderSettings(backend="torch", device="gpu"))


@pytest.mark.parametrize("backend", ["onnx", "onnx-int8"])
def test_cuda_with_an_onnx_backend_is_refused_at_once(backend):
    with pytest.raises(EncoderError, match=f'device = "cuda" needs backend = "torch" \\(the {backend} backend'):
        Encoder(EncoderSettings(backend=backend, device="cuda"))


@pytest.mark.parametrize("device", ["auto", "cpu"])
def test_the_onnx_backends_run_on_the_cpu(device):
    encoder = Encoder(EncoderSettings(cache_dir=MODEL_CACHE, device=device))
    assert encoder.device == "cpu" and encoder.batch_size == encoder.settings.batch_size


@no_cuda
def test_auto_without_a_gpu_is_the_cpu_and_keeps_the_configured_batch():
    encoder = Encoder(torch_settings("auto", batch_size=48))
    assert encoder.device == "cpu" and encoder.batch_size == 48


@no_cuda
def test_cuda_without_a_gpu_is_one_clear_error():
    with pytest.raises(EncoderError, match='device = "cuda", but torch sees no GPU: use device = "auto" or "cpu"'):
        Encoder(torch_settings("cuda")).device


def test_the_device_is_not_part_of_the_name_an_index_records():
    """An archive indexed on a GPU is served by the torch backend on a CPU: one name for both."""
    names = {Encoder(EncoderSettings(backend="torch", device=d)).name for d in ("auto", "cpu", "cuda")}
    assert names == {"bundled:multilingual-e5-small"}


@pytest.mark.exact_vectors
def test_the_cuda_paths_fp16_model_agrees_with_fp32(torch_encoder):
    """The model as the CUDA path loads it (fp16 weights), run on the CPU: cosine >= 0.999 to fp32,
    every vector in its own text's place (another text's would be below 0.9)."""
    path = torch_encoder._model_path()
    half = Encoder(torch_settings("cpu"))
    half.__dict__["model"] = _load_sentence_transformer(path, 0, "cpu", half=True)
    assert str(next(half.model.parameters()).dtype) == "torch.float16"
    fast, reference = half.encode_passages(TEXTS), torch_encoder.encode_passages(TEXTS)
    assert fast.dtype == np.float32 and fast.shape == reference.shape
    np.testing.assert_allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-3)
    cosines = np.sum(fast * reference, axis=1)
    assert cosines.min() >= 0.999, cosines.round(5).tolist()


@pytest.mark.exact_vectors
@needs_cuda
def test_on_a_gpu_vectors_match_the_cpu_in_large_batches(torch_encoder):
    gpu = Encoder(torch_settings("cuda"))
    assert gpu.device == "cuda" and gpu.batch_size == CUDA_BATCH_SIZE
    assert str(next(gpu.model.parameters()).dtype) == "torch.float16"
    texts = TEXTS * 300  # more than one batch, of mixed lengths
    cosines = np.sum(gpu.encode_passages(texts) * np.tile(torch_encoder.encode_passages(TEXTS), (300, 1)), axis=1)
    assert cosines.min() >= 0.999, cosines.min()
