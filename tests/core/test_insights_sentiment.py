"""Sentiment drift (C2): writer-weighted, only with enough data, invariant to duplicated comments."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from brightline.core.insights import Comment, ItemRef, SentimentScore, Subject, monthly_sentiment, sentiment_drift

ERIN = Subject("person", "1")
START, END = date(2026, 5, 1), date(2026, 10, 28)


def comments_and_scores(early_label: str, late_label: str, *, authors=("a", "b", "c", "d", "e")):
    comments, scores = [], {}
    for half, label, day in (("early", early_label, 10), ("late", late_label, 150)):
        for n, author in enumerate(authors):
            comment = Comment(id=f"{half}{n}", author_id=author, subject_id="1", text=f"{half} text {n}",
                              written_at=datetime(2026, 5, 1, tzinfo=UTC) + timedelta(days=day + n),
                              source=ItemRef("feedback_response", f"{half}{n}"))
            comments.append(comment)
            scores[comment.id] = SentimentScore(label, 0.9)
    return comments, scores


def test_feedback_turning_negative_is_stated_as_a_drift_with_its_interval():
    comments, scores = comments_and_scores("positive", "negative")
    signal = sentiment_drift(ERIN, comments, scores, window_start=START, window_end=END)
    assert signal.enough_data and signal.detail["trend"] == "down"
    assert signal.statement.startswith("Feedback became more negative")
    assert signal.detail["difference"] < -1


def test_the_same_tone_throughout_is_no_clear_change():
    comments, scores = comments_and_scores("positive", "positive")
    signal = sentiment_drift(ERIN, comments, scores, window_start=START, window_end=END)
    assert signal.detail["trend"] == "flat" and signal.statement.startswith("No clear change")


def test_two_writers_per_half_are_not_enough_and_the_label_is_weak():
    comments, scores = comments_and_scores("positive", "negative", authors=("a", "b"))
    signal = sentiment_drift(ERIN, comments, scores, window_start=START, window_end=END)
    assert not signal.enough_data and signal.confidence.label == "weak"
    assert signal.statement.startswith("Not enough data for a sentiment trend")


def test_one_prolific_writer_weighs_as_much_as_any_other():
    comments, scores = comments_and_scores("positive", "positive")
    copies = [replace(c, id=f"{c.id}-{k}", text=f"{c.text} again {k}", source=ItemRef("feedback_response", f"x{k}"))
              for k in range(20) for c in comments[:1]]
    for copy in copies:
        scores[copy.id] = SentimentScore("negative", 0.9)
    month = monthly_sentiment(comments + copies, scores)[0]
    # Writer a's mean is negative, but a is one of five writers in the month.
    assert month.mean > 0.4


def test_duplicating_a_persons_comments_changes_neither_existence_nor_direction():
    comments, scores = comments_and_scores("positive", "negative")
    copies = [replace(c, id=f"{c.id}-copy", source=ItemRef("feedback_response", f"{c.id}-copy"))
              for c in comments if c.author_id == "a"]
    scores.update({c.id: scores[c.id.removesuffix("-copy")] for c in copies})
    before = sentiment_drift(ERIN, comments, scores, window_start=START, window_end=END)
    after = sentiment_drift(ERIN, comments + copies, scores, window_start=START, window_end=END)
    assert (before.statement, before.detail["trend"], before.confidence) == (
        after.statement, after.detail["trend"], after.confidence)
