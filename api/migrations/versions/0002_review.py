"""Review workflow: sampling plans, review items, verdicts, manual items, appeals, trail.

The review trail is append-only at the database level (triggers reject UPDATE and DELETE).

Revision ID: 0002_review
Revises: 0001_core
Create Date: 2026-11-24 02:05:26.672178
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0002_review'
down_revision = '0001_core'
branch_labels = None
depends_on = None

# Frozen copies of api.db's portable types: a migration must not change when models do.
JSON_T = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')
BIGID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('review_sampling_plans',
    sa.Column('id', BIGID, autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('team_id', sa.String(length=100), nullable=True),
    sa.Column('percent', sa.Float(), nullable=False),
    sa.Column('include_flags', JSON_T, nullable=False),
    sa.Column('reviewers', JSON_T, nullable=False),
    sa.Column('assignment', sa.String(length=20), nullable=False),
    sa.Column('shares', JSON_T, nullable=False),
    sa.Column('double_review_percent', sa.Float(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by', BIGID, nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("assignment IN ('round_robin', 'share')", name=op.f('ck_review_sampling_plans_assignment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_sampling_plans'))
    )
    op.create_table('review_trail',
    sa.Column('id', BIGID, autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('conversation_id', sa.String(length=36), nullable=False),
    sa.Column('item_id', BIGID, nullable=True),
    sa.Column('user_id', BIGID, nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=50), nullable=False),
    sa.Column('field', sa.String(length=200), nullable=True),
    sa.Column('old', JSON_T, nullable=True),
    sa.Column('new', JSON_T, nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_trail'))
    )
    op.create_index('ix_review_trail_conversation_id', 'review_trail', ['conversation_id'])

    op.create_table('review_items',
    sa.Column('id', BIGID, autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=36), nullable=False),
    sa.Column('result_id', BIGID, nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('plan_id', BIGID, nullable=True),
    sa.Column('period', sa.String(length=10), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reviewer_id', BIGID, nullable=True),
    sa.Column('second_reviewer_id', BIGID, nullable=True),
    sa.Column('machine_score', sa.Float(), nullable=False),
    sa.Column('veto', sa.Boolean(), nullable=False),
    sa.Column('flag_codes', sa.String(length=1000), nullable=False),
    sa.Column('rule_ids', sa.Text(), nullable=False),
    sa.Column('emotion_stage', sa.String(length=20), nullable=True),
    sa.Column('final_score', sa.Float(), nullable=True),
    sa.Column('final_grade', sa.String(length=50), nullable=True),
    sa.Column('final_veto', sa.Boolean(), nullable=True),
    sa.Column('final_passed', sa.Boolean(), nullable=True),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("source IN ('flagged', 'sampled', 'manual')", name=op.f('ck_review_items_source')),
    sa.CheckConstraint("status IN ('pending', 'in_review', 'done')", name=op.f('ck_review_items_status')),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_review_items_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_id'], ['review_sampling_plans.id'], name=op.f('fk_review_items_plan_id_review_sampling_plans'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['result_id'], ['results.id'], name=op.f('fk_review_items_result_id_results'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_items')),
    sa.UniqueConstraint('conversation_id', name=op.f('uq_review_items_conversation_id'))
    )
    op.create_index('ix_review_items_reviewer_id', 'review_items', ['reviewer_id'])
    op.create_index('ix_review_items_second_reviewer_id', 'review_items', ['second_reviewer_id'])
    op.create_index('ix_review_items_status_created', 'review_items', ['status', 'created_at'])

    op.create_table('review_appeals',
    sa.Column('id', BIGID, autoincrement=True, nullable=False),
    sa.Column('item_id', BIGID, nullable=False),
    sa.Column('conversation_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('agent_user_id', BIGID, nullable=False),
    sa.Column('score_before', sa.Float(), nullable=True),
    sa.Column('score_after', sa.Float(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('lead_due_at', sa.DateTime(), nullable=False),
    sa.Column('lead_user_id', BIGID, nullable=True),
    sa.Column('lead_comment', sa.Text(), nullable=True),
    sa.Column('lead_at', sa.DateTime(), nullable=True),
    sa.Column('qa_due_at', sa.DateTime(), nullable=True),
    sa.Column('qa_user_id', BIGID, nullable=True),
    sa.Column('qa_comment', sa.Text(), nullable=True),
    sa.Column('qa_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('submitted', 'forwarded', 'rejected', 'upheld', 'overturned', 'withdrawn')", name=op.f('ck_review_appeals_status')),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_review_appeals_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['review_items.id'], name=op.f('fk_review_appeals_item_id_review_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_appeals')),
    sa.UniqueConstraint('item_id', name=op.f('uq_review_appeals_item_id'))
    )
    op.create_index('ix_review_appeals_conversation_id', 'review_appeals', ['conversation_id'])
    op.create_index('ix_review_appeals_status', 'review_appeals', ['status'])

    op.create_table('review_manual_items',
    sa.Column('id', BIGID, autoincrement=True, nullable=False),
    sa.Column('item_id', BIGID, nullable=False),
    sa.Column('result_id', BIGID, nullable=False),
    sa.Column('dimension', sa.String(length=100), nullable=False),
    sa.Column('points', sa.Float(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by', BIGID, nullable=False),
    sa.Column('created_by_name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['review_items.id'], name=op.f('fk_review_manual_items_item_id_review_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['result_id'], ['results.id'], name=op.f('fk_review_manual_items_result_id_results'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_manual_items'))
    )
    op.create_index('ix_review_manual_items_item_id', 'review_manual_items', ['item_id'])

    op.create_table('review_verdicts',
    sa.Column('id', BIGID, autoincrement=True, nullable=False),
    sa.Column('item_id', BIGID, nullable=False),
    sa.Column('result_id', BIGID, nullable=False),
    sa.Column('hit_id', sa.String(length=200), nullable=False),
    sa.Column('rule_id', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('verdict', sa.String(length=10), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('reviewer_id', BIGID, nullable=False),
    sa.Column('reviewer', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('primary', 'blind')", name=op.f('ck_review_verdicts_kind')),
    sa.CheckConstraint("verdict IN ('confirmed', 'rejected')", name=op.f('ck_review_verdicts_verdict')),
    sa.ForeignKeyConstraint(['item_id'], ['review_items.id'], name=op.f('fk_review_verdicts_item_id_review_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['result_id'], ['results.id'], name=op.f('fk_review_verdicts_result_id_results'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_verdicts')),
    sa.UniqueConstraint('result_id', 'hit_id', 'kind', name='uq_review_verdicts_hit')
    )
    op.create_index('ix_review_verdicts_item_id', 'review_verdicts', ['item_id'])
    op.create_index('ix_review_verdicts_reviewer_id', 'review_verdicts', ['reviewer_id'])
    op.create_index('ix_review_verdicts_rule_id', 'review_verdicts', ['rule_id'])

    _trail_append_only()


def _trail_append_only() -> None:
    """The review trail is evidence in appeals: reject UPDATE/DELETE in the database itself."""
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("""
            CREATE FUNCTION review_trail_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'review_trail is append-only: % is not allowed', TG_OP;
            END $$""")
        op.execute("CREATE TRIGGER review_trail_no_change BEFORE UPDATE OR DELETE ON review_trail "
                   "FOR EACH ROW EXECUTE FUNCTION review_trail_append_only()")
    elif dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER review_trail_no_{verb.lower()} BEFORE {verb} ON review_trail "
                       f"BEGIN SELECT RAISE(ABORT, 'review_trail is append-only: {verb} is not allowed'); END")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS review_trail_no_change ON review_trail")
        op.execute("DROP FUNCTION IF EXISTS review_trail_append_only()")
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS review_trail_no_update")
        op.execute("DROP TRIGGER IF EXISTS review_trail_no_delete")
    op.drop_index('ix_review_verdicts_rule_id')
    op.drop_index('ix_review_verdicts_reviewer_id')
    op.drop_index('ix_review_verdicts_item_id')
    op.drop_table('review_verdicts')
    op.drop_index('ix_review_manual_items_item_id')
    op.drop_table('review_manual_items')
    op.drop_index('ix_review_appeals_status')
    op.drop_index('ix_review_appeals_conversation_id')
    op.drop_table('review_appeals')
    op.drop_index('ix_review_items_status_created')
    op.drop_index('ix_review_items_second_reviewer_id')
    op.drop_index('ix_review_items_reviewer_id')
    op.drop_table('review_items')
    op.drop_index('ix_review_trail_conversation_id')
    op.drop_table('review_trail')
    op.drop_table('review_sampling_plans')
