"""The configured FAISS index type ([index] type): real indexes on disk for flat, HNSW and IVF-PQ.

The corpus is synthetic and the vectors come from ``HashVectors`` (a unit vector seeded by the
passage text), so a passage's own vector is the question that must find it, with cosine 1, and
IVF-PQ gets the ~10,000 passages it needs for training in seconds. The real encoder is used
where meaning matters (the seed question under HNSW).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from index import store
from index.store import local as local_store
from index.store.local import ann
from index.build import Builder, BuildError
from index.retrieval import Retriever
from index.settings import ChunkSettings, IndexSettings, RetrievalSettings, VectorIndexSettings
from rawi import config
from tests.conftest import SEEDS

DIM = 384
PARAGRAPHS = 10  # one passage each (ChunkSettings below): ARTICLES * PARAGRAPHS passages
ARTICLES = 1000
SMALL = {"flat": VectorIndexSettings(), "hnsw": VectorIndexSettings(type="hnsw", hnsw_m=8, hnsw_ef_construction=40)}
IVFPQ = VectorIndexSettings(type="ivfpq", ivf_nlist=16, ivf_nprobe=4, pq_m=16)
TYPES = {**SMALL, "ivfpq": IVFPQ}


@pytest.fixture(autouse=True, scope="module")
def one_faiss_thread():
    """FAISS k-means with two OpenMP threads on a busy two-core machine spins ten times slower."""
    import faiss

    saved = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    yield
    faiss.omp_set_num_threads(saved)


class HashVectors:
    """Stands in for the encoder: a word count for tokens, a unit vector seeded by the text."""

    name = "test-hash-vectors"
    dimension = DIM

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def encode_passages(self, texts, progress: bool = False) -> np.ndarray:
        return np.stack([vector_of(t) for t in texts]) if texts else np.zeros((0, DIM), dtype=np.float32)


def vector_of(text: str) -> np.ndarray:
    rng = np.random.default_rng(int(hashlib.sha256(text.encode()).hexdigest()[:16], 16))
    v = rng.standard_normal(DIM).astype(np.float32)
    return v / np.linalg.norm(v)


def paragraph(article: int, n: int, version: str = "") -> str:
    return f"Report {article} part {n}{version} says the harbour moved {article * 31 + n} crates today."


def write_article(corpus: Path, i: int, version: str = "") -> None:
    body = "\n\n".join(paragraph(i, n, version) for n in range(PARAGRAPHS))
    (corpus / f"a{i:05d}.txt").write_text(f"Title {i}\n\n{body}\n", encoding="utf-8")


def settings_for(tmp: Path, vectors: VectorIndexSettings) -> IndexSettings:
    return IndexSettings(
        corpus_dir=tmp / "corpus", index_dir=tmp / "index", vectors=vectors,
        chunks=ChunkSettings(max_tokens=16, overlap_tokens=0),
    )


@pytest.fixture(scope="module")
def corpus_template(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ann-corpus") / "corpus"
    folder.mkdir()
    for i in range(ARTICLES):
        write_article(folder, i)
    return folder


@pytest.fixture
def workdir(tmp_path, corpus_template) -> Path:
    shutil.copytree(corpus_template, tmp_path / "corpus")
    return tmp_path


def chunk_id(snap: local_store.Snapshot, text: str) -> int | None:
    rows = snap._query("SELECT id FROM chunks WHERE text = ?", (text,))
    return rows[0][0] if rows else None


def top(snap: local_store.Snapshot, text: str, vectors: VectorIndexSettings, k: int = 10) -> tuple[list[int], float]:
    scores, ids = snap.search_vectors(vector_of(text)[None, :], k, vectors)
    return [int(i) for i in ids[0] if i >= 0], float(scores[0][0])


@pytest.mark.parametrize("kind", list(TYPES))
@pytest.mark.slow  # 10,000 passages (IVF-PQ's training minimum): seconds each
def test_build_add_update_delete_reopen(workdir, kind):
    vectors = TYPES[kind]
    settings = settings_for(workdir, vectors)
    first = Builder(settings, HashVectors()).run()
    assert first.chunks == ARTICLES * PARAGRAPHS
    snap = local_store.open_snapshot(settings.index_dir, HashVectors.name)
    assert snap.manifest.index["type"] == kind
    assert (snap.directory / local_store.ANN).exists() == (kind != "flat")
    assert (snap.ann is None) == (kind == "flat")
    probe = paragraph(7, 3)
    found, score = top(snap, probe, vectors)
    assert found[0] == chunk_id(snap, probe) and score == pytest.approx(1.0, abs=1e-5)  # exact cosine, even from PQ

    write_article(settings.corpus_dir, ARTICLES)  # added
    write_article(settings.corpus_dir, 7, version="b")  # changed: its old passages must go
    (settings.corpus_dir / "a00011.txt").unlink()  # removed
    second = Builder(settings, HashVectors()).run()
    assert (second.added, second.updated, second.removed) == (1, 1, 1)
    assert second.chunks_embedded == 2 * PARAGRAPHS and second.chunks == first.chunks

    snap = local_store.open_snapshot(settings.index_dir, HashVectors.name)  # reopen the new generation
    assert snap.vectors.ntotal == snap.manifest.chunks == second.chunks
    if snap.ann is not None:
        assert snap.ann.ntotal == second.chunks
    if kind == "ivfpq":  # updated in place: codebooks reused, gone ids removed from the lists
        assert snap.manifest.index["trained_on"] == first.chunks
    assert chunk_id(snap, paragraph(7, 3)) is None
    for text in (paragraph(ARTICLES, 5), paragraph(7, 3, "b")):
        found, score = top(snap, text, vectors)
        assert found[0] == chunk_id(snap, text) and score == pytest.approx(1.0, abs=1e-5)
    live = set(int(i) for (i,) in snap._query("SELECT id FROM chunks"))
    for text in (paragraph(7, 3), paragraph(11, 0)):
        found, score = top(snap, text, vectors, k=50)
        assert set(found) <= live and score < 0.5  # the old passage is nowhere in either index


def test_hnsw_finds_the_seed_answer_with_the_real_encoder(corpus_settings, encoder):
    settings = replace(corpus_settings, vectors=VectorIndexSettings(type="hnsw"))
    shutil.copy(next(SEEDS.glob("*.txt")), settings.corpus_dir)
    Builder(settings, encoder).run()
    snap = local_store.open_snapshot(settings.index_dir, encoder.name)
    query = encoder.encode_queries(["How many containers did the DPRK send?"])
    scores, ids = snap.search_vectors(query, 3, settings.vectors)
    assert "20 ألف حاوية" in snap.chunks([int(ids[0][0])])[int(ids[0][0])].text
    assert scores[0][0] == pytest.approx(float(snap.vectors.reconstruct(int(ids[0][0])) @ query[0]), abs=1e-5)


@pytest.mark.slow  # 10,000 passages (IVF-PQ's training minimum): seconds each
def test_a_stored_type_is_served_whatever_the_config_says_and_the_next_build_converts_it(workdir):
    hnsw = settings_for(workdir, SMALL["hnsw"])
    Builder(hnsw, HashVectors()).run()
    as_flat = replace(hnsw, vectors=VectorIndexSettings())
    snap = local_store.open_snapshot(as_flat.index_dir, HashVectors.name)
    assert snap.manifest.index["type"] == "hnsw"  # the type is a property of the stored index
    found, _ = top(snap, paragraph(3, 3), as_flat.vectors)
    assert found[0] == chunk_id(snap, paragraph(3, 3))

    converted = Builder(as_flat, HashVectors()).run()  # no article changed, but the type did
    assert converted.chunks_embedded == 0 and converted.unchanged == ARTICLES
    snap = local_store.open_snapshot(as_flat.index_dir, HashVectors.name)
    assert snap.manifest.index == {"type": "flat"} and snap.ann is None
    assert not (snap.directory / local_store.ANN).exists()
    before = (as_flat.index_dir / local_store.CURRENT).read_text()
    Builder(as_flat, HashVectors()).run()  # now nothing to do: nothing published
    assert (as_flat.index_dir / local_store.CURRENT).read_text() == before


@pytest.mark.slow  # 10,000 passages (IVF-PQ's training minimum): seconds each
def test_changed_hnsw_parameters_rebuild_the_graph_without_embedding(workdir):
    settings = settings_for(workdir, SMALL["hnsw"])
    Builder(settings, HashVectors()).run()
    wider = replace(settings, vectors=replace(SMALL["hnsw"], hnsw_m=12))
    stats = Builder(wider, HashVectors()).run()
    snap = local_store.open_snapshot(settings.index_dir, HashVectors.name)
    assert stats.chunks_embedded == 0 and snap.manifest.index["m"] == 12


def exact_cosines(snap: local_store.Snapshot, queries: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Each returned id's cosine with its query, recomputed from the exact store."""
    return np.stack([snap.vectors.reconstruct_batch(row) @ q for q, row in zip(queries, ids)])


