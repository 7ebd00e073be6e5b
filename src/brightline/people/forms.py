"""The form of the "Add a person" page: every choice by its name, never by a stored id."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone

from brightline.people.adding import NewPerson, check_new_person, find_manager
from brightline.people.models import AccessRole, Level, Person, Team
from brightline.people.moving import EVERYTHING, Move, check_move

ROLE_HELP = {
    AccessRole.EMPLOYEE: "sees their own record and, as a manager, their reports'",
    AccessRole.LEADER: "also sees organisation-wide figures, never another person's record outside their line",
    AccessRole.PEOPLE_PARTNER: "runs reviews and sees every record",
    AccessRole.ADMIN: "as a people partner, and also the system's settings",
}


def timezone_choices() -> list[tuple[str, str]]:
    # Europe/Berlin stays the value; the list reads "Europe / Berlin", "America / New York".
    names = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})
    return [(name, name.replace("_", " ").replace("/", " / ")) for name in names]


def level_choices(organisation_id: int) -> list[tuple[str, Any]]:
    """The levels by title, grouped under their ladder's name (one query)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for level in (Level.objects.filter(ladder__organisation_id=organisation_id).select_related("ladder")
                  .order_by("ladder__name", "rank")):
        groups.setdefault(level.ladder.name, []).append((str(level.pk), level.title))
    return [("", "No level yet"), *groups.items()]


class AddPersonForm(forms.Form):
    name = forms.CharField(label="Full name", max_length=200)
    email = forms.EmailField(label="Work e-mail", max_length=254,
                             help_text="They sign in with it, and Brightline's messages go to it.")
    team = forms.ModelChoiceField(label="Team", queryset=Team.objects.none(), required=False,
                                  empty_label="No team yet")
    manager = forms.CharField(
        label="Manager", required=False, max_length=500,
        help_text="Type part of a name and choose from the suggestions. The manager takes effect when a second "
                  "people partner or administrator approves it.")
    level = forms.ChoiceField(label="Level", required=False)
    start_date = forms.DateField(label="Start date", required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    timezone = forms.ChoiceField(label="Time zone", help_text="Their working hours are read in it.")
    access_role = forms.ChoiceField(label="Access role", initial=AccessRole.EMPLOYEE)
    employee_id = forms.CharField(label="Employee id in your HR system (optional)", required=False, max_length=64,
                                  help_text="The HR system's import finds the person by it later. Left empty, "
                                            "Brightline makes one, which that import can replace.")

    def __init__(self, *args: Any, viewer: Person, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        organisation_id = viewer.organisation_id
        team_field = self.fields["team"]
        assert isinstance(team_field, forms.ModelChoiceField)
        team_field.queryset = Team.objects.filter(organisation_id=organisation_id).order_by("name")
        self.fields["level"].choices = level_choices(organisation_id)  # type: ignore[attr-defined]
        self.fields["timezone"].choices = timezone_choices()  # type: ignore[attr-defined]
        self.fields["access_role"].choices = AccessRole.choices  # type: ignore[attr-defined]
        self.fields["access_role"].help_text = " ".join(
            f"{label}: {ROLE_HELP[AccessRole(value)]}." for value, label in AccessRole.choices) + (
            " Anything but Employee also waits for a second people partner or administrator to approve it.")
        self.fields["start_date"].initial = timezone.localdate()
        self.fields["timezone"].initial = viewer.timezone or settings.TIME_ZONE
        self.fields["manager"].widget.attrs.update({"list": "manager-options", "autocomplete": "off"})
        self.fields["name"].widget.attrs.update({"autocomplete": "off"})
        self.new_person: NewPerson | None = None

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()

    def clean_name(self) -> str:
        name = " ".join(str(self.cleaned_data["name"]).split())
        if not name:
            raise forms.ValidationError("Enter the person's name.")
        return name

    def clean_employee_id(self) -> str:
        return str(self.cleaned_data.get("employee_id") or "").strip()

    def clean_level(self) -> Level | None:
        value = self.cleaned_data.get("level")
        if not value:
            return None
        level = Level.objects.select_related("ladder").filter(pk=value).first()
        if level is None:
            raise forms.ValidationError("Choose one of the levels listed.")
        return level

    def clean_manager(self) -> Person | None:
        manager, error = find_manager(str(self.cleaned_data.get("manager") or ""), self.viewer.organisation_id)
        if error:
            raise forms.ValidationError(error)
        return manager

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # Every field that reads is checked, so one answer lists every problem, not the first one only.
        new = NewPerson(name=data.get("name", ""), email=data.get("email", ""), team=data.get("team"),
                        manager=data.get("manager"), level=data.get("level"), start_date=data.get("start_date"),
                        timezone=data.get("timezone", "UTC"), access_role=data.get("access_role", AccessRole.EMPLOYEE),
                        employee_id=data.get("employee_id", ""))
        for name, message in check_new_person(new, self.viewer.organisation_id).items():
            if name not in self.errors:
                self.add_error(name, message)
        if not self.errors:
            self.new_person = new
        return data


def manager_text(person: Person | None) -> str:
    """A person as the manager field and its suggestions write them: "Mo Haddad (mo@example.org)"."""
    return f"{person.name} ({person.email})" if person is not None else ""


class ChangeManagerTeamForm(forms.Form):
    manager = forms.CharField(
        label="Manager", required=False, max_length=500,
        help_text="Type part of a name or e-mail and choose from the suggestions; empty: no manager. A new manager "
                  "takes effect when a second people partner or administrator approves it.")
    team = forms.ModelChoiceField(label="Team", queryset=Team.objects.none(), required=False, empty_label="No team",
                                  help_text="A new team takes effect at once.")
    effective_on = forms.DateField(label="Takes effect on", widget=forms.DateInput(attrs={"type": "date"},
                                                                                   format="%Y-%m-%d"),
                                   help_text="Today or an earlier day; it is kept with the change for the record.")
    reason = forms.CharField(label="Why", max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text="For the audit trail and for whoever approves a new manager, e.g. "
                                       "“moves to the payments team after the reorganisation”.")

    def __init__(self, *args: Any, viewer: Person, subject: Person, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("initial", {"manager": manager_text(subject.manager), "team": subject.team_id,
                                      "effective_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.viewer, self.subject = viewer, subject
        team_field = self.fields["team"]
        assert isinstance(team_field, forms.ModelChoiceField)
        team_field.queryset = Team.objects.filter(organisation_id=viewer.organisation_id).order_by("name")
        self.move: Move | None = None

    def clean_manager(self) -> Person | None:
        text = str(self.cleaned_data.get("manager") or "")
        if " ".join(text.split()) == manager_text(self.subject.manager):
            return self.subject.manager  # unchanged, even if the manager has since left
        manager, error = find_manager(text, self.viewer.organisation_id)
        if error:
            raise forms.ValidationError(error)
        return manager

    def clean_reason(self) -> str:
        reason = " ".join(str(self.cleaned_data.get("reason") or "").split())
        if not reason:
            raise forms.ValidationError("Say why, in a few words.")
        return reason

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if {"manager", "team", "effective_on"} & set(self.errors):
            return data
        # Every field that reads is checked, so one answer lists every problem, not the first one only.
        move = Move(manager=data.get("manager"), team=data.get("team"), effective_on=data["effective_on"],
                    reason=data.get("reason", ""))
        for name, message in check_move(self.subject, move, actor=self.viewer).items():
            self.add_error(None if name == EVERYTHING else name, message)
        if not self.errors:
            self.move = move
        return data
