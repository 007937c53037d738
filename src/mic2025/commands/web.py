"""``mic2025 serve`` and ``mic2025 users``: run the web platform and manage its accounts."""

from __future__ import annotations

import sys

import click

from ..store.accounts import AccountError
from ..store.repo import Store
from .common import fail_cleanly

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
              help="Folder of generated follow-up documents (the follow-up records are in "
                   "the store); default: MIC2025_FOLLOWUP_DIR or beside the store.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes (on Linux each accepts on a socket of its own, so "
                   "connections spread evenly). More than one needs a shared secret: "
                   "MIC2025_SECRET or --secret-file.")
@click.option("--secret-file", "secret_file", envvar="MIC2025_SECRET_FILE", default=None,
              type=click.Path(dir_okay=False),
              help="File holding the CSRF key shared by every worker (made with a random key, "
                   "mode 0600, when missing); default: MIC2025_SECRET_FILE.")
@click.option("--writer-process/--no-writer-process", "writer_process", default=True,
              show_default=True,
              help="With --workers above 1: one more process takes every write (upload, "
                   "submit, approve, log-in) from the workers, so that writes do not queue "
                   "behind the readers for the interpreter.")
@click.option("--log-level", "log_level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]),
              help="uvicorn's log level (info logs every request).")
def serve(host: str, port: int, db: str | None, plan_file: str | None, demo: bool,
          proxy_headers: bool, followup_dir: str | None, workers: int,
          secret_file: str | None, writer_process: bool, log_level: str) -> None:
    """Run the web platform: pages, REST API (/openapi.json), submissions and approval.

    Set MIC2025_SECRET (or --secret-file) to keep CSRF tokens valid across restarts; it is
    required with --workers above 1.
    """
    import os

    import uvicorn

    from ..errors import Mic2025Error
    from ..web.app import ENV_WORKER_PLAN, create_app, warm
    from ..web.settings import ENV_SECRET, ENV_SECRET_FILE, secret_from_file

    secret = os.environ.get(ENV_SECRET, "").strip() or None
    if workers > 1 and not secret and not secret_file:
        click.echo(
            f"error: --workers {workers} needs one CSRF secret shared by every worker, or a "
            "form opened from one worker is refused by the others. Either set "
            "MIC2025_SECRET (e.g. export MIC2025_SECRET=$(python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(48))')), or pass --secret-file PATH (a random key is "
            "written there, mode 0600, if the file does not exist).", err=True)
        sys.exit(2)
    try:
        if not secret and secret_file:
            secret = secret_from_file(secret_file, create=True)
        app = create_app(db, demo=demo, plan_file=plan_file, followup_dir=followup_dir,
                         secret=secret)
    except Mic2025Error as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    from ..report.official import FontsMissing, font_files

    try:
        font_files()
    except FontsMissing as exc:  # the platform still serves; its document downloads cannot
        click.echo(f"warning: the Word and PDF documents cannot be made on this server "
                   f"(their downloads answer 503): {exc}", err=True)
    if demo:
        from ..services.accounts import DEMO_ACCOUNTS

        click.echo("demo accounts (example data only):")
        for username, password, grant, _label in DEMO_ACCOUNTS:
            click.echo(f"  {username:18} {password:22} {grant}")
    store = app.state.platform.store
    click.echo(f"mic2025 web on http://{host}:{port}/ (store {store.url}"
               f"{f', {workers} workers' if workers > 1 else ''})")
    if workers == 1:
        uvicorn.run(warm(app), host=host, port=port, proxy_headers=proxy_headers,
                    log_level=log_level)
        return
    # the store is migrated, the evidence loaded and the demo accounts seeded (above, once);
    # each worker builds its own app from the environment (mic2025.web.app.create_app_from_env)
    folder = str(app.state.platform.followup.folder)
    app.state.platform.close()
    os.environ["MIC2025_DB"] = store.engine.url.render_as_string(hide_password=False)
    os.environ["MIC2025_FOLLOWUP_DIR"] = folder
    if plan_file:
        os.environ[ENV_WORKER_PLAN] = os.path.abspath(plan_file)
    if secret_file and not os.environ.get(ENV_SECRET):
        os.environ[ENV_SECRET_FILE] = os.path.abspath(secret_file)
    import socket

    if writer_process and not hasattr(socket, "AF_UNIX"):
        click.echo("note: no Unix sockets on this system: the workers write themselves "
                   "(--no-writer-process)", err=True)
        writer_process = False
    from ..web.workers import WorkersError, run_workers
    from ..web.writer import ENV_WRITER_SOCKET, WriterError, worker_threads
    from ..web.writer import writer_process as started

    def run() -> None:  # a listening socket per worker where connections spread so
        run_workers("mic2025.web.app:create_app_from_env", host=host, port=port,
                    workers=workers, proxy_headers=proxy_headers, log_level=log_level)

    try:
        if not writer_process:
            run()
            return
        worker_threads()  # a bad MIC2025_WORKER_THREADS stops the server here, not each worker
        with started(log_level=log_level) as socket_path:
            click.echo(f"writer process on {socket_path}")
            os.environ[ENV_WRITER_SOCKET] = socket_path
            run()
    except (WriterError, WorkersError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


@click.group()
def users() -> None:
    """Accounts of the web platform: add, list, disable, and API tokens."""


def _engine(db: str | None, *, write: bool = True) -> Store:
    from ..store import open_store

    return open_store(db, migrate=write)


@users.command("add")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True,
              help="admin, analyst, evaluator, prov_editor:440000, prov_approver:440000, "
                   "enterprise:CODE@440000, body_editor:miit (repeatable).")
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--password", default=None,
              help="Password (prompted for when not given; prefer the prompt).")
