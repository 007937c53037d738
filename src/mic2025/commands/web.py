"""``mic2025 serve`` and ``mic2025 users``: run the web platform and manage its accounts."""

from __future__ import annotations

import sys

import click

from ..store.repo import Store

db_option = click.option(
    "--db", envvar="MIC2025_DB", default=None, metavar="URL",
    help="Store URL (sqlite:///file or postgresql+psycopg://…); default: MIC2025_DB or a "
         "SQLite file in the user data folder.")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@db_option
@click.option("--plan", "plan_file", default=None, type=click.Path(dir_okay=False),
              help="Plan file (YAML); default: the bundled Made in China 2025.")
@click.option("--demo", is_flag=True,
              help="Seed labelled example accounts, one per role (passwords printed).")
@click.option("--proxy-headers", is_flag=True,
              help="Trust X-Forwarded-Proto/For from a reverse proxy (for Secure cookies).")
@click.option("--followup-dir", "followup_dir", default=None,
              type=click.Path(file_okay=False),
              help="Folder of the follow-up records (supervision updates, evaluation rounds, "
                   "generated documents); default: MIC2025_FOLLOWUP_DIR or beside the store.")
def serve(host: str, port: int, db: str | None, plan_file: str | None, demo: bool,
          proxy_headers: bool, followup_dir: str | None) -> None:
    """Run the web platform: pages, REST API (/openapi.json), submissions and approval.

    Set MIC2025_SECRET to keep CSRF tokens valid across restarts.
    """
    import uvicorn

    from ..errors import Mic2025Error
    from ..web.app import create_app

    try:
        app = create_app(db, demo=demo, plan_file=plan_file, followup_dir=followup_dir)
    except Mic2025Error as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if demo:
        from ..web.accounts import DEMO_ACCOUNTS

        click.echo("demo accounts (example data only):")
        for username, password, grant, _label in DEMO_ACCOUNTS:
            click.echo(f"  {username:18} {password:22} {grant}")
    click.echo(f"mic2025 web on http://{host}:{port}/ (store {app.state.platform.store.url})")
    uvicorn.run(app, host=host, port=port, proxy_headers=proxy_headers, log_level="info")


@click.group()
def users() -> None:
    """Accounts of the web platform: add, list, disable, and API tokens."""


def _engine(db: str | None) -> Store:
    from ..store.db import open_store

    return open_store(db)


@users.command("add")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True,
              help="admin, analyst, evaluator, prov_editor:440000, prov_approver:440000, "
                   "enterprise:CODE@440000 (repeatable).")
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--password", default=None,
              help="Password (prompted for when not given; prefer the prompt).")
@db_option
def users_add(username: str, roles: tuple[str, ...], display_name: str, password: str | None,
              db: str | None) -> None:
    """Add a user with one or more roles."""
    from ..web.accounts import AccountError, create_user, parse_grant
    from ..web.permissions import Actor

    if password is None:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    store = _engine(db)
    try:
        grants = [parse_grant(r) for r in roles]
        create_user(store.engine, Actor(id=None, username="cli", via="cli"), username,
                    password, grants, display_name=display_name)
    except AccountError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    finally:
        store.close()
    click.echo(f"user {username} added: {', '.join(roles)}")


@users.command("list")
@db_option
def users_list(db: str | None) -> None:
    """List users, their roles and whether they are disabled or demo accounts."""
    from ..web.accounts import format_grant, list_users

    store = _engine(db)
    try:
        for u in list_users(store.engine):
            flags = " ".join(f for f, on in (("disabled", u.disabled), ("demo", u.demo)) if on)
            roles = ", ".join(format_grant(g) for g in u.grants)
            click.echo(f"{u.username:24} {roles:40} {flags}".rstrip())
    finally:
        store.close()


@users.command("disable")
@click.argument("username")
@click.option("--enable", is_flag=True, help="Enable the user again instead.")
@db_option
def users_disable(username: str, enable: bool, db: str | None) -> None:
    """Disable a user: its sessions end and its API tokens stop working."""
    from ..web.accounts import AccountError, set_disabled
    from ..web.permissions import Actor

    store = _engine(db)
    try:
        set_disabled(store.engine, Actor(id=None, username="cli", via="cli"), username,
                     not enable)
    except AccountError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    finally:
        store.close()
    click.echo(f"user {username} {'enabled' if enable else 'disabled'}")


@users.command("token")
@click.argument("username")
@click.option("--name", default="cli", show_default=True, help="A name to tell tokens apart.")
@db_option
def users_token(username: str, name: str, db: str | None) -> None:
    """Create an API token for a user and print it (it is shown only this once)."""
    from ..web.accounts import AccountError, create_token
    from ..web.permissions import Actor

    store = _engine(db)
    try:
        token = create_token(store.engine, Actor(id=None, username="cli", via="cli"), username,
                             name)
    except AccountError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    finally:
        store.close()
    click.echo(token)
