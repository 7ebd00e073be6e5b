"""The leadership view (H3): aggregate patterns only, every cell backed by the minimum cohort.

Nothing here names or describes a person. Team cells follow the core's suppression (primary and
complementary, so a withheld team cannot be recovered by subtracting the published teams from the
headcount); rates by team or level come from core audits with the same rule; team-level delivery
and health figures are shown only for teams whose headcount cell is published. The executive brief
is three to five sentences generated from those published numbers, each with its evidence.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from brightline import access
from brightline.core.fairness import SMALL_CELL, OutcomeAudit, PromotionVelocityReport, is_small_cell
from brightline.fairness.audits import CutAudit, audit_measure
from brightline.fairness.decisions import STANDARD_CUTS, DecisionTable, auditable_cycles, table_from_cycle
from brightline.governance import manager_quality, system_health
from brightline.governance.surveys import clarity_for_organisation
from brightline.people.models import Person, Team
from brightline.policy.recommendations import ShownRecommendation, recommend_for_brief
from brightline.rollups import delivery as team_delivery
from brightline.rollups import services as rollups
from brightline.rollups.teams import KIND as TEAM_SIZES
from brightline.rollups.teams import TeamSizes, team_sizes

DELIVERY_WINDOW_DAYS = team_delivery.DELIVERY_WINDOW_DAYS
CYCLE_ROLLUP, ORGANISATION_ROLLUP = "leadership.cycle", "leadership.organisation"


@dataclass(frozen=True)
class Evidence:
    """A number behind a sentence: what it is, its value, and how many people (or items) it rests on."""

    label: str
    value: str
    n: int


@dataclass(frozen=True)
class BriefSentence:
    text: str
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class TeamRow:
    label: str
    headcount: int | None  # None: withheld
    deployments_per_week: float | None = None
    deployments_trend: str = ""
    change_fail_rate: float | None = None
    outside_hours_share: float | None = None
    pages_outside_hours: int | None = None


@dataclass
class LeadershipView:
    """One decided cycle's patterns; ``comparisons_withheld`` when its groups are all below the minimum."""

    min_cohort: int
    total_headcount: int
    teams: list[TeamRow]
    withheld_teams: int
    cycle_name: str | None
    promotion_by_level: CutAudit | None
    calibration_by_team: CutAudit | None
    calibration: Any  # CalibrationHealth
    velocity: PromotionVelocityReport
    attrition: system_health.AttritionByTeam
    flags: list[CutAudit]
    comparisons: int
    # Improvement after feedback (G5) per calibrated cycle: counts of managers, never a manager.
    improvement: list[manager_quality.ImprovementSummaryRow] = field(default_factory=list)
    brief: list[BriefSentence] = field(default_factory=list)
    delivery_available: bool = False
    # The calibration figures rest on fewer than min_cohort people: ``calibration`` is None.
    calibration_withheld: bool = False
    # The decided cycles the reader may choose (newest first) and the one shown.
    cycles: list[CycleChoice] = field(default_factory=list)
    cycle_id: int | None = None
    cycle_people: int = 0
    notes: list[str] = field(default_factory=list)
    # What to change next quarter, drawn from the brief's figures; a person accepts or rejects it.
    recommendation: ShownRecommendation | None = None
    as_of: dt.datetime | None = None  # when the oldest rollup behind these figures was computed
    team_labels: dict[str, str] = field(default_factory=dict)  # every team's name by its slug
    # What the figures were read from (the cycle's key and each rollup's time), so that a page may keep what it
    # renders from them until one changes; None when they were computed from the rows. Not one of the figures:
    # two views with equal figures are equal wherever they were read from.
    sources: tuple[Any, ...] | None = field(default=None, compare=False)

    @property
    def comparisons_withheld(self) -> bool:
        """A decided cycle whose groups are all below the minimum: no comparison can be shown."""
        return self.cycle_name is not None and self.comparisons == 0


