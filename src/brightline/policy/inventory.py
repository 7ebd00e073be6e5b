"""The data inventory (A6): every source Brightline can ingest, the fields it keeps and why.

This list is shown to every employee on the "How Brightline uses data about you" page. A
source that is not here cannot be enabled; a source that is here is ingested only while the
policy's allow-list names it (principle 6).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DataSource:
    key: str
    name: str
    fields: tuple[str, ...]
    purpose: str
    retention_category: str
    enabled_by_default: bool = True


SOURCES: tuple[DataSource, ...] = (
    DataSource("hris_people", "People records from the HR system",
               ("employee id", "name", "work email", "manager", "team", "level", "time zone", "start date",
                "work modality", "leaving date", "with single sign-on: your identity provider's id for you and "
                "when you last signed in"),
               "Know who reports to whom, which ladder expectations apply, and measure working hours in each "
               "person's own time zone.", "people"),
    DataSource("git_commits", "Commits in repositories you connect",
               ("commit id", "author and committer email and name", "author and commit time with time zone",
                "message", "files changed", "lines added and deleted"),
               "Team-level delivery metrics (lead time for changes) and citable evidence of merged work. Never "
               "counted or ranked per person.", "delivery"),
    DataSource("code_review", "Pull and merge requests (GitHub, GitLab)",
               ("title", "author", "reviewers", "opened, first review, approved and merged times", "labels"),
               "Team-level flow of changes; individual changes as citable evidence.", "delivery"),
    DataSource("deployments", "Deployments and releases",
               ("service", "environment", "version or commit", "status", "time"),
               "Deployment frequency, change fail rate and recovery time per service and team.", "delivery"),
    DataSource("incidents", "Incidents, pages and support tickets",
               ("service", "severity", "opened and resolved times", "linked deployment", "responders"),
               "Reliability, recovery time, on-call burden and after-hours interruptions per team.", "delivery"),
    DataSource("feedback", "Feedback, checkpoints and accomplishments written in Brightline",
               ("text", "author (unless anonymous)", "date", "cited evidence"),
               "Qualitative evidence for growth conversations and, only when explicitly included, for reviews.",
               "feedback"),
    DataSource("review_records", "Review cycles, calibration and decisions",
               ("assessments", "calibration changes with reasons", "decision memos", "appeals"),
               "Run review cycles with a full audit trail; fairness audits of outcomes.", "reviews"),
    DataSource("surveys", "Clarity-of-expectations survey answers (imported)",
               ("survey date", "question", "answer (1–5)", "the respondent's manager or team"),
               "Clarity of expectations per manager (seen by that manager, their management chain and people "
               "partners) and organisation-wide, as aggregates of at least the minimum cohort. Who answered is "
               "never stored.", "surveys", enabled_by_default=False),
    DataSource("pto", "Time off from the HR system (imported)",
               ("person (matched by employee id or work email)", "first and last day off",
                "kind of leave (vacation, sick, parental, other)"),
               "Team health only: whether a team rests (share of members without time off, median days off, pages "
               "during time off), as aggregates of at least the minimum cohort. Never performance evidence: no "
               "review, packet or AI signal uses it. No page shows the kind of leave to anyone but you.",
               "pto", enabled_by_default=False),
    DataSource("demographics", "Demographic attributes (optional, voluntary)",
               ("sex or gender", "race or ethnicity", "age band", "disability"),
               "Only for fairness audits, only in aggregate, only by people partners; every access logged.",
               "demographics", enabled_by_default=False),
)

SOURCE_KEYS = frozenset(source.key for source in SOURCES)

# What Brightline never collects, whatever the policy says.
NEVER_COLLECTED: tuple[str, ...] = (
    "chat or instant messages",
    "email contents",
    "calendars and meeting attendance",
    "keystrokes, mouse activity, screenshots or screen time",
    "message or comment volume as a measure of collaboration",
    "location tracking",
)

DEFAULT_RETENTION_DAYS: dict[str, int] = {
    "people": 2555,  # seven years: typical employment-record obligations
    "delivery": 1095,
    "feedback": 1095,
    "reviews": 2555,
    "surveys": 730,
    "pto": 365,  # a year: twice the longest team-health window (180 days), and no longer
    "demographics": 1095,
    "access_logs": 730,
    "audit": 2555,
}
# Each retention category by the name the policy form and the compliance record give it.
RETENTION_LABELS: dict[str, str] = {
    "people": "people records", "delivery": "delivery events", "feedback": "feedback", "reviews": "reviews",
    "surveys": "survey answers", "pto": "time off", "demographics": "demographics",
    "access_logs": "the log of record reads", "audit": "the audit trail",
}


# How a refused import of a source that is switched off says to switch it on (the CLI and the web say the same).
SOURCE_OFF_HOW = ("; it is on the Policy page under \"Data sources Brightline may ingest\", saved with a reason. No "
                  "people partner yet? Make one with 'brightline role set EMAIL people_partner' and invite them with "
                  "'brightline people invite --email EMAIL'")
