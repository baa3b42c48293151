"""A corpus holding both languages: the answer in the other language must not lose to same-language
passages on the same story (issue 12). Real encoder, real index, real files."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from index import evaluation
from index.build import Builder
from index.languages import LanguageMeans, balance
from index.service import open_answerer
from index.store.local import open_snapshot, read_manifest, current_generation
from tests.conftest import SEEDS, indexed_copy, make_settings

STORY = Path(__file__).parent / "data" / "bilingual_story"  # English articles on the seed's story, without its facts
CONTAINERS = "20 ألف حاوية"


@pytest.fixture(scope="module")
def story_settings(tmp_path_factory, encoder):
    """The Arabic seed article beside three English articles on the same visit."""
    return indexed_copy(tmp_path_factory.mktemp("bilingual-story"), encoder, STORY)


@pytest.fixture(scope="module")
def story(story_settings, encoder):
    return open_answerer(story_settings, encoder)


@pytest.mark.parametrize("question", [
    "How many containers did the DPRK send?",
    "كم عدد حاويات الذخيرة التي أرسلتها كوريا الشمالية إلى روسيا؟",
])
def test_the_container_answer_is_cited_first_in_either_language(story, question):
    answer = story.ask(question, k=3)
    assert answer.answered
    assert CONTAINERS in answer.passages[0].text


def test_a_cross_lingual_answer_beats_a_same_language_article_on_the_same_story(story):
    answer = story.ask("Who arrived in Pyongyang on Wednesday?", k=3)
    assert answer.answered and answer.passages[0].article_id.startswith("000_")
    assert "سيرجي شويغو" in answer.passages[0].text


def test_an_arabic_question_naming_the_weekday_finds_the_arabic_passage_that_names_it(story):
    # Language balance lifts the English "Shoigu leaves Pyongyang" (cosine 0.75) over the seed's
    # arrival passage (0.80) for this Arabic question: the weekday settles it, named by the seed
    # and not by the English article, which names Friday (retrieval.named_dates_first). The order
    # holds by 0.007 in score (0.009-0.012 when BM25 counted الأربعاء too); whether
    # the question counts as answered does not (confidence 0.26-0.39 against the 0.35
    # threshold), so only the order is asserted.
    answer = story.ask("من وصل إلى بيونغ يانغ يوم الأربعاء؟", k=3)
    assert answer.passages[0].article_id.startswith("000_")
    assert "سيرجي شويغو" in answer.passages[0].sentence and "وصل" in answer.passages[0].sentence


def test_same_language_answers_still_come_first(story):
    assert story.ask("When did Shoigu leave Pyongyang?", k=1).passages[0].article_id == "shoigu-leaves.md"
    assert story.ask("What did China's foreign ministry say?", k=1).passages[0].article_id == "china-reaction.md"


def test_without_language_balance_the_english_articles_crowd_out_the_answer(story_settings, encoder):
    """The failure this fixes, shown on the same index: plain cosines prefer the question's language."""
    plain = replace(story_settings, retrieval=replace(story_settings.retrieval, language_balance=0.0))
    answerer = open_answerer(plain, encoder)
    ranking = answerer.retriever.rank(answerer.index.snapshot(), "How many containers did the DPRK send?")
    assert CONTAINERS not in ranking.hits[0].chunk.text
    # Declined (0.02), the reply is not flat though (near_miss.py): the Arabic passage, read as
    # the first, measured 0.64 (the floor is 0.15), is named and shown first.
    answer = answerer.ask("How many containers did the DPRK send?", k=3)
    assert not answer.answered and answer.near is not None and answer.near.language == "ar"
    assert CONTAINERS in answer.passages[0].text


def test_one_language_corpus_has_no_direction_and_ranks_as_before(seed_settings):
    snapshot = open_snapshot(seed_settings.index_dir)
    assert snapshot.language_direction is None
    query = np.ones(4, dtype=np.float32)
    assert balance(query, snapshot.language_direction, 1.6) is query


def _means(settings) -> LanguageMeans:
    manifest = read_manifest(current_generation(settings.index_dir))
    return LanguageMeans.from_json(manifest.languages, manifest.dimension)


