"""Everything a command line can name, loaded into Documents in one call.

``check``, ``audit`` and the GitHub Action accept any mix of files, directories,
globs, ``-``, URLs, a WordPress site and a sitemap.  Deciding which loader each
one needs is source-layer knowledge, so it lives here rather than in the CLI.
A directory's unreadable file costs a warning, not the run; a single file named
explicitly that cannot be read is an error, as the user asked for it by name.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from linkaudit import _aio as aio
from linkaudit.errors import InputError
from linkaudit.model import Document
from linkaudit.sources.base import SourceOptions
from linkaudit.sources.loader import STDIN, StandIn, load_source

# Each other kind of input is imported when a run names one (a folder, a draft, a
# WordPress site, a sitemap): an editor's one file needs none of them (issue 17).
if TYPE_CHECKING:
    from linkaudit.sources.wordpress_draft import AppPassword


@dataclass(frozen=True)
class Collection:
    """Where to look: positional specs plus the site-wide sources."""

    specs: tuple[str, ...] = ()
    include: tuple[str, ...] = ()  # path globs for directories
    exclude: tuple[str, ...] = ()
    wordpress: str | None = None
    modified_after: datetime | None = None
    sitemap: str | None = None
    changed: Mapping[Path, set[int] | None] | None = None  # --changed-since
    post: str | None = None  # --post: one post (a draft) of the --wordpress site, for editing
    wordpress_auth: AppPassword | None = None  # the application password --post reads with
    allow_empty: bool = False  # --allow-empty: a folder with no documents is fine


def _is_tree(spec: str) -> bool:
    if spec == STDIN or "://" in spec:
        return False
    return os.path.isdir(spec) or (glob.has_magic(spec) and not os.path.exists(spec))


def collect(
    collection: Collection, options: SourceOptions, stand_in: StandIn | None = None
) -> tuple[list[Document], list[str]]:
    """Load every document named; returns them with warnings about what was skipped.
    ``stand_in``: what stands in for files not parsed yet (``sources.loader``)."""
    if collection.post:
        from linkaudit.sources.wordpress_draft import draft_ref, fetch_draft

        ref = draft_ref(collection.wordpress, collection.post)
        draft = fetch_draft(ref, collection.wordpress_auth, options)
        return [draft.document(options)], []
    if not collection.specs and not collection.wordpress and not collection.sitemap:
        raise InputError(
            "nothing to audit: name a file, directory, URL, -, --wordpress or --sitemap"
        )
    documents: list[Document] = []
    warnings: list[str] = []
    for spec in collection.specs:
        if _is_tree(spec):
            from linkaudit.sources.tree import iter_tree

            paths = iter_tree([spec], include=collection.include, exclude=collection.exclude)
            if not paths and not collection.allow_empty and collection.changed is None:
                raise InputError(
                    f"{spec}: no documents found (.html, .htm, .md, .markdown, after ignores "
                    "and --include-path/--exclude-path); nothing found is not a pass "
                    "(--allow-empty accepts it)"
                )
            if collection.changed is not None:
                from linkaudit.sources.changed import restrict_to_changed

                paths = restrict_to_changed(paths, collection.changed)
            for path in paths:
                try:
                    documents.extend(load_source(str(path), options, stand_in))
                except InputError as exc:
                    warnings.append(skipped(path, exc))
        else:
            documents.extend(load_source(spec, options, stand_in))
    if collection.wordpress:
        from linkaudit.sources.wordpress_site import walk_wordpress_site

        docs, more = aio.run(
            walk_wordpress_site(
                collection.wordpress, options, modified_after=collection.modified_after
            )
        )
        if more and not docs:  # a broken walk must not pass for an empty site
            raise InputError(f"{collection.wordpress}: no posts could be read ({more[0]})")
        documents.extend(docs)
        warnings.extend(more)
    if collection.sitemap:
        from linkaudit.sources.sitemap import load_sitemap

        docs, more = aio.run(load_sitemap(collection.sitemap, options))
        documents.extend(docs)
        warnings.extend(more)
    return documents, warnings


def skipped(path: Path, exc: InputError) -> str:
    """A directory's unreadable file, as a warning naming the file once."""
    message = str(exc)
    prefix = str(path)
    reason = message.removeprefix(f"{prefix}: ") if message.startswith(prefix) else message
    return f"{prefix}: skipped: {reason}"


def describe(collection: Collection) -> Sequence[str]:
    """The sources of a run as recorded in its history."""
    out = list(collection.specs)
    if collection.post:
        return [*out, f"wordpress-post:{collection.post}"]
    if collection.wordpress:
        out.append(f"wordpress:{collection.wordpress}")
    if collection.sitemap:
        out.append(f"sitemap:{collection.sitemap}")
    return out
