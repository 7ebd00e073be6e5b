"""Forms of the growth space. Every free-text field is checked live (htmx) by the narrative checks."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.db.models import Q
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone

from brightline.evidence.models import EvidenceItem
from brightline.feedback import training
from brightline.feedback.models import Checkpoint, ImpactLevel
from brightline.feedback.services import (
    AccomplishmentInput,
    CheckpointInput,
    CommentaryInput,
    ResponseInput,
    relationship_between,
)
from brightline.people.models import Person, Principle


def checked_textarea(kind: str, *, rows: int = 3) -> forms.Textarea:
    """A textarea whose narrative flags appear below it as the person types (see ``LiveChecks``)."""
    return forms.Textarea(attrs={"rows": rows, "data-narrative-kind": kind})


class LiveChecks:
    """Wires every ``checked_textarea`` to the check endpoint: htmx posts the text 500 ms after typing
    or pasting stops (and once on load, for text already there) and puts the flags under the field."""

    include_evidence = False

    def add_live_checks(self) -> None:
        check_url = reverse("feedback:check")
        for name, field in self.fields.items():  # type: ignore[attr-defined]
            kind = field.widget.attrs.get("data-narrative-kind")
            if not kind:
                continue
            field.widget.attrs.update({
                "hx-post": check_url,
                "hx-trigger": "input changed delay:500ms, load",
                "hx-target": f"#flags-{name}",
                "hx-swap": "innerHTML",
                "hx-vals": json.dumps({"kind": kind, "field": name}),
                "aria-describedby": f"flags-{name}",
            })
            if self.include_evidence:
                # The whole form: attached evidence counts as cited, and scope is checked on all fields.
                field.widget.attrs["hx-include"] = "closest form"


def date_input() -> forms.DateInput:
    """A date picker. Its value must be written year first (2026-10-31): a browser leaves a date field empty
    when given the locale's "31/10/2026", so a suggested date would be lost."""
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CheckpointForm(LiveChecks, forms.Form):
    cadence = forms.ChoiceField(choices=Checkpoint.Cadence.choices)
    label = forms.CharField(max_length=120, label="Which period or milestone",
                            help_text="For example 'October 2026', 'Q3 2026' or 'Ledger migration done'.")
    held_on = forms.DateField(label="Date", widget=date_input())
    wins = forms.CharField(required=False, widget=checked_textarea("feedback"))
    misses = forms.CharField(required=False, widget=checked_textarea("feedback"))
    impact = forms.CharField(required=False, widget=checked_textarea("feedback"))
    next_steps = forms.CharField(required=False, label="Next steps", widget=checked_textarea("feedback"))
    send_despite_tone = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["held_on"].initial = timezone.localdate()
        self.add_live_checks()

    def to_input(self) -> CheckpointInput:
        data = self.cleaned_data
        return CheckpointInput(cadence=data["cadence"], label=data["label"], held_on=data["held_on"],
                               wins=data["wins"], misses=data["misses"], impact=data["impact"],
                               next_steps=data["next_steps"])


class OneOnOneNoteForm(forms.Form):
    held_on = forms.DateField(label="Date of the 1:1", widget=date_input())
    body = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["held_on"].initial = timezone.localdate()


class PersonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Person) -> str:
        team = f" · {obj.team.name}" if obj.team_id else ""
        return f"{obj.name}{team}"


