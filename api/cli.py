"""``qa-engine serve | worker | users | db``: the service's commands, attached to the engine CLI
by one hook in qa_engine/cli.py (the engine itself never imports ``api``)."""

from __future__ import annotations

import sys

import click

from api.settings import Settings


def _settings() -> Settings:
    try:
        return Settings()
    except Exception as exc:  # noqa: BLE001 - a bad QA_* variable: say which, exit 2
        raise click.UsageError(f"invalid QA_* configuration: {exc}") from None


def _services(migrate: bool = True):  # noqa: ANN202
    from api.db import upgrade_to_head
    from api.deps import Services

    services = Services.from_settings(_settings())
    if migrate:
        upgrade_to_head(services.engine)
    return services


def _check_engine(settings: Settings) -> None:
    """Build the engine once before serving or spawning workers: a broken rule pack or a missing
    model stops the start with a clear message instead of failing every job later."""
    from api.processing import get_engine
    from qa_engine.rules.loader import PackErrors

    try:
        get_engine(settings)
    except PackErrors as exc:
        raise click.ClickException("the rule pack or scorecard is invalid:\n  " +
                                   "\n  ".join(str(e) for e in exc.errors)) from None
    except (OSError, KeyError, ValueError, ImportError) as exc:
        raise click.ClickException(f"cannot build the scoring engine ({type(exc).__name__}: {exc}); check "
                                   "QA_RULES, QA_SCORECARD and QA_ANALYZERS") from None


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--embedded-worker/--no-embedded-worker", default=None,
              help="Score in a thread of the API process (default: QA_EMBEDDED_WORKER, true).")
def serve_command(host: str, port: int, embedded_worker: bool | None) -> None:
    """Run the HTTP API (migrates the database to the latest schema first).

    To scale out, run several `serve` processes behind a proxy with QA_EMBEDDED_WORKER=false
    and score with `qa-engine worker`."""
    import uvicorn

    from api.app import create_app
    from api.logs import configure_logging

    settings = _settings()
    if embedded_worker is not None:
        settings.embedded_worker = embedded_worker
    configure_logging(settings)
    if settings.embedded_worker:
        _check_engine(settings)
    app = create_app(settings, migrate=True)
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)


@click.command("worker")
@click.option("--processes", "-n", default=1, show_default=True, type=click.IntRange(1, 256),
              help="Worker processes; each builds one engine and claims jobs independently.")
@click.option("--kinds", default=None, help="Only these job kinds, comma-separated (score,transcribe,webhook); "
                                            "e.g. transcribe on machines with the speech model.")
def worker_command(processes: int, kinds: str | None) -> None:
    """Process queued jobs (transcribe, score, webhooks) until stopped with SIGTERM/Ctrl-C."""
    from api.logs import configure_logging
    from api.worker import run_processes

    settings = _settings()
    configure_logging(settings)
    _services(migrate=True)  # a worker started first must not find an empty database
    selected = tuple(k.strip() for k in kinds.split(",") if k.strip()) if kinds else None
    unknown = sorted(set(selected or ()) - {"score", "transcribe", "webhook"})
    if unknown:
        raise click.UsageError(f"unknown job kind(s) {', '.join(unknown)}; use score, transcribe, webhook")
    if selected is None or "score" in selected:
        _check_engine(settings)  # in the parent: a bad pack is one clear message, not N crashed children
    run_processes(settings, processes, selected)


# ----------------------------------------------------------------------------- users


@click.group("users")
def users_group() -> None:
    """Manage people, teams and API keys (e.g. bootstrap the first admin)."""


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_group.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["agent", "team_lead", "qa", "supervisor", "admin"]))
@click.option("--team", "teams", multiple=True, help="Team id (repeatable); created if new.")
@click.option("--agent-id", default=None, help="The agent id used in conversations (required for agents).")
@click.option("--can-unmask", is_flag=True, help="May see unmasked personal data (audited).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def users_add(username: str, role: str, teams: tuple[str, ...], agent_id: str | None, can_unmask: bool,
              password_stdin: bool) -> None:
    """Create a user."""
    from api import audit
    from api.users import UserError, add_user

    password = _read_password(password_stdin)
    services = _services()
    with services.sessions() as session:
        try:
            user = add_user(session, username, password, role, teams=teams, agent_id=agent_id, can_unmask=can_unmask)
        except UserError as exc:
            raise click.ClickException(str(exc)) from None
        audit.record(session, actor="cli", action="user_create", target_type="user", target_id=username,
                     detail={"role": role, "teams": sorted(teams), "agent_id": agent_id, "can_unmask": can_unmask})
        session.commit()
        click.echo(f"created user {user.username} (id {user.id}, role {user.role}"
                   f"{', teams ' + ', '.join(sorted(user.team_ids)) if user.team_ids else ''})")


