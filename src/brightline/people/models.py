"""The organisation: teams, people and their identities, career ladders and principles."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat, Substr
from django.utils.functional import cached_property


class WorkloadClass(models.TextChoices):
    PRODUCT = "product", "Product"
    PLATFORM = "platform", "Platform"
    SRE = "sre", "SRE / reliability"
    LEGACY = "legacy_stabilisation", "Legacy stabilisation"
    DATA = "data", "Data"
    RESEARCH = "research", "Research"
    UNSPECIFIED = "unspecified", "Not yet classified"


class WorkModality(models.TextChoices):
    ONSITE = "onsite", "On site"
    HYBRID = "hybrid", "Hybrid"
    REMOTE = "remote", "Remote"
    UNSPECIFIED = "unspecified", "Not recorded"


class AccessRole(models.TextChoices):
    """The base role. Being a manager follows from having reports, a panelist from a cycle."""

    EMPLOYEE = "employee", "Employee"
    LEADER = "leader", "Leader (aggregates only)"
    PEOPLE_PARTNER = "people_partner", "People partner"
    ADMIN = "admin", "Administrator"


class Dimension(models.TextChoices):
    """The four evaluation dimensions (PRODUCT.md D3)."""

    TECHNICAL_EXCELLENCE = "technical_excellence", "Technical excellence"
    DELIVERY_RESULTS = "delivery_results", "Delivery results"
    JUDGMENT_COMMUNICATION = "judgment_communication", "Judgment and communication"
    LEADERSHIP = "leadership", "Leadership"


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone name such as Europe/Berlin")


class Organisation(models.Model):
    """The one organisation a Brightline installation serves."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="teams")
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    mission = models.TextField(blank=True)
    workload_class = models.CharField(max_length=32, choices=WorkloadClass.choices,
                                      default=WorkloadClass.UNSPECIFIED)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CareerLadder(models.Model):
    TRACKS = [("ic", "Individual contributor"), ("manager", "Manager")]

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="ladders")
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    track = models.CharField(max_length=16, choices=TRACKS)
    description = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.name


class Level(models.Model):
    """One rung of a ladder, described along the D1 attributes with concrete examples."""

    ladder = models.ForeignKey(CareerLadder, on_delete=models.CASCADE, related_name="levels")
    code = models.CharField(max_length=16, unique=True, help_text="e.g. IC3; unique across ladders.")
    title = models.CharField(max_length=120)
    rank = models.PositiveSmallIntegerField(help_text="Order within the ladder, 1 = entry level.")
    summary = models.TextField()
    expected_impact = models.TextField()
    autonomy = models.TextField()
    technical_depth = models.TextField()
    collaboration = models.TextField()
    decision_making = models.TextField()
    examples = models.TextField(help_text="Concrete examples of work at this level, one per line.")

    class Meta:
        ordering = ["ladder", "rank"]
        constraints = [models.UniqueConstraint(fields=["ladder", "rank"], name="level_rank_unique_in_ladder")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def next_level(self) -> Level | None:
        # By the ladder's id: the ladder itself need not be read.
        return Level.objects.filter(ladder_id=self.ladder_id, rank__gt=self.rank).order_by("rank").first()


class Competency(models.Model):
    """What a level expects along one evaluation dimension (D1 along D3)."""

    level = models.ForeignKey(Level, on_delete=models.CASCADE, related_name="competencies")
    dimension = models.CharField(max_length=32, choices=Dimension.choices)
    expectation = models.TextField()
    examples = models.TextField(blank=True)

    class Meta:
        ordering = ["level", "dimension"]
        constraints = [models.UniqueConstraint(fields=["level", "dimension"], name="one_competency_per_dimension")]
        verbose_name_plural = "competencies"

    def __str__(self) -> str:
        return f"{self.level.code} · {self.get_dimension_display()}"


class PrincipleSet(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="principle_sets")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.name


class Principle(models.Model):
    principle_set = models.ForeignKey(PrincipleSet, on_delete=models.CASCADE, related_name="principles")
    key = models.SlugField(max_length=80)
    name = models.CharField(max_length=200)
    description = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["principle_set", "key"], name="principle_key_unique")]

    def __str__(self) -> str:
        return self.name