class FeedbackRequestForm(forms.Form):
    """Whom to ask: ``people`` is chosen with the colleague chooser (``feedback/_people_chooser.html``), never a
    list of the whole organisation; each person's relationship to the subject is worked out from the org chart."""

    context = forms.CharField(required=False, label="What should they give feedback on?",
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text="A project, a period or a role, so answers are specific.")
    people = forms.ModelMultipleChoiceField(queryset=Person.objects.none(), required=False,
                                            label="People to ask")
    reports = PersonChoiceField(queryset=Person.objects.none(), required=False,
                                label="Their reports (upward feedback)", widget=forms.CheckboxSelectMultiple)
    include_manager = forms.BooleanField(required=False, label="Also ask their manager")
    anonymous = forms.BooleanField(
        required=False, label="Anonymous answers",
        help_text="Writers are not recorded with their answers. Answers are shown in groups of three, so "
                  "fewer than three answers show nothing; themes appear once the policy's minimum group "
                  "size is reached.")

    def __init__(self, *args: Any, subject: Person, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.subject = subject
        # Validation only: the field is never rendered as a list (the chooser offers colleagues and a search).
        self.fields["people"].queryset = Person.objects.filter(is_active=True).exclude(pk=subject.pk)
        self.fields["reports"].queryset = subject.reports.filter(is_active=True).order_by("name")
        if subject.manager_id is None:
            del self.fields["include_manager"]
        else:
            self.fields["include_manager"].label = f"Also ask {subject.manager.name}, {subject.name}'s manager"

    def respondents(self) -> list[tuple[Person, str]]:
        data = self.cleaned_data
        reports = {p.pk for p in data["reports"]}
        chosen = [(p, _relationship_to(self.subject, p)) for p in data["people"] if p.pk not in reports]
        chosen += [(p, "report") for p in data["reports"]]
        if data.get("include_manager") and self.subject.manager is not None:
            chosen.append((self.subject.manager, "manager"))
        return chosen


def _relationship_to(subject: Person, respondent: Person) -> str:
    """The respondent's relationship to the subject as the invitation records it (their manager, one of their
    reports, a peer on the same team or under the same manager, otherwise a stakeholder)."""
    return relationship_between(respondent, subject)


class ResponseForm(LiveChecks, forms.Form):
    what_they_did = forms.CharField(label="What did they do?", widget=checked_textarea("feedback"),
                                    help_text="A situation you saw and what they did in it.")
    impact = forms.CharField(label="What was the impact?", widget=checked_textarea("feedback"),
                             help_text="What changed for you, the team, customers or the business.")
    one_thing_to_grow = forms.CharField(label="One thing to grow", widget=checked_textarea("feedback"),
                                        help_text="One specific behaviour that would make them more effective.")
    send_despite_tone = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.add_live_checks()

    def to_input(self) -> ResponseInput:
        data = self.cleaned_data
        return ResponseInput(data["what_they_did"], data["impact"], data["one_thing_to_grow"])


class GiveFeedbackForm(ResponseForm):
    """The same three prompts and live checks as an answer to a request, with what the feedback is about."""

    context = forms.CharField(required=False, max_length=500, label="What is it about?", widget=forms.TextInput(),
                              help_text="Optional: a project, a meeting or a moment, so they know what you mean.")
    field_order = ["context", "what_they_did", "impact", "one_thing_to_grow"]


class CommentaryForm(LiveChecks, forms.Form):
    period = forms.CharField(max_length=40, help_text="For example 2026-H2.")
    owned = forms.CharField(required=False, label="What they owned", widget=checked_textarea("manager_narrative"))
    ambiguity = forms.CharField(required=False, label="Ambiguity they navigated",
                                widget=checked_textarea("manager_narrative"))
    coaching = forms.CharField(required=False, label="Coaching they responded to",
                               widget=checked_textarea("manager_narrative"))
    growth = forms.CharField(required=False, label="Growth over time", widget=checked_textarea("manager_narrative"))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.add_live_checks()

    def to_input(self) -> CommentaryInput:
        data = self.cleaned_data
        return CommentaryInput(period=data["period"], owned=data["owned"], ambiguity=data["ambiguity"],
                               coaching=data["coaching"], growth=data["growth"])


class EvidenceChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: EvidenceItem) -> str:
        return f"[E:{obj.pk}] {obj.get_kind_display()}: {obj.title} ({date_filter(obj.occurred_at, 'j M Y')})"


