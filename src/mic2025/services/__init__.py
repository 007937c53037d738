"""Every write a person makes, as one function each: submit, approve, review, update,
score, add a user, set a deadline.

Each function takes the store (or its engine) and an :class:`~mic2025.permissions.Actor`,
checks :func:`mic2025.permissions.require` — refusing with
:class:`~mic2025.permissions.Forbidden` — and writes the record with its audit entry
(:func:`mic2025.store.audit.record`) in one writer transaction
(:func:`mic2025.store.db.begin_write`): both commit or neither does. The platform's pages and
API and the command line call the same functions; the command line acts as a named account
(``mic2025 --as USER``), its audit entries marked ``via`` ``cli``. Nothing else writes these
records: ``tests/test_layers.py`` checks that only this package and the store import the
store's writing functions.
"""
