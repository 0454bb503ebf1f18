"""The operator's documents tell the truth: the systemd units of ``docs/systemd/`` and
the README run commands that exist, with settings the app reads, and the proxy
examples forward what ``BEHIND_PROXY`` trusts to where gunicorn listens."""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
UNITS = sorted((DOCS / "systemd").glob("*.service"))
#: commands the README documents that come from another branch (the circle export):
#: checked once they exist
NOT_YET = {("groups", "export"), ("groups", "import")}
SAMPLES = {"DATABASE_URL": "postgresql://x@y/z", "MAIL_PORT": "2525", "MAIL_USE_TLS": "false"}


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # keys keep their case
    parser.read(path)
    return parser


def _flask_args(words: list[str]) -> list[str]:
    """The arguments after ``flask --app wsgi``, without options."""
    start = words.index("wsgi") + 1
    return [w for w in words[start:] if not w.startswith("-")]


def _assert_command_exists(runner, args: list[str]) -> None:
    """``flask --app wsgi <command> [<subcommand>] --help`` works (a third word is an
    argument, e.g. a circle's handle)."""
    result = runner.invoke(args=[*args[:2], "--help"])
    assert result.exit_code == 0, f"flask --app wsgi {' '.join(args)}: {result.output}"
    assert "No such command" not in result.output


def test_the_units_start_commands_that_exist(app):
    runner = app.test_cli_runner()
    assert {u.name for u in UNITS} == {"cercle.service", "cercle-jobs.service"}
    for path in UNITS:
        words = shlex.split(_unit(path)["Service"]["ExecStart"])
        program = Path(words[0]).name
        if program == "flask":
            assert words[1:3] == ["--app", "wsgi"]
            args = _flask_args(words)
            assert args == ["jobs", "run"]
            result = runner.invoke(args=[*args, "--help"])
            assert result.exit_code == 0, result.output
        else:
            assert program == "gunicorn"
            assert words[-1] == "wsgi:app"
            # wsgi.py builds the app from the environment: the name gunicorn loads
            assert re.search(r"^app = create_app\(", (ROOT / "wsgi.py").read_text(), re.M)
            assert "gunicorn" in (ROOT / "pyproject.toml").read_text()


def test_the_timer_runs_the_jobs_service_every_30_seconds():
    timer = _unit(DOCS / "systemd" / "cercle-jobs.timer")
    assert timer["Timer"]["OnUnitActiveSec"] == "30s"
    assert timer.get("Timer", "Unit", fallback="cercle-jobs.service") == "cercle-jobs.service"
    service = _unit(DOCS / "systemd" / "cercle-jobs.service")
    assert service["Service"]["Type"] == "oneshot"


def test_the_environment_file_sets_only_settings_the_app_reads(monkeypatch, tmp_path):
    """Each variable of cercle.env.example changes the app's configuration (or is
    CERCLE_INSTANCE_PATH), and the required ones are there."""
    from app.config import from_environment

    example = (DOCS / "systemd" / "cercle.env.example").read_text()
    names = re.findall(r"^#?([A-Z_]+)=", example, flags=re.MULTILINE)
    assert {"SECRET_KEY", "PUBLIC_URL", "DATABASE_URL", "BEHIND_PROXY"} <= set(names)
    for name in names:
        monkeypatch.delenv(name, raising=False)
    baseline = from_environment(str(tmp_path))
    for name in names:
        monkeypatch.setenv(name, SAMPLES.get(name, "true"))
        assert from_environment(str(tmp_path)) != baseline, f"{name} is not a setting"
        monkeypatch.delenv(name)
    units = "".join(p.read_text() for p in UNITS)
    assert "EnvironmentFile=/etc/cercle/cercle.env" in units


def test_the_readme_names_commands_that_exist(app):
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"(?:flask --app wsgi|cercle-flask) ([a-z][a-z ]*[a-z])", readme)
    assert {"backup", "db upgrade", "jobs run", "groups export tilleuls"} <= set(commands)
    runner = app.test_cli_runner()
    for command in set(commands):
        args = command.split()
        if tuple(args[:2]) in NOT_YET and runner.invoke(args=[args[0], "--help"]).exit_code:
            continue
        _assert_command_exists(runner, args)


@pytest.mark.parametrize("name", ["Caddyfile", "nginx.conf"])
def test_the_proxy_examples_use_tls_and_forward_to_gunicorn(name):
    text = (DOCS / "proxy" / name).read_text()
    gunicorn = shlex.split(_unit(DOCS / "systemd" / "cercle.service")["Service"]["ExecStart"])
    bind = gunicorn[gunicorn.index("--bind") + 1]
    assert bind in text
    if name == "nginx.conf":
        assert "listen 443 ssl" in text and "ssl_certificate " in text
        for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host"):
            assert f"proxy_set_header {header}" in text
    else:
        # Caddy serves a named site over HTTPS with its own certificate
        assert re.search(r"^[a-z0-9.-]+\.[a-z]+ \{", text, flags=re.MULTILINE)
        assert "reverse_proxy " in text