class AccomplishmentForm(LiveChecks, forms.Form):
    include_evidence = True  # evidence attached to the accomplishment counts as cited
    period = forms.CharField(max_length=40, help_text="For example 2026-H2.")
    title = forms.CharField(max_length=200)
    situation = forms.CharField(widget=checked_textarea("accomplishment"),
                                help_text="The problem or opportunity, and why it mattered.")
    action = forms.CharField(widget=checked_textarea("accomplishment"), help_text="What you did yourself.")
    result = forms.CharField(widget=checked_textarea("accomplishment"),
                             help_text="What changed, with a number where one exists.")
    impact = forms.CharField(widget=checked_textarea("accomplishment"),
                             help_text="Why the change mattered for customers, the team or the business.")
    impact_level = forms.ChoiceField(choices=ImpactLevel.choices, label="Impact level",
                                     help_text="Execution → process improvement → business outcome.")
    teams_affected = forms.IntegerField(required=False, min_value=0, label="Teams affected")
    people_affected = forms.IntegerField(required=False, min_value=0, label="People affected")
    adoption = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}),
                               help_text="Who adopted it and how far it reached.")
    measure = forms.CharField(required=False, max_length=120, label="What was measured",
                              help_text="For example 'p95 checkout latency'. Leave empty if nothing was measured.")
    measure_unit = forms.CharField(required=False, max_length=40, label="Unit")
    measure_before = forms.DecimalField(required=False, max_digits=14, decimal_places=4, label="Before")
    measure_after = forms.DecimalField(required=False, max_digits=14, decimal_places=4, label="After")
    risk_not_worked_out = forms.BooleanField(
        required=False, label="This was a risk that did not work out",
        help_text="Risks taken with good judgement count as accomplishments; say what you learned.")
    principles = forms.ModelMultipleChoiceField(queryset=Principle.objects.none(), required=False,
                                                widget=forms.CheckboxSelectMultiple)
    evidence = EvidenceChoiceField(queryset=EvidenceItem.objects.none(), required=False,
                                   widget=forms.SelectMultiple(attrs={"size": 8}),
                                   help_text="Cited as [E:id]; claims with cited evidence are not flagged.")

    def __init__(self, *args: Any, person: Person, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["principles"].queryset = Principle.objects.order_by("name")
        team_items = Q(person__isnull=True, team_id=person.team_id) if person.team_id else Q(pk__in=[])
        self.fields["evidence"].queryset = EvidenceItem.objects.filter(Q(person=person) | team_items)
        self.add_live_checks()

    def to_input(self) -> AccomplishmentInput:
        data = self.cleaned_data
        return AccomplishmentInput(
            period=data["period"], title=data["title"], situation=data["situation"], action=data["action"],
            result=data["result"], impact=data["impact"], impact_level=data["impact_level"],
            teams_affected=data["teams_affected"], people_affected=data["people_affected"],
            adoption=data["adoption"], measure=data["measure"], measure_unit=data["measure_unit"],
            measure_before=data["measure_before"], measure_after=data["measure_after"],
            risk_not_worked_out=data["risk_not_worked_out"],
            principle_ids=tuple(p.pk for p in data["principles"]), evidence_ids=tuple(e.pk for e in data["evidence"]))

    @classmethod
    def initial_from(cls, accomplishment: Any) -> dict[str, Any]:
        names = ("period", "title", "situation", "action", "result", "impact", "impact_level", "teams_affected",
                 "people_affected", "adoption", "measure", "measure_unit", "measure_before", "measure_after",
                 "risk_not_worked_out")
        initial = {name: getattr(accomplishment, name) for name in names}
        initial["principles"] = list(accomplishment.principles.all())
        initial["evidence"] = list(accomplishment.evidence.all())
        return initial


class AnnotationForm(forms.Form):
    body = forms.CharField(label="Your note", widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="Context your reviewers should know: what the numbers do not show.")
    accomplishment = forms.IntegerField(required=False, widget=forms.HiddenInput)
    period = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)


class DraftRequestForm(forms.Form):
    window_start = forms.DateField(label="From", widget=date_input())
    window_end = forms.DateField(label="To", widget=date_input())
    use_llm = forms.BooleanField(required=False, label="Draft with the configured language model")


class DraftEditForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), label="Your edited text",
                           help_text="Every sentence must keep an [E:id] citation; numbers must be in the cited "
                                     "evidence.")


class TrainingForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for question in training.QUESTIONS:
            self.fields[question.key] = forms.ChoiceField(label=question.text, choices=question.options,
                                                          widget=forms.RadioSelect, required=False)

    def answers(self) -> dict[str, str]:
        return {key: value for key, value in self.cleaned_data.items() if value}