def _recount(settings) -> LanguageMeans:
    """The means counted afresh from what the index stores (passage texts and vectors)."""
    import faiss

    snapshot = open_snapshot(settings.index_dir)
    ids = faiss.vector_to_array(snapshot.vectors.id_map)
    rows = snapshot.chunks(ids.tolist())
    means = LanguageMeans()
    means.add([rows[int(i)].text for i in ids], snapshot.vectors.reconstruct_batch(ids))
    return means


def test_language_means_follow_articles_as_they_come_and_go(tmp_path, encoder):
    """The sums kept from run to run (articles added, changed, removed) equal a recount of the index."""
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    settings = make_settings(corpus, tmp_path / "index")
    Builder(settings, encoder).run()
    assert set(_means(settings).counts) == {"ar"}
    for article in STORY.iterdir():
        shutil.copy(article, corpus / article.name)
    Builder(settings, encoder).run()
    (corpus / "seoul-briefing.md").unlink()
    (corpus / "china-reaction.md").write_text((STORY / "china-reaction.md").read_text() + "\nMore later.\n")
    Builder(settings, encoder).run()
    kept, recounted = _means(settings), _recount(settings)
    assert kept.counts == recounted.counts and kept.counts["en"] >= 2
    for language in kept.counts:
        np.testing.assert_allclose(kept.sums[language], recounted.sums[language], atol=1e-4)
    # Whether this small corpus's direction passes the alignment guard is the model's call (it
    # turned over under make fragile's perturbations); when it gives one, it is a unit vector.
    direction = kept.direction()
    assert direction is None or abs(float(np.linalg.norm(direction)) - 1) < 1e-5


def test_an_index_from_before_language_means_gets_them_on_the_next_run(tmp_path, encoder):
    corpus = tmp_path / "corpus"
    shutil.copytree(STORY, corpus)
    shutil.copy(next(SEEDS.iterdir()), corpus)
    settings = make_settings(corpus, tmp_path / "index")
    Builder(settings, encoder).run()
    generation = current_generation(settings.index_dir)
    manifest = json.loads((generation / "manifest.json").read_text())
    del manifest["languages"]
    (generation / "manifest.json").write_text(json.dumps(manifest))
    assert open_snapshot(settings.index_dir).language_direction is None
    stats = Builder(settings, encoder).run()  # nothing changed, but the means are missing
    assert stats.chunks_embedded == 0
    assert open_snapshot(settings.index_dir).language_direction is not None


def test_language_means_add_and_remove_exactly():
    means = LanguageMeans(reference=np.array([0.6, -0.8, 0.0], dtype=np.float32))
    vectors = np.eye(3, dtype=np.float32)
    means.add(["نص عربي هنا", "English text here", "More English"], vectors)
    np.testing.assert_allclose(means.direction(), [0.6, -0.8, 0.0])  # one Arabic passage: the reference's
    means.add(["نص عربي آخر"], vectors[2:])
    direction = means.direction()
    assert direction is not None and direction[0] > 0 and direction[1] < 0
    means.remove(["نص عربي آخر", "نص عربي هنا"], vectors[[2, 0]])
    assert "ar" not in means.counts and means.direction() is None
    again = LanguageMeans.from_json(json.loads(json.dumps(means.to_json())), 3)
    assert again.counts == means.counts and again.reference is not None


def test_a_difference_of_subjects_is_not_taken_for_a_language_direction():
    """Means that differ along a direction far from the reference (parallel text) give the
    reference instead (issue 23 item 3: a small corpus is not ranked by plain cosines)."""
    means = LanguageMeans(reference=np.array([2.0, 0.0, 0.0], dtype=np.float32))
    means.add(["نص عربي", "نص آخر", "English", "More English"], np.array(
        [[0.2, 1.0, 0.0], [0.2, 1.0, 0.0], [0.0, -1.0, 0.0], [0.0, -1.0, 0.0]], dtype=np.float32))
    np.testing.assert_allclose(means.direction(), [1.0, 0.0, 0.0])  # cosine with the reference 0.1
    means.reference = np.array([0.0, 1.0, 0.0], dtype=np.float32)
    direction = means.direction()
    assert direction is not None and direction[1] > 0.99 and direction[0] > 0.09  # the corpus's own


