"""A short answer shown above the cited passages: written by the user's model, or extracted by rules."""

from __future__ import annotations

from dataclasses import dataclass

GENERATED = "generated"  # written by the model named in [generate], and checked (index/grounding.py)
EXTRACTED = "extracted"  # the number or date of the answering sentence, by rules (index/extract.py)
ABSTAINED = "abstained"  # the model read the passages and said they do not answer


@dataclass(frozen=True)
class ShortAnswer:
    text: str
    citations: tuple[int, ...]  # passage numbers, 1-based, as shown
    kind: str  # GENERATED | EXTRACTED | ABSTAINED
    model: str | None = None  # None for EXTRACTED

    @property
    def checked(self) -> bool:
        """Verified against the cited passages by a check that can fail: only a GENERATED answer
        (``grounding.check``). Rules take their text from the passage, which no check can refute,
        and an abstention states nothing."""
        return self.kind == GENERATED

    def to_json(self) -> dict:
        return {"text": self.text, "citations": list(self.citations), "model": self.model, "checked": self.checked,
                "kind": self.kind}
