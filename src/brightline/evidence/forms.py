from __future__ import annotations

from django import forms

from brightline.core.delivery import DEFAULT_RELEASE_TAG_PATTERN
from brightline.evidence.models import Criticality, Maturity
from brightline.people.models import Person, Team, WorkloadClass


class ServiceForm(forms.Form):
    name = forms.SlugField(max_length=120, help_text="Lower-case letters, digits and dashes, e.g. payments-api.")
    team = forms.ModelChoiceField(queryset=Team.objects.all(), required=False, to_field_name="slug")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    criticality = forms.ChoiceField(choices=Criticality.choices, initial=Criticality.MEDIUM)
    workload_class = forms.ChoiceField(choices=WorkloadClass.choices, initial=WorkloadClass.UNSPECIFIED)
    maturity = forms.ChoiceField(choices=Maturity.choices, initial=Maturity.MATURE)
    production_environments = forms.CharField(initial="production",
                                              help_text="Comma-separated environment names that are production.")
    release_tag_pattern = forms.CharField(initial=DEFAULT_RELEASE_TAG_PATTERN,
                                          help_text="Regular expression for git tags that are releases.")

    def fields_for_service(self) -> dict[str, object]:
        data = dict(self.cleaned_data)
        data.pop("name")
        return data


class IngestGitForm(forms.Form):
    path = forms.CharField(max_length=1000, help_text="A clone or bare repository on the Brightline server.")
    service = forms.SlugField(max_length=120, help_text="Created in the catalogue when new.")
    team = forms.ModelChoiceField(queryset=Team.objects.all(), required=False, to_field_name="slug")
    branch = forms.CharField(max_length=200, initial="HEAD")
    release_tags = forms.CharField(max_length=200, required=False,
                                   help_text="Leave empty for the service's pattern "
                                             f"(default {DEFAULT_RELEASE_TAG_PATTERN}).")


class MapIdentityForm(forms.Form):
    person = forms.ModelChoiceField(queryset=Person.objects.filter(is_active=True))


class DismissIdentityForm(forms.Form):
    reason = forms.CharField(max_length=300, help_text="e.g. a bot account, an external contributor")
