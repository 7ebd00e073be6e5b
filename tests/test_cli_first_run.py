"""What a first-time administrator reads from the command line: the program's own name in its help, an
invitation that says it was printed when the e-mail backend is the console, and a refusal for want of the
people partner role that says how to give someone that role."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from tests.reviews_helpers import SCHEDULE

SRC = Path(__file__).resolve().parents[1] / "src"


def test_python_m_brightline_help_names_itself_not_django():
    env = {**os.environ, "PYTHONPATH": str(SRC), "DJANGO_SETTINGS_MODULE": "brightline.settings"}
    shown = subprocess.run([sys.executable, "-m", "brightline", "--help"], capture_output=True, text=True, env=env,
                           check=False, timeout=120)
    assert "python -m brightline help <subcommand>" in shown.stdout, shown.stdout + shown.stderr
    assert "python -m django" not in shown.stdout


@pytest.mark.django_db
@pytest.mark.parametrize(("backend", "said"), [
    ("django.core.mail.backends.console.EmailBackend", "nothing was sent, because the e-mail backend is the console"),
    ("django.core.mail.backends.locmem.EmailBackend", "Sent Erin Employee a link to choose a password."),
])
def test_an_invitation_says_whether_it_was_sent_or_printed(personas, backend, said):
    out = io.StringIO()
    with override_settings(EMAIL_BACKEND=backend):
        call_command("people", "invite", "--email", personas.erin.email, stdout=out)
    assert said in out.getvalue()
    if "console" in backend:
        assert "Sent " not in out.getvalue().splitlines()[-1]


@pytest.mark.django_db
def test_a_cycle_opened_by_someone_who_is_not_a_people_partner_says_how_to_make_one(personas):
    schedule = ",".join(f"{phase}={day}" for phase, day in SCHEDULE.items())
    with pytest.raises(CommandError, match="only people partners can open a review cycle; make someone a people "
                                           "partner with 'brightline role set EMAIL people_partner'"):
        call_command("cycle", "open", "--as", personas.mo.email, "--name", "x", "--schedule", schedule,
                     stdout=io.StringIO())
