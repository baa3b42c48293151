"""What a "how many" question counts, and which sentence writes a number in the form a question asks
for: a count of it, a measure in its unit, money for a price (index/counted.py)."""

from __future__ import annotations

import pytest

from index.counted import counted_nouns, holds_answer_form
from index.question import parse_question


@pytest.mark.parametrize(("sentence", "question", "expected"), [
    ("The operator expects 300,000 passengers a day at the 37 stations of the network.",
     "How many stations does the Doha Metro network have?", True),
    ("DOHA, Dec 1 - Doha Metro will run 110 trains a day on the Red Line during the Arab Cup.",
     "How many stations does the Doha Metro network have?", False),
    ("The line will get 3 new stations next year.", "How many stations will the line get?", True),
    ("The corporation said it needs 2 million litres of diesel a day.", "How much diesel does it need?", True),
    # Not past "of": the count there is of something the sentence names next.
    ("Behind them, two of the Panthers three starting linebackers were selected.",
     "How many Panthers defense players were selected?", False),
    ("وقال المدير إن عدد العاملين فيه بلغ 2300 عامل.", "كم عاملا يعمل في الميناء؟", True),
    ("وقال المدير إن الميناء استقبل 950 سفينة.", "كم عاملا يعمل في الميناء؟", False),
    # In the other language, or a year, or a question that counts nothing: no.
    ("وقال المدير إن عدد العاملين فيه بلغ 2300 عامل.", "How many workers does the port employ?", False),
    ("The stadium opened in 2022 stations later followed.", "How many stations opened?", False),
    ("The operator has 37 stations.", "When did the metro open?", False),
    # A measure in the unit asked, money for a price; not a bare count for either.
    ("Sohar lies 200 kilometres north-west of Muscat.", "How far is Sohar from Muscat?", True),
    ("Sohar has 3 ports and 2 airports.", "How far is Sohar from Muscat?", False),
    ("A day pass will cost 6 riyals.", "How much does a day pass cost?", True),
    ("Tickets went on sale at $5 each.", "What is the price of a ticket?", True),
    ("بلغ سعر التذكرة 15 جنيها.", "كم سعر التذكرة؟", True),
    ("A ticket now costs 8 Egyptian pounds for up to 9 stations.", "How much does a ticket cost?", True),
    ("The 3 Egyptian ports handled 900 ships.", "How much does a ticket cost?", False),
    ("DOHA, Dec 1 - Doha Metro will run 110 trains a day.", "How much does a day pass cost?", False),
    # "How much diesel" asks a quantity, not money.
    ("The plant paid 4 million dollars for its fuel.", "How much diesel does the plant burn?", False),
])
def test_a_sentence_writes_a_number_in_the_form_asked(sentence, question, expected):
    assert holds_answer_form(sentence, parse_question(question)) is expected


def test_what_a_question_counts():
    assert counted_nouns(parse_question("How many stations does the network have?")) == frozenset({"station"})
    assert "طن" in counted_nouns(parse_question("كم طنا من القمح اشترت مصر؟"))
    assert counted_nouns(parse_question("Who arrived in Pyongyang?")) == frozenset()
