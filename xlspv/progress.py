"""Progress messages: the one callback type the long computations and the writers report through."""

from __future__ import annotations

from collections.abc import Callable

#: Called with a one-line message (lower case, no full stop) at each stage; the command line prints
#: them on stderr.
Progress = Callable[[str], None]


def say(progress: Progress | None, message: str) -> None:
    """Pass ``message`` to ``progress``, if there is one."""
    if progress is not None:
        progress(message)
