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
    path = forms.CharField(max_length=1000, label="Where the repository is on the server",
                           help_text="The folder of a clone (or bare repository) on the Brightline server, as the "
                                     "administrator who set it up gives it to you.")
    service = forms.SlugField(max_length=120, label="Service",
                              help_text="The short name of the service this repository builds, in lower case with "
                                        "dashes (payments-api); a new name adds the service to the list of services.")
    team = forms.ModelChoiceField(queryset=Team.objects.all(), required=False, to_field_name="slug",
                                  empty_label="Choose the team that owns it (optional)",
                                  help_text="The team that owns the service; its delivery trends count these releases.")
    branch = forms.CharField(max_length=200, initial="HEAD", label="Branch",
                             help_text="The branch whose history to read; leave HEAD for the repository's main "
                                       "branch.")
    release_tags = forms.CharField(max_length=200, required=False, label="Which tags mark a release (optional)",
                                   help_text="Leave empty for version tags such as v1.4 or 2.0.1.")


class MapIdentityForm(forms.Form):
    person = forms.ModelChoiceField(queryset=Person.objects.filter(is_active=True))


class DismissIdentityForm(forms.Form):
    reason = forms.CharField(max_length=300, help_text="e.g. a bot account, an external contributor")