def test_one_passage_of_a_language_gets_the_reference_and_none_without_one():
    means = LanguageMeans(reference=np.array([0.0, 0.0, 1.0], dtype=np.float32))
    means.add(["نص عربي", "English"], np.eye(3, dtype=np.float32)[:2])
    np.testing.assert_allclose(means.direction(), [0.0, 0.0, 1.0])
    means.remove(["English"], np.eye(3, dtype=np.float32)[1:2])
    assert means.direction() is None  # one language only
    assert LanguageMeans().direction() is None  # no reference measured


def test_an_arabic_article_beside_english_ones_on_other_subjects_gets_the_parallel_text_direction(tmp_path, encoder):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    (corpus / "oil.txt").write_text("Oil prices rise\n\nOil prices rose 3.5 percent on Monday after OPEC+ met online.\n"
                                    "The next OPEC+ meeting is scheduled for July 6 in Vienna.\n")
    (corpus / "bread.txt").write_text("How to bake sourdough bread\n\nMix flour, water and salt, then let the dough "
                                      "rise overnight before baking it hot.\n")
    (corpus / "cup.txt").write_text("Local team wins the cup\n\nThe home side won the final 2-1 after extra time.\n")
    settings = make_settings(corpus, tmp_path / "index")
    Builder(settings, encoder).run()
    means = _means(settings)
    assert means.bilingual and means.reference is not None
    direction = open_snapshot(settings.index_dir).language_direction
    assert direction is not None  # not the corpus's (a difference of subjects): the parallel text's
    assert float(direction @ means.reference) / float(np.linalg.norm(means.reference)) > 0.999
    answer = open_answerer(settings, encoder).ask("Who arrived in Pyongyang on Wednesday?", k=1)
    assert answer.answered and answer.passages[0].article_id.startswith("000_")


def test_the_story_corpus_has_a_language_direction(story_settings):
    assert open_snapshot(story_settings.index_dir).language_direction is not None


VALID_SUM = {"passages": 2, "sum": [0, 0, 0]}


@pytest.mark.parametrize("record", [
    [1, 2], {"ar": 5}, {"passages": {"ar": VALID_SUM}}, {"passages": [], "reference": None},
    {"passages": {"ar": {"passages": 0, "sum": [0, 0, 0]}}, "reference": None},
    {"passages": {"ar": {"passages": 2, "sum": [0, 0]}}, "reference": None},
    {"passages": {"ar": {"passages": 2, "sum": ["x", 0, 0]}}, "reference": None},
    {"passages": {"ar": {"passages": True, "sum": [0, 0, 0]}}, "reference": None},
    {"passages": {"ar": VALID_SUM}, "reference": [1, 2]},
    {"passages": {"ar": VALID_SUM}, "reference": "north"},
])
def test_malformed_language_means_are_refused(record):
    with pytest.raises(ValueError):
        LanguageMeans.from_json(record, 3)


# -- rawi eval --bilingual: the corpus of both languages, figures per pair ---------------------------------

def _squad(paragraphs: list[list[tuple[str, str, str]]], title: str = "T") -> dict:
    """One article per list; each paragraph (context, question id, question)."""
    return {"data": [
        {"title": f"{title}{i}", "paragraphs": [
            {"context": c, "qas": [{"id": qid, "question": q, "answers": [{"text": c.split()[0], "answer_start": 0}]}]}
            for c, qid, q in article
        ]}
        for i, article in enumerate(paragraphs)
    ]}


EN = [[("Alpha river floods the valley.", "a0", "What floods the valley?"),
       ("Beta mountain rises high.", "a1", "What rises high?")],
      [("Gamma lake freezes in winter.", "b0", "What freezes in winter?")]]
