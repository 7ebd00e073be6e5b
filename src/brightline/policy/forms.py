from __future__ import annotations

from typing import Any

from django import forms

from brightline.policy.inventory import DEFAULT_RETENTION_DAYS, RETENTION_LABELS, SOURCES
from brightline.policy.models import (
    AI_BOUNDARY_LABELS,
    SIGNAL_KIND_LABELS,
    AppealReviewers,
    Policy,
    PreVoteNames,
    SignalOwnerRole,
    default_ai_boundaries,
    default_signal_owners,
)


def _in_years(days: int) -> str:
    if days < 60:
        return f"{days} days"
    if days < 365:
        return f"{round(days / 30.4)} months"
    years = round(days / 365.25, 1)
    return f"{years:g} year{'s' if years != 1 else ''}"


class PolicyForm(forms.Form):
    allowed_sources = forms.MultipleChoiceField(
        choices=[(source.key, source.name) for source in SOURCES], widget=forms.CheckboxSelectMultiple,
        required=False, label="Data sources Brightline may ingest")
    min_cohort_size = forms.IntegerField(min_value=1, label="Minimum group size for any aggregate (people)",
                                         help_text="A figure about fewer people than this is withheld, on every "
                                                   "page and in every export.")
    appeal_reviewers = forms.ChoiceField(choices=AppealReviewers.choices, widget=forms.RadioSelect,
                                         label="Who reviews an appeal and its escalation")
    prevote_names = forms.ChoiceField(choices=PreVoteNames.choices,
                                      label="After release, what the employee sees of the panel's pre-votes")
    reason = forms.CharField(max_length=500, label="Reason for this change (kept in the audit trail)")

    def __init__(self, data: Any = None, *, policy: Policy):
        initial: dict[str, Any] = {"allowed_sources": policy.allowed_sources,
                                   "min_cohort_size": policy.min_cohort_size,
                                   "appeal_reviewers": policy.appeal_reviewers,
                                   "prevote_names": policy.prevote_names}
        for category in DEFAULT_RETENTION_DAYS:
            initial[f"retention_{category}"] = policy.retention_days.get(category, DEFAULT_RETENTION_DAYS[category])
        for key in default_ai_boundaries():
            initial[f"ai_{key}"] = policy.ai_boundaries.get(key, False)
        owners = {**default_signal_owners(), **policy.signal_owners}
        for kind in SIGNAL_KIND_LABELS:
            initial[f"owner_{kind}"] = owners[kind]
        super().__init__(data, initial=initial)
        for category in DEFAULT_RETENTION_DAYS:
            days = int(initial[f"retention_{category}"])
            self.fields[f"retention_{category}"] = forms.IntegerField(
                label=f"Keep {RETENTION_LABELS.get(category, category)} for (days)", min_value=1,
                help_text=f"Now {days:,} days: about {_in_years(days)}.")
        for key in default_ai_boundaries():
            self.fields[f"ai_{key}"] = forms.BooleanField(required=False,
                                                          label=AI_BOUNDARY_LABELS.get(key, key))
        for kind, label in SIGNAL_KIND_LABELS.items():
            self.fields[f"owner_{kind}"] = forms.ChoiceField(choices=SignalOwnerRole.choices,
                                                             label=f"Who follows up a signal: {label.lower()}")
        self.fields["reason"] = self.fields.pop("reason")  # last, after every setting it explains

    def policy_changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "allowed_sources": list(data["allowed_sources"]),
            "min_cohort_size": data["min_cohort_size"],
            "appeal_reviewers": data["appeal_reviewers"],
            "prevote_names": data["prevote_names"],
            "retention_days": {category: data[f"retention_{category}"] for category in DEFAULT_RETENTION_DAYS},
            "ai_boundaries": {key: data[f"ai_{key}"] for key in default_ai_boundaries()},
            "signal_owners": {kind: data[f"owner_{kind}"] for kind in SIGNAL_KIND_LABELS},
        }
