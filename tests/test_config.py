"""Settings: dev names for tests and the local stack, a named failure inside Lambda."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib import config

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ["TABLE_NAME", "REQUESTS_BUCKET", "ARTIFACTS_BUCKET", "SITE_ORIGIN"]
STAGE_ENV = {"TABLE_NAME": "luthier-cam-prod", "REQUESTS_BUCKET": "luthier-cam-requests-prod",
             "ARTIFACTS_BUCKET": "luthier-cam-artifacts-prod", "SITE_ORIGIN": "https://rosette.example.com"}


@pytest.mark.parametrize("name", SETTINGS)
def test_outside_lambda_a_missing_setting_falls_back_to_the_dev_name(monkeypatch, name):
    monkeypatch.delenv(config.LAMBDA_MARKER, raising=False)
    monkeypatch.delenv(name, raising=False)
    assert config.setting(name) == config.DEFAULTS[name]


@pytest.mark.parametrize("name", SETTINGS)
def test_inside_lambda_a_missing_setting_is_an_error_naming_it(monkeypatch, name):
    monkeypatch.setenv(config.LAMBDA_MARKER, "luthier-cam-bridge-prod")
    monkeypatch.setenv(name, "")
    with pytest.raises(config.MissingSetting) as caught:
        config.setting(name)
    assert caught.value.name == name
    assert name in str(caught.value) and "luthier-cam-bridge-prod" in str(caught.value)
    assert config.DEFAULTS[name] not in str(caught.value)


def test_inside_lambda_a_set_setting_is_used(monkeypatch):
    monkeypatch.setenv(config.LAMBDA_MARKER, "luthier-cam-bridge-prod")
    for name, value in STAGE_ENV.items():
        monkeypatch.setenv(name, value)
    config.require_all()
    assert (config.table_name(), config.requests_bucket(), config.artifacts_bucket(), config.site_origin()) == (
        "luthier-cam-prod", "luthier-cam-requests-prod", "luthier-cam-artifacts-prod", "https://rosette.example.com")


def _cold_start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Import app.py the way the Lambda runtime does, in a fresh interpreter."""
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS and k != config.LAMBDA_MARKER}
    return subprocess.run([sys.executable, "-c", "import app; print('imported', app.app.app_name)"],
                          cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name", SETTINGS)
def test_a_deployed_cold_start_without_a_setting_fails_naming_it(name):
    env = {**STAGE_ENV, config.LAMBDA_MARKER: "luthier-cam-bridge-prod-cam_worker"}
    del env[name]
    result = _cold_start(env)
    assert result.returncode != 0
    assert "MissingSetting" in result.stderr
    assert f"environment variable {name} is not set" in result.stderr
    assert "imported" not in result.stdout


def test_a_deployed_cold_start_with_its_stage_environment_succeeds():
    result = _cold_start({**STAGE_ENV, config.LAMBDA_MARKER: "luthier-cam-bridge-prod"})
    assert result.returncode == 0, result.stderr
    assert "imported luthier-cam-bridge" in result.stdout


def test_dev_cold_start_without_settings_uses_the_dev_names():
    result = subprocess.run(
        [sys.executable, "-c", "from chalicelib import config; import app; print(config.requests_bucket())"],
        cwd=ROOT, env={k: v for k, v in os.environ.items() if k not in SETTINGS and k != config.LAMBDA_MARKER},
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "luthier-cam-requests-dev"
