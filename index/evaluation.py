"""Measure answer quality on a question set: retrieval ranks, answers in passages, abstention, latency.

Two formats are read:

* the seed JSONL of ``eval/`` (``question``, ``article``, ``passage_contains_any``,
  ``abstain``), asked over an existing corpus folder;
* SQuAD-format JSON (XQuAD): its paragraphs become the corpus, one article per paragraph, and
  each question's own paragraph is the one to cite. ``paragraphs`` may name a parallel file
  in another language (English questions over Arabic paragraphs). With ``split`` ("even" or
  "odd"), only the paragraphs of the even- (or odd-) numbered Wikipedia articles form the
  corpus, so the other articles' questions have no answer there: the right reply is "the
  articles don't say". The two halves make a fit set and a held-out set for calibration.

With ``bilingual`` naming a parallel SQuAD file (XQuAD is parallel: the same articles, paragraphs
and question ids in every language), the corpus holds both languages, the way a bilingual news
desk's does: paragraph j of article i is taken from the ``bilingual`` file when i + j is even,
from the questions' file otherwise, so every paragraph is indexed once, in one language, beside
neighbours on the same subject in the other. The questions of both files are asked, and the
figures are reported per pair (question language -> language of the paragraph that answers).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from .answer import Answerer, open_answerer
from .build import Builder, progress_bar
from .encoder import Encoder
from .extract import extract
from .normalize import normalize
from .numbers import find_numbers
from .question import language_of
from .translate import Translator
from .settings import IndexSettings, StoreSettings
from .store import open_backend
from .store.manifest import FORMAT_VERSION


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    gold_articles: frozenset[str]  # empty: unanswerable from this corpus
    contains_any: tuple[str, ...]  # a correct passage contains one of these
    rank_by_passage: bool = False  # rank the first passage holding contains_any, not just the article
    pair: str = ""  # "en->ar": question language -> language of the paragraph that answers ("en->none": none)
    answers_known: bool = False  # contains_any are the gold answer's texts (SQuAD), not passage snippets


    @property
    def answerable(self) -> bool:
        return bool(self.gold_articles)


@dataclass
class QuestionResult:
    id: str
    answerable: bool
    answered: bool
    rank: int | None  # 1-based rank of the first passage from a gold article (top 10)
    answer_in_top5: bool
    seconds: float
    evidence: dict = field(default_factory=dict)
    pair: str = ""
    sentence_has_answer: bool | None = None  # rank 1 only: does the chosen sentence hold the answer?
    short_answer: str | None = None  # the rules-made short answer shown above the passages, if any
    short_right: bool | None = None  # None: no short answer shown, or no gold answer text to judge it by
    answers_known: bool = False  # the question came with gold answer texts (SQuAD)
    question: str = ""  # the question as asked
    first: tuple[str, str] | None = None  # the first passage: (article id, its first words); None: no passage

    def miss_json(self) -> dict:
        """One R@1 miss: the question, where the right article came (None: not in the first 10), what came first."""
        first = {"article_id": self.first[0], "words": self.first[1]} if self.first else None
        return {"id": self.id, "question": self.question, "pair": self.pair, "rank": self.rank, "first": first}


FIRST_WORDS = 12  # words of the first passage shown for a miss


def misses(results: list[QuestionResult]) -> list[QuestionResult]:
    """The answerable questions whose first passage is not from a right article (an R@1 miss), in asked order."""
    return [r for r in results if r.answerable and r.rank != 1]


@dataclass
class Report:
    questions: int
    answerable: int
    recall_at_1: float | None  # None: no answerable question
    recall_at_5: float | None
    mrr_at_10: float | None
    answer_in_passage_at_5: float | None
    answered_share: float | None  # of answerable questions
    sentence_at_1: float | None  # of questions whose first passage is right: the chosen sentence holds the answer
    abstention_accuracy: float | None  # declined share of unanswerable questions
    short_answer_precision: float | None  # of the short answers shown (and judged), the share that are right
    short_answer_coverage: float | None  # of answerable questions with gold answer texts, the share shown one
    latency_p50_ms: float
    latency_p95_ms: float

    def to_json(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def read_seed_questions(path: Path) -> list[EvalQuestion]:
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            found.append(EvalQuestion(
                id=str(row.get("id", number)), question=row["question"],
                gold_articles=frozenset() if row.get("abstain") else frozenset([row["article"]]),
                contains_any=tuple(row.get("passage_contains_any", [])), rank_by_passage=True,
            ))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a question record ({exc})") from None
    return found


def _squad(path: Path) -> list[dict]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
        if not isinstance(data, list) or not all(isinstance(a, dict) and isinstance(a.get("paragraphs"), list) for a in data):
            raise TypeError("'data' is not a list of articles with paragraphs")
        return data
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a SQuAD-format file ({exc})") from None


def paragraph_id(article: int, paragraph: int) -> str:
    return f"{article:03d}-{paragraph:02d}.txt"


SPLITS = ("even", "odd")


def left_out(article: int, split: str | None) -> bool:
    """Is this article's text left out of the corpus under ``split``?"""
    return split is not None and article % 2 != SPLITS.index(split)


