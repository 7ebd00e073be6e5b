"""Typed settings from the environment fail loudly and accept *_FILE secrets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from brightline import env


def test_a_relative_sqlite_url_lives_under_the_brightline_home():
    url = env.parse_database_url("sqlite:///var/brightline.sqlite3", home=Path("/srv/bl"))
    assert url.engine == "django.db.backends.sqlite3" and url.name == "/srv/bl/var/brightline.sqlite3"


def test_an_absolute_sqlite_url_is_kept():
    assert env.parse_database_url("sqlite:////tmp/x.db", home=Path("/srv")).name == "/tmp/x.db"


def test_a_postgres_url_is_split_into_django_settings():
    url = env.parse_database_url("postgres://bl:p%40ss@db.internal:5433/brightline?sslmode=require",
                                 home=Path("/"))
    config = url.as_django()
    assert config["ENGINE"] == "brightline.postgresql"
    assert (config["NAME"], config["USER"], config["PASSWORD"], config["HOST"], config["PORT"]) == (
        "brightline", "bl", "p@ss", "db.internal", "5433")
    assert config["OPTIONS"] == {"sslmode": "require"}


@pytest.mark.parametrize("url", ["mysql://x/y", "postgres://host/", "sqlite://"])
def test_an_unusable_database_url_is_refused(url):
    with pytest.raises(ImproperlyConfigured):
        env.parse_database_url(url, home=Path("/"))


def test_a_secret_can_come_from_a_file(tmp_path, monkeypatch):
    secret = tmp_path / "key"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("SECRET_KEY_FILE", str(secret))
    assert env.secret_key(tmp_path) == "from-a-file"


def test_a_secret_key_is_generated_once_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("SECRET_KEY_FILE", raising=False)
    first = env.secret_key(tmp_path)
    assert env.secret_key(tmp_path) == first and len(first) >= 50
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o077 == 0


def test_processes_starting_together_share_one_generated_key(tmp_path):
    """Web or test workers that start at the same moment must not crash or end up with different keys."""
    import subprocess
    import sys
    import time

    start = time.time() + 3  # every process imports first, then all ask for the key at the same moment
    script = ("import sys, time; from pathlib import Path; from brightline import env; "
              "time.sleep(max(0.0, float(sys.argv[2]) - time.time())); print(env.audit_key(Path(sys.argv[1])))")
    environment = {key: value for key, value in os.environ.items() if not key.startswith("BRIGHTLINE_AUDIT_KEY")}
    processes = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path), str(start)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=environment) for _ in range(12)]
    results = [process.communicate(timeout=120) for process in processes]
    assert all(process.returncode == 0 for process in processes), [error for _, error in results]
    keys = {output.strip() for output, _ in results}
    assert len(keys) == 1 and len(keys.pop()) >= 50
    assert [path.name for path in (tmp_path / "var").iterdir()] == ["audit_key"]  # no temporary file left


@pytest.mark.parametrize("value,expected", [("1", True), ("yes", True), ("off", False), ("", False)])
def test_booleans_are_read_strictly(monkeypatch, value, expected):
    monkeypatch.setenv("SOME_FLAG", value)
    assert env.env_bool("SOME_FLAG", not expected) is expected


def test_a_malformed_boolean_or_number_fails_loudly(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")
    monkeypatch.setenv("SOME_NUMBER", "five")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
        env.env_bool("SOME_FLAG", False)
    with pytest.raises(ImproperlyConfigured, match="SOME_NUMBER"):
        env.env_int("SOME_NUMBER", 1)


def test_an_unreadable_secret_file_fails_loudly(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY_FILE"):
        env.secret_key(tmp_path)


def test_a_misspelt_tone_first_stage_stops_the_start_up_with_a_sentence(tmp_path):
    import subprocess
    import sys

    environment = {**os.environ, "BRIGHTLINE_TONE_FIRST_STAGE": "contextul", "BRIGHTLINE_HOME": str(tmp_path)}
    run = subprocess.run([sys.executable, "-c", "import brightline.settings"], env=environment,
                         capture_output=True, text=True, check=False)
    assert run.returncode != 0
    assert "BRIGHTLINE_TONE_FIRST_STAGE must be static or contextual, not 'contextul'" in run.stderr
    environment["BRIGHTLINE_TONE_FIRST_STAGE"] = "Contextual"
    assert subprocess.run([sys.executable, "-c", "import brightline.settings"], env=environment,
                          capture_output=True, text=True, check=False).returncode == 0