@users_group.command("list")
def users_list() -> None:
    """List users with role, agent id and teams."""
    from sqlalchemy import select

    from api.models import User

    with _services().sessions() as session:
        for user in session.scalars(select(User).order_by(User.username)):
            click.echo(f"{user.username}\t{user.role}\t{user.agent_id or '-'}\t{','.join(sorted(user.team_ids)) or '-'}"
                       f"\t{'active' if user.active else 'disabled'}")


@users_group.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True)
def users_passwd(username: str, password_stdin: bool) -> None:
    """Set a user's password."""
    from api.auth import hash_password
    from api.users import MIN_PASSWORD_LENGTH, UserError, get_user

    password = _read_password(password_stdin)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(f"password too short: use at least {MIN_PASSWORD_LENGTH} characters")
    with _services().sessions() as session:
        try:
            get_user(session, username).password_hash = hash_password(password)
        except UserError as exc:
            raise click.ClickException(str(exc)) from None
        session.commit()
    click.echo(f"password of {username} changed")


@users_group.group("teams")
def teams_group() -> None:
    """Add or remove a user's teams."""


def _change_teams(username: str, teams: tuple[str, ...], add: bool) -> None:
    from api import audit
    from api.users import UserError, add_teams, get_user, remove_teams

    with _services().sessions() as session:
        try:
            user = get_user(session, username)
            (add_teams if add else remove_teams)(session, user, teams)
        except UserError as exc:
            raise click.ClickException(str(exc)) from None
        audit.record(session, actor="cli", action="user_teams_" + ("add" if add else "remove"), target_type="user",
                     target_id=username, detail={"teams": sorted(teams)})
        session.commit()
        click.echo(f"{username}: teams {', '.join(sorted(user.team_ids)) or '(none)'}")


@teams_group.command("add")
@click.argument("username")
@click.argument("teams", nargs=-1, required=True)
def teams_add(username: str, teams: tuple[str, ...]) -> None:
    """Give USERNAME the TEAMS (created if new)."""
    _change_teams(username, teams, add=True)


@teams_group.command("remove")
@click.argument("username")
@click.argument("teams", nargs=-1, required=True)
def teams_remove(username: str, teams: tuple[str, ...]) -> None:
    """Take TEAMS away from USERNAME."""
    _change_teams(username, teams, add=False)


@users_group.group("apikey")
def apikey_group() -> None:
    """API keys for machine clients."""


@apikey_group.command("create")
@click.argument("username")
@click.option("--name", required=True, help="What the key is for (shown in lists and audit).")
@click.option("--role", default=None, help="Defaults to the owner's role; never more than it.")
@click.option("--scope", "scopes", multiple=True,
              help="conversations:read, conversations:write, audio:read (default: read+write).")
def apikey_create(username: str, name: str, role: str | None, scopes: tuple[str, ...]) -> None:
    """Create an API key owned by USERNAME; prints the key once."""
    from api import audit
    from api.auth import create_api_key
    from api.users import UserError, get_user

    with _services().sessions() as session:
        try:
            row, key = create_api_key(session, get_user(session, username), name=name, role=role,
                                      scopes=list(scopes) or None)
        except (UserError, ValueError) as exc:
            raise click.ClickException(str(exc)) from None
        audit.record(session, actor="cli", action="api_key_create", target_type="api_key", target_id=row.prefix,
                     detail={"owner": username, "role": row.role, "scopes": row.scopes})
        session.commit()
    click.echo(key)


@apikey_group.command("revoke")
@click.argument("prefix")
def apikey_revoke(prefix: str) -> None:
    """Revoke the API key with this PREFIX."""
    from sqlalchemy import select

    from api import audit
    from api.db import utcnow
    from api.models import ApiKey

    with _services().sessions() as session:
        row = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
        if row is None:
            raise click.ClickException(f"no API key with prefix {prefix!r}")
        row.revoked_at = utcnow()
        audit.record(session, actor="cli", action="api_key_revoke", target_type="api_key", target_id=prefix)
        session.commit()
    click.echo(f"revoked {prefix}")


# ----------------------------------------------------------------------------- db


@click.group("db")
def db_group() -> None:
    """Database schema (migrations)."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the latest schema."""
    from api.db import current_revisions

    services = _services(migrate=True)
    click.echo(f"database at {', '.join(sorted(current_revisions(services.engine)))}")


@db_group.command("current")
def db_current() -> None:
    """Show the schema revision of the database and the one the code expects."""
    from api.db import current_revisions, head_revisions

    services = _services(migrate=False)
    click.echo(f"database: {', '.join(sorted(current_revisions(services.engine))) or 'empty'}; "
               f"code expects: {', '.join(sorted(head_revisions()))}")


# qa-engine batch --executor celery (api/executors/backfill.py)
from api.executors import register_batch_executor  # noqa: E402 - after the commands it extends

register_batch_executor()

COMMANDS = {"serve": serve_command, "worker": worker_command, "users": users_group, "db": db_group}
