"""The exceptions mic2025 raises, in one hierarchy.

Callers catch :class:`Mic2025Error` for anything the package reports on purpose; the
subclasses say which stage refused the input. Every message names where the problem is
(file, sheet, row, column or field) and what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass


class Mic2025Error(Exception):
    """Base class of every error mic2025 raises deliberately.

    ``str(error)`` is the English text the command line and the API print. An error raised
    with :meth:`saying` also names a translation key of :mod:`mic2025.i18n` and its
    parameters, so a page says it in the reader's language; a parameter that is a name
    (an area, an indicator) is given as :class:`Words` (or the plan's ``Text``), both
    languages, and the page picks its own.
    """

    key: str | None = None
    params: dict[str, object] = {}  # noqa: RUF012 - replaced per instance by saying()

    def saying(self, key: str, **params: object) -> Mic2025Error:
        """This error, also said by ``key`` of the translation table with ``params``."""
        self.key, self.params = key, dict(params)
        return self


@dataclass(frozen=True)
class Words:
    """A name in Chinese and English, as a parameter of a translated error."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def __str__(self) -> str:
        return self.en


def said(params: dict[str, object], lang: str) -> dict[str, object]:
    """An error's parameters for ``lang``: each name (anything with ``zh`` and ``en``, as
    :class:`Words` or the plan's ``Text``) in that language, the rest as given."""
    return {k: getattr(v, lang) if hasattr(v, "zh") and hasattr(v, "en") else v
            for k, v in params.items()}


class PlanError(Mic2025Error):
    """A plan file cannot be read or does not validate.

    ``problems`` lists one line per problem, each naming file, line and field.
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = list(problems or [])
        text = message if not self.problems else message + "\n" + "\n".join(
            f"  - {p}" for p in self.problems
        )
        super().__init__(text)


@dataclass(frozen=True)
class Problem:
    """One rejected cell or row of an import: where it is and what was expected."""

    source: str
    row: int | None
    column: str | None
    message: str
    sheet: str | None = None
    value: str | None = None
    #: the message's key in the ``ingest.`` texts of :mod:`mic2025.i18n` and its arguments,
    #: so that the platform can say it in the reader's language with indicator names
    #: (:mod:`mic2025.ingest.messages`); ``message`` stays the English text the command
    #: line prints. ``args`` may carry ``indicator``, the row's code, without a key.
    key: str | None = None
    args: tuple[tuple[str, str], ...] = ()

    def location(self) -> str:
        parts = [self.source]
        if self.sheet:
            parts.append(f"sheet {self.sheet!r}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)

    def __str__(self) -> str:
        shown = "" if self.value is None else f" (got {self.value!r})"
        return f"{self.location()}: {self.message}{shown}"


class ImportRejected(Mic2025Error):
    """A file was refused as a whole; ``problems`` lists the reasons found.

    ``problems`` holds at most the first problems an import keeps (see
    :mod:`mic2025.ingest.limits`); ``total`` counts every problem found, and ``omitted``
    those counted but not kept.
    """

    #: problems listed in the message; the rest are counted
    SHOWN = 200

    def __init__(self, source: str, problems: list[Problem], *, total: int | None = None
                 ) -> None:
        self.source = source
        self.problems = problems
        self.total = max(total or 0, len(problems))
        self.omitted = self.total - len(problems)
        head = f"{source}: import rejected, {self.total:,} problem(s); nothing was stored"
        listed = "\n".join(f"  - {p}" for p in problems[:self.SHOWN])
        shown = min(len(problems), self.SHOWN)
        more = "" if self.total <= shown else \
            f"\n  … and {self.total - shown:,} more problems not listed"
        super().__init__(f"{head}\n{listed}{more}")


class StoreError(Mic2025Error):
    """The evidence store cannot be opened, migrated or queried."""


class EvaluationError(Mic2025Error):
    """An evaluation cannot be carried out as asked (bad method, bad series, bad target)."""


class UnknownCodeError(Mic2025Error):
    """An area or industry code is not in the bundled code lists."""
