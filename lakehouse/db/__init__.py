"""Postgres access: connections per role, bootstrap (roles, databases, schemas) and migrations."""
