from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import PASSWORD, user_with_role
from tremplin.organisations.tests.factories import EntityFactory

pytestmark = pytest.mark.django_db


def test_login_page_is_french(client: Any) -> None:
    html = client.get(reverse("account_login")).content.decode()
    assert '<html lang="fr">' in html and "Se connecter" in html


def test_login_by_email_lands_on_the_dashboard(client: Any) -> None:
    user = user_with_role(Role.DIRECTION, EntityFactory(name="Asso Essai"))
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert "Asso Essai" in client.get(response["Location"]).content.decode()


def test_self_signup_is_closed(client: Any) -> None:
    response = client.post(
        reverse("account_signup"),
        {
            "email": "x@exemple.test",
            "password1": "un-long-mot-de-passe",
            "password2": "un-long-mot-de-passe",
        },
    )
    assert response.status_code == 200
    from tremplin.accounts.models import User

    assert not User.objects.filter(email="x@exemple.test").exists()


def test_repeated_failures_lock_the_account(client: Any, settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    user = user_with_role(Role.CIP, EntityFactory())
    for _ in range(3):
        client.post(reverse("account_login"), {"login": user.email, "password": "faux"})
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Connexion temporairement bloquée" in response.content.decode()


def test_staff_without_totp_must_enrol_when_mfa_is_enforced(client: Any, settings: Any) -> None:
    settings.TREMPLIN_REQUIRE_MFA_FOR_STAFF = True
    client.force_login(user_with_role(Role.ACCOUNTANT, EntityFactory()))
    response = client.get("/groupe/")
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")


def test_workers_are_not_forced_to_enrol(client: Any, settings: Any) -> None:
    settings.TREMPLIN_REQUIRE_MFA_FOR_STAFF = True
    client.force_login(user_with_role(Role.WORKER, EntityFactory()))
    assert client.get("/").status_code == 200


def test_authenticated_pages_are_not_cached(client: Any) -> None:
    client.force_login(user_with_role(Role.CIP, EntityFactory()))
    assert "no-store" in client.get("/").headers["Cache-Control"]


def test_csp_header_is_sent(client: Any) -> None:
    csp = client.get(reverse("account_login")).headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp and "object-src 'none'" in csp