def _parallel(data: list[dict], other: list[dict], path: Path) -> None:
    shape = [len(a["paragraphs"]) for a in data]
    if [len(a["paragraphs"]) for a in other] != shape:
        raise ValueError(f"{path}: not parallel to the questions' file (other articles or paragraphs)")


def from_other(article: int, paragraph: int) -> bool:
    """Bilingual corpus: is this paragraph taken from the other-language file?"""
    return (article + paragraph) % 2 == 0


def _language(data: list[dict]) -> str:
    return language_of(" ".join(p["context"] for a in data for p in a["paragraphs"]))


def write_squad_corpus(paragraphs_file: Path, corpus: Path, split: str | None, other: Path | None = None) -> None:
    """One article file per paragraph, titled with its Wikipedia article; rewritten only when it
    changes. With ``other`` (a parallel file), the bilingual corpus: see ``from_other``."""
    corpus.mkdir(parents=True, exist_ok=True)
    data = _squad(paragraphs_file)
    second = _squad(other) if other else None
    if second is not None and other is not None:
        _parallel(data, second, other)
    wanted = {}
    for i, article in enumerate(data):
        if left_out(i, split):
            continue
        for j in range(len(article["paragraphs"])):
            source = second if second is not None and from_other(i, j) else data
            title = str(source[i].get("title", "")).replace("_", " ")
            context = source[i]["paragraphs"][j]["context"].strip()
            wanted[paragraph_id(i, j)] = f"---\ntitle: {title}\n---\n{context}\n"
    for stale in set(p.name for p in corpus.glob("*.txt")) - set(wanted):
        (corpus / stale).unlink()
    for name, text in wanted.items():
        path = corpus / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


def _answers(data: list[dict]) -> dict[str, tuple[str, ...]]:
    return {
        qa["id"]: tuple(a["text"] for a in qa.get("answers", []))
        for article in data for paragraph in article["paragraphs"] for qa in paragraph["qas"]
    }


def read_squad_questions(path: Path, split: str | None, paragraphs: Path | None = None) -> list[EvalQuestion]:
    """Questions of a SQuAD file; answer texts come from the file of the paragraphs asked over
    (XQuAD is parallel: a question's id is the same in every language)."""
    data = _squad(path)
    over = _squad(paragraphs) if paragraphs else data
    return _questions(data, split, lambda i, j: over)


def read_bilingual_questions(path: Path, other: Path, split: str | None) -> list[EvalQuestion]:
    """The questions of both parallel files, each about its paragraph in the language it is
    indexed in (``from_other``)."""
    first, second = _squad(path), _squad(other)
    _parallel(first, second, other)

    def source(i: int, j: int) -> list[dict]:
        return second if from_other(i, j) else first

    return _questions(first, split, source) + _questions(second, split, source)


