"""Emergent themes: c-TF-IDF labels and organisation-wide clusters only."""

from datetime import UTC, datetime

from brightline.core.insights import Comment, c_tf_idf_labels, emergent_theme_signals, propose_clusters
from brightline.core.nlp import embed

TOPICS = {
    "flaky": ["The flaky integration tests keep failing the build.", "Flaky tests block the pipeline again.",
              "She quarantined the flaky tests so builds pass.", "The build is red because of flaky tests.",
              "Fixing flaky tests made the pipeline reliable."],
    "oncall": ["The on-call rotation is exhausting with night pages.", "Pages at night make on-call hard.",
               "He reduced night pages for the on-call rotation.", "On-call handover notes are missing.",
               "The on-call pager fired every night this week."],
    "docs": ["The onboarding documentation is outdated.", "Documentation for the API is missing examples.",
             "She rewrote the documentation for onboarding.", "Our runbook documentation needs an owner.",
             "The documentation site is hard to search."],
}


def org_corpus() -> list[Comment]:
    comments = []
    for topic, texts in TOPICS.items():
        for repeat in range(3):
            for n, text in enumerate(texts):
                comments.append(Comment(id=f"{topic}-{repeat}-{n}", author_id=f"w{(n + repeat) % 5}",
                                        subject_id=f"p{(n + 2 * repeat) % 4}", text=f"{text} (week {repeat})",
                                        written_at=datetime(2026, 6, 1 + n, tzinfo=UTC)))
    return comments


def test_c_tf_idf_labels_pick_each_clusters_distinctive_words():
    labels = c_tf_idf_labels([TOPICS["flaky"], TOPICS["oncall"], TOPICS["docs"]])
    assert "flaky" in labels[0] and "on-call" in labels[1] and "documentation" in labels[2]


def test_names_are_never_used_as_labels():
    labels = c_tf_idf_labels([["Erin fixed the flaky tests", "Erin again fixed flaky tests"], ["docs docs"]],
                             exclude=frozenset({"erin"}))
    assert "erin" not in labels[0]


def test_an_organisation_corpus_clusters_into_labelled_proposals():
    comments = org_corpus()
    proposals = propose_clusters(comments, embed([c.text for c in comments]))
    labels = [set(p.terms) for p in proposals]
    assert any("flaky" in terms for terms in labels)
    assert any("documentation" in terms for terms in labels)
    signals = emergent_theme_signals(comments, proposals, window_start=datetime(2026, 5, 1).date(),
                                     window_end=datetime(2026, 10, 1).date())
    assert all(s.subject.kind == "organisation" and s.detail["people"] >= 3 for s in signals)


def test_a_small_corpus_is_never_clustered():
    comments = org_corpus()[:30]
    assert propose_clusters(comments, embed([c.text for c in comments])) == []
