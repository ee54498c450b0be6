"""Which archives a run could not reach: asked once, then left alone for the run.

Offline, or behind a firewall that blocks the Internet Archive, every lookup would
wait on the archive's polite rate only to fail the same way (79 s for 23 links,
minutes for 70).  After an archive's first connection failure the run stops asking
it, says so once, and keeps the lookups that did not run out of the cache, so the
next run asks again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: A lookup's note when no archive it would ask was reachable in this run.
NOT_LOOKED_UP = "not looked up: archives unreachable"
#: A lost link's note when its restoration could not run (followed by why).
NOT_RESTORED = "not restored"
#: How the run's one line about unreachable archives begins.
UNREACHABLE = "archives unreachable"

#: The Wayback Machine's endpoints (CDX, Availability, captures, Save Page Now) are
#: one server: one name here.
WAYBACK_SERVER = "Wayback Machine"


@dataclass
class Reachability:
    """The archives found unreachable in this run, each with the first failure seen."""

    down: dict[str, str] = field(default_factory=dict)

    def is_down(self, name: str) -> bool:
        return name in self.down

    def trip(self, name: str, why: str) -> None:
        self.down.setdefault(name, why)

    def summary(self, *, restoring: bool) -> str | None:
        """One line for stderr and the top of every report; None while all answer."""
        if not self.down:
            return None
        what = "no archived copies" + (", lost links not restored" if restoring else "")
        causes = "; ".join(f"{name}: {why}" for name, why in self.down.items())
        return f"{UNREACHABLE}: {what} ({causes})"
