"""The Telegram bot answering from the Milvus store: the answer-path tests of test_bot.py, run
against an index of seeds/ in Milvus Lite (the bot knows only the Answerer; the store is behind it)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from index.build import Builder
from index.service import open_answerer
from index.settings import StoreSettings
from tests.conftest import SEEDS, make_settings
from tests.test_bot import (  # noqa: F401  (the tests run here; spy and api: test_bot's fixtures, on this seed_answerer)
    api, spy,
    test_answer_cites_the_passage_with_title_and_buttons, test_follow_up_builds_on_the_previous_question_and_new_forgets_it,
    test_full_article_button_sends_the_article_in_parts, test_more_passages_continues_the_numbering_and_retires_the_button,
    test_off_topic_question_is_declined_honestly_citing_nothing, test_sources_names_the_newest_articles,
)


@pytest.fixture(scope="module")
def seed_answerer(tmp_path_factory, encoder):
    base = tmp_path_factory.mktemp("milvus-seed")
    settings = replace(make_settings(SEEDS, base / "index"), store=StoreSettings(backend="milvus", uri=str(base / "milvus.db")))
    Builder(settings, encoder).run()
    return open_answerer(settings, encoder)
