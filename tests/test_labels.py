"""Stored keys shown in words: the filters the pages use for references and signal inputs."""

from __future__ import annotations

import datetime as dt

from brightline.templatetags import brightline_labels as labels


def test_a_reference_reads_as_the_text_cites_it():
    assert labels.citation("evidence_item:5") == "[E:5]"
    assert labels.citation("feedback_response:3") == "feedback answer 3"
    assert labels.citation_list(["evidence_item:1", "manager_commentary:2"]) == "[E:1], manager's note 2"


def test_a_stored_memo_line_is_shown_in_words():
    line = "evidence_item:12: Led the response to the capture 502s; see signal:4"
    assert labels.references_in_words(line) == "[E:12]: Led the response to the capture 502s; see AI signal 4"
    assert labels.references_in_words("no reference here: 10:30") == "no reference here: 10:30"


def test_signal_inputs_and_agreement_are_words():
    assert labels.item_ref({"kind": "checkpoint", "id": "7"}) == "check-in 7"
    assert labels.agreement("single_layer") == "one layer of evidence only"
    assert labels.kind_name("something_new") == "something new"



def test_the_series_a_trend_break_read_is_named_by_what_it_measures():
    ref = {"kind": "metric_series", "id": "service:1:deployment_frequency_per_week:week"}
    assert labels.item_ref(ref) == "delivery trend of deployments per week, week by week"
    assert labels.item_ref({"kind": "metric_series", "id": "team:3:pages:week"}) == \
        "delivery trend of on-call pages, week by week"


def test_an_audit_entry_about_a_one_of_a_kind_record_names_it_without_its_id():
    from brightline.audit.models import subject_label

    assert subject_label("policy.policy", "1", None) == "The policy"
    assert subject_label("people.organisation", "1", None) == "The organisation"
    assert subject_label("goals.goal", "12", "Felix Urban") == "Goal 12 of Felix Urban"


def test_a_day_kept_as_text_reads_in_words():
    import datetime as dt

    assert labels.day_in_words("2026-12-14") == "14 Dec 2026"
    assert labels.day_in_words(dt.date(2026, 6, 8)) == "8 Jun 2026"
    assert labels.day_in_words("next week") == "next week" and labels.day_in_words(None) == ""


def test_days_inside_written_text_read_in_words():
    assert labels.days_in_words("labelled on 2026-12-07 by one person") == "labelled on 7 Dec 2026 by one person"
    assert labels.days_in_words("release v2026-12-07b and 2026-H2") == "release v2026-12-07b and 2026-H2"


def test_a_time_zone_reads_as_its_city_and_its_offset_at_the_moment():
    winter, summer = dt.datetime(2026, 1, 15, 12, tzinfo=dt.UTC), dt.datetime(2026, 7, 15, 12, tzinfo=dt.UTC)
    assert labels.time_zone_in_words("Europe/London", winter) == "London (UTC+0 now)"
    assert labels.time_zone_in_words("Europe/London", summer) == "London (UTC+1 now)"
    assert labels.time_zone_in_words("America/New_York", winter) == "New York (UTC−5 now)"
    assert labels.time_zone_in_words("Asia/Kolkata", summer) == "Kolkata (UTC+5:30 now)"
    assert labels.time_zone_in_words("UTC", summer) == "UTC+0"
    assert labels.time_zone_in_words("Mars/Olympus_Mons") == "Olympus Mons"
