"""Weights: analytic hierarchy process, budget allocation, PCA, and weight specifications.

Handbook step 6 ("weighting"). Weights in this engine are **relative within a group** (the
members of one aggregate), as in COINr; every function here returns weights that sum to 1
over the members they cover.

* :func:`ahp_weights` — Saaty's analytic hierarchy process: the principal right eigenvector
  of a positive reciprocal pairwise-comparison matrix (``a_ij`` = how much more important
  member i is than member j, on Saaty's 1–9 scale, ``a_ji = 1/a_ij``), normalised to sum
  1. Consistency: ``CI = (λ_max - n)/(n - 1)``, ``CR = CI/RI(n)`` with Saaty's random index
  RI (n = 3..10: 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49). A matrix with CR > 0.1 is
  refused unless ``allow_inconsistent``. Saaty (1980), *The Analytic Hierarchy Process*,
  McGraw-Hill; Saaty (1977), *J. Math. Psychology* 15(3):234–281; Handbook 2008 §6.1.
* :func:`budget_weights` — budget allocation process: each expert spreads a budget of
  points over the members; each expert's points are normalised to shares and the shares
  averaged over experts (Handbook 2008 §6.1, "budget allocation process"; Moldan & Billharz
  1997). The spread across experts is reported.
* :func:`pca_weights` — first principal component loadings per group (COINr ``get_PCA``,
  ``weights_to``), or their squares (the Handbook's factor-analysis recipe). A negative
  loading means a member pulls against its group: that is refused, loudly, unless
  ``allow_negative``.

Weight **specifications** (the ``weights:`` section of a framework YAML file) are checked
by :func:`parse_weight_specs` and turned into element weights by :func:`resolve_weights`::

    weights:
      - {method: ahp, parent: Conn, matrix: [[1, 3, 5], ["1/3", 1, 2], ["1/5", "1/2", 1]]}
      - {method: budget, parent: Sust, allocations: [[50, 30, 20], [40, 40, 20]]}
      - {method: fixed, values: {Physical: 2, Political: 1}}
      - {method: equal, parent: Index}
      - {method: pca, level: 1}           # from the normalised data, at build time

``members`` (optional) gives the order of the matrix rows / allocation columns; by default
it is the parent's members in framework order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from mic2025.composite.components import pca
from mic2025.composite.errors import CompositeError
from mic2025.composite.table import FloatArray, Table

#: Saaty's random consistency index RI(n) (Saaty 1980, table 1.7.1), n = 1..10.
RANDOM_INDEX: dict[int, float] = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24,
                                  7: 1.32, 8: 1.41, 9: 1.45, 10: 1.49}
CR_LIMIT = 0.1


@dataclass(frozen=True)
class AHPResult:
    """AHP weights (sum 1), λ_max, the consistency index, random index and ratio."""

    weights: FloatArray
    lambda_max: float
    ci: float
    ri: float
    cr: float


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool):
        raise CompositeError(f"{where}: expected a number (got {value!r})")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(Fraction(value.strip()))
        except (ValueError, ZeroDivisionError):
            pass
    raise CompositeError(f"{where}: expected a number or a fraction like '1/3' (got {value!r})")


def ahp_weights(matrix: Any, allow_inconsistent: bool = False, label: str = "AHP",
                tol: float = 1e-6) -> AHPResult:
    """Saaty's AHP weights from a pairwise comparison matrix (see the module docstring).

    Entries may be numbers or fraction strings (``"1/3"``). The matrix must be square,
    positive, with ones on the diagonal and reciprocal (``a_ij·a_ji = 1`` within ``tol``).
    """
    try:
        rows = [list(r) for r in matrix]
    except TypeError:
        raise CompositeError(f"{label}: the comparison matrix must be a list of rows") from None
    n = len(rows)
    if n == 0 or any(len(r) != n for r in rows):
        raise CompositeError(f"{label}: the comparison matrix must be square (got {n} rows of "
                             f"lengths {[len(r) for r in rows]})")
    if n > max(RANDOM_INDEX):
        raise CompositeError(f"{label}: at most {max(RANDOM_INDEX)} members can be compared "
                             "(Saaty's random index is tabulated up to 10); split the group")
    a = np.array([[_number(v, f"{label}, row {i + 1}, column {j + 1}")
                   for j, v in enumerate(r)] for i, r in enumerate(rows)])
    problems = []
    for i in range(n):
        if abs(a[i, i] - 1.0) > tol:
            problems.append(f"row {i + 1}, column {i + 1}: the diagonal must be 1 (got {a[i, i]})")
        for j in range(n):
            if not a[i, j] > 0:
                problems.append(f"row {i + 1}, column {j + 1}: must be > 0 (got {a[i, j]})")
            elif j > i and abs(a[i, j] * a[j, i] - 1.0) > tol:
                problems.append(f"rows {i + 1}/{j + 1}: a_ij·a_ji must be 1 (got "
                                f"{a[i, j]} and {a[j, i]})")
    if problems:
        raise CompositeError(f"{label}: not a positive reciprocal matrix", problems)
    vals, vecs = np.linalg.eig(a)
    k = int(np.argmax(vals.real))
    lam = float(vals[k].real)
    v = np.abs(vecs[:, k].real)  # Perron vector: one sign throughout
    w = v / v.sum()
    ci = (lam - n) / (n - 1) if n > 2 else 0.0
    ri = RANDOM_INDEX[n]
    cr = ci / ri if ri > 0 else 0.0
    ci, cr = max(ci, 0.0), max(cr, 0.0)  # rounding can make a consistent matrix -1e-16
    if cr > CR_LIMIT and not allow_inconsistent:
        raise CompositeError(
            f"{label}: the comparisons are inconsistent: consistency ratio CR = {cr:.3f} > "
            f"{CR_LIMIT} (λ_max = {lam:.4f}, CI = {ci:.4f}, RI({n}) = {ri}); revise the "
            "judgements or pass allow_inconsistent")
    return AHPResult(w, lam, ci, ri, cr)


@dataclass(frozen=True)
class BudgetResult:
    """Budget-allocation weights (mean share over experts), their sd, and the expert count."""

    weights: FloatArray
    sd: FloatArray
    n_experts: int


def budget_weights(allocations: Any, label: str = "budget allocation") -> BudgetResult:
    """Mean over experts (rows) of each expert's points normalised to shares (columns)."""
    try:
        a = np.array([[_number(v, f"{label}, expert {i + 1}") for v in row]
                      for i, row in enumerate(allocations)], dtype=float)
    except TypeError:
        raise CompositeError(f"{label}: allocations must be a list of rows") from None
    if a.ndim != 2 or a.shape[0] == 0 or a.shape[1] == 0:
        raise CompositeError(f"{label}: expected one row of points per expert")
    if np.any(a < 0):
        i, j = (int(x) for x in np.argwhere(a < 0)[0])
        raise CompositeError(f"{label}: expert {i + 1}, member {j + 1}: negative points")
    totals = a.sum(axis=1)
    if np.any(totals <= 0):
        raise CompositeError(f"{label}: expert {int(np.argmin(totals)) + 1} gave no points")
    shares = a / totals[:, None]
    sd = shares.std(axis=0, ddof=1) if a.shape[0] > 1 else np.zeros(a.shape[1])
    return BudgetResult(shares.mean(axis=0), sd, a.shape[0])


