"""The roles module: the curator group a database has is the one `archive/roles.py` names,
the system check says when it is not, and the three rules answer by persona."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from archive import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_migrated_curator_group_holds_every_permission_the_roles_module_names() -> None:
    assert roles.missing_curator_permissions() == set()
    group = Group.objects.get(name=roles.CURATOR_GROUP)
    assert group.permissions.filter(codename__in=["add_facsimile", "view_facsimile"]).count() == 2


def test_a_curator_who_is_not_a_superuser_holds_every_permission_of_the_list(curator) -> None:
    assert not curator.is_superuser
    assert all(curator.has_perm(name) for name in roles.curator_permission_names())


def test_the_system_check_names_what_the_curator_group_lacks() -> None:
    group = Group.objects.get(name=roles.CURATOR_GROUP)
    group.permissions.remove(Permission.objects.get(codename="add_facsimile"))

    [warning] = roles.check_curator_group(databases=["default"])
    assert warning.id == "archive.W001"
    assert "archive.add_facsimile" in warning.msg
    with pytest.raises(SystemCheckError, match=r"archive\.add_facsimile"):
        call_command("check", "--database", "default", "--fail-level", "WARNING")

    roles.curator_group_grant()
    assert roles.check_curator_group(databases=["default"]) == []


def test_the_system_check_leaves_databases_alone_unless_one_is_named() -> None:
    Group.objects.filter(name=roles.CURATOR_GROUP).delete()
    assert roles.check_curator_group(databases=None) == []
    assert len(roles.check_curator_group(databases=["default"])) == 1


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("anonymous", False), ("researcher", False), ("staff", False), ("curator", True)],
)
def test_curators_alone_moderate_annotations_and_see_withdrawn_documents(
    persona, expected, curator, researcher
) -> None:
    user = {
        "anonymous": AnonymousUser(),
        "researcher": researcher,
        "staff": UserFactory(username="clerk", is_staff=True),
        "curator": curator,
    }[persona]
    assert roles.is_curator(user) is expected
    assert roles.can_moderate_annotations(user) is expected
    assert roles.can_see_withdrawn(user) is expected
