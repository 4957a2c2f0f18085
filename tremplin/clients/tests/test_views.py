from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.clients.models import Client
from tremplin.clients.rules import french_vat_number
from tremplin.clients.tests.factories import ClientFactory
from tremplin.core.models import AuditEntry
from tremplin.organisations.tests.factories import EntityFactory, luhn_complete, new_siren

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_day(time_machine: Any) -> None:
    time_machine.move_to(datetime(2025, 10, 20, 10, tzinfo=ZoneInfo("Europe/Paris")), tick=False)


@pytest.fixture
def entity() -> Any:
    return EntityFactory(name="Élan Emploi")


def text_of(response: Any) -> str:
    return " ".join(BeautifulSoup(response.content, "html.parser").get_text(" ").split())


def client_post(**overrides: str) -> dict[str, str]:
    data = {
        "name": "Menuiserie Dupont",
        "kind": "COMPANY",
        "siret": luhn_complete(new_siren() + "0001"),
        "address": "3 rue du Port",
        "postal_code": "79000",
        "city": "Niort",
        "email": "contact@menuiserie.test",
        "phone": "05 49 00 00 00",
        "economic_dismissal_on": "",
    }
    return {**data, **overrides}


def test_the_list_shows_the_current_entity_clients_only(
    client: Any, entity: Any, django_assert_max_num_queries: Any
) -> None:
    ClientFactory(entity=entity, name="Menuiserie Dupont")
    ClientFactory(entity=entity, name="Usine Lefèvre", economic_dismissal_on=date(2025, 9, 1))
    ClientFactory(name="Client d'ailleurs")
    client.force_login(user_with_role(Role.ACCOUNTANT, entity))
    with django_assert_max_num_queries(10):
        response = client.get(reverse("clients:list"))
    rows = [
        " ".join(r.get_text(" ").split())
        for r in BeautifulSoup(response.content, "html.parser").select("#clients tbody tr")
    ]
    assert len(rows) == 2
    assert rows[0].startswith("Menuiserie Dupont Entreprise compté")
    assert "mise à disposition interdite jusqu'au 01/03/2026" in rows[1]
    nav = BeautifulSoup(response.content, "html.parser").select_one("a.nav-link.active")
    assert nav.get_text() == "Clients"


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.PLANNER, 200),
        (Role.DIRECTION, 200),
        (Role.HR, 200),
        (Role.ACCOUNTANT, 200),
        (Role.CIP, 403),
        (Role.RECEPTION, 403),
        (Role.WORKER, 403),
    ],
    ids=lambda v: str(v),
)
def test_roles(client: Any, entity: Any, role: Role, status: int) -> None:
    existing = ClientFactory(entity=entity)
    client.force_login(user_with_role(role, entity))
    for url in [
        reverse("clients:list"),
        reverse("clients:new"),
        reverse("clients:client", args=[existing.pk]),
        reverse("clients:edit", args=[existing.pk]),
    ]:
        assert client.get(url).status_code == status, url


def test_an_outsider_gets_404(client: Any) -> None:
    existing = ClientFactory()
    client.force_login(user_with_role(Role.DIRECTION, EntityFactory()))
    assert client.get(reverse("clients:client", args=[existing.pk])).status_code == 404
    assert client.post(reverse("clients:edit", args=[existing.pk]), {}).status_code == 404


def test_a_company_needs_a_valid_siret(client: Any, entity: Any) -> None:
    client.force_login(user_with_role(Role.PLANNER, entity))
    response = client.post(reverse("clients:new"), client_post(siret=""))
    assert "SIRET : Le SIRET est obligatoire pour un client de type « Entreprise »" in text_of(
        response
    )
    response = client.post(reverse("clients:new"), client_post(siret="12345678901234"))
    assert "SIRET : Le SIRET doit comporter 14 chiffres et une clé de contrôle valide." in (
        text_of(response)
    )
    assert not Client.objects.exists() and not AuditEntry.objects.exists()


def test_a_household_is_created_without_siret_and_audited(client: Any, entity: Any) -> None:
    planner = user_with_role(Role.PLANNER, entity)
    client.force_login(planner)
    response = client.post(
        reverse("clients:new"), client_post(name="Famille Martin", kind="HOUSEHOLD", siret="")
    )
    created = Client.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:client", args=[created.pk])
    assert (created.entity, created.kind, created.is_active) == (entity, "HOUSEHOLD", True)
    page = text_of(client.get(response["Location"]))
    assert "clients.client_created" in page
    assert "hors plafond (art. L5132-9 du Code du travail)" in page
    assert AuditEntry.objects.get().actor == planner


