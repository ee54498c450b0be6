"""linkaudit: a citation and link-integrity auditor."""

from linkaudit.model import (
    ArchiveCopy,
    CheckResult,
    Citation,
    CitationKind,
    Document,
    DocumentKind,
    Finding,
    Hop,
    Location,
    Relation,
    Report,
    Restoration,
    Scope,
    Verdict,
)

__version__ = "0.1.0"

__all__ = [
    "ArchiveCopy",
    "CheckResult",
    "Citation",
    "CitationKind",
    "Document",
    "DocumentKind",
    "Finding",
    "Hop",
    "Location",
    "Relation",
    "Report",
    "Restoration",
    "Scope",
    "Verdict",
    "__version__",
]