def _questions(data: list[dict], split: str | None, source) -> list[EvalQuestion]:
    """``source(i, j)``: the file whose paragraph j of article i is indexed (its language, its answers)."""
    asked = _language(data)
    facts: dict[int, tuple[str, dict[str, tuple[str, ...]]]] = {}  # per indexed file: language, answers
    found = []
    for i, article in enumerate(data):
        for j, paragraph in enumerate(article["paragraphs"]):
            indexed = source(i, j)
            if id(indexed) not in facts:
                facts[id(indexed)] = (_language(indexed), _answers(indexed))
            language, answers = facts[id(indexed)]
            out = left_out(i, split)
            gold = frozenset() if out else frozenset([paragraph_id(i, j)])
            pair = f"{asked}->{'none' if out else language}"
            for qa in paragraph["qas"]:
                found.append(EvalQuestion(qa["id"], qa["question"], gold, answers.get(qa["id"], ()), pair=pair,
                                          answers_known=True))
    return found


def is_squad(path: Path) -> bool:
    return path.suffix.lower() == ".json"


def workspace(base: Path, *parts: object) -> Path:
    """A stable folder for one evaluation's corpus and index, so reruns are incremental."""
    key = hashlib.sha256("\0".join(str(p) for p in parts).encode()).hexdigest()[:12]
    return base / key


def _contains(text: str, needles: tuple[str, ...]) -> bool:
    folded = normalize(text)
    return any(normalize(n) in folded for n in needles if n.strip())


def short_is_right(short: str, gold: tuple[str, ...]) -> bool:
    """A short answer is right when it states one of the gold answers' numbers, or holds the
    text of one of them (compared normalized: "20 ألف" states 20,000, so does "more than 20,000")."""
    stated = {n.value for n in find_numbers(short)}
    if any(stated & {n.value for n in find_numbers(g)} for g in gold):
        return True
    return _contains(short, gold)


def ask_one(answerer: Answerer, question: EvalQuestion) -> QuestionResult:
    started = time.perf_counter()
    answer = answerer.ask(question.question, k=10)
    seconds = time.perf_counter() - started
    shown = extract(answer)
    short = shown.text if shown else None
    hits = [p.article_id in question.gold_articles and _contains(p.text, question.contains_any) for p in answer.passages]
    ranked = hits if question.rank_by_passage else [p.article_id in question.gold_articles for p in answer.passages]
    rank = next((n for n, hit in enumerate(ranked, 1) if hit), None)
    in_top5 = any(hits[:5])
    sentence = None
    first = None
    if answer.passages:
        words = answer.passages[0].text.split()
        first = (answer.passages[0].article_id, " ".join(words[:FIRST_WORDS]) + (" …" if len(words) > FIRST_WORDS else ""))
    if rank == 1 and question.contains_any:
        sentence = _contains(answer.passages[0].sentence, question.contains_any)
    return QuestionResult(
        question.id, question.answerable, answer.answered, rank, in_top5, seconds,
        evidence=answer.evidence.features() if answer.evidence else {},
        pair=question.pair, sentence_has_answer=sentence, short_answer=short,
        # A short answer where the corpus holds none is wrong, whatever it says.
        short_right=(question.answerable and short_is_right(short, question.contains_any))
        if short and question.answers_known else None, answers_known=question.answers_known,
        question=question.question, first=first,
    )


def report(results: list[QuestionResult]) -> Report:
    """The figures over ``results``; those about answers are None when no question has one."""
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    latencies = sorted(r.seconds * 1000 for r in results) or [0.0]
    return Report(
        questions=len(results),
        answerable=len(answerable),
        recall_at_1=_share([r.rank == 1 for r in answerable]),
        recall_at_5=_share([r.rank is not None and r.rank <= 5 for r in answerable]),
        mrr_at_10=_mean([1 / r.rank if r.rank else 0.0 for r in answerable]),
        answer_in_passage_at_5=_share([r.answer_in_top5 for r in answerable]),
        answered_share=_share([r.answered for r in answerable]),
        sentence_at_1=_share([r.sentence_has_answer for r in answerable if r.sentence_has_answer is not None]),
        abstention_accuracy=_share([not r.answered for r in unanswerable]),
        short_answer_precision=_share([r.short_right for r in results if r.short_right is not None]),
        short_answer_coverage=_share([r.short_answer is not None for r in answerable if r.answers_known]),
        latency_p50_ms=_percentile(latencies, 0.50),
        latency_p95_ms=_percentile(latencies, 0.95),
    )


