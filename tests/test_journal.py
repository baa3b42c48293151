"""The bot's journal of received-but-unanswered updates, on real files (bot/journal.py)."""

from __future__ import annotations

import logging

from bot.journal import MAX_STARTS, Journal


def update(update_id: int, text: str = "How many containers?") -> dict:
    return {"update_id": update_id, "message": {"message_id": update_id, "text": text, "chat": {"id": 7}}}


def test_an_unanswered_update_is_replayed_and_an_answered_one_is_not(tmp_path):
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    assert journal.open() == []
    assert journal.receive([update(1), update(2)]) == [update(1), update(2)]
    journal.done(1)
    journal.close()  # the process dies here: 2 was never answered

    again = Journal(path)
    assert again.open() == [update(2)]
    assert again.receive([update(2), update(3)]) == [update(3)]  # re-delivered 2 is recognised
    again.close()


def test_an_update_pending_at_every_start_is_dropped_after_max_starts(tmp_path, caplog):
    """A question whose handling kills the bot must not kill it at every start forever."""
    path = tmp_path / "journal.jsonl"
    first = Journal(path)
    first.open()
    first.receive([update(5, "crashes the handler"), update(6)])
    first.close()
    replayed = []
    for _ in range(MAX_STARTS):
        run = Journal(path)
        replayed.append([u["update_id"] for u in run.open()])
        run.done(6)  # 6 is answered on the first replay; 5 crashes the process each time
        run.close()
    assert replayed == [[5, 6]] + [[5]] * (MAX_STARTS - 1)
    caplog.set_level(logging.WARNING, logger="bot.journal")
    last = Journal(path)
    assert last.open() == []
    assert "update 5 was being answered" in caplog.text
    assert last.receive([update(5)]) == []  # still recognised as seen: not answered twice
    last.close()


def test_an_update_answered_after_a_restart_starts_its_count_again(tmp_path):
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    journal.open()
    journal.receive([update(9)])
    journal.close()
    for _ in range(MAX_STARTS - 1):
        run = Journal(path)
        assert [u["update_id"] for u in run.open()] == [9]
        run.close()
    run = Journal(path)
    assert [u["update_id"] for u in run.open()] == [9]  # the last allowed replay
    run.done(9)
    run.receive([update(10)])
    run.close()
    assert [u["update_id"] for u in Journal(path).open()] == [10]
