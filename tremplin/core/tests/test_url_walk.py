"""Every URL of the project, walked: default deny for anonymous users, 404 across groups.

A new URL pattern makes these tests fail until it is classified here: either public (in
``ANONYMOUS_ALLOWED``) or, when it names an object, given a way to build it from a group's data
in ``OBJECT_URLS``.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.organisations.tests.factories import EntityFactory

# URL names any visitor may open without logging in: login, password reset, the pages allauth
# shows during login (second factor, closed sign-up), legal pages, the health check.
ANONYMOUS_ALLOWED = {
    "account_login",
    "account_signup",
    "account_reset_password",
    "account_reset_password_done",
    "account_reset_password_from_key",
    "account_reset_password_from_key_done",
    "account_confirm_email",
    "account_email_verification_sent",
    "account_inactive",
    "account_logout",
    "account_confirm_login_code",
    "mfa_authenticate",
    "admin:login",
    "health",
    "legal",
    "timesheets:signoff",
}

SAMPLE_BY_CONVERTER = {"int": "1", "slug": "x", "str": "x", "path": "1", "uuid": "0" * 32}
_route_param = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")


@dataclass(frozen=True)
class WalkedUrl:
    name: str
    route: str  # the pattern, for messages
    path: str  # a concrete path built from samples
    module: str


def _regex_to_path(regex: str) -> str:
    """Turn a regex URL pattern into a concrete path, replacing each named group by a sample."""
    out, i = [], 0
    regex = regex.lstrip("^").rstrip("$").replace("\\Z", "")
    while i < len(regex):
        if regex.startswith("(?P<", i):
            depth, j = 0, i
            while j < len(regex):
                depth += {"(": 1, ")": -1}.get(regex[j], 0)
                if depth == 0:
                    break
                j += 1
            body = regex[regex.index(">", i) + 1 : j]
            first = body.split("|")[0]
            out.append(first if re.fullmatch(r"[\w-]+", first) else "1")
            i = j + 1
        else:
            out.append(regex[i])
            i += 1
    return "".join(out).replace("\\", "")


def _to_path(pattern: Any) -> str:
    text = str(pattern.pattern)
    if hasattr(pattern.pattern, "_route"):
        return _route_param.sub(lambda m: SAMPLE_BY_CONVERTER[m["conv"] or "str"], text)
    return _regex_to_path(text)


def walk(patterns: list[Any] | None = None, prefix: str = "", ns: str = "") -> Iterator[WalkedUrl]:
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            inner_ns = f"{ns}{pattern.namespace}:" if pattern.namespace else ns
            yield from walk(pattern.url_patterns, prefix + _to_path(pattern), inner_ns)
        elif isinstance(pattern, URLPattern):
            callback = pattern.callback
            name = f"{ns}{pattern.name}" if pattern.name else f"{ns}<sans nom>"
            yield WalkedUrl(
                name=name,
                route=prefix + str(pattern.pattern),
                path="/" + prefix + _to_path(pattern),
                module=getattr(callback, "__module__", ""),
            )


ALL_URLS = list(walk())


def test_the_walk_finds_the_project_urls() -> None:
    names = {u.name for u in ALL_URLS}
    assert names >= ANONYMOUS_ALLOWED, f"Noms périmés : {ANONYMOUS_ALLOWED - names}"
    assert {"home", "organisations:group", "organisations:entity", "health"} <= names
    for url in ALL_URLS:
        resolve(url.path)  # each built path resolves: the walk does test real URLs


@pytest.mark.django_db
@pytest.mark.parametrize("url", ALL_URLS, ids=lambda u: f"{u.name}:{u.route}")
def test_anonymous_is_refused_outside_the_allow_list(client: Any, url: WalkedUrl) -> None:
    response = client.get(url.path)
    if url.name in ANONYMOUS_ALLOWED:
        assert response.status_code < 500
        return
    assert response.status_code == 302, f"{url.route} answers {response.status_code} anonymously"
    assert response["Location"].startswith(("/compte/login/", "/admin/login/"))


# How to build each object URL of the project from the data of a group the user cannot see.
# Each app contributes its own in ``tremplin/<app>/tests/object_urls.py``: ``make_objects(entity)``
# returns the app's objects of that entity, ``OBJECT_URLS`` maps URL names to builders.
OBJECT_URL_APPS = [
    "organisations",
    "people",
    "pathways",
    "clients",
    "missions",
    "contracts",
    "orders",
    "closing",
    "timesheets",
    "invoicing",
    "sap",
    "planning",
    "economics",
    "indicators",
]


def _object_url_modules() -> list[Any]:
    modules = []
    for app in OBJECT_URL_APPS:
        try:
            modules.append(importlib.import_module(f"tremplin.{app}.tests.object_urls"))
        except ModuleNotFoundError as exc:
            if exc.name != f"tremplin.{app}.tests.object_urls":
                raise
    return modules


OBJECT_URLS: dict[str, Callable[[dict[str, Any]], str]] = {
    name: build for module in _object_url_modules() for name, build in module.OBJECT_URLS.items()
}
# Project URLs with parameters that do not designate a tenant object.
NOT_OBJECT_URLS = {"legal"}


def _project_object_urls() -> list[WalkedUrl]:
    return [
        u
        for u in ALL_URLS
        if u.module.startswith("tremplin.") and "<" in u.route and u.name not in NOT_OBJECT_URLS
    ]


def test_every_object_url_is_covered_by_the_cross_group_test() -> None:
    missing = {u.name for u in _project_object_urls()} - set(OBJECT_URLS)
    assert not missing, f"Ajoutez ces URL à OBJECT_URLS : {sorted(missing)}"


@pytest.fixture
def other_group_world(db: None) -> dict[str, Any]:
    """Objects of every app in one entity of group A."""
    entity = EntityFactory()
    world: dict[str, Any] = {"entity": entity}
    for module in _object_url_modules():
        world.update(module.make_objects(entity))
    return world


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(OBJECT_URLS))
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_user_of_another_group_gets_404(
    client: Any, other_group_world: dict[str, Any], name: str, method: str
) -> None:
    # Group-wide direction of group B: the widest view a user of another group can have.
    outsider = user_with_role(Role.DIRECTION, EntityFactory())
    client.force_login(outsider)
    response = getattr(client, method)(OBJECT_URLS[name](other_group_world))
    assert response.status_code == 404
