"""Cognito errors explained per operation, and every call in its published quota category."""

from __future__ import annotations

from portal.cognito.errors import NotFoundError, QuotaFullError, classify
from portal.cognito.quotas import CATEGORY_RPS, category_of


def test_a_full_quota_is_explained_by_the_operation_that_hit_it():
    def explained(operation: str) -> str:
        error = classify(operation, "LimitExceededException", "limit", 400, None)
        assert isinstance(error, QuotaFullError)
        return error.explanation

    assert "two secrets" in explained("AddUserPoolClientSecret")
    assert "register another user pool" not in explained("AddUserPoolClientSecret").lower()
    assert "--max-clients" in explained("CreateUserPoolClient")
    assert "--max-idps" in explained("CreateIdentityProvider")
    assert "20 managed-login styles" in explained("CreateManagedLoginBranding")
    assert "50 custom attributes" in explained("AddCustomAttributes")
    assert "(Cognito: limit)" in explained("UpdateUserPoolClient")


def test_a_user_that_is_gone_is_not_found():
    error = classify("AdminDeleteUser", "UserNotFoundException", "User does not exist.", 400, None)
    assert isinstance(error, NotFoundError)


def test_user_deletion_counts_against_user_update():
    assert category_of("AdminDeleteUser") == "UserUpdate"
    assert CATEGORY_RPS["UserUpdate"] == 25
    assert "UserDeletion" not in CATEGORY_RPS
    # Unpublished: limited like the client calls rather than not at all.
    assert category_of("AddUserPoolClientSecret") == "UserPoolClientUpdate"
    assert category_of("ListUserPoolClientSecrets") == "UserPoolClientRead"
