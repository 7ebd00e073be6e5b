"""Per-flag precision and recall of the narrative checks against hand-labelled texts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from brightline.core.narrative.checks import FLAG_IDS, FlagId

__all__ = ["FlagScore", "score_flags"]


@dataclass(frozen=True, slots=True)
class FlagScore:
    """Counts and rates for one flag; ``precision``/``recall`` are ``None`` when undefined (0/0)."""

    flag_id: FlagId
    true_positives: int
    false_positives: int
    false_negatives: int
    support: int

    @property
    def precision(self) -> float | None:
        """Share of raised flags that the labels agree with."""
        raised = self.true_positives + self.false_positives
        return self.true_positives / raised if raised else None

    @property
    def recall(self) -> float | None:
        """Share of labelled flags that were raised."""
        return self.true_positives / self.support if self.support else None


def score_flags(pairs: Iterable[tuple[frozenset[str], frozenset[str]]]) -> dict[FlagId, FlagScore]:
    """Score ``(labelled, predicted)`` flag sets, one pair per text, for every flag id."""
    counts = {flag: [0, 0, 0] for flag in FLAG_IDS}
    for labelled, predicted in pairs:
        for flag in FLAG_IDS:
            if flag in predicted and flag in labelled:
                counts[flag][0] += 1
            elif flag in predicted:
                counts[flag][1] += 1
            elif flag in labelled:
                counts[flag][2] += 1
    return {flag: FlagScore(flag, tp, fp, fn, support=tp + fn) for flag, (tp, fp, fn) in counts.items()}
