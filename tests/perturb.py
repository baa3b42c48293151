"""`make fragile`: the real encoder's vectors as another CPU (or another backend) would give them.

onnxruntime picks different int8 kernels on AVX2, AVX-512 VNNI and AMX, so the same text gets a
vector about 1e-3 away from one machine to the next. A test that asserts what the model decides
(an order, answered or declined) must hold by a margin larger than that. This module lets a run
move every vector on purpose, by more than that, and see which tests still hold:

* ``RAWI_TEST_PERTURB="SEED:SIZE"``: each vector gets a unit Gaussian direction times SIZE added,
  then is normalized again. The direction is drawn from SEED, the prompt and the text, so the same
  text always gets the same vector within a run (an index and its questions stay consistent), and
  the three seeds of `make fragile` are three different "machines".
* ``RAWI_TEST_ENCODER_BACKEND=onnx``: the default ``onnx-int8`` backend is replaced (fp32 ONNX),
  other arithmetic altogether. An explicit ``torch`` is left alone.

``install_from_env`` patches ``index.encoder.Encoder`` in this process; ``perturb_site/`` on
PYTHONPATH (`make fragile` puts it there) does the same in every `rawi` the tests start. Without
the variables nothing is patched. bench/bench_fragile.py measures the size chosen.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace

import numpy as np

PERTURB = "RAWI_TEST_PERTURB"
BACKEND = "RAWI_TEST_ENCODER_BACKEND"
DEFAULT_BACKEND = "onnx-int8"


def perturbed(vectors: np.ndarray, texts, prompt: str, seed: int, size: float) -> np.ndarray:
    """Each row moved by ``size`` along a direction fixed by (seed, prompt, text), renormalized."""
    out = np.array(vectors, dtype=np.float32, copy=True)
    for row, text in enumerate(texts):
        key = hashlib.sha256(f"{seed}\0{prompt}\0{text.strip()}".encode()).digest()
        direction = np.random.default_rng(int.from_bytes(key[:8], "little")).standard_normal(out.shape[1])
        moved = out[row] + size * direction / np.linalg.norm(direction)
        out[row] = moved / np.linalg.norm(moved)
    return out


def parse(value: str) -> tuple[int, float]:
    seed, _, size = value.partition(":")
    return int(seed), float(size)


def active() -> str:
    """What this run changes, for the test report's header ('' when nothing)."""
    parts = [f"vectors perturbed (seed:size {os.environ[PERTURB]})" if os.environ.get(PERTURB) else "",
             f"encoder backend {os.environ[BACKEND]}" if os.environ.get(BACKEND) else ""]
    return ", ".join(p for p in parts if p)


def install_from_env() -> None:
    """Patch the Encoder as the environment says; idempotent."""
    if not active():
        return
    from index import encoder as module

    cls = module.Encoder
    if getattr(cls, "_rawi_fragile", False):
        return
    backend = os.environ.get(BACKEND)
    if backend:
        original_init = cls.__init__

        def __init__(self, settings) -> None:
            if settings.backend == DEFAULT_BACKEND:
                settings = replace(settings, backend=backend)
            original_init(self, settings)

        cls.__init__ = __init__
    if os.environ.get(PERTURB):
        seed, size = parse(os.environ[PERTURB])
        original_encode = cls._encode

        def _encode(self, texts, prompt, progress):
            return perturbed(original_encode(self, texts, prompt, progress), texts, prompt, seed, size)

        cls._encode = _encode
    cls._rawi_fragile = True