AR = [[("نهر ألفا يغمر الوادي.", "a0", "ما الذي يغمر الوادي؟"),
       ("جبل بيتا يرتفع عاليا.", "a1", "ما الذي يرتفع عاليا؟")],
      [("بحيرة غاما تتجمد في الشتاء.", "b0", "ما الذي يتجمد في الشتاء؟")]]


@pytest.fixture
def parallel(tmp_path):
    en, ar = tmp_path / "dev.en.json", tmp_path / "dev.ar.json"
    en.write_text(json.dumps(_squad(EN)), encoding="utf-8")
    ar.write_text(json.dumps(_squad(AR)), encoding="utf-8")
    return en, ar


def test_the_bilingual_corpus_takes_each_paragraph_once_alternating_languages(parallel, corpus_settings):
    en, ar = parallel
    run = evaluation.prepare(corpus_settings, en, None, None, bilingual=ar)
    corpus = run.settings.corpus_dir
    texts = {p.name: p.read_text(encoding="utf-8") for p in corpus.iterdir()}
    # paragraph j of article i from the other (Arabic) file when i + j is even
    assert "ألفا" in texts["000-00.txt"] and "Beta" in texts["000-01.txt"] and "Gamma" in texts["001-00.txt"]
    pairs = {(q.id, q.question[:4]): q.pair for q in run.questions}
    assert pairs == {("a0", "What"): "en->ar", ("a1", "What"): "en->en", ("b0", "What"): "en->en",
                     ("a0", "ما ا"): "ar->ar", ("a1", "ما ا"): "ar->en", ("b0", "ما ا"): "ar->en"}
    # each question's answer string is in the language its paragraph is indexed in
    assert {q.contains_any for q in run.questions if q.id == "a0"} == {("نهر",)}


def test_bilingual_split_marks_the_left_out_articles_unanswerable(parallel, corpus_settings):
    en, ar = parallel
    run = evaluation.prepare(corpus_settings, en, None, "even", bilingual=ar)
    assert sorted(p.name for p in run.settings.corpus_dir.iterdir()) == ["000-00.txt", "000-01.txt"]
    assert {q.pair for q in run.questions if not q.answerable} == {"en->none", "ar->none"}


def test_a_file_that_is_not_parallel_is_refused(parallel, tmp_path, corpus_settings):
    en, _ = parallel
    other = tmp_path / "other.json"
    other.write_text(json.dumps(_squad(AR[:1])), encoding="utf-8")
    with pytest.raises(ValueError, match="not parallel"):
        evaluation.prepare(corpus_settings, en, None, None, bilingual=other)


def test_reports_per_pair_and_the_sentence_figure():
    from index.evaluation import QuestionResult, report_by_pair

    results = [
        QuestionResult("a", True, True, 1, True, 0.01, pair="en->ar", sentence_has_answer=True),
        QuestionResult("b", True, True, 1, True, 0.01, pair="en->ar", sentence_has_answer=False),
        QuestionResult("c", True, False, 2, True, 0.01, pair="en->ar"),
        QuestionResult("d", False, False, None, False, 0.01, pair="en->none"),
    ]
    reports = report_by_pair(results)
    assert set(reports) == {"en->ar", "en->none"}
    assert reports["en->ar"].recall_at_1 == pytest.approx(2 / 3)
    assert reports["en->ar"].sentence_at_1 == pytest.approx(0.5)
    assert reports["en->none"].abstention_accuracy == 1.0 and reports["en->none"].recall_at_1 is None


def test_an_arabic_question_naming_a_city_only_the_english_articles_name(story):
    """"بكين" is "Beijing" by its sound, the g unwritten (name_sounds.py); only the English article
    on China's reaction names it and no Arabic passage writes بكين, so that article gains
    retrieval.ARABIC_NAME_BONUS. Margin measured -0.002 without it (the seed first), +0.008 with."""
    question = "ماذا قالت وزارة الخارجية في بكين عن العلاقات بين روسيا وكوريا الشمالية؟"
    hits = story.retriever.rank(story.index.snapshot(), question).hits
    assert hits[0].chunk.article_id == "china-reaction.md"
    assert hits[0].fused - max(h.fused for h in hits if h.chunk.article_id != "china-reaction.md") >= 0.004
