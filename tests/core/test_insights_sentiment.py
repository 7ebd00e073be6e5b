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
    assert signal.statement.startswith("Not enough feedback yet to see a trend in its tone")
    assert "of the 3 people needed" in signal.statement


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


def test_a_month_below_the_minimum_keeps_its_counts_and_withholds_its_tone():
    comments, scores = comments_and_scores("positive", "negative", authors=("a", "b"))
    months = monthly_sentiment(comments, scores)
    assert [(m.comments, m.authors, m.enough_data) for m in months] == [(2, 2, False), (2, 2, False)]
    assert all(m.mean is None and m.shares is None for m in months)


def test_label_shares_count_each_writer_once_per_month():
    comments, scores = comments_and_scores("positive", "positive")
    month_comments = [c for c in comments if c.id.startswith("early")]
    chatty = [replace(c, id=f"chatty{k}", text=f"chatty text {k}", source=ItemRef("feedback_response", f"ch{k}"))
              for k in range(4) for c in month_comments[:1]]
    for comment in chatty:
        scores[comment.id] = SentimentScore("negative", 0.9)
    month = monthly_sentiment(month_comments + chatty, scores)[0]
    # Writer a wrote one positive and four negative comments: 0.2 + 0.8 of one writer out of five.
    assert month.enough_data and month.comments == 9 and month.authors == 5
    assert month.shares == {"positive": 0.84, "neutral": 0.0, "negative": 0.16}


def test_the_drift_lists_every_month_of_the_window_with_the_minimum():
    comments, scores = comments_and_scores("positive", "negative")
    signal = sentiment_drift(ERIN, comments, scores, window_start=START, window_end=END)
    months = signal.detail["months"]
    assert [m["month"] for m in months] == ["2026-05-01", "2026-06-01", "2026-07-01", "2026-08-01", "2026-09-01",
                                            "2026-10-01"]
    # The late half straddles September and October: three and two comments, neither month enough alone.
    assert [m["comments"] for m in months] == [5, 0, 0, 0, 3, 2]
    assert months[0]["enough_data"] and months[0]["shares"]["positive"] == 1.0
    assert [m["enough_data"] for m in months[1:]] == [False] * 5
    assert all(m["shares"] is None and m["mean"] is None for m in months[1:])
    assert signal.detail["trend"] == "down"  # the drift compares halves, not months
    assert signal.detail["month_minimum"] == {"comments": 5, "authors": 3}
