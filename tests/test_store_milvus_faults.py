"""A Milvus Lite file damaged on disk, and hostile text in a Milvus filter (issue 24, items 15, 16).

Real Milvus Lite files in tmp_path: the store written through the contract (milvus_helpers), let
go of, damaged as a disk or a person would damage it, then opened again; the real `rawi` for the
issue's own damage (aliases.json, the current generation's passages data emptied)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.filters import ArticleFilter
from index.store.contract import IndexProblem
from index.store.milvus.io import LiteUnreadable, failure
from tests.milvus_helpers import ARTICLES, Counting, backend_for, write

DAMAGE = {
    "aliases.json": "aliases.json",  # the alias map Milvus Lite reads first
    "passages-data": "collections/*__passages/partitions/_default/data/*.parquet",  # the truncated file
    "passages-schema": "collections/*__passages/schema.json",  # cousin: another file of the same collection
}


def let_go(backend) -> None:
    from milvus_lite.server_manager import server_manager_instance

    backend.close()
    server_manager_instance.release_server(str(Path(backend.store.uri).resolve()))


def damage(lite_file: Path, what: str) -> None:
    [target] = [p for p in lite_file.glob(DAMAGE[what])]
    target.write_bytes(b"" if what != "aliases.json" else b'{"rawi": ')


@pytest.mark.parametrize("what", DAMAGE)
def test_a_damaged_lite_file_is_one_line_and_a_rebuild_moves_it_aside(tmp_path, stand_in_encoder, what):
    backend = backend_for(tmp_path)
    write(backend, Counting(stand_in_encoder), ARTICLES)
    let_go(backend)
    damage(tmp_path / "milvus.db", what)
    backend = backend_for(tmp_path)
    with pytest.raises(LiteUnreadable) as error:  # was AttributeError: 'MilvusBackend' object has no attribute 'backend'
        backend.open_reader()
    assert "rebuild it with `rawi index --rebuild`" in str(error.value) and "reachable" not in str(error.value)
    backend.recover()  # what `rawi index --rebuild` does first
    [aside] = tmp_path.glob("milvus.db.damaged-*")
    assert (aside / DAMAGE["aliases.json"]).exists()  # kept for the user, whole
    write(backend, Counting(stand_in_encoder), ARTICLES)  # the rebuild writes a new file
    assert set(backend.open_reader().article_hashes()) == set(ARTICLES)
    let_go(backend)


def test_recover_leaves_a_readable_file_alone(tmp_path, stand_in_encoder):
    backend = backend_for(tmp_path)
    write(backend, Counting(stand_in_encoder), ARTICLES)
    backend.recover()
    assert not list(tmp_path.glob("milvus.db.damaged-*")) and set(backend.open_reader().article_hashes()) == set(ARTICLES)
    let_go(backend)


@pytest.mark.slow  # real `rawi` processes that load the model
def test_the_real_rawi_says_rebuild_and_rebuild_repairs_a_damaged_lite_file(tmp_path):
    from tests.reindex_helpers import SEED_ANSWER, SEED_QUESTION, make_workdir, rawi

    work = make_workdir(tmp_path, backend="milvus")
    assert rawi("index", cwd=work).returncode == 0
    for what in ("aliases.json", "passages-data"):
        damage(work / "milvus.db", what)
        for args in (("ask", SEED_QUESTION), ("index",)):
            result = rawi(*args, cwd=work)
            assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
            assert "Traceback" not in result.stderr and "rawi index --rebuild" in result.stderr
        rebuilt = rawi("index", "--rebuild", cwd=work)
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert "moved it aside" in rebuilt.stderr
        asked = rawi("ask", "--json", SEED_QUESTION, cwd=work)
        assert asked.returncode == 0 and SEED_ANSWER in json.loads(asked.stdout)["passages"][0]["text"]
    assert len(list(work.glob("milvus.db.damaged-*"))) == 2


# ------------------------------------------------------------------ item 16: control characters in a source

HOSTILE_SOURCES = {
    "wire/form-feed.txt": ("Reuters\fWire", "The harbour reopened after the storm on Friday."),  # the issue's
    "wire/nul.txt": ("Reuters\x00Desk", "The bridge closes for repairs next week."),  # cousin: \u0000 in JSON
    "wire/quotes.txt": ('AP "Wire"\\\n\ttab', "The library opened with 4,512 books."),  # what the grammar escapes
}


def test_a_source_holding_a_control_character_is_filtered_like_any_other(tmp_path, stand_in_encoder):
    backend = backend_for(tmp_path)
    write(backend, Counting(stand_in_encoder),
          {k: (source, "2025-06-02", "en", f"Title\n\n{text}") for k, (source, text) in HOSTILE_SOURCES.items()})
    reader = backend.open_reader()
    query = stand_in_encoder.encode_queries(["harbour bridge library"])[0]
    # Sources are compared by their normalised names (filters.source_key): "\fwire" is "wire".
    for needle, wanted in (("reuters", {"wire/form-feed.txt", "wire/nul.txt"}),
                           ("\fwire", {"wire/form-feed.txt", "wire/quotes.txt"}),
                           ("\x00desk", {"wire/nul.txt"}), ('"wire"\\\n\t', {"wire/quotes.txt"})):
        ids = reader.search(query, 8, ArticleFilter(source=needle))  # was: "unknown escape sequence \f"
        assert {reader.chunks(ids)[i].article_id for i in ids} == wanted
        assert {reader.chunks([i])[i].article_id for i, _ in reader.lexical_search("harbour bridge library", 8,
                                                                                   ArticleFilter(source=needle))} <= wanted
    let_go(backend)


class _Server:
    local, where = False, "http://milvus.example:19530 (store 'rawi')"


def test_a_call_a_server_refuses_does_not_say_check_that_it_is_reachable():
    from pymilvus.exceptions import MilvusException, MilvusUnavailableException

    refused = failure(_Server(), MilvusException(code=1100, message="unknown escape sequence \\f at column 20"))
    assert str(refused) == "Milvus at http://milvus.example:19530 (store 'rawi') refused a call (unknown escape sequence \\f at column 20)"
    down = failure(_Server(), MilvusUnavailableException(message="server unavailable"))
    assert "check that it is running and reachable" in str(down)
    assert isinstance(refused, IndexProblem) and isinstance(down, IndexProblem)


# ------------------------------------------------------------------ item 17: the README's serving tip

def _listening(port: int) -> set[str]:
    """The local addresses with a TCP socket listening on ``port`` (from /proc/net/tcp and tcp6;
    an IPv4-mapped IPv6 address as its IPv4 one)."""
    import ipaddress

    found = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state != "0A" or int(hex_port, 16) != port:
                continue
            raw = b"".join(bytes.fromhex(address[i : i + 8])[::-1] for i in range(0, len(address), 8))
            ip = ipaddress.ip_address(raw)
            found.add(str(getattr(ip, "ipv4_mapped", None) or ip))
    return found


def test_the_readmes_milvus_lite_server_command_listens_on_loopback_only(tmp_path):
    """The command as the README gives it, its folder and port swapped for the test's own."""
    import re
    import shlex
    import socket
    import subprocess
    import sys
    import time

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    [command] = re.findall(r"`(milvus-lite server [^`]+)`", readme)
    args = shlex.split(command)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args[args.index("--data-dir") + 1] = str(tmp_path / "served.db")
    args[args.index("--port") + 1] = str(port)
    server = subprocess.Popen([str(Path(sys.executable).parent / args[0]), *args[1:]],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120  # a deadline, not a timing: only turns a hang into a failure
        while not _listening(port) and time.monotonic() < deadline and server.poll() is None:
            time.sleep(0.2)
        assert _listening(port) == {"127.0.0.1"}  # not 0.0.0.0: Milvus Lite's server has no password
    finally:
        server.terminate()
        server.wait(timeout=60)
