"""The one exception the composite-index engine raises on purpose.

:class:`CompositeError` is a :class:`mic2025.errors.Mic2025Error`, so callers who catch the
package-wide base class also catch it. Every message says where the problem is (file, row,
column, unit, indicator or pipeline step) and what was expected; ``problems`` lists one
line per problem when a whole input was checked before refusing it.
"""

from __future__ import annotations

from mic2025.errors import Mic2025Error


class CompositeError(Mic2025Error):
    """A composite-index input, method or parameter was refused."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = list(problems or [])
        text = message
        if self.problems:
            text += "\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(text)
