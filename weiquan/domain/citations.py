"""The register of legal citations every rule refers to (data/citations.yaml)."""

from __future__ import annotations

from dataclasses import dataclass

from weiquan.domain.datafiles import load


@dataclass(frozen=True, slots=True)
class Citation:
    id: str
    law: str
    article: str
    summary: str
    source: str
    confidence: str  # read-in-source | secondary-source | unverified

    @property
    def short(self) -> str:
        """《法》第X条, the form used inline in plans and documents."""
        return f"《{self.law}》{self.article}"

    def to_dict(self) -> dict[str, str]:
        return {
            "id": self.id,
            "law": self.law,
            "article": self.article,
            "summary": self.summary,
            "source": self.source,
            "confidence": self.confidence,
            "text": self.short,
        }


def cite(citation_id: str) -> Citation:
    raw = load("citations")[citation_id]
    return Citation(id=citation_id, **raw)


def all_citations() -> list[Citation]:
    return [cite(cid) for cid in load("citations")]
