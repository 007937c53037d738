"""Principal components of the members of each group of an index tree.

Handbook step 4 (multivariate analysis) and COINr 1.1 ``get_PCA`` (``by_groups``). It is
its own module because two layers need it: the statistical audit
(:mod:`mic2025.composite.analysis`) and the PCA weights (:mod:`mic2025.composite.weights`),
which the framework resolves when it loads. Depending only on the table, it keeps the
framework → weights → PCA chain free of a way back to the framework.

Reference: Jolliffe (2002), *Principal Component Analysis*.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from mic2025.composite.errors import CompositeError
from mic2025.composite.table import FloatArray, Table


class Tree(Protocol):
    """What PCA needs of a framework: the elements of a level and each group's members."""

    def at_level(self, level: int) -> tuple[str, ...]: ...

    def children(self, code: str) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class PCAResult:
    """PCA of one group's members on standardised data (correlation matrix).

    ``sd`` are the component standard deviations (square roots of the eigenvalues),
    ``prop_var`` and ``cum_prop`` the shares of variance; ``weights`` the first component's
    loadings (unit length) signed so that their sum is positive (the sign of an eigenvector
    is arbitrary; this convention makes it reproducible). Loadings can still be negative:
    a coherence warning, not an error.
    """

    group: str
    members: tuple[str, ...]
    sd: FloatArray
    prop_var: FloatArray
    cum_prop: FloatArray
    weights: FloatArray


def pca(table: Table, framework: Tree, level: int) -> list[PCAResult]:
    """PCA per parent group of the elements at ``level`` (COINr ``get_PCA``, ``by_groups``).

    Units with a missing member are dropped (complete cases), as R's ``prcomp`` requires.
    """
    out = []
    for parent in framework.at_level(level + 1):
        members = tuple(framework.children(parent))
        x = table.select(members).values
        x = x[~np.isnan(x).any(axis=1)]
        if x.shape[0] < 3 or x.shape[1] < 2:
            raise CompositeError(f"pca: group {parent!r} has too few complete units or members")
        z = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
        eigval, eigvec = np.linalg.eigh(np.cov(z, rowvar=False))
        order = np.argsort(eigval)[::-1]
        eigval, eigvec = np.clip(eigval[order], 0.0, None), eigvec[:, order]
        pc1 = eigvec[:, 0] * (1.0 if eigvec[:, 0].sum() >= 0 else -1.0)
        prop = eigval / eigval.sum()
        out.append(PCAResult(parent, members, np.sqrt(eigval), prop, np.cumsum(prop), pc1))
    return out