def _team_rows(min_cohort: int, now: dt.datetime | None,
               read: list[rollups.Fresh]) -> tuple[list[TeamRow], int, int, bool, dict[str, str]]:
    """Team cells; delivery figures from the per-team rollups (``now`` given: every figure computed from raw rows);
    last, every team's name by its slug.

    From the rollups, the rows are built once per process for each version of the headcounts and of the teams'
    delivery rollups: a request then costs two small queries, not a pass over every team."""
    if now is not None:
        counted = team_sizes(min_cohort)
        rows, withheld, total, available, _ = _rows(counted, now)
        return rows, withheld, total, available, counted.labels
    sizes = rollups.read_one(TEAM_SIZES, str(min_cohort))
    read.append(sizes)
    marker = ("leadership.team_rows", min_cohort, sizes.as_of, rollups.version(team_delivery.KIND))
    rows, withheld, total, available, delivery = rollups.derived(marker, lambda: _rows(sizes.value, None))
    read += delivery
    return rows, withheld, total, available, sizes.value.labels


def _rows(sizes: TeamSizes, now: dt.datetime | None) -> tuple[list[TeamRow], int, int, bool, list[rollups.Fresh]]:
    """The rows in name order, how many teams are withheld, the headcount, whether any delivery figure is known,
    and when the oldest delivery rollup read was computed (a list of at most one)."""
    rows: list[TeamRow] = []
    delivery_available = False
    with_services = set(team_delivery.teams_with_services())
    shown = [team.pk for team in sizes.teams if team.slug not in sizes.withheld_slugs and team.pk in with_services]
    stored = {} if now is not None else rollups.read(team_delivery.KIND, [str(pk) for pk in shown])
    models = Team.objects.in_bulk(shown) if now is not None else {}
    for team in sizes.teams:
        if team.slug in sizes.withheld_slugs:
            rows.append(TeamRow(team.name, None))  # listed as withheld: no count, no team-level figures
            continue
        delivery = ({} if team.pk not in with_services else team_delivery.team_delivery(models[team.pk], now)
                    if now is not None else stored[str(team.pk)].value)
        delivery_available = delivery_available or bool(delivery)
        rows.append(TeamRow(team.name, team.size, **delivery))
    as_of = rollups.oldest(stored.values())
    oldest = [rollups.Fresh(None, as_of, any(item.stale for item in stored.values()))] if as_of else []
    return rows, len(sizes.withheld_slugs), sizes.people, delivery_available, oldest


@dataclass(frozen=True)
class CycleChoice:
    """A decided review cycle the reader may choose, with how many people it decided."""

    id: int
    name: str
    people: int
    enough: bool  # at least the minimum cohort of people

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "people": self.people}


def cycle_choices(*, min_cohort: int) -> list[CycleChoice]:
    """Decided cycles, newest first. Each cycle's people are counted on its own: PostgreSQL counts one cycle from
    the index (about 2 ms at 10,000 people), while one grouped count of all of them read every review (22 ms)."""
    return [CycleChoice(cycle.pk, cycle.name, people, people >= min_cohort)
            for cycle in auditable_cycles() for people in [cycle.reviews.count()]]


def default_cycle(choices: list[CycleChoice]) -> CycleChoice | None:
    """The latest decided cycle with at least the minimum cohort of people (else the latest)."""
    return next((choice for choice in choices if choice.enough), choices[0] if choices else None)


def _cycle_table(cycle_id: int | None) -> tuple[Any, DecisionTable | None]:
    cycle = next((cycle for cycle in auditable_cycles() if cycle.pk == cycle_id), None)
    if cycle is None:
        return None, None
    # No protected attributes here: leaders never see demographic cuts.
    return cycle, table_from_cycle(cycle, viewer=None, include_protected=False)


def _percent(value: float | None) -> str:
    """A share as a whole percentage; a share that is not zero never reads as "0%"."""
    if value is None:
        return "–"
    if 0 < value < 0.005:
        return "less than 1%"
    if 0.995 < value < 1:
        return "more than 99%"
    return f"{value * 100:.0f}%"


def _of(count: int, n: int) -> str:
    """"k of n"; a small cell (1 or 2 people) as "fewer than 3 of n": never the count that points at them."""
    return f"fewer than {SMALL_CELL} of {n}" if is_small_cell(count) else f"{count} of {n}"


def _share_of(count: int, n: int) -> str:
    """A share as a percentage, or "fewer than 3 of n" for a small cell (its rate would give the count back)."""
    return _of(count, n) if is_small_cell(count) else _percent(count / n if n else None)


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def _published_total(audit: OutcomeAudit) -> tuple[int, int]:
    return sum(group.n for group in audit.groups), sum(group.favourable for group in audit.groups)


