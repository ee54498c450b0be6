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

#: The one version string: packaging reads it (``pyproject.toml``, dynamic), and so
#: does every User-Agent linkaudit sends.
__version__ = "0.1.0"

#: Every client linkaudit runs (checker, sources, sitemap and WordPress walks,
#: archives, Save Page Now) says who it is with this, unless ``user_agent`` is set.
DEFAULT_USER_AGENT = f"linkaudit/{__version__} (+https://github.com/linkaudit/linkaudit)"

__all__ = [
    "DEFAULT_USER_AGENT",
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
