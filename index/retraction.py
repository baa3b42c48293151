"""`rawi retract`: an article taken out for good, in a way no feed can bring back.

Retracting moves the article's file out of the corpus into ``<corpus>/.rawi-retracted/files/``
(hidden: neither indexing nor watching reads it; nothing is deleted) and records the article's
identity in ``<corpus>/.rawi-retracted/retracted.json``: its file, ids, titles, links and the
hash of each text (``text_hash``: the text with its white space collapsed). `rawi fetch` (and
the fetching of `rawi watch`) never writes an article again whose link is recorded, nor, once
its page is read, one whose page address or text is: a feed that lists it again, under a new
link or title, does not bring it back. Undoing (``restore``) moves the file back where it was
and forgets the record. The index is updated by the caller (an ordinary `rawi index` run: the
article's file is gone, so it is removed, and published atomically).

A file that holds several articles (a JSON Lines file, a saved feed) is retracted whole, by its
file name; one of its records alone cannot be (the file would have to be rewritten).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

RETRACT_DIR = ".rawi-retracted"
RECORDS = "retracted.json"


class RetractionError(Exception):
    """A retraction (or its undoing) that cannot be done; the message says why, in one line."""


@dataclass
class Retraction:
    file: str  # where the article's file was, relative to the corpus folder
    kept: str  # where it is kept now, relative to the corpus folder ("" when it was gone already)
    ids: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)
    when: str = ""  # UTC, ISO 8601

    def to_json(self) -> dict:
        return asdict(self)


def text_hash(text: str) -> str:
    """The hash of an article's text, its white space collapsed (a re-fetched copy has the same)."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def same_link(link: str) -> str:
    """A link as compared: no fragment, the scheme and host in lower case, no trailing "/"."""
    parts = urlsplit(link.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, ""))


def folder(corpus: Path) -> Path:
    return Path(corpus) / RETRACT_DIR


def records(corpus: Path) -> list[Retraction]:
    """The retractions of this corpus folder, oldest first (none: an empty list)."""
    path = folder(corpus) / RECORDS
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise RetractionError(f"cannot read the list of retracted articles {path} ({exc}); "
                              "repair or restore it (nothing was changed)") from None
    if not isinstance(data, list):
        raise RetractionError(f"the list of retracted articles {path} is not a JSON list; repair or restore it")
    known = set(Retraction.__dataclass_fields__)
    return [Retraction(**{k: v for k, v in item.items() if k in known}) for item in data
            if isinstance(item, dict) and isinstance(item.get("file"), str)]


def save(corpus: Path, retractions: list[Retraction]) -> None:
    """Written whole or not at all (a temporary file renamed into place)."""
    target = folder(corpus) / RECORDS
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump([r.to_json() for r in retractions], out, ensure_ascii=False, indent=1)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class Retracted:
    """What `rawi fetch` asks: is this link, or this page, a retracted article?"""

    def __init__(self, retractions: list[Retraction]) -> None:
        self.links = {same_link(link) for r in retractions for link in r.links if link}
        self.hashes = {h for r in retractions for h in r.hashes}

    def has_link(self, link: str) -> bool:
        return bool(link) and same_link(link) in self.links

    def has_page(self, link: str, text: str) -> bool:
        return self.has_link(link) or text_hash(text) in self.hashes


def retracted(corpus: Path) -> Retracted:
    return Retracted(records(corpus))


@dataclass(frozen=True)
class Article:
    """One article of the file to retract, as the index (or the file) gives it."""

    id: str
    title: str
    url: str
    text: str


def retract(corpus: Path, file: str, articles: list[Article]) -> Retraction:
    """Moves ``file`` (relative to the corpus folder) aside and records ``articles`` (its
    articles); the file may be gone already (then only the record is written)."""
    corpus = Path(corpus)
    every = records(corpus)
    source = corpus / file
    kept = ""
    if source.exists():
        target = _free(folder(corpus) / "files" / file)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(source, target)
        except OSError as exc:
            raise RetractionError(f"cannot move {file} aside ({exc.strerror or exc}); nothing was changed") from None
        kept = target.relative_to(corpus).as_posix()
    record = Retraction(
        file=file, kept=kept, ids=[a.id for a in articles], titles=[a.title for a in articles],
        links=sorted({a.url for a in articles if a.url}), hashes=sorted({text_hash(a.text) for a in articles if a.text}),
        when=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    )
    try:
        save(corpus, every + [record])
    except OSError as exc:
        if kept:
            os.replace(corpus / kept, source)  # put it back: a retraction is recorded or not done
        raise RetractionError(f"cannot record the retraction ({exc.strerror or exc}); nothing was changed") from None
    return record


