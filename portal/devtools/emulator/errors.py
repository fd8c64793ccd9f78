"""AWS JSON-1.1 errors raised by the emulator's handlers."""

from __future__ import annotations


class CognitoError(Exception):
    """An error answered to the caller as `{"__type": code, "message": ...}`."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status

    def body(self) -> dict[str, str]:
        """The JSON body AWS sends for this error."""
        return {"__type": self.code, "message": self.message}


def invalid(message: str) -> CognitoError:
    """InvalidParameterException."""
    return CognitoError("InvalidParameterException", message)


def not_found(message: str) -> CognitoError:
    """ResourceNotFoundException."""
    return CognitoError("ResourceNotFoundException", message)


def limit_exceeded(message: str) -> CognitoError:
    """LimitExceededException."""
    return CognitoError("LimitExceededException", message)


def too_many_requests() -> CognitoError:
    """TooManyRequestsException, as AWS words it."""
    return CognitoError("TooManyRequestsException", "Too many requests")


def internal_error(operation: str) -> CognitoError:
    """An internal failure; the newer secret operations name it InternalServerException."""
    code = "InternalServerException" if "ClientSecret" in operation else "InternalErrorException"
    return CognitoError(code, "Internal error (injected by the emulator)", status=500)
