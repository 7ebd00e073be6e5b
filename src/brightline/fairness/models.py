"""Protected (demographic) attributes, stored apart from people records.

Demographic values live only in ``DemographicRecord``: one row per person and attribute, in
their own table, read only through :func:`brightline.fairness.demographics.read_demographics`,
which checks that the reader is a people partner and logs every read. A person without a row
for an attribute is "not disclosed" for it; nothing is ever imputed.
"""

from __future__ import annotations

from django.db import models


class DemographicRecord(models.Model):
    """One person's self-reported value for one protected attribute (G4).

    Used only in aggregate; never shown per person on any page, API or export.
    """

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    attribute = models.CharField(max_length=40, help_text="e.g. sex_or_gender, race_or_ethnicity")
    value = models.CharField(max_length=100)
    imported_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["person_id", "attribute"]
        constraints = [
            models.UniqueConstraint(fields=["person", "attribute"], name="one_demographic_value_per_attribute")
        ]

    def __str__(self) -> str:
        # Deliberately without the value: a log line or admin listing must not reveal it.
        return f"{self.attribute} of person {self.person_id}"

    @property
    def audit_subject_person_id(self) -> int:
        return self.person_id
