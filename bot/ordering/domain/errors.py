"""Why a change to an order cannot be made: each error carries the message id (and its
values) that tells the person."""

from __future__ import annotations

from typing import Any


class LifecycleError(Exception):
    """A change that cannot be made; ``message_id`` says why to a person."""

    def __init__(self, message_id: str, /, **params: Any) -> None:
        super().__init__(f"{message_id} {params}")
        self.message_id = message_id
        self.params = params


class IllegalChange(LifecycleError):
    """The event is not allowed from the order's status (claimed twice, paid before...)."""

    def __init__(self, code: str, status: str, event: str) -> None:
        super().__init__("coord.illegal_change", code=code, status=status, event=event)
        self.code, self.status, self.event = code, status, event


class MissingData(LifecycleError):
    """The event needs something it was not given (a reason, a price, a courier...)."""


class OrderMissing(LifecycleError):
    def __init__(self, code: str) -> None:
        super().__init__("coord.no_such_order", code=code)


class Refused(Exception):
    """The user may not do this; ``message_id`` says why. ``audited``: an attempt by
    someone outside the order or its market, logged for the market office."""

    def __init__(self, message_id: str, /, *, audited: bool = False, **params: str) -> None:
        super().__init__(message_id)
        self.message_id = message_id
        self.params = params
        self.audited = audited