def build_brief(view: LeadershipView) -> list[BriefSentence]:
    """Three to five plain sentences from published numbers only; each carries its evidence."""
    brief: list[BriefSentence] = []
    published = [row for row in view.teams if row.headcount is not None]
    shown = len(published)
    if view.withheld_teams:
        teams_text = (f"{_count(shown, 'team is', 'teams are')} large enough to show; "
                      f"{_count(view.withheld_teams, 'smaller team is', 'smaller teams are')} combined and not shown, "
                      f"so that no one can be singled out.")
    elif not shown:
        teams_text = "No team has members yet, so there is nothing to show by team."
    else:
        teams_text = (f"{'The only team' if shown == 1 else f'All {shown} teams'} with people "
                      f"{'has' if shown == 1 else 'have'} at least {view.min_cohort} people, so every team is shown "
                      "in the team tables. The review cycle's figures count only the people reviewed in it, and "
                      f"withhold a team with fewer than {view.min_cohort} of them.")
    brief.append(BriefSentence(
        teams_text,
        (Evidence("teams shown", str(len(published)), sum(row.headcount or 0 for row in published)),
         Evidence("minimum cohort", str(view.min_cohort), view.min_cohort))))
    promotion = view.promotion_by_level
    if promotion is not None and promotion.event is not None and promotion.event.groups:
        audit = promotion.event
        n, ready = _published_total(audit)
        lowest = next(group for group in audit.groups if group.group == audit.lowest_group) \
            if audit.lowest_group else None
        text = (f"In {view.cycle_name}, {_share_of(ready, n)} {'' if is_small_cell(ready) else 'of '}people in the "
                "levels shown were ready for promotion")
        evidence = [Evidence("ready for promotion", _of(ready, n), n)]
        if lowest is not None and audit.reference_group and audit.reference_group != audit.lowest_group:
            level = level_titles().get(lowest.group, lowest.group)
            text += (f"; the lowest rate was at {level} ({_share_of(lowest.favourable, lowest.n)}), a possible "
                     "bottleneck to look into")
            evidence.append(Evidence(f"ready at {level}", _of(lowest.favourable, lowest.n), lowest.n))
        brief.append(BriefSentence(text + ".", tuple(evidence)))
    calibration = view.calibration
    if calibration is not None and calibration.n >= view.min_cohort and calibration.change_rate is not None:
        direction = calibration_direction(calibration.people_raised, calibration.people_lowered,
                                          calibration.people_changed)
        brief.append(BriefSentence(
            (f"Calibration changed {_of(calibration.changed, calibration.n)} proposed outcomes: {direction}."
             if is_small_cell(calibration.changed) else
             f"Calibration changed {_percent(calibration.change_rate)} of proposed outcomes "
             f"({calibration.changed} of {calibration.n}): {direction}."),
            (Evidence("proposals changed", _of(calibration.changed, calibration.n), calibration.n),
             Evidence("spread of the shifts (standard deviation)",
                      "withheld: the changes concern fewer than 3 people"
                      if not calibration.people_changed or is_small_cell(calibration.people_changed) else
                      "–" if calibration.shift_spread is None else f"{calibration.shift_spread:.2f} rating steps",
                      calibration.n))))
    attrition = view.attrition
    if attrition.leavers >= view.min_cohort and attrition.population:
        brief.append(BriefSentence(
            f"In the last {attrition.window_days} days {attrition.leavers} people left, "
            f"{f'fewer than {SMALL_CELL}' if is_small_cell(attrition.regretted) else attrition.regretted} of them "
            f"regretted; {attrition.transfers} moved teams internally.",
            (Evidence("leavers", str(attrition.leavers), attrition.population),
             Evidence("regretted leavers", _of(attrition.regretted, attrition.leavers), attrition.leavers))))
    if view.comparisons:
        flagged = len(view.flags)
        brief.append(BriefSentence(
            (f"{flagged} of {view.comparisons} outcome comparisons by team, level, tenure, region and modality fell "
             "below the four-fifths guide; people partners are looking at them.") if flagged else
            (f"None of {view.comparisons} outcome comparisons by team, level, tenure, region and modality fell "
             "below the four-fifths guide."),
            (Evidence("comparisons below four-fifths", str(flagged), view.comparisons),)))
    return brief[:5]


