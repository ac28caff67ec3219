"""Domain errors raised by services; views and the API map them to messages and status codes."""


class DomainError(Exception):
    """A rule of the domain was broken; the message is translated and safe to show."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class TransitionNotAllowed(DomainError):
    status_code = 409
    code = "transition_not_allowed"


class PermissionDenied(DomainError):
    status_code = 403
    code = "permission_denied"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"
