"""Alembic environment: the platform runs it in this service's schema."""

from alembic import context

from shared.migrate import run_env

run_env(context)
