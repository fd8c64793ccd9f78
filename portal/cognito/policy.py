"""The IAM policy the portal needs: exactly the cognito-idp actions it calls, on its pools."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from portal.cognito.operations import SERVICE, takes_user_pool, used_operations
from portal.cognito.partitions import partition_of

ACCOUNT_ID_RE = re.compile(r"^\d{12}$")


@dataclass
class Policy:
    document: dict[str, Any]
    pool_actions: list[str]
    unscoped_actions: list[str]
    resources: list[str]
    warnings: list[str] = field(default_factory=list)


def partition(region: str) -> str:
    """The ARN partition of REGION, from botocore's partition data."""
    return partition_of(region).name


def pool_arn(user_pool_id: str, region: str, account_id: str | None) -> str:
    return f"arn:{partition(region)}:{SERVICE}:{region}:{account_id or '*'}:userpool/{user_pool_id}"


def build_policy(
    pools: Iterable[tuple[str, str]],
    account_id: str | None,
    operations: Iterable[str] | None = None,
) -> Policy:
    """Allow each operation on the pools' ARNs, and the ones IAM cannot scope on "*"."""
    if account_id is not None and not ACCOUNT_ID_RE.match(account_id):
        raise ValueError(f"an AWS account id is 12 digits (got {account_id!r})")
    ops = sorted(set(operations if operations is not None else used_operations()))
    scoped = [op for op in ops if takes_user_pool(op)]
    unscoped = [op for op in ops if not takes_user_pool(op)]
    warnings: list[str] = []
    pools = sorted(set(pools))
    if pools:
        resources = [pool_arn(pool_id, region, account_id) for pool_id, region in pools]
    else:
        resources = [f"arn:aws:{SERVICE}:*:{account_id or '*'}:userpool/*"]
        warnings.append(
            "no user pool is registered or named with --pool: the policy allows every user pool "
            "of the account; name the pools (--pool ID) to scope it"
        )
    if account_id is None:
        warnings.append(
            "no --account-id: the pool ARNs match that pool id in any account (pass "
            "--account-id to pin them to yours)"
        )
    statements: list[dict[str, Any]] = []
    if scoped:
        statements.append(
            {
                "Sid": "CognitoTenantResources",
                "Effect": "Allow",
                "Action": [f"{SERVICE}:{op}" for op in scoped],
                "Resource": resources,
            }
        )
    if unscoped:
        statements.append(
            {
                "Sid": "CognitoActionsWithoutResourceScope",
                "Effect": "Allow",
                "Action": [f"{SERVICE}:{op}" for op in unscoped],
                "Resource": "*",
            }
        )
    return Policy(
        {"Version": "2012-10-17", "Statement": statements}, scoped, unscoped, resources, warnings
    )
