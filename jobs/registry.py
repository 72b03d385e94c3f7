"""The kinds of job and the recurring chores: each app registers its own, with the functions that run them.

The jobs app knows no other app; an app registers its kinds in its AppConfig.ready(), so the worker finds
the function by the job's `kind` and a page finds its title and the permission its file needs.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jobs.services import JobRun


@dataclass(frozen=True)
class JobKind:
    name: str
    # What the Jobs page calls it: "Export contacts", "Add label".
    title: str
    # The permission the person needs to follow the job and fetch its file; checked when they ask, not only
    # when the job was queued, so a role taken away also takes the download away.
    permission: str
    # Runs the job and returns the summary the person reads ("Added VIP to 1,204 contacts").
    run: Callable[["JobRun"], str]


_KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> None:
    _KINDS[kind.name] = kind


def kind_of(name: str) -> JobKind | None:
    return _KINDS.get(name)


def kinds() -> list[JobKind]:
    return list(_KINDS.values())


@dataclass(frozen=True)
class Chore:
    name: str
    every: timedelta
    # Does the chore and returns a line for the worker's log ("Purged 12 contacts from the Trash").
    run: Callable[[], str]


_CHORES: dict[str, Chore] = {}


def register_chore(chore: Chore) -> None:
    _CHORES[chore.name] = chore


def chores() -> list[Chore]:
    return list(_CHORES.values())
