"""Figures into the store directly — a file (``mic2025 import``), rows given as mappings, or
the estimates of a microdata run — as a person's write: :func:`~mic2025.permissions.require`
``data:import``, then the vintage and its audit entry in one writer transaction.

A province's figures reach the store through the submission workflow instead
(:mod:`.submissions`: upload, submit, approve); this is the national administrator's way in,
and the command line's. The installation's own load of its bundled evidence
(:func:`mic2025.ingest.load_bundled`) is not a person's write and has no entry.

The file is read and checked before the writer lock is taken (:func:`mic2025.ingest.read_file`),
so a large file never holds other writers up while it is parsed; only the store's write and
the audit entry run under the lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..ingest import Limits, parse_rows, read_file
from ..observation import Observation
from ..permissions import Actor, Forbidden, Resource, require
from ..plan import Plan
from ..store.accounts import user_count
from ..store.audit import record
from ..store.db import begin_write
from ..store.repo import ImportResult, Store

if TYPE_CHECKING:  # the microdata stack (pyarrow) loads only when estimates are stored
    import pyarrow as pa

    from ..microdata.publish import Provenance, Published

#: what the audit entry of an import names: the figures of one vintage
RESOURCE = Resource("observations")


def import_file(store: Store, actor: Actor, path: str | Path, plan: Plan, *, note: str = "",
                kind: str = "import", encoding: str | None = None,
                sheets: Sequence[str] | None = None, limits: Limits | None = None,
                ip: str = "") -> ImportResult:
    """Import a long-format CSV or Excel file, or SDMX-CSV of the MIC2025 dataflow, as
    ``actor``: all rows or none (``ImportRejected``), one vintage named after the file and
    keyed by the sha256 of its bytes (importing the same file again writes nothing)."""
    require(actor, "data:import", RESOURCE)
    read = read_file(store, path, plan, kind=kind, encoding=encoding, sheets=sheets,
                     limits=limits)
    if read.known is not None:
        return read.known
    return store_observations(store, actor, read.observations, source_name=read.name,
                              sha256=read.sha256, kind=kind, note=note, ip=ip)


def import_rows(store: Store, actor: Actor, rows: Iterable[Mapping[str, object]], plan: Plan,
                *, source_name: str, sha256: str | None = None, kind: str = "import",
                note: str = "", limits: Limits | None = None, ip: str = "") -> ImportResult:
    """Import rows given as mappings of column → cell (a file's header names as keys),
    checked exactly as a file's rows, as ``actor``."""
    require(actor, "data:import", RESOURCE)
    observations = parse_rows(rows, plan, source_name=source_name, limits=limits)
    return store_observations(store, actor, observations, source_name=source_name,
                              sha256=sha256, kind=kind, note=note, ip=ip)


def store_observations(store: Store, actor: Actor, observations: Sequence[Observation], *,
                       source_name: str, sha256: str | None, kind: str = "import",
                       note: str = "", ip: str = "") -> ImportResult:
    """Store checked observations as one vintage, audited, in one transaction.

    The audit entry (``data.import``, resource ``vintage``) is written only when a vintage
    is: an import that brings nothing new changes nothing and leaves no entry.
    """
    require(actor, "data:import", RESOURCE)
    with begin_write(store.engine) as conn:
        if actor.id is None and actor.via == "cli" and user_count(conn):
            # the personal-store actor (see personal_actor) stops being valid the moment
            # the store gets its first account, even if that happened after it was chosen
            raise Forbidden("the store has accounts now: act as one of them "
                            "(mic2025 --as USER …)").saying("error.act_as_account")
        result = store.import_observations(observations, source_name=source_name,
                                           sha256=sha256, kind=kind, actor=actor.username,
                                           note=note, connection=conn)
        if result.vintage is not None and not result.already_imported:
            record(conn, actor, "data.import", "vintage", str(result.vintage), before=None,
                   after={"file": source_name, "sha256": sha256, "kind": kind,
                          "rows": result.rows_total, "new": result.rows_new,
                          "revised": result.rows_revised, "unchanged": result.rows_unchanged},
                   comment=note, ip=ip)
    return result


def store_estimates(store: Store, actor: Actor, estimates: pa.Table, plan: Plan,
                    provenance: Provenance, by: Sequence[str]) -> Published:
    """A microdata run's published cells (:func:`mic2025.microdata.publish.to_observations`)
    stored as one vintage of kind ``estimate``, as ``actor``; audited like any import."""
    from ..microdata.publish import PublishError, to_observations

    require(actor, "data:import", RESOURCE)
    published = to_observations(estimates, plan, provenance, by)
    if not published.observations:
        # command line only (mic2025 microdata publish): no page stores estimates
        raise PublishError("no estimate can be stored (every cell was suppressed or empty)")
    published.result = store_observations(
        store, actor, published.observations, source_name=Path(provenance.path).name,
        sha256=provenance.batch_sha256(by), kind="estimate", note=provenance.note())
    return published
