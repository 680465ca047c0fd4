"""The command line as a user meets it: help for every command, exit codes, one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ketawatch.cli import COMMANDS, build_parser, main


def _run(*args: str, home=None, env=None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    cmd = [sys.executable, "-m", "ketawatch"]
    if home is not None:
        cmd += ["--home", str(home)]
    return subprocess.run(cmd + list(args), capture_output=True, text=True, env=full_env,
                          timeout=120)


def test_every_command_has_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    helps = {a.dest: a.help for a in sub._choices_actions}
    for name in COMMANDS:
        assert helps.get(name), f"command {name} has no help text"
        assert sub.choices[name].format_help().strip()


@pytest.mark.parametrize("name", COMMANDS)
def test_command_help_exits_zero(name, capsys):
    with pytest.raises(SystemExit) as exc:
        main([name, "--help"])
    assert exc.value.code == 0
    assert "usage: ketawatch" in capsys.readouterr().out


def test_usage_errors_exit_2_with_one_line(tmp_path):
    result = _run("crawl", "--since", "yesterday", home=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("Error: ")
    result = _run("no-such-command", home=tmp_path)
    assert result.returncode == 2


def test_config_error_is_one_line(tmp_path):
    (tmp_path / "ketawatch.toml").write_text("pubmed_url = [\n")
    result = _run("config", home=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "not valid TOML" in lines[0]


def test_config_shows_settings_with_secrets_masked(tmp_path):
    result = _run("config", home=tmp_path,
                  env={"KETAWATCH_SECRET_KEY": "hunter2",
                       "KETAWATCH_SMTP_URL": "smtps://me:pw123@mail.example:465"})
    assert result.returncode == 0
    assert "hunter2" not in result.stdout and "pw123" not in result.stdout
    assert "KETAWATCH_PUBMED_URL" in result.stdout


def test_failing_source_exits_1_with_summary(tmp_path):
    # nothing listens on port 9 of 127.0.0.1: the source fails, the run says so and exits 1
    result = _run("crawl", "--source", "pubmed", home=tmp_path,
                  env={"KETAWATCH_PUBMED_URL": "http://127.0.0.1:9/eutils/"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "pubmed: FAILED" in result.stdout
    assert "0 ok, 1 failed" in result.stdout
    assert result.stderr.strip().splitlines()[-1].startswith("Error: ")
