"""Alembic migrations of the evidence store; run by :func:`mic2025.store.db.migrate`."""