def pca_weights(
    table: Table, framework: Any, level: int = 1, squared: bool = False,
    allow_negative: bool = False,
) -> dict[str, float]:
    """Weights of the elements at ``level`` from the first principal component of each group.

    Loadings are signed so that they sum to a positive number (:func:`.components.pca`) and
    scaled to sum 1 within the group; ``squared`` uses squared loadings instead (Handbook
    2008 §6.1, factor analysis). A negative loading — a member that moves against the rest
    of its group, e.g. ``Social`` (-0.74) in COINr's ASEM example — raises
    :class:`CompositeError` naming it, unless ``allow_negative`` (COINr keeps it silently).
    """
    out: dict[str, float] = {}
    for res in pca(table, framework, level):
        load = np.asarray(res.weights, dtype=float)
        if not allow_negative and np.any(load < 0):
            bad = [f"{m} ({v:+.3f})" for m, v in zip(res.members, load, strict=True) if v < 0]
            raise CompositeError(
                f"PCA weights for group {res.group!r}: negative loading on {', '.join(bad)}; "
                "such a member pulls against its group (check its direction, or pass "
                "allow_negative to use the loadings anyway)")
        w = load**2 if squared else load
        total = float(w.sum())
        if total == 0:
            raise CompositeError(f"PCA weights for group {res.group!r}: loadings sum to 0")
        for m, v in zip(res.members, w / total, strict=True):
            out[m] = float(v)
    return out


