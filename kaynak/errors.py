from __future__ import annotations

from typing import Any


class KaynakError(Exception):
    """A refusal a service explains to its caller: the API answers it with 400, the commands
    print it. `code` is stable for clients; `message` is for people."""

    code = "refused"
    # The HTTP status the API answers with: a refusal of the input unless a subclass says
    # the fault is the server's (503 for a damaged search index).
    status_code = 400

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.fields = fields or {}
        self.extra = extra

    def as_dict(self) -> dict[str, Any]:
        """`detail` and `code`, then each offending field's messages (as DRF reports fields),
        then anything else worth knowing (e.g. the text actually found)."""
        return {"detail": self.message, "code": self.code, **self.fields, **self.extra}
