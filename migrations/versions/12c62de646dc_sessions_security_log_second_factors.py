"""sessions people control, the security log, second factors

user_session gains a random public id (its name on the person's sessions page), the time it
was last used (for the idle timeout), the browser's User-Agent and the address it signed in
from. Sessions open before the upgrade carry none of these: they are ended, so everyone
signs in again once. security_event is the security log (sign-ins and failures, password,
role and second-factor changes, sessions ended), kept SECURITY_LOG_DAYS days. totp_factor
(an authenticator app's secret and the last time step accepted), recovery_code (hashes of
single-use codes) and passkey (WebAuthn credentials) are the second factors;
user_account.second_factor says whether a person has one.

Revision ID: 12c62de646dc
Revises: b9df8f0b783a
Create Date: 2026-12-03 07:59:34.286811

"""
import sqlalchemy as sa
from alembic import op

revision = '12c62de646dc'
down_revision = 'b9df8f0b783a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('passkey',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('credential_id', sa.String(length=1400), nullable=False),
    sa.Column('public_key', sa.LargeBinary(), nullable=False),
    sa.Column('sign_count', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_passkey_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_passkey')),
    sa.UniqueConstraint('credential_id', name=op.f('uq_passkey_credential_id')),
    sa.UniqueConstraint('public_id', name=op.f('uq_passkey_public_id'))
    )
    with op.batch_alter_table('passkey', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_passkey_user_id'), ['user_id'], unique=False)

    op.create_table('recovery_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_recovery_code_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_code'))
    )
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_code_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_recovery_code_user_hash', ['user_id', 'code_hash'], unique=True)

    op.create_table('security_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('signed_in', 'sign_in_failed', 'signed_out', 'password_changed', 'password_reset', 'roles_changed', 'session_ended', 'sessions_ended', 'factor_added', 'factor_removed', 'factors_reset', 'second_factor_failed', 'recovery_code_used', 'reauth_failed', name='security_event_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('address', sa.String(length=45), nullable=True),
    sa.Column('detail', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_security_event_actor_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_security_event_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_security_event'))
    )
    with op.batch_alter_table('security_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_security_event_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_security_event_user_id'), ['user_id'], unique=False)

    op.create_table('totp_factor',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('secret', sa.String(length=64), nullable=False),
    sa.Column('last_step', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_totp_factor_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_totp_factor'))
    )
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('second_factor', sa.Boolean(), server_default=sa.false(), nullable=False))

    op.execute(sa.text('DELETE FROM user_session'))
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_id', sa.String(length=32), nullable=False))
        batch_op.add_column(sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False))
        batch_op.add_column(sa.Column('user_agent', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('address', sa.String(length=45), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_user_session_public_id'), ['public_id'])



def downgrade():
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_user_session_public_id'), type_='unique')
        batch_op.drop_column('address')
        batch_op.drop_column('user_agent')
        batch_op.drop_column('last_seen_at')
        batch_op.drop_column('public_id')

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('second_factor')

    op.drop_table('totp_factor')
    with op.batch_alter_table('security_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_security_event_user_id'))
        batch_op.drop_index(batch_op.f('ix_security_event_created_at'))

    op.drop_table('security_event')
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.drop_index('uq_recovery_code_user_hash')
        batch_op.drop_index(batch_op.f('ix_recovery_code_user_id'))

    op.drop_table('recovery_code')
    with op.batch_alter_table('passkey', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_passkey_user_id'))

    op.drop_table('passkey')
