"""A generation's manifest: what built it, what it holds, and (local store) its files' checksums.

Both backends record the same fields (the Milvus store keeps it as JSON beside its collections);
a writer builds on these values, so every field is checked for type and range when read.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import vector_kinds as ann_module
from ..sentences import MAX_SENTENCES
from .contract import REBUILD_HINT, IndexDamaged, IndexMismatch

FORMAT_VERSION = 3  # 2: sentence vectors; 3: sentences split knowing abbreviations and headings
MANIFEST = "manifest.json"
# Sentence vector ids are chunk id * MAX_SENTENCES + n in an int64 (sentences.py): chunk ids stay below this.
CHUNK_ID_LIMIT = 2**63 // MAX_SENTENCES


@dataclass
class Manifest:
    encoder: str
    dimension: int
    chunking: dict
    versions: dict
    built_at: float
    articles: int
    chunks: int
    next_chunk_id: int
    sentences: int = 0
    files: dict = field(default_factory=dict)  # relative path -> {"bytes": int, "sha256": str}
    index: dict = field(default_factory=lambda: dict(ann_module.FLAT))  # the vector index built (ann.py)
    languages: dict | None = None  # per-language passage vector sums (languages.py); None: not recorded
    format_version: int = FORMAT_VERSION

    @classmethod
    def from_json(cls, data: dict) -> "Manifest":
        known = {name for name in cls.__dataclass_fields__}
        return cls(**{key: value for key, value in data.items() if key in known})


    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, ensure_ascii=False)


def library_versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, str | None] = {}
    for name in ("faiss-cpu", "sentence-transformers", "torch", "transformers", "bm25s", "rawi"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def file_digest(path: Path) -> dict:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {"bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def _all_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file() and p.name != MANIFEST)


def parse_manifest(text: str, where: str) -> Manifest:
    """A manifest from its JSON text, checked; IndexDamaged names ``where`` when it is not one."""
    try:
        return _checked(Manifest.from_json(_json_object(json.loads(text))))
    except (ValueError, TypeError) as exc:
        raise IndexDamaged(f"index at {where} is damaged (manifest: {exc}): {REBUILD_HINT}") from None


def read_manifest(directory: Path) -> Manifest:
    try:
        text = (directory / MANIFEST).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise IndexDamaged(f"index at {directory} is damaged (no manifest): {REBUILD_HINT}") from None
    except (ValueError, OSError) as exc:
        raise IndexDamaged(f"index at {directory} is damaged (manifest: {exc}): {REBUILD_HINT}") from None
    return parse_manifest(text, str(directory))


def _json_object(data: object) -> dict:
    if not isinstance(data, dict):
        raise ValueError(f"a JSON {type(data).__name__}, not an object")
    return data


def _is_int(value: object) -> bool:
    return type(value) is int


_FIELD_TYPES: dict[str, tuple[str, object]] = {
    "encoder": ("a string", lambda v: isinstance(v, str)),
    "dimension": ("a positive integer", lambda v: _is_int(v) and v > 0),
    "chunking": ("an object", lambda v: isinstance(v, dict)),
    "versions": ("an object", lambda v: isinstance(v, dict)),
    "built_at": ("a number", lambda v: type(v) in (int, float)),
    "articles": ("a count", lambda v: _is_int(v) and v >= 0),
    "chunks": ("a count", lambda v: _is_int(v) and v >= 0),
    "sentences": ("a count", lambda v: _is_int(v) and v >= 0),
    "next_chunk_id": ("a chunk id", lambda v: _is_int(v) and 0 <= v < CHUNK_ID_LIMIT),
    "index": ("an object", lambda v: isinstance(v, dict)),
    "format_version": ("an integer", _is_int),
}


def _checked(manifest: Manifest) -> Manifest:
    """Every field has its type and range, and the file list is what `verify_files` expects:
    relative paths inside the generation. (A writer builds on these values: one out of range
    would be carried into every generation after it.)"""
    for name, (kind, ok) in _FIELD_TYPES.items():
        if not ok(getattr(manifest, name)):  # type: ignore[operator]
            raise ValueError(f"{name} is {getattr(manifest, name)!r}, not {kind}")
    if manifest.next_chunk_id < manifest.chunks:
        raise ValueError(f"next_chunk_id {manifest.next_chunk_id} is below the {manifest.chunks} chunks")
    files = manifest.files
    if not isinstance(files, dict):
        raise ValueError("its file list is not an object")
    for relative, expected in files.items():
        parts = Path(relative).parts
        if not parts or Path(relative).is_absolute() or ".." in parts:
            raise ValueError(f"it lists a file outside the index: {relative!r}")
        if not (isinstance(expected, dict) and type(expected.get("bytes")) is int and isinstance(expected.get("sha256"), str)):
            raise ValueError(f"its entry for {relative!r} has no size and checksum")
    return manifest


def verify_files(directory: Path, manifest: Manifest) -> None:
    """Sizes and checksums against the manifest: FAISS itself would load a damaged file."""
    if not manifest.files:
        raise IndexDamaged(f"index at {directory} is damaged (manifest lists no files): {REBUILD_HINT}")
    for relative, expected in manifest.files.items():
        path = directory / relative
        if not path.is_file():
            raise IndexDamaged(f"index at {directory} is damaged ({relative} is missing): {REBUILD_HINT}")
        if path.stat().st_size != expected["bytes"] or file_digest(path) != expected:
            raise IndexDamaged(
                f"index at {directory} is damaged ({relative} fails its checksum): {REBUILD_HINT}"
            )


def check_encoder(manifest: Manifest, directory: Path, encoder: str | None) -> None:
    if encoder is not None and manifest.encoder != encoder:
        raise IndexMismatch(
            f"index at {directory} was built with encoder {manifest.encoder!r}, but config names "
            f"{encoder!r}: {REBUILD_HINT}"
        )
    if manifest.format_version != FORMAT_VERSION:
        raise IndexMismatch(
            f"index at {directory} has format {manifest.format_version}, this rawi reads "
            f"{FORMAT_VERSION}: {REBUILD_HINT}"
        )
    kind = manifest.index.get("type") if isinstance(manifest.index, dict) else None
    if kind not in ann_module.KNOWN_TYPES:
        raise IndexMismatch(
            f"index at {directory} uses vector index type {kind!r}, this rawi reads "
            f"{', '.join(ann_module.KNOWN_TYPES)}: {REBUILD_HINT}"
        )



def write_manifest(staging: Path, manifest: Manifest) -> None:
    """Record every file of the staged generation (size and SHA-256), then the manifest itself."""
    manifest.files = {p.relative_to(staging).as_posix(): file_digest(p) for p in _all_files(staging)}
    (staging / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