@dataclass(frozen=True)
class CycleFigures:
    """One decided cycle's outcome patterns (a rollup per cycle and minimum cohort)."""

    decided: bool
    cycle_name: str | None = None
    promotion_by_level: CutAudit | None = None
    calibration_by_team: CutAudit | None = None
    calibration: Any = None  # CalibrationHealth
    calibration_withheld: bool = False
    flags: list[CutAudit] = field(default_factory=list)
    comparisons: int = 0


@dataclass(frozen=True)
class OrganisationFigures:
    """Promotion velocity, attrition and improvement after feedback (a rollup per minimum cohort)."""

    velocity: PromotionVelocityReport
    attrition: system_health.AttritionByTeam
    improvement: list[manager_quality.ImprovementSummaryRow]
    clarity: Any = None  # surveys.ClarityReport: the organisation's clarity answers per quarter


def cycle_figures(key: str) -> CycleFigures:
    """The figures of cycle ``"<id>:<minimum cohort>"`` computed from its reviews."""
    cycle_id, _, cohort = key.partition(":")
    min_cohort = int(cohort)
    cycle_object, table = _cycle_table(int(cycle_id))
    if table is None:
        return CycleFigures(decided=False)
    figures = CycleFigures(decided=True, cycle_name=cycle_object.name)
    if not table.rows:
        return figures
    level_cut = next(cut for cut in STANDARD_CUTS if cut.key == "level")
    team_cut = next(cut for cut in STANDARD_CUTS if cut.key == "team")
    measure = table.measure("promotion")
    changed = table.measure("calibration_changed")
    promotion = audit_measure(table, measure, level_cut, min_cohort=min_cohort) if measure else None
    calibration_by_team = audit_measure(table, changed, team_cut, min_cohort=min_cohort) if changed else None
    flags: list[CutAudit] = []
    comparisons = 0
    # Manager is a cut about individuals: leaders see team-level patterns only.
    cuts = [cut for cut in STANDARD_CUTS if cut.key != "manager"]
    for measure_item in (m for m in table.measures if not m.detail and m.kind != "neutral"):
        for cut in cuts:
            result = audit_measure(table, measure_item, cut, min_cohort=min_cohort)
            if result.selection is not None and result.selection.impact_ratio is not None:
                comparisons += 1
                if result.four_fifths_flag:
                    flags.append(result)
    calibration, calibration_withheld = system_health.published_calibration_health(cycle_object, min_cohort=min_cohort)
    return CycleFigures(True, cycle_object.name, promotion, calibration_by_team, calibration, calibration_withheld,
                        flags, comparisons)


def organisation_figures(key: str, *, today: dt.date | None = None) -> OrganisationFigures:
    """Organisation-wide figures for minimum cohort ``key``, on ``today`` (default: today)."""
    min_cohort = int(key)
    return OrganisationFigures(
        velocity=system_health.promotion_velocity(min_cohort=min_cohort),
        attrition=system_health.attrition_by_team(min_cohort=min_cohort, today=today or timezone.now().date()),
        improvement=manager_quality.improvement_across_managers(min_cohort=min_cohort),
        clarity=clarity_for_organisation(min_cohort=min_cohort))


def cycle_rollup(cycle_id: int, min_cohort: int) -> rollups.Fresh:
    """The stored figures of one decided cycle (``CycleFigures``) and when they were computed."""
    return rollups.read_one(CYCLE_ROLLUP, f"{cycle_id}:{min_cohort}")


def organisation_rollup(min_cohort: int) -> rollups.Fresh:
    """The stored organisation-wide figures (``OrganisationFigures``) and when they were computed."""
    return rollups.read_one(ORGANISATION_ROLLUP, str(min_cohort))


def _from_rollup(kind: str, key: str, read: list[rollups.Fresh]) -> Any:
    fresh = rollups.read_one(kind, key)
    read.append(fresh)
    return fresh.value


ERR_NO_SUCH_CYCLE = "There is no decided review cycle {cycle!r}; choose one of the decided cycles listed."


class UnknownCycle(LookupError):
    """The reader asked for a cycle that is not a decided review cycle."""


