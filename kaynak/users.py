"""Who a function is about, as types. AUTH_USER_MODEL is Django's own `User`, so a person who
acted is a `User` and whoever asks (`request.user`) is a `User` or the `AnonymousUser`.

Reads (selectors, permission rules) take a `Requester` and decide what an anonymous one may
see; writes (services) take the `Person` who acted, to record them."""

from __future__ import annotations

from typing import TypeAlias

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied

Person: TypeAlias = User
Requester: TypeAlias = User | AnonymousUser


def signed_in(user: Requester) -> Person:
    """`user` as the person who acts, where the caller has made sure someone is signed in
    (IsAuthenticated, login_required, the admin); refused otherwise, never recorded as
    nobody."""
    if not isinstance(user, User):
        raise PermissionDenied("sign in first")
    return user