@db_option
@fail_cleanly
def users_add(username: str, roles: tuple[str, ...], display_name: str, password: str | None,
              db: str | None) -> None:
    """Add a user with one or more roles, as the account named by `mic2025 --as USER`.

    The first account of an empty store needs no --as: it is the administrator
    (--role admin) the others are added by.
    """
    from ..permissions import Actor
    from ..services.accounts import create_first_admin, create_user, list_users, parse_grant
    from .common import acting_as, cli_actor

    grants = [parse_grant(r) for r in roles]
    if password is None:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    with _engine(db) as store:
        if acting_as() is None and not list_users(store.engine):
            if [r.strip() for r in roles] != ["admin"]:
                raise AccountError("the first account of a store is its administrator: "
                                   "--role admin (it then adds the others, with --as)")
            create_first_admin(store.engine, Actor(id=None, username="cli", via="cli"),
                               username, password, display_name=display_name)
        else:
            create_user(store.engine, cli_actor(store), username, password, grants,
                        display_name=display_name)
    click.echo(f"user {username} added: {', '.join(roles)}")


@users.command("list")
@db_option
def users_list(db: str | None) -> None:
    """List users, their roles and whether they are disabled or demo accounts."""
    from ..services.accounts import format_grant, list_users

    store = _engine(db, write=False)
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
@fail_cleanly
def users_disable(username: str, enable: bool, db: str | None) -> None:
    """Disable a user: its sessions end and its API tokens stop working (needs --as)."""
    from ..services.accounts import set_disabled
    from .common import cli_actor

    with _engine(db) as store:
        set_disabled(store.engine, cli_actor(store), username, not enable)
    click.echo(f"user {username} {'enabled' if enable else 'disabled'}")


@users.command("token")
@click.argument("username")
@click.option("--name", default="cli", show_default=True, help="A name to tell tokens apart.")
@db_option
@fail_cleanly
def users_token(username: str, name: str, db: str | None) -> None:
    """Create an API token for a user and print it (it is shown only this once).

    Acts as the account named by --as: a user's own token, or anyone's for a user manager.
    """
    from ..services.accounts import create_token
    from .common import cli_actor

    with _engine(db) as store:
        token = create_token(store.engine, cli_actor(store), username, name)
    click.echo(token)


@click.group("audit")
def audit_group() -> None:
    """The platform's audit log: check that nobody changed it."""


@audit_group.command("verify")
@db_option
def audit_verify(db: str | None) -> None:
    """Recompute the audit log's hash chain and name the first entry where it breaks.

    Exit status 0: the chain is intact; 2: it is broken (the entry and what does not fit are
    printed), or the store cannot be read. Only reads: it never waits for a writer.
    """
    from ..errors import Mic2025Error
    from ..store import open_store
    from ..store.audit import verify

    try:
        store = open_store(db, migrate=False)
    except Mic2025Error as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    try:
        result = verify(store.engine)
    finally:
        store.close()
    if not result.intact:
        click.echo(f"audit log BROKEN at entry {result.broken_at} ({result.entries} entries "
                   f"checked): {result.problem}", err=True)
        sys.exit(2)
    click.echo(f"audit log intact: {result.entries} entries, every link checked")
