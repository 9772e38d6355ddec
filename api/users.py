"""Creating users and team memberships (shared by the CLI and, later, admin endpoints)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import hash_password
from api.models import ROLES, Team, User, UserTeam

MIN_PASSWORD_LENGTH = 8


class UserError(ValueError):
    """A usage problem with a message that says what to do."""


def ensure_teams(session: Session, team_ids: Iterable[str]) -> list[Team]:
    teams = []
    for tid in team_ids:
        tid = tid.strip()
        if not tid:
            raise UserError("team id must not be blank")
        team = session.get(Team, tid)
        if team is None:
            team = Team(id=tid, name=tid)
            session.add(team)
        teams.append(team)
    session.flush()
    return teams


def add_user(session: Session, username: str, password: str, role: str, *, teams: Iterable[str] = (),
             agent_id: str | None = None, can_unmask: bool = False, hashed: str | None = None) -> User:
    """``hashed``: an existing argon2 hash instead of ``password`` (imports, test fixtures)."""
    username = username.strip()
    if not username:
        raise UserError("username must not be blank")
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    if hashed is None and len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password too short: use at least {MIN_PASSWORD_LENGTH} characters")
    if role == "agent" and not agent_id:
        raise UserError("an agent needs --agent-id (the agent id used in uploaded conversations)")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise UserError(f"user {username!r} already exists")
    user = User(username=username, password_hash=hashed or hash_password(password), role=role, agent_id=agent_id,
                can_unmask=can_unmask)
    session.add(user)
    session.flush()
    add_teams(session, user, teams)
    return user


def add_teams(session: Session, user: User, team_ids: Iterable[str]) -> None:
    have = user.team_ids
    for team in ensure_teams(session, team_ids):
        if team.id not in have:
            user.teams.append(UserTeam(user_id=user.id, team_id=team.id))
    session.flush()


def remove_teams(session: Session, user: User, team_ids: Iterable[str]) -> None:
    drop = set(team_ids)
    user.teams[:] = [t for t in user.teams if t.team_id not in drop]
    session.flush()


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise UserError(f"no user {username!r}; list users with `qa-engine users list`")
    return user
