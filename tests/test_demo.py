"""``brightline demo load``: deterministic, realistic, idempotent, and the only way demo logins appear."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from brightline.demo import DEMO_PASSWORD, ERR_OTHER_DATA
from brightline.people.models import Person, Team
from tests.demo_helpers import demo_transaction, reset_sequences

pytestmark = pytest.mark.django_db


def load(*args: str) -> dict:
    out = io.StringIO()
    call_command("demo", "load", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def test_it_refuses_to_mix_the_demo_into_real_data(personas):
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit):
        call_command("demo", "load", stdout=out, stderr=err)
    assert ERR_OTHER_DATA.format(count=Person.objects.count()) in err.getvalue()


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """One load through the command for the module (rolled back at its end); that the same seed builds the same
    records is tests/test_demo_coherence.py's, which loads twice."""
    with demo_transaction(django_db_blocker), django_db_blocker.unblock():
        reset_sequences()
        yield load()


def test_it_builds_a_realistic_organisation_and_prints_the_accounts(loaded, client):
    result = loaded
    assert result["created"] is True
    assert result["password"] == DEMO_PASSWORD
    roles = {account["role"] for account in result["accounts"]}
    assert {"employee", "manager", "people_partner", "leader"} <= roles
    assert 55 <= Person.objects.count() <= 65
    assert Team.objects.count() == 8
    assert {team.workload_class for team in Team.objects.all()} >= {"product", "platform", "sre",
                                                                     "legacy_stabilisation"}
    # The personas are wired as the product describes them.
    erin, mo = Person.objects.get(user__username="erin"), Person.objects.get(user__username="mo")
    lee, pat = Person.objects.get(user__username="lee"), Person.objects.get(user__username="pat")
    assert erin.manager == mo and pat.manager == mo and mo.manager == lee
    for account in result["accounts"]:
        assert client.login(username=account["username"], password=result["password"])


def test_the_leaders_home_gives_the_delivery_headline_right_after_the_load(loaded, client):
    """The command computes the dashboards' stored summaries, so the first page a leader opens has them."""
    lee = Person.objects.get(user__username="lee")
    client.force_login(lee.user)
    page = client.get("/").content.decode()
    assert "deployments a week across" in page


def test_loading_twice_changes_nothing(loaded, db):
    before = (Person.objects.count(), Team.objects.count())
    second = load()
    assert second["created"] is False
    assert second["accounts"] == loaded["accounts"]
    assert (Person.objects.count(), Team.objects.count()) == before


def test_the_demo_is_audited_and_the_chain_verifies(loaded, db):
    from brightline.audit.models import AuditEntry
    from brightline.audit.services import verify_chain

    assert AuditEntry.objects.filter(action="demo.loaded").exists()
    assert verify_chain().ok
