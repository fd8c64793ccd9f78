"""idempotency keys: drop stored responses that hold a setup link in plain text

Revision ID: c3e5a7f1b9d2
Revises: c4a7e1f0b9d2
Create Date: 2026-12-02 17:10:00

From this revision on, the portal encrypts every response body it keeps for an Idempotency-Key
(portal/services/access/idempotency.py). Bodies stored before were plain text, and a setup link's
creation answered with the link's URL, the customer's only credential: those rows are deleted
(a retry with such a key makes a new link). Other rows hold no secret and are replayed as they are
until they expire (within a day).
"""
from alembic import op

revision = "c3e5a7f1b9d2"
down_revision = "c4a7e1f0b9d2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "DELETE FROM api_idempotency_keys "
        "WHERE response_body LIKE '%/setup/%' AND response_body NOT LIKE 'gAAAAA%'"
    )


def downgrade() -> None:
    pass  # nothing to restore: the deleted rows held a secret that must not come back