def report_by_pair(results: list[QuestionResult]) -> dict[str, Report]:
    """One report per language pair ("en->ar"; "en->none" for questions the corpus cannot answer)."""
    pairs = sorted({r.pair for r in results if r.pair})
    return {pair: report([r for r in results if r.pair == pair]) for pair in pairs}


def _share(flags: list[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _percentile(sorted_values: list[float], q: float) -> float:
    index = min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))
    return sorted_values[index]


def roc_auc(scores: list[float], labels: list[bool]) -> float:
    """Probability that a random answerable question scores above a random unanswerable one."""
    pos = [s for s, y in zip(scores, labels) if y]
    neg = [s for s, y in zip(scores, labels) if not y]
    if not pos or not neg:
        return float("nan")
    wins = sum((p > q) + 0.5 * (p == q) for p in pos for q in neg)
    return wins / (len(pos) * len(neg))



@dataclass(frozen=True)
class EvalRun:
    settings: IndexSettings  # corpus and index folders of this evaluation
    questions: list[EvalQuestion]


def prepare(
    settings: IndexSettings, file: Path, paragraphs: Path | None, split: str | None, bilingual: Path | None = None
) -> EvalRun:
    """Read the questions and lay out the corpus to ask them over."""
    base = settings.index_dir.parent / "eval"
    if is_squad(file):
        source = paragraphs or file
        # A new index format needs a new index: the format is part of the workspace's name.
        folder = workspace(base, source.resolve(), split, FORMAT_VERSION, *([bilingual.resolve()] if bilingual else []))
        write_squad_corpus(source, folder / "corpus", split, other=bilingual)
        questions = (
            read_bilingual_questions(file, bilingual, split) if bilingual else read_squad_questions(file, split, paragraphs)
        )
        return EvalRun(
            replace(settings, corpus_dir=folder / "corpus", index_dir=folder / "index", store=_own_store(settings, folder)),
            questions,
        )
    if bilingual:
        raise ValueError("--bilingual needs a SQuAD-format .json question file")
    folder = workspace(base, settings.corpus_dir.resolve(), FORMAT_VERSION)
    return EvalRun(replace(settings, index_dir=folder / "index", store=_own_store(settings, folder)), read_seed_questions(file))


def _own_store(settings: IndexSettings, folder: Path) -> StoreSettings:
    """The evaluation's index apart from the user's on the configured backend: in its workspace
    (a Milvus Lite file there), or, on a Milvus server, under a name of its own."""
    store = settings.store
    if store.backend != "milvus":
        return store
    if "://" not in store.uri:
        return replace(store, uri=str(folder / "milvus.db"))
    return replace(store, name=f"{store.name}_eval_{folder.name}")


def run(evaluation: EvalRun, progress: bool = False, translator: Translator | None = None) -> list[QuestionResult]:
    """Index the corpus (incrementally), then ask every question, timing each (``translator``:
    the questions are translated through the [generate] server, translate.py)."""
    encoder = Encoder(evaluation.settings.encoder)
    backend = open_backend(evaluation.settings, encoder.name)
    with backend.lock(wait=True):
        Builder(evaluation.settings, encoder, progress=progress, backend=backend).run()
    answerer = open_answerer(evaluation.settings, encoder, translator)
    answerer.ask("warm up", k=1)  # the first call pays for lazy initialisation
    return [ask_one(answerer, q) for q in progress_bar(evaluation.questions, progress, "asking", "question")]