def build_leadership_view(*, min_cohort: int, now: dt.datetime | None = None,
                          cycle: str | int | None = None) -> LeadershipView:
    """The leadership view of one decided cycle: ``cycle`` (an id) or, by default, the latest decided cycle
    with at least the minimum cohort of people. Raises ``UnknownCycle`` for any other value.

    The figures come from rollups (``view.as_of`` says when the oldest was computed); with ``now`` they are
    computed from the raw rows for that moment instead."""
    choices = cycle_choices(min_cohort=min_cohort)
    if cycle is None or cycle == "":
        chosen = default_cycle(choices)
    else:
        chosen = next((choice for choice in choices if str(choice.id) == str(cycle).strip()), None)
        if chosen is None:
            raise UnknownCycle(ERR_NO_SUCH_CYCLE.format(cycle=str(cycle)[:40]))
    read: list[rollups.Fresh] = []
    teams, withheld, total, delivery_available, team_labels = _team_rows(min_cohort, now, read)
    key = f"{chosen.id if chosen else 0}:{min_cohort}"
    figures: CycleFigures = (cycle_figures(key) if now is not None else _from_rollup(CYCLE_ROLLUP, key, read))
    org_key = str(min_cohort)
    organisation: OrganisationFigures = (organisation_figures(org_key, today=now.date()) if now is not None
                                         else _from_rollup(ORGANISATION_ROLLUP, org_key, read))
    view = LeadershipView(
        min_cohort=min_cohort, total_headcount=total, teams=teams, withheld_teams=withheld,
        cycle_name=figures.cycle_name, promotion_by_level=figures.promotion_by_level,
        calibration_by_team=figures.calibration_by_team, calibration=figures.calibration,
        velocity=organisation.velocity, attrition=organisation.attrition, flags=figures.flags,
        comparisons=figures.comparisons, delivery_available=delivery_available,
        calibration_withheld=figures.calibration_withheld, cycles=choices,
        cycle_id=chosen.id if chosen else None, cycle_people=chosen.people if chosen else 0,
        improvement=organisation.improvement, as_of=rollups.oldest(read), team_labels=team_labels,
        sources=None if now is not None else (key, *(fresh.as_of for fresh in read)))
    if not figures.decided:
        view.notes.append("No review cycle has reached the decision memo yet, so there are no outcome patterns.")
    view.brief = build_brief(view)
    view.recommendation = recommend_for_brief(view)
    return view


def level_titles() -> dict[str, str]:
    """Each level's title by its code (one query): the pages say "Engineer II", never the ladder's code "IC2"."""
    from brightline.people.models import Level

    return dict(Level.objects.values_list("code", "title"))


def promotion_chart_spec(result: CutAudit | None, *, titles: dict[str, str] | None = None) -> dict[str, Any] | None:
    """Vega-Lite: promotion-ready rate by level with its 95% interval (published levels only); ``titles``: the
    levels' titles, if the caller has read them already."""
    if result is None or result.event is None or not result.event.groups:
        return None
    titles = level_titles() if titles is None else titles
    # A level where 1 or 2 people were ready is left out: its bar would give their number away (small cells).
    values = [{"level": titles.get(group.group, group.group), "rate": group.rate, "low": group.ci_low,
               "high": group.ci_high, "n": group.n} for group in result.event.groups
              if not is_small_cell(group.favourable)]
    if not values:
        return None
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": {"text": "Ready for promotion, by level",
                  "subtitle": (f"Share of people with a 95% interval; levels below the minimum cohort, or with fewer "
                               f"than {SMALL_CELL} people ready, are left out")},
        "description": "Promotion readiness rate by level with 95 percent intervals.",
        "width": "container", "height": 220, "data": {"values": values},
        "layer": [
            {"mark": {"type": "bar", "color": "#2f5d7c"},
             "encoding": {"x": {"field": "level", "type": "nominal", "title": "Level", "sort": None,
                                "axis": {"labelAngle": 0, "labelExpr": "split(datum.label, ' ')"}},
                          "y": {"field": "rate", "type": "quantitative", "title": "Share ready",
                                "axis": {"format": "%"}, "scale": {"domain": [0, 1]}},
                          "tooltip": [{"field": "level"}, {"field": "rate", "format": ".0%"}, {"field": "n"}]}},
            {"mark": {"type": "rule", "color": "#1d2731"},
             "encoding": {"x": {"field": "level", "type": "nominal", "sort": None},
                          "y": {"field": "low", "type": "quantitative"},
                          "y2": {"field": "high"}}},
        ],
    }


