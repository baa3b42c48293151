"""deploy/: the systemd unit and the container files the README's bot section points to (issue 25,
item 7). Nothing here can start systemd or Docker; the files are read as those tools read them, and
every file and command they name is checked against the repository and the CLI."""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess

import pytest
import yaml

from tests.conftest import ROOT
from tests.reindex_helpers import rawi

DEPLOY = ROOT / "deploy"


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=True, interpolation=None, comment_prefixes=("#", ";"))
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string((DEPLOY / "rawi-bot.service").read_text("utf-8"))
    return parser


def test_the_unit_file_parses_and_runs_rawi_bot_with_the_token_from_a_file():
    parsed = unit()
    assert parsed.sections() == ["Unit", "Service", "Install"]
    service = parsed["Service"]
    argv = shlex.split(service["ExecStart"])
    assert argv[0].startswith("/") and argv[0].endswith("/rawi") and argv[1:] == ["bot"]
    assert "TELEGRAM_BOT_TOKEN" not in service.get("Environment", "")  # the token is never in the unit
    assert service["EnvironmentFile"].startswith("/") and service["Restart"] in ("on-failure", "always")
    assert parsed["Install"]["WantedBy"] == "multi-user.target"
    # What the bot writes (the journal under var/, the model cache) is writable under ProtectSystem=strict.
    writable = service["ReadWritePaths"].split()
    home = service["WorkingDirectory"]
    assert f"{home}/var" in writable and f"{home}/.cache" in writable


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_itself_finds_nothing_wrong_but_the_absent_checkout():
    found = subprocess.run(["systemd-analyze", "verify", str(DEPLOY / "rawi-bot.service")],
                           capture_output=True, text=True, timeout=60)
    problems = [line for line in found.stderr.splitlines() if line.strip() and "/srv/rawi" not in line]
    assert problems == []


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per instruction, continuation lines joined, comments left out."""
    text = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text("utf-8"))
    rows = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(row.split(None, 1)[0].upper(), row.split(None, 1)[1]) for row in rows]


def test_every_file_the_dockerfile_copies_or_installs_from_exists():
    steps = dockerfile()
    copied = [arg for op, args in steps if op in ("COPY", "ADD") for arg in args.split()[:-1] if not arg.startswith("--")]
    assert copied and all((ROOT / source).exists() for source in copied), copied
    assert {"index", "bot", "rawi", "pyproject.toml"} <= set(copied)  # what the wheel is built from
    runs = " ".join(args for op, args in steps if op == "RUN")
    for name in re.findall(r"-r\s+(\S+)", runs):
        assert (ROOT / name).is_file(), name
    torch = re.search(r"torch==(\S+)", runs)
    assert torch and f"torch=={torch.group(1)}" in (ROOT / "Makefile").read_text("utf-8")  # the Makefile's pin
    [(_, command)] = [(op, args) for op, args in steps if op == "CMD"]
    assert command == '["rawi", "bot"]'
    assert steps[0][0] == "FROM" and "3.11" in steps[0][1]  # pyproject: requires-python >= 3.11


def test_compose_builds_the_dockerfile_and_keeps_the_token_out_of_git():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text("utf-8"))
    bot = compose["services"]["bot"]
    context = (DEPLOY / bot["build"]["context"]).resolve()
    assert context == ROOT.resolve() and (context / bot["build"]["dockerfile"]).is_file()
    assert bot["command"] == ["rawi", "bot"] and bot["restart"] in ("unless-stopped", "always", "on-failure")
    assert bot["env_file"] == ".env"
    ignored = subprocess.run(["git", "check-ignore", "-q", str(DEPLOY / ".env")], cwd=ROOT, timeout=30)
    assert ignored.returncode == 0  # deploy/.env, where the token goes, is never committed
    assert any(volume.endswith(":/data") for volume in bot["volumes"])


def test_the_command_the_services_run_is_rawi_bot():
    shown = rawi("bot", "--help", cwd=ROOT)
    assert shown.returncode == 0 and "Answer questions on Telegram" in shown.stdout


def test_the_readme_bot_section_goes_from_botfather_to_a_service():
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme[readme.index("### From @BotFather to a running service"):]
    section = section[: section.index("\n## ")]
    for needed in ("/newbot", "getUpdates", "allowed_chats", "deploy/rawi-bot.service", "deploy/Dockerfile",
                   "deploy/compose.yaml", "journalctl -u rawi-bot"):
        assert needed in section, needed
