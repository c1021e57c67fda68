"""Alembic environment of the store.

``Store.open`` runs the migrations in code and hands over its connection (``config.attributes``);
an operator may also run ``alembic`` with a config whose ``sqlalchemy.url`` names the database.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, engine_from_config, pool

from forms.store.schema import metadata

config = context.config


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    given = config.attributes.get("connection")
    if given is not None:
        run_migrations(given)
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with engine.begin() as connection:
        run_migrations(connection)


if context.is_offline_mode():
    raise SystemExit("the store's migrations run online only (they need a connection)")
run_online()