def target(corpus: Path, indexed: list[str], name: str, cwd: Path) -> tuple[str, list[str]]:
    """The file that ``name`` names (relative to the corpus folder) and the ids of its indexed
    articles. ``name`` is an article id (`rawi articles`), the file's path (from ``cwd``, or
    from the corpus folder), or the end of one id ("jeddah.md" for "gulf/jeddah.md")."""
    corpus = Path(corpus)
    wanted = name.strip()
    if not wanted:
        raise RetractionError("name the article to retract: its id (see `rawi articles`) or its file")
    ids = set(indexed)
    if wanted in ids:
        file = _file_of(corpus, wanted)
        if not (corpus / file).exists():  # another corpus folder's index: its `rawi index` would drop every article
            raise RetractionError(f"{wanted} is indexed but {file} is not in the corpus folder {corpus}: name the "
                                  "folder the index was built from (--corpus, as for `rawi index`)")
        together = _of_file(ids, file)
        if file != wanted and len(together) > 1:
            raise RetractionError(f"{wanted} is one of the {len(together)} articles of {file}: retract the whole file "
                                  f"(`rawi retract {file}`), or remove that record from the file")
        return file, together
    for path in (Path(cwd) / wanted, corpus / wanted):
        if path.is_file():
            inside = _inside(corpus, path)
            if inside is None:
                raise RetractionError(f"{wanted} is not an article of the corpus folder {corpus}")
            return inside, _of_file(ids, inside)
    ends = sorted({i for i in ids if i.endswith("/" + wanted)}
                  | {_file_of(corpus, i) for i in ids if _file_of(corpus, i).endswith("/" + wanted)})
    if len(ends) == 1:
        return target(corpus, indexed, ends[0], cwd)
    if ends:
        named = ", ".join(ends[:3]) + (", ..." if len(ends) > 3 else "")
        raise RetractionError(f"{wanted!r} may be any of {len(ends)} articles ({named}): give the whole id")
    raise RetractionError(f"no article {wanted!r} in the index or the corpus folder {corpus} (see `rawi articles`)")


def _file_of(corpus: Path, article_id: str) -> str:
    """The file that gives ``article_id``: itself, or for a record ``<file>#<key>`` that file."""
    if "#" not in article_id or (corpus / article_id).is_file():
        return article_id
    at = [i for i, c in enumerate(article_id) if c == "#"]
    return next((article_id[:i] for i in at if (corpus / article_id[:i]).is_file()), article_id[: at[0]])


def _of_file(ids: set[str], file: str) -> list[str]:
    return sorted(i for i in ids if i == file or i.startswith(file + "#"))


def _inside(corpus: Path, path: Path) -> str | None:
    """``path`` relative to the corpus folder (POSIX), or None when it lies outside it or in a
    hidden folder (never an article)."""
    try:
        relative = path.absolute().resolve().relative_to(corpus.absolute().resolve())
    except ValueError:
        return None
    if any(part.startswith(".") for part in relative.parts):
        return None
    return relative.as_posix()


def restore(corpus: Path, name: str) -> Retraction:
    """Undoes the retraction ``name`` names (its file, an id, its link): the file goes back where
    it was and the record is forgotten."""
    corpus = Path(corpus)
    every = records(corpus)
    record = _one_record(every, name)
    back = corpus / record.file
    if record.kept:
        if back.exists():
            raise RetractionError(f"{record.file} exists again in the corpus folder: move it away, then undo again")
        if not (corpus / record.kept).exists():
            raise RetractionError(f"the retracted file {record.kept} is missing; nothing was changed")
        back.parent.mkdir(parents=True, exist_ok=True)
        os.replace(corpus / record.kept, back)
    try:
        save(corpus, [r for r in every if r is not record])
    except OSError as exc:
        if record.kept:
            os.replace(back, corpus / record.kept)
        raise RetractionError(f"cannot update the list of retracted articles ({exc.strerror or exc}); "
                              "nothing was changed") from None
    return record


def _one_record(every: list[Retraction], name: str) -> Retraction:
    wanted = name.strip()
    exact = [r for r in every if wanted in (r.file, r.kept, *r.ids) or (wanted and same_link(wanted) in
                                                                         {same_link(x) for x in r.links})]
    found = exact or [r for r in every if r.file.endswith("/" + wanted)]
    if not found:
        raise RetractionError(f"no retracted article {name!r} (see `rawi retract --list`)")
    if len(found) > 1:
        named = ", ".join(r.file for r in found[:3])
        raise RetractionError(f"{name!r} names {len(found)} retracted files ({named}): give the whole path")
    return found[0]


def _free(path: Path) -> Path:
    """``path``, or the same name with ``-2``, ``-3``... before its suffix when it is taken."""
    number = 2
    candidate = path
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
        number += 1
    return candidate
