"""``brightline demo load``: deterministic, realistic, idempotent, and the only way demo logins appear."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from brightline.demo import DEMO_PASSWORD, ERR_OTHER_DATA
from brightline.people.models import Person, Team

pytestmark = pytest.mark.django_db


def load(*args: str) -> dict:
    out = io.StringIO()
    call_command("demo", "load", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def test_it_builds_a_realistic_organisation_and_prints_the_accounts(client):
    result = load()
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


def test_loading_twice_changes_nothing(db):
    load()
    before = (Person.objects.count(), Team.objects.count())
    second = load()
    assert second["created"] is False
    assert (Person.objects.count(), Team.objects.count()) == before


def test_the_same_seed_builds_the_same_people(django_db_blocker):
    load("--seed", "11")
    first = list(Person.objects.order_by("employee_id").values_list("employee_id", "name", "level__code",
                                                                     "timezone", "team__slug"))
    Person.objects.update(manager=None)
    Person.objects.all().delete()
    from django.contrib.auth import get_user_model

    from brightline.people.models import CareerLadder, PrincipleSet

    get_user_model().objects.all().delete()
    Team.objects.all().delete()
    PrincipleSet.objects.all().delete()
    CareerLadder.objects.all().delete()
    load("--seed", "11")
    second = list(Person.objects.order_by("employee_id").values_list("employee_id", "name", "level__code",
                                                                      "timezone", "team__slug"))
    assert first == second


def test_it_refuses_to_mix_the_demo_into_real_data(personas):
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit):
        call_command("demo", "load", stdout=out, stderr=err)
    assert ERR_OTHER_DATA.format(count=Person.objects.count()) in err.getvalue()


def test_the_demo_is_audited_and_the_chain_verifies(db):
    from brightline.audit.models import AuditEntry
    from brightline.audit.services import verify_chain

    load()
    assert AuditEntry.objects.filter(action="demo.loaded").exists()
    assert verify_chain().ok