class PrincipleBehaviour(models.Model):
    """A principle translated into behaviour one can observe at a given level (D2)."""

    principle = models.ForeignKey(Principle, on_delete=models.CASCADE, related_name="behaviours")
    level = models.ForeignKey(Level, on_delete=models.CASCADE, related_name="principle_behaviours")
    behaviour = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["principle", "level"], name="one_behaviour_per_level")]


def under_path(path: str) -> models.Q:
    """People whose stored reporting line starts with ``path`` (the person at ``path`` included).

    A prefix test, answered from the index: PostgreSQL's pattern index serves LIKE 'prefix%'; SQLite
    compares text bytewise, so a range over the prefix serves it ("0" is the character after "/")."""
    from django.db import connection

    if connection.vendor == "sqlite":
        return models.Q(chain_path__gte=path, chain_path__lt=path[:-1] + "0")
    return models.Q(chain_path__startswith=path)


def rebuild_chain_paths() -> int:
    """Recompute every stored reporting line from the managers (after a bulk write that bypassed ``save``).

    Reads everyone once and writes only the lines that changed; returns how many changed. A loop makes the
    person who closes it the top of their line, as ``Person.refresh_chain_path`` does."""
    rows = list(Person.objects.values_list("pk", "manager_id", "chain_path"))
    manager_of = {pk: manager for pk, manager, _ in rows}
    paths: dict[int, str] = {}
    for start, _, _ in rows:
        line: list[int] = []
        current: int | None = start
        while current is not None and current not in paths and current not in line:
            line.append(current)
            current = manager_of.get(current)
        prefix = paths[current] if current is not None and current in paths else "/"
        for pk in reversed(line):
            prefix = paths[pk] = f"{prefix}{pk}/"
    changed = [pk for pk, _, stored in rows if stored != paths[pk]]
    _write_chain_paths(changed, paths)
    return len(changed)


def _write_chain_paths(changed: list[int], paths: dict[int, str], batch: int = 900) -> None:
    """Store ``paths`` of the ``changed`` people in a few set-based statements rather than one value per row.

    A line is the manager's line plus the person's id: written level by level from the top, each level is
    one ``UPDATE … SET chain_path = (manager's chain_path) || id || '/'`` per batch of ids. People at the top
    of their line (no manager, or closing a loop) are ``/id/``."""
    own = Concat(Cast("pk", CharField()), Value("/"), output_field=CharField())
    top = [pk for pk in changed if paths[pk] == f"/{pk}/"]
    by_depth: dict[int, list[int]] = {}
    for pk in changed:
        if paths[pk] != f"/{pk}/":
            by_depth.setdefault(paths[pk].count("/"), []).append(pk)
    manager_path = Subquery(Person.objects.filter(pk=OuterRef("manager_id")).values("chain_path")[:1])
    for ids, value in [(top, Concat(Value("/"), own, output_field=CharField()))] + [
            (by_depth[depth], Concat(manager_path, own, output_field=CharField())) for depth in sorted(by_depth)]:
        for start in range(0, len(ids), batch):
            Person.objects.filter(pk__in=ids[start:start + batch]).update(chain_path=value)