def test_a_siret_is_recorded_once_per_entity(client: Any, entity: Any) -> None:
    existing = ClientFactory(entity=entity, name="Menuiserie Dupont")
    client.force_login(user_with_role(Role.PLANNER, entity))
    response = client.post(reverse("clients:new"), client_post(siret=existing.siret))
    assert "déjà celui du client « Menuiserie Dupont »" in text_of(response)


def test_edit_records_the_dismissal_and_refuses_a_future_one(client: Any, entity: Any) -> None:
    existing = ClientFactory(entity=entity, name="Usine Lefèvre")
    client.force_login(user_with_role(Role.HR, entity))
    url = reverse("clients:edit", args=[existing.pk])
    data = client_post(
        name="Usine Lefèvre", siret=existing.siret, economic_dismissal_on="2025-10-21"
    )
    data["is_active"] = "on"
    response = client.post(url, data)
    assert (
        "Dernier licenciement économique : La date du dernier licenciement économique ne peut "
        "pas être postérieure à aujourd'hui (20/10/2025)"
    ) in text_of(response)
    response = client.post(url, {**data, "economic_dismissal_on": "2025-09-01"})
    assert response.status_code == 302
    existing.refresh_from_db()
    assert existing.economic_dismissal_on == date(2025, 9, 1)
    entry = AuditEntry.objects.get(action="clients.client_updated")
    assert entry.data["changes"]["economic_dismissal_on"] == ["", "2025-09-01"]
    page = text_of(client.get(response["Location"]))
    assert "aucune mise à disposition chez ce client jusqu'au 01/03/2026 inclus" in page


def test_chorus_fields_are_refused_for_a_company(client: Any, entity: Any) -> None:
    client.force_login(user_with_role(Role.PLANNER, entity))
    response = client.post(reverse("clients:new"), client_post(chorus_service_code="SERV-01"))
    assert response.status_code == 200
    assert "Seuls les collectivités et établissements publics sont facturés par Chorus Pro" in (
        text_of(response)
    )
    response = client.post(
        reverse("clients:new"),
        client_post(kind="LOCAL_AUTHORITY", chorus_service_code="SERV-01"),
    )
    assert response.status_code == 302
    assert Client.objects.get().chorus_service_code == "SERV-01"


def test_avance_immediate_needs_a_household_and_a_date(client: Any, entity: Any) -> None:
    client.force_login(user_with_role(Role.PLANNER, entity))
    household = client_post(kind="HOUSEHOLD", siret="", immediate_advance_consent="on")
    response = client.post(reverse("clients:new"), household)
    assert "Indiquez la date de l&#x27;accord" in response.content.decode()
    response = client.post(
        reverse("clients:new"), {**household, "immediate_advance_consent_on": "2025-10-01"}
    )
    assert response.status_code == 302


def test_contacts_sites_and_requirements_are_added_and_removed(client: Any, entity: Any) -> None:
    company = ClientFactory(entity=entity)
    client.force_login(user_with_role(Role.PLANNER, entity))
    client.post(reverse("clients:contact_new", args=[company.pk]), {"name": "Mme Martin"})
    response = client.post(
        reverse("clients:site_new", args=[company.pk]),
        {
            "name": "Atelier",
            "address": "1 rue",
            "postal_code": "79000",
            "city": "Niort",
            "latitude": "46.3",
        },
    )
    assert "Saisissez la latitude et la longitude" in response.content.decode()
    client.post(
        reverse("clients:site_new", args=[company.pk]),
        {"name": "Atelier", "address": "1 rue", "postal_code": "79000", "city": "Niort"},
    )
    client.post(reverse("clients:requirement_new", args=[company.pk]), {"habilitation": "sst"})
    page = client.get(reverse("clients:client", args=[company.pk]))
    text = text_of(page)
    assert "Mme Martin" in text and "Atelier" in text and "(SST)" in text
    contact = company.contacts.get()
    assert client.get(reverse("clients:contact_remove", args=[contact.pk])).status_code == 405
    client.post(reverse("clients:contact_remove", args=[contact.pk]))
    assert not company.contacts.exists()
    assert AuditEntry.objects.filter(action="clients.contact_removed").exists()


