from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.clients.rules import french_vat_number
from tremplin.core.models import AuditEntry
from tremplin.organisations.models import Convention, Entity
from tremplin.organisations.tests.factories import (
    ConventionFactory,
    EntityFactory,
    FinancialAnnexFactory,
    GroupFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def group_world() -> dict[str, Any]:
    group = GroupFactory(name="Groupe Essai")
    ai = EntityFactory(group=group, name="Asso", association=True)
    company = EntityFactory(group=group, name="Société")
    convention = ConventionFactory(entity=ai, number="AI-1")
    FinancialAnnexFactory(convention=convention, year=2026)
    ConventionFactory(entity=company, kind="EI", measure_code="EI_DC", number="EI-1")
    return {"group": group, "ai": ai, "company": company, "convention": convention}


def test_direction_sees_every_entity_with_its_conventions(
    client: Any, group_world: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    client.force_login(user_with_role(Role.DIRECTION, group_world["ai"]))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("organisations:group"))
    html = response.content.decode()
    assert "Asso" in html and "Société" in html
    assert "AI-1" in html and "EI-1" in html


def test_local_role_sees_only_its_entity(client: Any, group_world: dict[str, Any]) -> None:
    client.force_login(user_with_role(Role.PLANNER, group_world["company"]))
    html = client.get(reverse("organisations:group")).content.decode()
    assert "Société" in html and "Asso" not in html
    response = client.get(reverse("organisations:entity", args=[group_world["ai"].slug]))
    assert response.status_code == 404


def test_entity_edit_is_for_direction_only(client: Any, group_world: dict[str, Any]) -> None:
    client.force_login(user_with_role(Role.PLANNER, group_world["company"]))
    url = reverse("organisations:entity_edit", args=[group_world["company"].slug])
    assert client.get(url).status_code == 403


def _entity_post(entity: Entity, **overrides: str) -> dict[str, str]:
    data = {
        "name": entity.name,
        "legal_name": entity.legal_name,
        "legal_form": entity.legal_form,
        "siren": entity.siren,
        "siret": entity.siret,
        "naf_code": entity.naf_code,
        "address": entity.address,
        "postal_code": entity.postal_code,
        "city": entity.city,
        "vat_regime": entity.vat_regime,
        "vat_number": entity.vat_number,
        "tax_status": entity.tax_status,
    }
    return {**data, **overrides}


def test_invalid_siret_is_refused_in_french_and_nothing_is_saved(
    client: Any, group_world: dict[str, Any]
) -> None:
    company = group_world["company"]
    client.force_login(user_with_role(Role.DIRECTION, company))
    url = reverse("organisations:entity_edit", args=[company.slug])
    response = client.post(url, _entity_post(company, name="Nouveau nom", siret="12345678901234"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "SIRET du siège : Le SIRET doit comporter 14 chiffres" in html
    company.refresh_from_db()
    assert company.name == "Société"
    assert not AuditEntry.objects.exists()


def test_edit_is_saved_and_audited_and_shown_on_the_entity_page(
    client: Any, group_world: dict[str, Any]
) -> None:
    company = group_world["company"]
    director = user_with_role(Role.DIRECTION, company)
    client.force_login(director)
    url = reverse("organisations:entity_edit", args=[company.slug])
    response = client.post(url, _entity_post(company, city="Parthenay"))
    assert response.status_code == 302
    company.refresh_from_db()
    assert company.city == "Parthenay"
    entry = AuditEntry.objects.get()
    assert entry.actor == director and entry.entity == company
    assert entry.data == {"changes": {"city": ["Niort", "Parthenay"]}}
    page = client.get(reverse("organisations:entity", args=[company.slug])).content.decode()
    assert "organisations.entity_updated" in page


def test_convention_dates_in_wrong_order_are_refused(
    client: Any, group_world: dict[str, Any]
) -> None:
    ai = group_world["ai"]
    client.force_login(user_with_role(Role.DIRECTION, ai))
    url = reverse("organisations:convention_add", args=[ai.slug])
    response = client.post(
        url, {"kind": "AI", "number": "AI-2", "start": "2026-01-01", "end": "2025-01-01"}
    )
    assert "Fin : La date de fin doit être postérieure" in response.content.decode()
    assert not Convention.objects.filter(number="AI-2").exists()


def test_convention_is_added_with_its_measure_code(
    client: Any, group_world: dict[str, Any]
) -> None:
    company = group_world["company"]
    client.force_login(user_with_role(Role.DIRECTION, company))
    url = reverse("organisations:convention_add", args=[company.slug])
    response = client.post(
        url, {"kind": "ETTI", "number": "ETTI-9", "start": "01/01/2026", "end": "31/12/2028"}
    )
    assert response.status_code == 302
    convention = Convention.objects.get(number="ETTI-9")
    assert convention.measure_code == "ETTI_DC"
    assert convention.start == date(2026, 1, 1)
    assert AuditEntry.objects.filter(action="organisations.convention_added").count() == 1


def test_annex_year_outside_the_convention_is_refused(
    client: Any, group_world: dict[str, Any]
) -> None:
    convention = group_world["convention"]
    client.force_login(user_with_role(Role.DIRECTION, convention.entity))
    url = reverse("organisations:annex_add", args=[convention.entity.slug, convention.pk])
    response = client.post(url, {"year": "2031", "number": "X", "etp": "3", "state": "VALIDE"})
    assert "Année : L&#x27;année doit être comprise" in response.content.decode()
    response = client.post(url, {"year": "2027", "number": "X", "etp": "3", "state": "VALIDE"})
    assert response.status_code == 302
    assert convention.annexes.filter(year=2027).exists()


def test_audit_trail_htmx_swap_matches_the_full_page(
    client: Any, group_world: dict[str, Any]
) -> None:
    company = group_world["company"]
    director = user_with_role(Role.DIRECTION, company)
    client.force_login(director)
    edit_url = reverse("organisations:entity_edit", args=[company.slug])
    for n in range(12):
        client.post(edit_url, _entity_post(company, address=f"{n} rue de l'Essai"))
        company.refresh_from_db()
    url = reverse("organisations:entity", args=[company.slug])
    page = BeautifulSoup(client.get(url).content, "html.parser")
    assert len(page.select("#audit-trail tbody tr")) == 10
    fragment = BeautifulSoup(
        client.get(url, {"journal": "tout"}, headers={"HX-Request": "true"}).content, "html.parser"
    )
    assert fragment.find("html") is None
    assert len(fragment.select("#audit-trail tbody tr")) == 12
    # Applying the fragment gives the same region as a full render of the complete trail.
    full = BeautifulSoup(client.get(url, {"journal": "tout"}).content, "html.parser")
    page.select_one("#audit-trail").replace_with(fragment.select_one("#audit-trail"))
    assert str(page.select_one("#audit-trail")) == str(full.select_one("#audit-trail"))


def test_switching_entity_changes_the_current_one(client: Any, group_world: dict[str, Any]) -> None:
    director = user_with_role(Role.DIRECTION, group_world["ai"])
    client.force_login(director)
    target = group_world["company"]
    response = client.post(reverse("switch_entity"), {"entity": target.slug, "next": "/groupe/"})
    assert response.status_code == 302 and response["Location"] == "/groupe/"
    home = client.get("/").content.decode()
    assert f"Structure active : <strong>{target.name}</strong>" in home


def test_switching_to_an_invisible_entity_is_404(client: Any) -> None:
    client.force_login(user_with_role(Role.DIRECTION, EntityFactory()))
    response = client.post(reverse("switch_entity"), {"entity": EntityFactory().slug})
    assert response.status_code == 404


def test_switch_refuses_foreign_redirects(client: Any, group_world: dict[str, Any]) -> None:
    client.force_login(user_with_role(Role.DIRECTION, group_world["ai"]))
    response = client.post(
        reverse("switch_entity"),
        {"entity": group_world["ai"].slug, "next": "https://ailleurs.test/"},
    )
    assert response["Location"] == "/"


@pytest.mark.parametrize("role", [Role.CLIENT_CONTACT, Role.WORKER, Role.FEDERATION])
def test_group_and_entity_pages_are_for_the_group_staff(
    client: Any, group_world: dict[str, Any], role: Role
) -> None:
    client.force_login(user_with_role(role, group_world["ai"]))
    assert client.get(reverse("organisations:group")).status_code == 403
    url = reverse("organisations:entity", args=[group_world["ai"].slug])
    assert client.get(url).status_code == 403


def test_the_entity_vat_number_is_checked_against_its_siren_and_stored_compact(
    client: Any, group_world: dict[str, Any]
) -> None:
    company = group_world["company"]
    client.force_login(user_with_role(Role.DIRECTION, company))
    url = reverse("organisations:entity_edit", args=[company.slug])
    other = french_vat_number("912345683")
    response = client.post(url, _entity_post(company, city="Melle", vat_number=other))
    assert response.status_code == 200
    assert "n&#x27;est pas celui de la structure" in response.content.decode()
    company.refresh_from_db()
    assert company.city != "Melle" and not AuditEntry.objects.exists()
    own = french_vat_number(company.siren)
    response = client.post(url, _entity_post(company, vat_number=own.lower()))
    assert response.status_code == 302
    company.refresh_from_db()
    assert company.vat_number == own