class Person(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="people")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="person")
    employee_id = models.CharField(max_length=64, unique=True, help_text="The HRIS identifier.")
    name = models.CharField(max_length=200)
    email = models.EmailField(unique=True)
    manager = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reports")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="members")
    level = models.ForeignKey(Level, null=True, blank=True, on_delete=models.PROTECT, related_name="people")
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    work_modality = models.CharField(max_length=16, choices=WorkModality.choices, default=WorkModality.UNSPECIFIED)
    start_date = models.DateField(null=True, blank=True)
    access_role = models.CharField(max_length=20, choices=AccessRole.choices, default=AccessRole.EMPLOYEE)
    is_active = models.BooleanField(default=True)
    left_on = models.DateField(null=True, blank=True,
                               help_text="Leaving date from the HRIS; from it the record's retention period runs.")
    # The reporting line as data: the ids from the top of the chain down to this person, "/12/45/103/".
    # "Is X under Y" is a prefix test and "everyone under Y" one indexed range query. Kept by save().
    chain_path = models.CharField(max_length=2000, blank=True, default="", db_index=True, editable=False)
    # When the record was last saved: SCIM's meta.lastModified, which provisioning clients filter on.
    modified_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.name

    @classmethod
    def from_db(cls, db: str | None, field_names: object, values: object) -> Person:
        instance = super().from_db(db, field_names, values)  # type: ignore[arg-type]
        instance._stored_manager_id = instance.__dict__.get("manager_id")
        return instance

    def save(self, *args: object, **kwargs: object) -> None:
        # Emails are identities: one casing everywhere keeps matching and uniqueness honest.
        self.email = self.email.strip().lower()
        update_fields = kwargs.get("update_fields")
        moved = (self.pk is None or not self.chain_path
                 or getattr(self, "_stored_manager_id", None) != self.manager_id)
        if update_fields is not None and "manager" not in update_fields:  # type: ignore[operator]
            moved = moved and not self.chain_path
        super().save(*args, **kwargs)  # type: ignore[arg-type]
        if moved:
            self.refresh_chain_path()
        self._stored_manager_id = self.manager_id

    def refresh_chain_path(self) -> None:
        """Store this person's reporting line and move everyone under them along with it.

        A manager edit that would close a loop stores the person as the top of their own line,
        so a loop never grants anyone access to their own manager's record."""
        old = Person.objects.filter(pk=self.pk).values_list("chain_path", flat=True).first() or ""
        manager_path = ""
        if self.manager_id is not None:
            manager_path = (Person.objects.filter(pk=self.manager_id).values_list("chain_path", flat=True)
                            .first() or "")
            if f"/{self.pk}/" in manager_path:
                manager_path = ""
        new = f"{manager_path or '/'}{self.pk}/"
        self.chain_path = new
        if new == old:
            return
        Person.objects.filter(pk=self.pk).update(chain_path=new)
        if old:
            # Everyone below moves with the person: one statement, whatever the size of the subtree.
            Person.objects.filter(under_path(old)).exclude(pk=self.pk).update(
                chain_path=Concat(Value(new), Substr("chain_path", len(old) + 1)))

    def management_chain(self) -> list[Person]:
        """Managers above this person, nearest first. Stops at a loop rather than spinning."""
        chain: list[Person] = []
        seen = {self.pk}
        current = self.manager
        while current is not None and current.pk not in seen:
            chain.append(current)
            seen.add(current.pk)
            current = current.manager
        return chain

    @cached_property
    def is_manager(self) -> bool:
        # Asked by several menus and cards of one page; a request loads its person afresh, so once is enough.
        from brightline.people import compiled

        return compiled.exists("people.has_active_reports",
                               lambda pk: Person.objects.filter(manager_id=pk, is_active=True), self.pk)

    @property
    def audit_subject_person_id(self) -> int:
        # An entry about a person is about that person: the audit app reads this, it never imports people.
        return self.pk