def test_the_vat_number_is_typed_as_printed_and_kept_compact(client: Any, entity: Any) -> None:
    planner = user_with_role(Role.PLANNER, entity)
    client.force_login(planner)
    siret = luhn_complete(new_siren() + "0001")
    vat_number = french_vat_number(siret[:9])
    printed = f"{vat_number[:2].lower()} {vat_number[2:4]} {vat_number[4:7]} {vat_number[7:10]} "
    printed += vat_number[10:]
    response = client.post(reverse("clients:new"), client_post(siret=siret, vat_number=printed))
    assert response.status_code == 302
    created = Client.objects.get()
    assert created.vat_number == vat_number
    page = BeautifulSoup(client.get(response["Location"]).content, "html.parser")
    assert page.select_one("#vat-number").get_text() == vat_number
    # Typing the same number again with spaces changes nothing in the audit trail.
    edit = reverse("clients:edit", args=[created.pk])
    data = {**client_post(siret=siret, vat_number=printed), "is_active": "on"}
    assert client.post(edit, data).status_code == 302
    assert not AuditEntry.objects.filter(action="clients.client_updated").exists()
    # Removing it is an audited change.
    assert client.post(edit, {**data, "vat_number": ""}).status_code == 302
    entry = AuditEntry.objects.get(action="clients.client_updated")
    assert entry.data["changes"] == {"vat_number": [vat_number, ""]}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param(
            {"siret": "91234568300011", "vat_number": "FR00912345683"},
            "Numéro de TVA intracommunautaire : La clé du « Numéro de TVA "
            "intracommunautaire » FR00912345683 ne correspond pas au reste du numéro",
            id="bad_key",
        ),
        pytest.param(
            {"siret": "91234568300011", "vat_number": "44 732 829 320"},
            "doit commencer par le code du pays de l'Union européenne qui l'a attribué (FR "
            "pour la France) : « 44732829320 » ne commence pas ainsi.",
            id="no_country_code",
        ),
        pytest.param(
            {"siret": "91234568300011", "vat_number": "FR44732829320"},
            "n'est pas celui du SIRET du client : un numéro français se termine par le SIREN, "
            "ici 912345683.",
            id="of_another_siren",
        ),
        pytest.param(
            {"kind": "HOUSEHOLD", "siret": "", "vat_number": "FR44732829320"},
            "Un particulier n'a pas de « Numéro de TVA intracommunautaire »",
            id="household",
        ),
        pytest.param(
            {"siret": "91234568300011", "vat_number": "FR 89 912 345 683 000 000"},
            "Numéro de TVA intracommunautaire : Assurez-vous",
            id="too_long",
        ),
    ],
)
def test_a_wrong_vat_number_is_refused_naming_the_field(
    client: Any, entity: Any, overrides: dict[str, str], message: str
) -> None:
    client.force_login(user_with_role(Role.PLANNER, entity))
    response = client.post(reverse("clients:new"), client_post(**overrides))
    assert response.status_code == 200
    text = text_of(response)
    assert message in text
    assert text.count("Numéro de TVA intracommunautaire :") == 1
    assert not Client.objects.exists() and not AuditEntry.objects.exists()


def test_a_wrong_vat_number_loses_nothing_already_saved(client: Any, entity: Any) -> None:
    existing = ClientFactory(entity=entity, name="Usine Lefèvre", vat_registered=True)
    saved = existing.vat_number
    wrong = f"FR {(int(saved[2:4]) + 1) % 97:02d} " + saved[4:]  # a key that is not the SIREN's
    client.force_login(user_with_role(Role.HR, entity))
    data = {
        **client_post(name="Usine Lefèvre", siret=existing.siret, vat_number=wrong),
        "is_active": "on",
    }
    response = client.post(reverse("clients:edit", args=[existing.pk]), data)
    assert response.status_code == 200
    field = BeautifulSoup(response.content, "html.parser").select_one("input[name=vat_number]")
    assert field is not None
    assert field["value"] == wrong  # shown as typed, to correct
    assert field["aria-invalid"] == "true"
    existing.refresh_from_db()
    assert existing.vat_number == saved
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("role", "linked"),
    [(Role.ACCOUNTANT, True), (Role.DIRECTION, True), (Role.PLANNER, False), (Role.HR, False)],
    ids=str,
)
def test_a_household_links_to_its_sap_page_only_for_those_who_may_open_it(
    client: Any, entity: Any, role: Role, linked: bool
) -> None:
    household = ClientFactory(entity=entity, household=True)
    client.force_login(user_with_role(role, entity))
    page = client.get(reverse("clients:client", args=[household.pk])).content.decode()
    assert ('id="sap-link"' in page) is linked
    sap_page = client.get(reverse("sap:client", args=[household.pk]))
    assert sap_page.status_code == (200 if linked else 403)
