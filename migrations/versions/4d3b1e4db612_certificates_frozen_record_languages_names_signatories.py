"""certificates: frozen record, one PDF per edition and language, name corrections,
signatories and partners

The certificate keeps the rest of its printed record (course title and outcomes in every
language, institution, country, dates, signatories, partners) in `printed`; existing ones get
an empty record and print as before. An edition now has one PDF per language (the unique
index takes the language). Events gain the old and new name of a correction and three
actions; name correction requests, signatories and partners get tables of their own.

Revision ID: 4d3b1e4db612
Revises: 56ca47a2cc14
Create Date: 2026-12-03 08:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = '4d3b1e4db612'
down_revision = '56ca47a2cc14'
branch_labels = None
depends_on = None

OLD_ACTIONS = ('issued', 'reissued', 'language', 'revoked', 'restored')
NEW_ACTIONS = OLD_ACTIONS + ('name_requested', 'name_corrected', 'name_refused')
ACTION_CHECK = 'ck_certificate_event_certificate_action'


def _actions(values):
    return sa.Enum(*values, name='certificate_action', native_enum=False, create_constraint=True, length=20)


def _replace_action_check(values):
    rule = 'action IN (%s)' % ', '.join(f"'{v}'" for v in values)
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table('certificate_event', recreate='always') as batch_op:
            batch_op.drop_constraint(op.f(ACTION_CHECK), type_='check')
            batch_op.create_check_constraint(op.f(ACTION_CHECK), sa.text(rule))
    else:
        op.drop_constraint(op.f(ACTION_CHECK), 'certificate_event', type_='check')
        op.create_check_constraint(op.f(ACTION_CHECK), 'certificate_event', sa.text(rule))


def upgrade():
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('printed', sa.JSON(), server_default=sa.text("'{}'"), nullable=False))
    with op.batch_alter_table('certificate_document', schema=None) as batch_op:
        batch_op.drop_index('uq_certificate_document_edition')
        batch_op.create_index('uq_certificate_document_language', ['certificate_id', 'edition', 'language'], unique=True)
    with op.batch_alter_table('certificate_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('old_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('new_name', sa.String(length=200), nullable=True))
    _replace_action_check(NEW_ACTIONS)

    op.create_table('certificate_name_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('current_name', sa.String(length=200), nullable=False),
    sa.Column('requested_name', sa.String(length=200), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'approved', 'refused', name='name_request_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_label', sa.String(length=300), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=False),
    sa.CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name=op.f('ck_certificate_name_request_decided_has_date')),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificate.id'], name=op.f('fk_certificate_name_request_certificate_id_certificate'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_certificate_name_request_decided_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'], name=op.f('fk_certificate_name_request_requested_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_name_request')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('certificate_name_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_name_request_certificate_id'), ['certificate_id'], unique=False)
        batch_op.create_index('uq_certificate_name_request_pending', ['certificate_id'], unique=True, sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))

    op.create_table('certificate_signatory',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('season_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('signature_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('course_id IS NOT NULL OR season_id IS NOT NULL', name=op.f('ck_certificate_signatory_has_scope')),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_certificate_signatory_course_id_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['season_id'], ['season.id'], name=op.f('fk_certificate_signatory_season_id_season'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['signature_id'], ['stored_file.id'], name=op.f('fk_certificate_signatory_signature_id_stored_file'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_signatory')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('certificate_signatory', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_signatory_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificate_signatory_season_id'), ['season_id'], unique=False)

    op.create_table('certificate_partner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('logo_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_certificate_partner_course_id_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['logo_id'], ['stored_file.id'], name=op.f('fk_certificate_partner_logo_id_stored_file'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_partner')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('certificate_partner', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_partner_course_id'), ['course_id'], unique=False)


def downgrade():
    with op.batch_alter_table('certificate_partner', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_partner_course_id'))
    op.drop_table('certificate_partner')
    with op.batch_alter_table('certificate_signatory', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_signatory_season_id'))
        batch_op.drop_index(batch_op.f('ix_certificate_signatory_course_id'))
    op.drop_table('certificate_signatory')
    with op.batch_alter_table('certificate_name_request', schema=None) as batch_op:
        batch_op.drop_index('uq_certificate_name_request_pending', sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
        batch_op.drop_index(batch_op.f('ix_certificate_name_request_certificate_id'))
    op.drop_table('certificate_name_request')

    # The earlier schema knows neither name corrections nor several languages of an edition:
    # their events go, and each edition keeps its first PDF.
    op.execute("DELETE FROM certificate_event WHERE action IN ('name_requested', 'name_corrected', 'name_refused')")
    _replace_action_check(OLD_ACTIONS)
    with op.batch_alter_table('certificate_event', schema=None) as batch_op:
        batch_op.drop_column('new_name')
        batch_op.drop_column('old_name')
    op.execute(
        "DELETE FROM certificate_document WHERE id NOT IN "
        "(SELECT min(id) FROM certificate_document GROUP BY certificate_id, edition)"
    )
    with op.batch_alter_table('certificate_document', schema=None) as batch_op:
        batch_op.drop_index('uq_certificate_document_language')
        batch_op.create_index('uq_certificate_document_edition', ['certificate_id', 'edition'], unique=True)
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_column('printed')
