"""Cognito errors, sorted by what the portal should do about them, in words people understand."""

from __future__ import annotations

THROTTLE_CODES = frozenset({"TooManyRequestsException", "ThrottlingException", "Throttling"})
TRANSIENT_CODES = frozenset(
    {
        "InternalErrorException",
        "InternalServerException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "ConcurrentModificationException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
ALREADY_EXISTS_CODES = frozenset(
    {
        "DuplicateProviderException",
        "ManagedLoginBrandingExistsException",
    }
)
# AdminDeleteUser (and the other Admin*User calls) answer UserNotFoundException for a user that
# is gone (botocore model cognito-idp/2016-04-18/service-2.json, AdminDeleteUser "errors").
NOT_FOUND_CODES = frozenset({"ResourceNotFoundException", "UserNotFoundException"})
CREDENTIAL_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredTokenException",
        "AccessDeniedException",
        "NotAuthorizedException",
        "InvalidSignatureException",
    }
)


class CognitoError(Exception):
    """A Cognito call that did not succeed."""

    def __init__(self, operation: str, code: str, message: str, request_id: str | None = None):
        super().__init__(f"{operation}: {code}: {message}")
        self.operation = operation
        self.code = code
        self.message = message
        self.request_id = request_id

    @property
    def explanation(self) -> str:
        return explain(self.operation, self.code, self.message)


class TransientError(CognitoError):
    """Throttling or a server-side fault that outlasted the portal's retries; try again later."""


class AmbiguousOutcomeError(TransientError):
    """A create call failed in a way that may or may not have applied it; look before retrying."""


class PermanentError(CognitoError):
    """Cognito refused the request; a person must change something before it can succeed."""


class QuotaFullError(PermanentError):
    """A Cognito quota is full (LimitExceededException); not transient, whatever botocore thinks."""


class NotFoundError(PermanentError):
    """The resource named does not exist."""


class AlreadyExistsError(PermanentError):
    """The resource exists already; to an idempotent step this means 'done'."""


def classify(
    operation: str, code: str, message: str, status: int | None, request_id: str | None
) -> CognitoError:
    """Turn an error code into the exception class that says what to do about it."""
    args = (operation, code, message, request_id)
    if code in THROTTLE_CODES or code in TRANSIENT_CODES or (status or 0) >= 500:
        return TransientError(*args)
    if code == "LimitExceededException":
        return QuotaFullError(*args)
    if code in NOT_FOUND_CODES:
        return NotFoundError(*args)
    if code in ALREADY_EXISTS_CODES:
        return AlreadyExistsError(*args)
    return PermanentError(*args)


def explain(operation: str, code: str, message: str) -> str:
    """A sentence or two for the person who has to act on the error."""
    if code == "LimitExceededException":
        return explain_limit(operation, message)
    if code in CREDENTIAL_CODES:
        return (
            f"AWS refused the portal's credentials for {operation} ({code}: {message}). Check the "
            "role or keys the portal runs with; `portal aws-policy` prints what it needs."
        )
    if code == "ResourceNotFoundException":
        return (
            f"Cognito could not find something {operation} needs: {message}. It may have been "
            "deleted outside the portal; retrying recreates what belongs to the tenant."
        )
    if code == "InvalidParameterException" and operation in (
        "CreateIdentityProvider",
        "UpdateIdentityProvider",
    ):
        return (
            f"Cognito refused the identity provider settings: {message}. Check that the issuer "
            "URL is reachable from the internet, serves a valid discovery document, and that the "
            "client ID and secret are the ones your identity provider issued; then retry."
        )
    if code == "DuplicateProviderException" and operation == "UpdateIdentityProvider":
        # An update cannot clash on the name: an e-mail domain (IdpIdentifier) is taken.
        return (
            f"Cognito says an e-mail domain of this tenant is already an identifier of another "
            f"identity provider in the user pool ({message}). Identifiers are unique in a pool: "
            "remove the domain from one of the two tenants (E-mail domains), then retry."
        )
    if code == "ScopeDoesNotExistException":
        return f"Cognito does not know one of the requested scopes: {message}."
    if code == "InvalidOAuthFlowException":
        return f"Cognito refused the app client's OAuth settings: {message}."
    if code in THROTTLE_CODES:
        return (
            "Cognito kept throttling the portal's requests. The run will continue automatically; "
            "if it keeps happening, other software in the AWS account may be using the quota."
        )
    if code in TRANSIENT_CODES or code.startswith("Internal"):
        return "Cognito had a temporary problem. The run will be retried automatically."
    return f"Cognito refused {operation}: {message} ({code})."


# What a full quota means depends on the call that hit it (quotas from AWS's "Quotas in Amazon
# Cognito" page, resource quotas; the two-secret limit from AddUserPoolClientSecret's reference).
_LIMITS: dict[str, str] = {
    "CreateUserPoolClient": (
        "The user pool holds as many app clients as its quota allows (1,000 unless AWS raised "
        "it). Register another user pool, or ask AWS to raise the app-client quota and record "
        "it with `portal pools set-quotas --max-clients`; then retry."
    ),
    "CreateIdentityProvider": (
        "The user pool holds as many identity providers as its quota allows (300 unless AWS "
        "raised it). Register another user pool, or ask AWS to raise the quota and record it "
        "with `portal pools set-quotas --max-idps`; then retry."
    ),
    "AddCustomAttributes": (
        "The user pool already has 50 custom attributes, AWS's fixed maximum, and custom "
        "attributes can never be deleted. Place the tenant in another user pool."
    ),
    "CreateManagedLoginBranding": (
        "The user pool already holds 20 managed-login styles, AWS's fixed maximum. Register "
        "another user pool (the portal places new tenants there); a quota increase is not "
        "possible."
    ),
    "AddUserPoolClientSecret": (
        "The app client already has two secrets, the most Cognito allows. Retire the old "
        "secret (`portal tenants retire-secret`) or cancel the rotation before starting another."
    ),
}


def explain_limit(operation: str, message: str) -> str:
    """LimitExceededException in words that fit the operation that raised it."""
    advice = _LIMITS.get(
        operation,
        "Cognito refused the call because one of its limits is reached; the Cognito quotas "
        "page lists them. Nothing was changed.",
    )
    return f"{advice} (Cognito: {message})"
