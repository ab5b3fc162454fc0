import os
import secrets
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def production_environment():
    """The environment fly.toml gives the app, plus the secret it sets with `fly secrets`."""
    fly_env = tomllib.loads((ROOT / "fly.toml").read_text())["env"]
    clean = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DEBUG", "SECRET_KEY", "SECURE_COOKIES", "SECURE_HSTS_SECONDS"}
    }
    return {**clean, **fly_env, "SECRET_KEY": secrets.token_urlsafe(50)}


def test_check_deploy_reports_nothing_with_production_settings():
    result = subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT,
        env=production_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_sits_behind_fly_and_trusts_its_client_ip_header():
    assert production_environment()["BEHIND_FLY_PROXY"] == "true"
