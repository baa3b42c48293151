"""Corpus files -> articles: encodings, front matter, titles, and every kind of bad file."""

import os

import pytest

from index.articles import CorpusError, scan

ARABIC = "وصل سكرتير مجلس الأمن الروسي إلى بيونغ يانغ.\nوأرسلت كوريا الشمالية 20 ألف حاوية ذخيرة."


def write(corpus, name, data: bytes):
    path = corpus / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def one(corpus):
    result = scan(corpus)
    assert len(result.articles) == 1, result
    return result.articles[0]


def test_title_is_the_first_non_empty_line_and_id_the_relative_path(tmp_path):
    write(tmp_path, "world/korea.txt", ("\n\n  عنوان الخبر  \n\n" + ARABIC).encode())
    found = one(tmp_path)
    assert found.id == "world/korea.txt"
    assert found.title == "عنوان الخبر"
    assert "20 ألف حاوية" in found.text


def test_front_matter_gives_title_url_and_dates(tmp_path):
    text = "---\ntitle: Shoigu in Pyongyang\nurl: https://example.com/a\npublished: 2025-06-04\nsource: TASS\n---\nBody line.\n"
    write(tmp_path, "a.md", text.encode())
    found = one(tmp_path)
    assert (found.title, found.url, found.published, found.source) == (
        "Shoigu in Pyongyang", "https://example.com/a", "2025-06-04", "TASS",
    )
    assert found.text == "Body line.\n"


@pytest.mark.parametrize(
    "encoded",
    [
        ARABIC.encode("cp1256"),
        ARABIC.encode("utf-16"),  # with BOM
        b"\xef\xbb\xbf" + ARABIC.encode("utf-8"),
        ARABIC.replace("\n", "\r\n").encode("utf-8"),
    ],
    ids=["windows-1256", "utf-16-bom", "utf-8-bom", "crlf"],
)
def test_encodings_and_line_ends_decode_to_the_same_text(tmp_path, encoded):
    write(tmp_path, "a.txt", encoded)
    assert one(tmp_path).text == ARABIC


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty"),
        (b"   \n\t \r\n  ", "empty"),
        (b"\x00\x01\x02\x03" * 64, "binary"),
        (b"hello\x00world" * 10, "NUL"),
        (bytes(range(256)) * 8, "binary"),
    ],
    ids=["empty", "whitespace", "binary", "nul-bytes", "all-bytes"],
)
def test_bad_files_are_skipped_with_a_reason_and_good_ones_kept(tmp_path, data, reason):
    write(tmp_path, "bad.txt", data)
    write(tmp_path, "good.txt", ARABIC.encode())
    result = scan(tmp_path)
    assert [a.id for a in result.articles] == ["good.txt"]
    assert len(result.skipped) == 1 and result.skipped[0].path == "bad.txt"
    assert reason in result.skipped[0].reason


def test_symlink_loop_and_dangling_link_are_skipped(tmp_path):
    write(tmp_path, "good.txt", ARABIC.encode())
    os.symlink(tmp_path / "loop.txt", tmp_path / "loop.txt")
    os.symlink(tmp_path / "nowhere", tmp_path / "dangling.txt")
    os.symlink(tmp_path, tmp_path / "subdir-loop")  # directory symlinks are not followed
    result = scan(tmp_path)
    assert [a.id for a in result.articles] == ["good.txt"]
    assert sorted(s.path for s in result.skipped) == ["dangling.txt", "loop.txt", "subdir-loop/"]
    assert all("cannot read" in s.reason for s in result.skipped if s.path.endswith(".txt"))


def test_unreadable_file_is_skipped(tmp_path, monkeypatch):
    write(tmp_path, "good.txt", ARABIC.encode())
    locked = write(tmp_path, "locked.txt", ARABIC.encode())
    locked.chmod(0)
    if os.geteuid() == 0:  # root reads any file: make the kernel's answer for others explicit
        real_open = os.open

        def refusing_open(path, *args, **kwargs):
            if os.path.basename(path) == "locked.txt":
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, *args, **kwargs)

        monkeypatch.setattr(os, "open", refusing_open)
    result = scan(tmp_path)
    assert [a.id for a in result.articles] == ["good.txt"]
    assert [(s.path, s.reason) for s in result.skipped] == [("locked.txt", "cannot read: Permission denied")]


def test_file_names_with_spaces_and_arabic_letters(tmp_path):
    write(tmp_path, "أخبار اليوم/خبر عاجل 1.txt", ARABIC.encode())
    assert one(tmp_path).id == "أخبار اليوم/خبر عاجل 1.txt"


def test_other_suffixes_are_skipped_with_the_reason_and_hidden_files_ignored(tmp_path):
    write(tmp_path, "a.txt", ARABIC.encode())
    write(tmp_path, "image.png", b"\x89PNG")
    write(tmp_path, ".draft.txt", ARABIC.encode())
    write(tmp_path, ".git/notes.txt", ARABIC.encode())
    assert one(tmp_path).id == "a.txt"
    [skipped] = scan(tmp_path).skipped
    assert skipped.path == "image.png" and "not an article format rawi reads (.png files)" in skipped.reason


def test_missing_corpus_and_a_file_as_corpus_are_clear_errors(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        scan(tmp_path / "nope")
    write(tmp_path, "a.txt", b"x")
    with pytest.raises(CorpusError, match="not a directory"):
        scan(tmp_path / "a.txt")


def test_content_hash_changes_with_the_bytes(tmp_path):
    write(tmp_path, "a.txt", ARABIC.encode())
    first = one(tmp_path).sha256
    write(tmp_path, "a.txt", (ARABIC + " تحديث").encode())
    assert one(tmp_path).sha256 != first
