from brightline.core.narrative import split_sentences


def texts(text: str) -> list[str]:
    return [span.text for span in split_sentences(text)]


def test_it_splits_plain_sentences() -> None:
    assert texts("Shipped it. Then it broke! Why? Nobody knows.") == [
        "Shipped it.",
        "Then it broke!",
        "Why?",
        "Nobody knows.",
    ]


def test_it_does_not_split_decimals_or_percentiles() -> None:
    assert texts("Cut p95 from 1.5 s to 0.4 s. Done.") == ["Cut p95 from 1.5 s to 0.4 s.", "Done."]


def test_it_does_not_split_after_abbreviations() -> None:
    assert texts("Moved queues, e.g. Kafka and SQS, to the new cluster. Next we tidy up.") == [
        "Moved queues, e.g. Kafka and SQS, to the new cluster.",
        "Next we tidy up.",
    ]
    assert texts("Paired with Dr. Okafor on it. Worked.") == ["Paired with Dr. Okafor on it.", "Worked."]


def test_it_does_not_split_initials_versions_or_urls() -> None:
    assert texts("J. Smith led v2.0 of the SDK. See https://example.org/a.b for details.") == [
        "J. Smith led v2.0 of the SDK.",
        "See https://example.org/a.b for details.",
    ]


def test_it_splits_bullets_and_blank_lines() -> None:
    assert texts("- first item\n- second item\n\nA paragraph") == ["first item", "second item", "A paragraph"]


def test_it_keeps_citations_with_their_sentence() -> None:
    assert texts("Cut costs by 40% [E:12]. Added tests.") == ["Cut costs by 40% [E:12].", "Added tests."]


def test_offsets_point_into_the_original_text() -> None:
    text = "  One thing.   Another thing. "
    for span in split_sentences(text):
        assert text[span.start : span.end] == span.text


def test_blank_text_has_no_sentences() -> None:
    assert split_sentences("") == ()
    assert split_sentences("  \n\n ") == ()
