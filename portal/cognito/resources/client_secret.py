"""Rotating the app client's secret without downtime: add a second secret, later retire the old.

Cognito shows a new secret's value only in AddUserPoolClientSecret's answer, so the portal
supplies the value itself (kept encrypted until the old secret is retired). What
DescribeUserPoolClient returns while two secrets exist is undocumented: nothing here reads it
then. Nor does the model say that it returns a caller-supplied secret at all (it documents
ClientSecretValue only for secrets Cognito generated): once the old secret is gone, the retire
step describes the client and compares, and the portal keeps its copy if they differ.
"""

from __future__ import annotations

import contextlib

from portal.cognito.errors import NotFoundError, PermanentError
from portal.cognito.resources.base import REDACTED, Change, StepContext, StepOutcome

RESOURCE = "client secret"


def list_secrets(ctx: StepContext) -> list[dict]:
    response = ctx.gateway.call(
        "ListUserPoolClientSecrets", ctx.pool_id, ClientId=ctx.known.client_id
    )
    return sorted(
        response.get("ClientSecrets", []),
        key=lambda s: (s.get("ClientSecretCreateDate") or 0, s["ClientSecretId"]),
    )


class AddClientSecretStep:
    name = "add_secret"
    title = "Add the new client secret"

    def plan(self, ctx: StepContext) -> StepOutcome:
        secrets = list_secrets(ctx)
        if any(s["ClientSecretId"] == ctx.known.new_secret_id for s in secrets):
            return StepOutcome("unchanged")
        return StepOutcome("absent", [Change(RESOURCE, "create", None, None, REDACTED)])

    def apply(self, ctx: StepContext) -> StepOutcome:
        secrets = list_secrets(ctx)
        ids = [s["ClientSecretId"] for s in secrets]
        old_id = ctx.known.old_secret_id or (ids[0] if len(ids) == 1 else None)
        if ctx.known.new_secret_id in ids:
            return StepOutcome(
                "unchanged",
                facts={"new_secret_id": ctx.known.new_secret_id, "old_secret_id": old_id},
            )
        others = [i for i in ids if i != old_id]
        if len(ids) == 2 and old_id in ids and len(others) == 1:
            # Added by an earlier attempt that died before recording the id.
            return StepOutcome(
                "created",
                [Change(RESOURCE, "create", None, None, REDACTED)],
                facts={"new_secret_id": others[0], "old_secret_id": old_id},
            )
        if len(ids) >= 2:
            raise PermanentError(
                "AddUserPoolClientSecret",
                "TwoSecretsAlready",
                "The app client already has two secrets (the most Cognito allows), added "
                "outside the portal. Delete the one not in use in the AWS console, then retry.",
            )
        if not ctx.desired.new_client_secret:
            raise PermanentError(
                "AddUserPoolClientSecret",
                "NoNewSecret",
                "The new secret is no longer held; start the rotation again.",
            )
        # Record which secret is the old one before adding: after a crash that is how the
        # new one is told apart (List shows ids, never values).
        ctx.on_intent("old_client_secret_id", old_id)
        ctx.known.old_secret_id = old_id
        response = ctx.gateway.call(
            "AddUserPoolClientSecret",
            ctx.pool_id,
            ClientId=ctx.known.client_id,
            ClientSecret=ctx.desired.new_client_secret,
        )
        new_id = response["ClientSecretDescriptor"]["ClientSecretId"]
        return StepOutcome(
            "created",
            [Change(RESOURCE, "create", None, None, REDACTED)],
            facts={"new_secret_id": new_id, "old_secret_id": old_id},
        )


class DeleteSecretStep:
    """Delete one of the two secrets: the old one (retire) or the new one (cancel)."""

    def __init__(self, name: str, title: str, which: str) -> None:
        self.name, self.title, self.which = name, title, which

    def _target(self, ctx: StepContext) -> str | None:
        return ctx.known.old_secret_id if self.which == "old" else ctx.known.new_secret_id

    def plan(self, ctx: StepContext) -> StepOutcome:
        target = self._target(ctx)
        present = target in [s["ClientSecretId"] for s in list_secrets(ctx)]
        return StepOutcome(
            "delete" if present else "absent",
            [Change(RESOURCE, "delete", None, target)] if present else [],
        )

    def _facts(self, ctx: StepContext) -> dict:
        facts: dict = {"secret_deleted": self.which}
        if self.which == "old" and ctx.desired.new_client_secret:
            # One secret left: does Cognito hand it back? Only then may the portal drop it.
            client = ctx.gateway.call(
                "DescribeUserPoolClient", ctx.pool_id, ClientId=ctx.known.client_id
            )["UserPoolClient"]
            facts["secret_returned"] = client.get("ClientSecret") == ctx.desired.new_client_secret
        return facts

    def apply(self, ctx: StepContext) -> StepOutcome:
        target = self._target(ctx)
        remaining = [s["ClientSecretId"] for s in list_secrets(ctx)]
        if target not in remaining:
            return StepOutcome("absent", facts=self._facts(ctx))
        if len(remaining) < 2:
            raise PermanentError(
                "DeleteUserPoolClientSecret",
                "LastSecret",
                "The client has only one secret left; it cannot be deleted.",
            )
        with contextlib.suppress(NotFoundError):  # gone already: the goal is reached
            ctx.gateway.call(
                "DeleteUserPoolClientSecret",
                ctx.pool_id,
                ClientId=ctx.known.client_id,
                ClientSecretId=target,
            )
        return StepOutcome(
            "deleted", [Change(RESOURCE, "delete", None, target)], facts=self._facts(ctx)
        )