# -- specifications ------------------------------------------------------------------------------
SPEC_FIELDS: dict[str, frozenset[str]] = {
    "ahp": frozenset({"parent", "members", "matrix", "allow_inconsistent"}),
    "budget": frozenset({"parent", "members", "allocations"}),
    "fixed": frozenset({"values"}),
    "equal": frozenset({"parent"}),
    "pca": frozenset({"level", "squared", "allow_negative"}),
}


def parse_weight_specs(raw: Any, src: str, problems: list[str]) -> list[dict[str, Any]]:
    """Check the ``weights:`` list of a framework file; append problems, return the specs."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.append(f"{src}, field 'weights': expected a list of weight specifications")
        return []
    out = []
    for pos, item in enumerate(raw, start=1):
        where = f"{src}, weights[{pos}]"
        if not isinstance(item, dict) or item.get("method") not in SPEC_FIELDS:
            problems.append(f"{where}: expected a mapping with 'method' one of "
                            f"{sorted(SPEC_FIELDS)}")
            continue
        allowed = SPEC_FIELDS[item["method"]]
        for key in item:
            if key != "method" and key not in allowed:
                problems.append(f"{where} ({item['method']}): unknown field {key!r} "
                                f"(expected {sorted(allowed)})")
        out.append(dict(item, _where=where))
    return out


def _members(spec: Mapping[str, Any], framework: Any) -> tuple[str, list[str]]:
    where = spec.get("_where", "weights")
    parent = spec.get("parent")
    if parent is None:
        raise CompositeError(f"{where}: 'parent' is required")
    children = list(framework.children(str(parent)))
    if not children:
        raise CompositeError(f"{where}: {parent!r} is not an aggregate with members")
    members = [str(m) for m in spec.get("members") or children]
    if sorted(members) != sorted(children):
        raise CompositeError(f"{where}: members {members} must be exactly the members of "
                             f"{parent!r}: {children}")
    return str(parent), members


def resolve_weights(
    framework: Any, specs: Sequence[Mapping[str, Any]], data: Table | None = None,
) -> dict[str, float]:
    """Element weights ``{code: weight}`` from weight specifications, applied in order.

    ``pca`` specifications need ``data`` (the normalised data set, with the aggregates of
    lower levels when ``level`` > 1); without it they are skipped. Elements not covered keep
    their framework weight.
    """
    out: dict[str, float] = {}
    for spec in specs:
        method = spec["method"]
        where = str(spec.get("_where", "weights"))
        if method == "ahp":
            parent, members = _members(spec, framework)
            if len(spec.get("matrix") or []) != len(members):
                raise CompositeError(f"{where}: the matrix must have one row per member of "
                                     f"{parent!r} ({len(members)}: {members})")
            res = ahp_weights(spec["matrix"], bool(spec.get("allow_inconsistent", False)),
                              label=where)
            out.update(zip(members, res.weights.tolist(), strict=True))
        elif method == "budget":
            parent, members = _members(spec, framework)
            alloc = spec.get("allocations") or []
            if any(len(r) != len(members) for r in alloc):
                raise CompositeError(f"{where}: each expert's allocation needs one number per "
                                     f"member of {parent!r} ({members})")
            bres = budget_weights(alloc, label=where)
            out.update(zip(members, bres.weights.tolist(), strict=True))
        elif method == "equal":
            _, members = _members(spec, framework)
            out.update({m: 1.0 / len(members) for m in members})
        elif method == "fixed":
            values = spec.get("values")
            if not isinstance(values, dict):
                raise CompositeError(f"{where}: 'values' must map codes to weights")
            for code, v in values.items():
                framework.element(str(code))
                w = _number(v, f"{where}, values.{code}")
                if w < 0:
                    raise CompositeError(f"{where}, values.{code}: negative weight")
                out[str(code)] = w
        elif method == "pca" and data is not None:
            out.update(pca_weights(data, framework, int(spec.get("level", 1)),
                                   bool(spec.get("squared", False)),
                                   bool(spec.get("allow_negative", False))))
    return out


def has_data_weights(specs: Sequence[Mapping[str, Any]]) -> bool:
    """Whether some specification needs the data (PCA)."""
    return any(s.get("method") == "pca" for s in specs)