@dataclass(frozen=True)
class FeedbackThemesRow:
    """One team's feedback theme counts (insights, C1) as this page shows every team: aggregates only."""

    team: Team
    themes: Any  # brightline.insights.services.TeamThemes; None before a run has summarised the team

    def to_json(self) -> dict[str, Any]:
        """What the page shows, as data: a state, and counts only when the team has enough data."""
        themes = self.themes
        if themes is None:
            return {"team": self.team.slug, "name": self.team.name, "state": "no_summary"}
        if themes.withheld:
            return {"team": self.team.slug, "name": self.team.name, "state": "withheld",
                    "min_cohort": themes.min_cohort}
        if not themes.enough_data:
            return {"team": self.team.slug, "name": self.team.name, "state": "not_enough_data"}
        return {"team": self.team.slug, "name": self.team.name, "state": "summarised",
                "comments": themes.comments, "authors": themes.authors,
                "window": [day.isoformat() for day in themes.window] if themes.window else None,
                "recurring": [{"theme": row["theme"], "label": row["label"], "comments": row["comments"],
                               "authors": row["authors"]} for row in themes.recurring]}


def feedback_themes(viewer: Person) -> list[FeedbackThemesRow]:
    """Each team whose theme counts the viewer may see, with its counts under the minimum cohort (a team
    smaller than it is withheld), for leaders in the team's chain too."""
    return feedback_themes_of(list(access.teams_with_theme_aggregates_visible_to(viewer).order_by("name")))


def feedback_themes_of(teams: list[Team]) -> list[FeedbackThemesRow]:
    """The theme counts of these teams (already checked as visible), in their order."""
    from brightline.insights.services import teams_themes

    themes = teams_themes(teams, aggregates_only=True)
    return [FeedbackThemesRow(team, themes[team.pk]) for team in teams]


@dataclass(frozen=True)
class DrillDown:
    team: Team
    headcount: int
    outcome_counts: dict[str, int]


def drill_down(team: Team, *, viewer: Person, reason: str) -> DrillDown:
    """The unsuppressed counts behind one team's cells, for an authorised review (logged, per person read)."""
    from brightline.audit.services import log_action

    members = list(Person.objects.filter(is_active=True, team=team))
    counts: dict[str, int] = {}
    cycles = auditable_cycles()
    _, table = _cycle_table(cycles[0].pk if cycles else None)
    if table is not None:
        for row in table.rows:
            if row.get("team") != team.slug:
                continue
            for measure in table.measures:
                if not measure.detail and row.get(measure.column) == "yes":
                    counts[measure.label] = counts.get(measure.label, 0) + 1
    log_action("fairness.leadership.drilled_down", viewer, team, {"team": team.slug, "reason": reason,
                                                                    "people": len(members)})
    for member in members:
        access.open_person_record(viewer, member, what="fairness.drill_down", reason=reason[:200])
    return DrillDown(team, len(members), counts)


def _few(count: int) -> str:
    """A count of changes as the brief may say it: 1 or 2 read "fewer than 3" (a small cell is not named)."""
    return "none" if count == 0 else "fewer than 3" if count < 3 else str(count)


def calibration_direction(raised: int, lowered: int, moved: int) -> str:
    """Which way calibration moved the outcomes it changed, from the people with an outcome raised, lowered, and
    changed at all, under the small-cell rule: while the changes concern fewer than 3 people the direction is
    withheld (it would be theirs); a direction of fewer than 3 people beside a larger one is "fewer than 3" and
    the larger is not counted (beside the others it would give the smaller count back)."""
    if not moved and not raised and not lowered:
        return "no outcome moved"
    if not moved or is_small_cell(moved):
        return "which way is withheld while the changes concern fewer than 3 people"
    if not lowered or not raised:
        done, not_done = ("raised", "lowered") if raised else ("lowered", "raised")
        return f"each change {done} an outcome; none {not_done} one"
    if is_small_cell(raised) or is_small_cell(lowered):
        more, fewer = ("raised", "lowered") if lowered < raised else ("lowered", "raised")
        return f"most people whose outcomes changed had one {more}; {_few(min(raised, lowered))} had one {fewer}"
    return f"it raised outcomes of {raised} people and lowered those of {lowered}"
