"""Core tables: teams, users, API keys, uploads, conversations, jobs, results, audit log.

The audit log is append-only at the database level: triggers reject UPDATE and DELETE.

Revision ID: 0001_core
Revises: 
Create Date: 2026-11-24 01:23:24.241140
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Frozen copies of api.db's portable types: a migration must not change when models do.
JSON_T = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')
BIGID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')

revision = '0001_core'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', BIGID, autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user_id', BIGID, nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=50), nullable=False),
    sa.Column('target_type', sa.String(length=50), nullable=True),
    sa.Column('target_id', sa.String(length=200), nullable=True),
    sa.Column('detail', JSON_T, nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_index('ix_audit_log_action', 'audit_log', ['action'])
    op.create_index('ix_audit_log_at', 'audit_log', ['at'])
    op.create_index('ix_audit_log_target_id', 'audit_log', ['target_id'])
    op.create_index('ix_audit_log_user_id', 'audit_log', ['user_id'])

    op.create_table('teams',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams'))
    )
    op.create_table('users',
    sa.Column('id', BIGID, autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=300), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('agent_id', sa.String(length=100), nullable=True),
    sa.Column('can_unmask', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("role IN ('agent', 'team_lead', 'qa', 'supervisor', 'admin')", name=op.f('ck_users_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_index('ix_users_agent_id', 'users', ['agent_id'])

    op.create_table('api_keys',
    sa.Column('id', BIGID, autoincrement=True, nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('scopes', JSON_T, nullable=False),
    sa.Column('owner_id', BIGID, nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("role IN ('agent', 'team_lead', 'qa', 'supervisor', 'admin')", name=op.f('ck_api_keys_role')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_api_keys_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_keys_key_hash')),
    sa.UniqueConstraint('prefix', name=op.f('uq_api_keys_prefix'))
    )
    op.create_index('ix_api_keys_owner_id', 'api_keys', ['owner_id'])

    op.create_table('uploads',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('idempotency_key', sa.String(length=400), nullable=True),
    sa.Column('request_sha256', sa.String(length=64), nullable=False),
    sa.Column('conversation_ids', JSON_T, nullable=False),
    sa.Column('created_by', BIGID, nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_uploads_created_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_uploads')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_uploads_idempotency_key'))
    )
    op.create_table('user_teams',
    sa.Column('user_id', BIGID, nullable=False),
    sa.Column('team_id', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_user_teams_team_id_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_teams_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'team_id', name=op.f('pk_user_teams'))
    )
    op.create_table('conversations',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('agent_id', sa.String(length=100), nullable=True),
    sa.Column('team_id', sa.String(length=100), nullable=True),
    sa.Column('customer_id', sa.String(length=100), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('payload', JSON_T, nullable=True),
    sa.Column('metadata', JSON_T, nullable=False),
    sa.Column('audio_path', sa.String(length=1000), nullable=True),
    sa.Column('audio_filename', sa.String(length=300), nullable=True),
    sa.Column('audio_bytes', BIGID, nullable=True),
    sa.Column('callback_url', sa.String(length=2000), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('upload_id', sa.String(length=36), nullable=True),
    sa.Column('created_by', BIGID, nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("channel IN ('chat', 'call')", name=op.f('ck_conversations_channel')),
    sa.CheckConstraint("status IN ('queued', 'processing', 'scored', 'failed')", name=op.f('ck_conversations_status')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_conversations_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['upload_id'], ['uploads.id'], name=op.f('fk_conversations_upload_id_uploads'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversations'))
    )
    op.create_index('ix_conversations_agent_created', 'conversations', ['agent_id', 'created_at'])
    op.create_index('ix_conversations_created_at', 'conversations', ['created_at'])
    op.create_index('ix_conversations_external_id', 'conversations', ['external_id'])
    op.create_index('ix_conversations_status', 'conversations', ['status'])
    op.create_index('ix_conversations_team_created', 'conversations', ['team_id', 'created_at'])
    op.create_index('ix_conversations_upload_id', 'conversations', ['upload_id'])

    op.create_table('jobs',
    sa.Column('id', BIGID, autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('payload', JSON_T, nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('run_after', sa.DateTime(), nullable=False),
    sa.Column('lease_owner', sa.String(length=200), nullable=True),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('score', 'transcribe', 'analyse', 'webhook')", name=op.f('ck_jobs_kind')),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_jobs_status')),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_jobs_conversation_id_conversations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs'))
    )
    op.create_index('ix_jobs_claim', 'jobs', ['status', 'run_after'])
    op.create_index('ix_jobs_conversation_id', 'jobs', ['conversation_id'])

    op.create_table('results',
    sa.Column('id', BIGID, autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('pack_id', sa.String(length=100), nullable=False),
    sa.Column('pack_version', sa.String(length=100), nullable=False),
    sa.Column('pack_sha', sa.String(length=64), nullable=False),
    sa.Column('scorecard_id', sa.String(length=100), nullable=False),
    sa.Column('scorecard_version', sa.String(length=100), nullable=False),
    sa.Column('scorecard_sha', sa.String(length=64), nullable=False),
    sa.Column('model_version', sa.String(length=500), nullable=False),
    sa.Column('engine_version', sa.String(length=50), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('grade', sa.String(length=50), nullable=False),
    sa.Column('veto', sa.Boolean(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('needs_review', sa.Boolean(), nullable=False),
    sa.Column('result', JSON_T, nullable=False),
    sa.Column('job_id', BIGID, nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_results_conversation_id_conversations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_results')),
    sa.UniqueConstraint('conversation_id', 'pack_sha', 'scorecard_sha', 'model_version', name='uq_results_identity'),
    sa.UniqueConstraint('conversation_id', 'version', name='uq_results_version')
    )
    op.create_index('ix_results_conversation_id', 'results', ['conversation_id'])
    op.create_index('ix_results_needs_review', 'results', ['needs_review'])

    _audit_append_only()


def _audit_append_only() -> None:
    """Reject UPDATE/DELETE on audit_log in the database itself, not only in our code."""
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("""
            CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP;
            END $$""")
        op.execute("CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()")
        op.execute("CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()")
    elif dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                       f"BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: {verb} is not allowed'); END")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    op.drop_index('ix_results_needs_review', table_name='results')
    op.drop_index('ix_results_conversation_id', table_name='results')
    op.drop_table('results')
    op.drop_index('ix_jobs_conversation_id', table_name='jobs')
    op.drop_index('ix_jobs_claim', table_name='jobs')
    op.drop_table('jobs')
    op.drop_index('ix_conversations_upload_id', table_name='conversations')
    op.drop_index('ix_conversations_team_created', table_name='conversations')
    op.drop_index('ix_conversations_status', table_name='conversations')
    op.drop_index('ix_conversations_external_id', table_name='conversations')
    op.drop_index('ix_conversations_created_at', table_name='conversations')
    op.drop_index('ix_conversations_agent_created', table_name='conversations')
    op.drop_table('conversations')
    op.drop_table('user_teams')
    op.drop_table('uploads')
    op.drop_index('ix_api_keys_owner_id', table_name='api_keys')
    op.drop_table('api_keys')
    op.drop_index('ix_users_agent_id', table_name='users')
    op.drop_table('users')
    op.drop_table('teams')
    op.drop_index('ix_audit_log_user_id', table_name='audit_log')
    op.drop_index('ix_audit_log_target_id', table_name='audit_log')
    op.drop_index('ix_audit_log_at', table_name='audit_log')
    op.drop_index('ix_audit_log_action', table_name='audit_log')
    op.drop_table('audit_log')