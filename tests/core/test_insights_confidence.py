"""Confidence labels (C7) follow the documented rules."""

from brightline.core.insights import EVIDENCE_CHECK_RULE, QUALITATIVE_RULE, label_confidence


def test_ten_items_from_five_people_over_a_quarter_are_stable():
    confidence = label_confidence(items=10, authors=5, span_days=90, agreement="agrees", rule=QUALITATIVE_RULE)
    assert confidence.label == "stable"


def test_the_c1_minimum_is_emerging_and_below_it_is_weak():
    assert label_confidence(items=5, authors=3, span_days=10, agreement="single_layer",
                            rule=QUALITATIVE_RULE).label == "emerging"
    weak = label_confidence(items=4, authors=3, span_days=200, agreement="single_layer", rule=QUALITATIVE_RULE)
    assert weak.label == "weak" and "below the emerging minimum" in weak.reasons[0]


def test_a_conflict_between_layers_caps_the_label_at_emerging():
    confidence = label_confidence(items=30, authors=9, span_days=180, agreement="conflicts", rule=QUALITATIVE_RULE)
    assert confidence.label == "emerging"
    assert "point different ways" in confidence.reasons[0]


def test_an_evidence_check_over_no_evidence_is_weak():
    assert label_confidence(items=0, authors=1, span_days=182, agreement="single_layer",
                            rule=EVIDENCE_CHECK_RULE).label == "weak"
