"""A subscriber's preferences: what their digest may contain, and how much of it.

Empty ``conditions`` or ``drugs`` mean "all of them". The minimum design applies to studies;
trial updates (registrations, status changes, results) follow ``include_trial_updates`` instead,
because a registration has no evidence level to compare.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ketawatch.errors import UsageError
from ketawatch.model import Study
from ketawatch.vocabulary import CONDITIONS, DRUGS, at_least

#: the most items a digest can show, whatever a subscriber asks for
MAX_ITEMS_LIMIT = 200
DEFAULT_MAX_ITEMS = 30
#: designs a subscriber may choose as minimum: the evidence ladder up to case reports
DESIGN_MIN_CHOICES = ("meta-analysis", "systematic-review", "rct", "clinical-trial",
                      "observational", "case-report")
#: designs that are notices about other studies, not studies: a retraction notice or an erratum
#: reaches subscribers as a warning on the study it marks, never as an item of its own
NOTICE_DESIGNS = ("erratum",)
_TRUE = {"1", "true", "yes", "on", "y"}
_FALSE = {"0", "false", "no", "off", "n", ""}


@dataclass
class Preferences:
    """What one subscriber wants in their weekly digest."""

    conditions: list[str] = field(default_factory=list)
    drugs: list[str] = field(default_factory=list)
    design_min: str | None = None
    include_preprints: bool = True
    include_trial_updates: bool = True
    include_animal: bool = False
    max_items: int = DEFAULT_MAX_ITEMS
    no_news_mail: bool = False

    def validated(self) -> Preferences:
        """A cleaned copy (values deduplicated, in vocabulary order); UsageError when invalid."""
        conditions = _choices("condition", self.conditions, CONDITIONS)
        drugs = _choices("drug", self.drugs, DRUGS)
        design_min = (self.design_min or "").strip().lower() or None
        if design_min is not None and design_min not in DESIGN_MIN_CHOICES:
            raise UsageError(f"unknown minimum design {self.design_min!r}; choose one of "
                             f"{', '.join(DESIGN_MIN_CHOICES)}")
        try:
            max_items = int(self.max_items)
        except (TypeError, ValueError):
            raise UsageError(f"max items must be a whole number, not {self.max_items!r}") from None
        if not 1 <= max_items <= MAX_ITEMS_LIMIT:
            raise UsageError(f"max items must be between 1 and {MAX_ITEMS_LIMIT}")
        return Preferences(conditions=conditions, drugs=drugs, design_min=design_min,
                           include_preprints=_flag("include_preprints", self.include_preprints),
                           include_trial_updates=_flag("include_trial_updates",
                                                       self.include_trial_updates),
                           include_animal=_flag("include_animal", self.include_animal),
                           max_items=max_items,
                           no_news_mail=_flag("no_news_mail", self.no_news_mail))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the form the store keeps)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Preferences:
        """Preferences from a stored dict (unknown keys ignored), validated."""
        data = data or {}
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known).validated()

    # -- matching ----------------------------------------------------------------------------

    def is_trial_update(self, study: Study) -> bool:
        """True for a trial registration (it goes with the trial updates, not the studies)."""
        return study.design == "trial-registration"

    def matches_topic(self, study: Study) -> bool:
        """Conditions, drugs and the animal filter (what every item must pass)."""
        if self.conditions and set(self.conditions).isdisjoint(study.conditions):
            return False
        if self.drugs and set(self.drugs).isdisjoint(study.drugs):
            return False
        # preclinical work is animal or in-vitro work even when the human flag is unknown
        return self.include_animal or not (study.human is False or study.design == "preclinical")

    def matches_study(self, study: Study) -> bool:
        """True when a (new) study belongs in this subscriber's digest."""
        if study.design in NOTICE_DESIGNS or not self.matches_topic(study):
            return False
        if self.is_trial_update(study):
            return self.include_trial_updates
        if study.preprint and not self.include_preprints:
            return False
        return at_least(study.design, self.design_min)

    def describe(self) -> str:
        """One line saying what the subscriber gets (for the CLI and the e-mail footer)."""
        parts = [", ".join(self.conditions) if self.conditions else "all conditions",
                 ", ".join(self.drugs) if self.drugs else "all drugs"]
        if self.design_min:
            parts.append(f"{self.design_min} or stronger")
        if not self.include_preprints:
            parts.append("no preprints")
        if not self.include_trial_updates:
            parts.append("no trial updates")
        if self.include_animal:
            parts.append("animal studies included")
        parts.append(f"at most {self.max_items} items")
        if self.no_news_mail:
            parts.append("a mail even in empty weeks")
        return "; ".join(parts)


def _choices(name: str, values: Any, vocabulary: tuple[str, ...]) -> list[str]:
    if isinstance(values, str):
        values = [values]
    cleaned = {str(v).strip().lower() for v in values or [] if str(v).strip()}
    unknown = sorted(cleaned - set(vocabulary))
    if unknown:
        raise UsageError(f"unknown {name} {unknown[0]!r}; choose from {', '.join(vocabulary)}")
    return [v for v in vocabulary if v in cleaned]


def _flag(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise UsageError(f"{name} must be true or false, not {value!r}")

