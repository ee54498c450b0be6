"""Ordered schema migrations; ``PRAGMA user_version`` is the index of the last applied.

Migrations only add: a table, a column, an index.  Nothing is dropped or
rewritten, so an upgraded database keeps every row, and the backup taken before an
upgrade (``cache.sqlite.bak-v<N>``) is the way back.  Never edit a released
migration; append a new one.

The SQL is kept to what PostgreSQL also accepts apart from types (TEXT timestamps
become TIMESTAMPTZ, JSON text becomes JSONB, ``INTEGER PRIMARY KEY`` becomes
``BIGSERIAL``), so a server store can follow the same list.

1. The cache: check results keyed by normalised URL, archive lookups.
2. History: runs, each result tied to the run that produced or reused
   it, which documents cite which URLs, and the documents themselves.
3. Archive copies per run (``linkaudit.store.history``): what each run
   looked up or saved for each URL, so "newly archived" compares runs (the
   ``archive_lookups`` cache keeps only the latest answer per URL and day).
4. Each document's JSON report per run, for ``linkaudit fix`` (no re-check).
5. The extraction cache (``linkaudit.store.extracts``): each document's citations
   under a key that hashes everything extraction reads, so a warm run does not
   parse unchanged files again.
6. Content drift (``linkaudit.store.drift``): each page's first observation (the
   baseline of later drift checks), fingerprints of archived captures by memento
   URL (kept forever), the last comparison per URL with its validators, and each
   run's comparisons (``run_drift``, for the health page).
7. A digest per document report (``linkaudit.store.reports``): an unchanged
   report is kept, not written again.
8. The last run that found what each document's stored report says.
9. Borrowed citations and results (``citations_run``, ``same_as``).
10. What each document report's findings rest on (``basis``): a warm run reuses
    an unchanged document's findings whole.
"""

from __future__ import annotations

from typing import Final

MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (
    # v1: the cache
    (
        """CREATE TABLE results (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL,
            url TEXT NOT NULL,
            verdict TEXT NOT NULL,
            reason TEXT NOT NULL,
            detail TEXT NOT NULL,
            evidence TEXT NOT NULL,
            checked_at TEXT NOT NULL
        )""",
        "CREATE INDEX results_key ON results (key, checked_at)",
        """CREATE TABLE archive_lookups (
            url TEXT NOT NULL,
            target_day TEXT NOT NULL,
            copy TEXT,
            note TEXT NOT NULL,
            looked_up_at TEXT NOT NULL,
            PRIMARY KEY (url, target_day)
        )""",
    ),
    # v2: run history
    (
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            sources TEXT NOT NULL,
            settings TEXT NOT NULL
        )""",
        "CREATE INDEX runs_started ON runs (started_at)",
        # Null for results stored outside a run (a bare cache put not yet recorded).
        "ALTER TABLE results ADD COLUMN run_id INTEGER REFERENCES runs (id)",
        # 1 when the run reused an earlier result instead of checking: the history
        # of a URL counts checks, and a reused result is not a new observation.
        "ALTER TABLE results ADD COLUMN from_cache INTEGER NOT NULL DEFAULT 0",
        "CREATE INDEX results_run ON results (run_id, key)",
        "ALTER TABLE archive_lookups ADD COLUMN tried TEXT NOT NULL DEFAULT '[]'",
        """CREATE TABLE documents (
            run_id INTEGER NOT NULL REFERENCES runs (id),
            origin TEXT NOT NULL,
            title TEXT,
            canonical_url TEXT,
            cited_at TEXT,
            PRIMARY KEY (run_id, origin)
        )""",
        """CREATE TABLE citations (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs (id),
            document TEXT NOT NULL,
            key TEXT,
            url TEXT,
            kind TEXT NOT NULL,
            line INTEGER NOT NULL,
            col INTEGER NOT NULL,
            anchor_text TEXT NOT NULL,
            verdict TEXT,
            reason TEXT NOT NULL DEFAULT ''
        )""",
        "CREATE INDEX citations_run_document ON citations (run_id, document)",
        "CREATE INDEX citations_key ON citations (key, run_id)",
    ),
    # v3: archive copies per run
    (
        """CREATE TABLE run_archives (
            run_id INTEGER NOT NULL REFERENCES runs (id),
            key TEXT NOT NULL,
            target_day TEXT NOT NULL,
            looked_up INTEGER NOT NULL,
            archive TEXT,
            archive_url TEXT,
            captured_at TEXT,
            note TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (run_id, key, target_day)
        )""",
        "CREATE INDEX run_archives_key ON run_archives (key, run_id)",
    ),
    # v4: each audited document's full JSON report per run, so ``fix`` after
    # ``audit`` repairs from the audit instead of checking again
    (
        """CREATE TABLE document_reports (
            run_id INTEGER NOT NULL REFERENCES runs (id),
            document TEXT NOT NULL,
            sha256 TEXT,
            report TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (run_id, document)
        )""",
        "CREATE INDEX document_reports_document ON document_reports (document, created_at)",
    ),
    # v5: the extraction cache, one row per document origin (older versions of the
    # same origin are deleted when a new one is stored); ``citations`` is JSON
    (
        """CREATE TABLE extracts (
            key TEXT PRIMARY KEY,
            origin TEXT NOT NULL,
            stored_at TEXT NOT NULL,
            citations TEXT NOT NULL
        )""",
        "CREATE INDEX extracts_origin ON extracts (origin)",
        "CREATE INDEX extracts_stored ON extracts (stored_at)",
    ),
    # v6: content drift; fingerprints are base64 text
    (
        """CREATE TABLE drift_baselines (
            url TEXT PRIMARY KEY,
            observed_at TEXT NOT NULL,
            fingerprint TEXT NOT NULL
        )""",
        """CREATE TABLE drift_captures (
            memento TEXT PRIMARY KEY,
            fetched_at TEXT NOT NULL,
            fingerprint TEXT NOT NULL
        )""",
        """CREATE TABLE drift_checks (
            url TEXT PRIMARY KEY,
            checked_at TEXT NOT NULL,
            validators TEXT NOT NULL,
            outcome TEXT NOT NULL
        )""",
        # per run, each compared URL: the health page's drift over time
        """CREATE TABLE run_drift (
            run_id INTEGER NOT NULL REFERENCES runs (id),
            key TEXT NOT NULL,
            level TEXT NOT NULL,
            reason TEXT NOT NULL,
            similarity REAL NOT NULL,
            baseline_url TEXT,
            PRIMARY KEY (run_id, key)
        )""",
    ),
    # v7: a digest of each document report's content (all but when it was made), so
    # a run whose report of a document says what the stored one says keeps that one
    ("ALTER TABLE document_reports ADD COLUMN digest TEXT",),
    # v8: the last run that found what a document's stored report says (renewing the
    # report's own row would rewrite its text: SQLite writes a whole row on UPDATE)
    (
        """CREATE TABLE document_reports_seen (
            document TEXT PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs (id),
            seen_at TEXT NOT NULL
        )""",
    ),
    # v9: a document whose citations are the ones an earlier run stored for it points
    # at that run's rows instead of storing them again (``citations_run``; null: this
    # run's own rows), found by ``citations_digest``.  Warm runs of a large repository
    # stored 20,000 identical rows (6 MB with their indexes) each.  Readers go
    # through ``run_citations``: every run's citations, its own and those it borrows.
    # Likewise a result a run reused names the row it repeats (``same_as``) and
    # stores neither its detail nor its evidence again (4.8 MB per warm run there).
    (
        "ALTER TABLE results ADD COLUMN same_as INTEGER",
        "ALTER TABLE documents ADD COLUMN citations_run INTEGER",
        "ALTER TABLE documents ADD COLUMN citations_digest TEXT",
        "CREATE INDEX documents_origin ON documents (origin, run_id)",
        """CREATE VIEW run_citations AS
            SELECT run_id, id, document, key, url, kind, line, col, anchor_text, verdict,
                reason
            FROM citations
            UNION ALL
            SELECT d.run_id, c.id, c.document, c.key, c.url, c.kind, c.line, c.col,
                c.anchor_text, c.verdict, c.reason
            FROM documents d JOIN citations c
                ON c.run_id = d.citations_run AND c.document = d.origin
            WHERE d.citations_run IS NOT NULL""",
    ),
    # v10: what each document report's findings rest on (``linkaudit.reuse.Basis``,
    # JSON), so a warm run takes an unchanged document's findings from its report
    ("ALTER TABLE document_reports ADD COLUMN basis TEXT",),
)

#: The schema version this code writes.
LATEST: Final[int] = len(MIGRATIONS)