class Identity(models.Model):
    """An email or platform handle that belongs to a person (used to resolve commit authors)."""

    KINDS = [("email", "Email"), ("github", "GitHub handle"), ("gitlab", "GitLab handle"), ("name", "Git name")]

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(max_length=16, choices=KINDS)
    value = models.CharField(max_length=254, help_text="Stored case-folded.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="identity_unique")]
        verbose_name_plural = "identities"

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.value = self.value.strip().casefold()
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def audit_subject_person_id(self) -> int:
        return self.person_id


class SsoLink(models.Model):
    """The identity provider's stable subject (``sub``) a person signs in as (single sign-on).

    Made at the person's first sign-in, matched by a verified e-mail or an employee-id claim; every later
    sign-in is matched by ``(issuer, subject)`` alone, so a changed or reused e-mail cannot reach another
    person's account."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="sso_link")
    issuer = models.CharField(max_length=500)
    subject = models.CharField(max_length=255)
    linked_at = models.DateTimeField(auto_now_add=True)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="sso_link_issuer_subject")]

    def __str__(self) -> str:
        return f"{self.person} at {self.issuer}"

    @property
    def audit_subject_person_id(self) -> int:
        return self.person_id


class ScimGroup(models.Model):
    """A group the identity provider pushes over SCIM (``/scim/v2/Groups``). With ``OIDC_ROLE_GROUPS`` set, a
    member's access role follows the groups they are in, as at single sign-on."""

    display_name = models.CharField(max_length=255, unique=True)
    external_id = models.CharField(max_length=255, blank=True)
    members = models.ManyToManyField(Person, related_name="scim_groups", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "SCIM group"

    def __str__(self) -> str:
        return self.display_name


class SignedInSession(models.Model):
    """One open Brightline session of a login: written at every sign-in (password or single sign-on), so that
    a logout the identity provider sends (OpenID Connect back-channel logout) can end the sessions of one
    person or of one provider session (``sid``, from the ID token) at once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signed_in_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    sid = models.CharField(max_length=255, blank=True, db_index=True)
    signed_in_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"a session of {self.user}"


class LogoutTokenSeen(models.Model):
    """A back-channel logout token already used (its ``jti``), kept until the token expires so that it cannot
    be replayed."""

    jti = models.CharField(max_length=255, unique=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return "a used logout token"


class TokenScope(models.TextChoices):
    """What a token may do: ``read`` answers only safe methods (GET, HEAD, OPTIONS); ``write`` also changes data."""

    READ = "read", "read-only"
    WRITE = "write", "read-write"


class ApiToken(models.Model):
    """A personal API token; only its SHA-256 is stored."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    scope = models.CharField(max_length=5, choices=TokenScope.choices, default=TokenScope.READ)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.name} ({self.person})"


class LoginThrottle(models.Model):
    """Failed password logins for one username from one address; see ``brightline.people.login``."""

    username = models.CharField(max_length=150)
    ip = models.CharField(max_length=45)
    failures = models.PositiveIntegerField(default=0)
    first_failure_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["username", "ip"], name="login_throttle_username_ip")]

    def __str__(self) -> str:
        return f"{self.username} from {self.ip}: {self.failures} failure(s)"


class RoleChange(models.Model):
    """A change of someone's reporting line or access (``manager``, ``access_role``, staff or administrator flags,
    the login's permission groups or individual permissions).

    Made by hand (the admin), it waits as ``pending`` until a second people partner or administrator,
    not the one who proposed it, approves it; only then is it applied. From the HRIS people import it is
    the HRIS's record: applied at once. Either way the people it affects see it on their record.
    """

    class Field(models.TextChoices):
        MANAGER = "manager", "Manager"
        ACCESS_ROLE = "access_role", "Access role"
        IS_STAFF = "is_staff", "Admin site access"
        IS_SUPERUSER = "is_superuser", "Full administrator"
        GROUPS = "groups", "Permission groups"
        USER_PERMISSIONS = "user_permissions", "Individual permissions"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a second approver"
        APPLIED = "applied", "Applied"
        REJECTED = "rejected", "Rejected"

    class Source(models.TextChoices):
        ADMIN = "admin", "Made by hand"
        IMPORT = "import", "HRIS people import"
        CLI = "cli", "Server command line"
        SSO = "sso", "Identity provider (sign-in groups or provisioning)"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="role_changes")
    field = models.CharField(max_length=20, choices=Field.choices)
    # Stored as text: a manager's person id, a role's code, "true"/"false", or the sorted ids of groups or
    # permissions separated by commas; "" for none.
    from_value = models.TextField(blank=True)
    to_value = models.TextField(blank=True)
    # The readable values at the time of the proposal, for the pages.
    from_label = models.TextField(blank=True)
    to_label = models.TextField(blank=True)
    reason = models.CharField(max_length=500, blank=True)
    # The day the change is said to take effect (the "Change manager or team" page asks for it); it is applied
    # when approved, and this day is kept with it for the record.
    effective_on = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    proposed_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    proposed_label = models.CharField(max_length=200)
    proposed_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    help_text="Who approved or rejected the change.")
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_field_display()} of {self.person}: {self.from_label or '—'} → {self.to_label or '—'}"

    @property
    def audit_subject_person_id(self) -> int:
        return self.person_id