@pytest.mark.slow  # 10,000 passages (IVF-PQ's training minimum): seconds each
def test_ivfpq_search_parameters_are_applied_and_full_probing_is_exact(workdir):
    """What IVF-PQ guarantees, and nothing more: the trained lists and codes depend on k-means,
    whose floating-point sums differ between CPUs and BLAS builds, so which candidates a narrow
    search finds is machine-dependent; full probing with full re-scoring is exact anywhere."""
    settings = settings_for(workdir, IVFPQ)
    Builder(settings, HashVectors()).run()
    snap = local_store.open_snapshot(settings.index_dir, HashVectors.name)
    rng = np.random.default_rng(5)
    queries = rng.standard_normal((20, DIM)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    exact_scores, exact_ids = snap.vectors.search(queries, 10)
    everything = replace(IVFPQ, ivf_nprobe=IVFPQ.ivf_nlist, pq_rescore=snap.vectors.ntotal)
    scores, ids = snap.search_vectors(queries, 10, everything)
    # The k best cosines, and ids that have them (the order of equal cosines is not promised).
    assert np.allclose(scores, exact_scores, atol=1e-5)
    assert np.allclose(exact_cosines(snap, queries, ids), scores, atol=1e-5)
    narrow_settings = replace(IVFPQ, ivf_nprobe=1, pq_rescore=1)
    narrow_scores, narrow = snap.search_vectors(queries, 10, narrow_settings)
    assert not np.allclose(narrow_scores, exact_scores, atol=1e-5)  # one list of 16, codes only: not exact
    assert np.allclose(exact_cosines(snap, queries, narrow), narrow_scores, atol=1e-5)  # re-scored exactly
    # The backend passes [index]'s search parameters to its readers: retrieval's dense candidates
    # are the narrow search's, with its cosines. (Their dense_rank also weighs each passage's best
    # sentence: another order.)
    _, default = snap.search_vectors(queries, 10, VectorIndexSettings())
    row = next(r for r in range(len(queries)) if set(narrow[r]) != set(default[r]))
    reader = local_store.LocalBackend(settings.index_dir, HashVectors.name, narrow_settings).open_reader()
    retriever = Retriever(HashVectors(), RetrievalSettings(candidates=10))
    ranking = retriever.rank(reader, "no shared words", query_vector=queries[row])
    assert all(h.lexical_rank is None for h in ranking.hits)  # every candidate is a dense one
    found = {h.chunk.id: h.dense for h in ranking.hits}
    assert set(found) == set(narrow[row].tolist())
    assert [found[i] for i in narrow[row].tolist()] == pytest.approx(narrow_scores[row].tolist(), abs=1e-5)


def test_ivfpq_stays_exact_below_its_training_minimum(tmp_path):
    settings = settings_for(tmp_path, VectorIndexSettings(type="ivfpq"))
    settings.corpus_dir.mkdir()
    for i in range(3):
        write_article(settings.corpus_dir, i)
    Builder(settings, HashVectors()).run()
    snap = local_store.open_snapshot(settings.index_dir, HashVectors.name)
    assert snap.manifest.index == {"type": "flat"} and snap.ann is None
    assert ann.effective_type(settings.vectors, ann.min_training(ann.auto_nlist(10**6))) == "ivfpq"


@pytest.mark.slow  # 10,000 passages (IVF-PQ's training minimum): seconds each
def test_pq_m_that_does_not_divide_the_dimension_is_a_build_error(workdir):
    settings = settings_for(workdir, replace(IVFPQ, pq_m=7))
    with pytest.raises(BuildError, match=r"^\[index\] pq_m = 7 must divide the encoder's dimension 384$"):
        Builder(settings, HashVectors()).run()


def test_unknown_stored_type_is_refused_in_one_line(tmp_path):
    settings = settings_for(tmp_path, SMALL["flat"])
    settings.corpus_dir.mkdir()
    write_article(settings.corpus_dir, 0)
    Builder(settings, HashVectors()).run()
    generation = local_store.current_generation(settings.index_dir)
    manifest = json.loads((generation / local_store.MANIFEST).read_text())
    manifest["index"] = {"type": "annoy"}
    (generation / local_store.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(store.IndexMismatch, match="vector index type 'annoy'") as error:
        local_store.open_snapshot(settings.index_dir, HashVectors.name)
    assert "\n" not in str(error.value) and "rawi index --rebuild" in str(error.value)


@pytest.mark.slow  # 10,000 passages (IVF-PQ's training minimum): seconds each
def test_a_damaged_ann_file_is_refused(workdir):
    settings = settings_for(workdir, SMALL["hnsw"])
    Builder(settings, HashVectors()).run()
    path = local_store.current_generation(settings.index_dir) / local_store.ANN
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(store.IndexDamaged, match="ann.faiss fails its checksum"):
        local_store.open_snapshot(settings.index_dir, HashVectors.name)


def test_config_index_keys_are_typed(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[index]\ndir = "ix"\ntype = "hnsw"\nhnsw_m = 16\nhnsw_ef_search = 96\n', encoding="utf-8")
    loaded = config.load(path).index
    assert loaded.index_dir == tmp_path / "ix"
    assert loaded.vectors == VectorIndexSettings(type="hnsw", hnsw_m=16, hnsw_ef_search=96)


def test_the_documented_config_matches_the_defaults():
    root = Path(__file__).resolve().parent.parent
    assert config.load(root / "config.toml").index.vectors == VectorIndexSettings()


@pytest.mark.parametrize(
    "line, message",
    [
        ('type = "hnws"', '[index] type = "hnws": must be one of "flat", "hnsw", "ivfpq"'),
        ("hnsw_ef_search = 0", "[index] hnsw_ef_search = 0: must be an integer of at least 1"),
        ("hnsw_m = 1", "[index] hnsw_m = 1: must be an integer of at least 2"),
        ('ivf_nprobe = "8"', '[index] ivf_nprobe = "8": must be an integer of at least 1'),
        ("ivf_nlist = -1", "[index] ivf_nlist = -1: must be an integer >= 1, or 0 for automatic"),
        ("hnsw_mm = 16", "unknown key(s) in [index]: hnsw_mm (did you mean hnsw_m?)"),
    ],
)
def test_bad_index_config_is_one_clear_line(tmp_path, line, message):
    path = tmp_path / "config.toml"
    path.write_text(f"[index]\n{line}\n", encoding="utf-8")
    with pytest.raises(config.ConfigError) as error:
        config.load(path)
    assert str(error.value) == f"{path}: {message}"
