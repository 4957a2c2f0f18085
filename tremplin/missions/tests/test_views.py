from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.clients.tests.factories import ClientFactory
from tremplin.core.models import AuditEntry
from tremplin.core.tests.pdf import pdf_text
from tremplin.missions.models import MadDerogation, Placement
from tremplin.missions.tests.factories import (
    ContractFactory,
    MadDerogationFactory,
    PlacementFactory,
    ai_entity,
)
from tremplin.organisations.tests.factories import EntityFactory
from tremplin.people.tests.factories import nir_for

pytestmark = pytest.mark.django_db

TODAY = datetime(2025, 10, 20, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.fixture(autouse=True)
def _frozen_day(time_machine: Any) -> None:
    time_machine.move_to(TODAY, tick=False)


@pytest.fixture
def world() -> dict[str, Any]:
    """An AI whose salariée has 470 h placed at a company since 03/02/2025."""
    ai = ai_entity(name="Élan Emploi", legal_name="Association Élan Emploi")
    contract = ContractFactory(
        entity=ai, start=date(2025, 1, 1), planned_end=date(2026, 12, 31), person__first_name="Inès"
    )
    company = ClientFactory(entity=ai, name="Menuiserie Dupont")
    household = ClientFactory(entity=ai, name="Famille Martin", household=True)
    PlacementFactory(
        contract=contract,
        client=company,
        number="1",
        start=date(2025, 2, 3),
        end=date(2025, 6, 30),
        hours=Decimal("470"),
    )
    return {
        "ai": ai,
        "contract": contract,
        "person": contract.person,
        "company": company,
        "household": household,
        "planner": user_with_role(Role.PLANNER, ai),
    }


def placement_post(client: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "client": client.pk,
        "number": "2",
        "start": "2025-11-03",
        "end": "2025-11-07",
        "hours": "20",
        "task": "Renfort pour un inventaire",
        "workplace": "Atelier du client, Niort",
        "hourly_rate": "",
    }
    return {**data, **overrides}


def new_url(world: dict[str, Any]) -> str:
    return reverse("missions:placement_new", args=[world["contract"].pk])


def text_of(response: Any) -> str:
    soup = BeautifulSoup(response.content, "html.parser")
    return " ".join(soup.get_text(" ").split())


# --- The cap when placing -----------------------------------------------------------------------


def test_the_form_proposes_the_next_mission_order_number(
    client: Any, world: dict[str, Any]
) -> None:
    client.force_login(world["planner"])
    soup = BeautifulSoup(client.get(new_url(world)).content, "html.parser")
    number = soup.select_one("#id_number")
    assert number is not None and number["value"] == "2"
    assert "Famille Martin" in soup.select_one("#id_client").get_text()
    assert "470,00 h" in soup.select_one("aside").get_text()


def test_passing_the_cap_is_refused_with_the_rule_and_nothing_is_saved(
    client: Any, world: dict[str, Any]
) -> None:
    client.force_login(world["planner"])
    response = client.post(
        new_url(world), placement_post(world["company"], acknowledge_warning="on")
    )
    assert response.status_code == 200
    assert (
        "Heures prévues : Plafond de mise à disposition en entreprise (art. R5132-18 2° du Code "
        "du travail) : 470 h utilisées sur 480 h depuis le 03/02/2025 ; il reste 10 h. La mise "
        "à disposition proposée (20 h) porterait le total à 490 h, au-delà du plafond."
    ) in text_of(response)
    assert Placement.objects.count() == 1
    assert not AuditEntry.objects.exists()


def test_the_same_hours_at_a_household_are_accepted(client: Any, world: dict[str, Any]) -> None:
    client.force_login(world["planner"])
    response = client.post(new_url(world), placement_post(world["household"]))
    assert response.status_code == 302
    assert response["Location"] == reverse("missions:ledger", args=[world["person"].pk])
    placement = Placement.objects.get(number="2")
    assert placement.client == world["household"] and placement.hours == 20
    entry = AuditEntry.objects.get(action="missions.placement_created")
    assert entry.actor == world["planner"] and entry.entity == world["ai"]
    assert entry.data["cap_state"] == "OK" and entry.data["client_kind"] == "HOUSEHOLD"
    page = text_of(client.get(response["Location"]))
    assert "n'entre pas dans le plafond de 480 h" in page
    assert "Famille Martin Particulier 03/11/2025 07/11/2025 20,00 h hors plafond" in page


def test_the_warning_threshold_needs_a_confirmation(client: Any, world: dict[str, Any]) -> None:
    Placement.objects.filter(number="1").update(hours=Decimal("300"))
    client.force_login(world["planner"])
    response = client.post(
        new_url(world), placement_post(world["company"], hours="100", end="2025-11-28")
    )
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    warning = soup.select_one("#cap-warning")
    assert (
        "Seuil d'alerte de 80 % atteint : après cette mise à disposition (100 h), il restera "
        "80 h." in " ".join(warning.get_text(" ").split())
    )
    assert warning.select_one("input[name=acknowledge_warning][type=checkbox]") is not None
    assert "J'ai pris connaissance de l'alerte" in warning.get_text()
    assert Placement.objects.count() == 1

    response = client.post(
        new_url(world),
        placement_post(world["company"], hours="100", end="2025-11-28", acknowledge_warning="on"),
    )
    assert response.status_code == 302
    assert Placement.objects.get(number="2").hours == 100
    entry = AuditEntry.objects.get()
    assert entry.data["cap_state"] == "WARNING" and entry.data["warning_acknowledged"] is True


def test_an_economic_dismissal_bars_the_client_for_six_months(
    client: Any, world: dict[str, Any]
) -> None:
    barred = ClientFactory(
        entity=world["ai"], name="Usine Lefèvre", economic_dismissal_on=date(2025, 9, 1)
    )
    client.force_login(world["planner"])
    response = client.post(new_url(world), placement_post(barred, hours="5"))
    assert response.status_code == 200
    assert (
        "Client : Mise à disposition interdite : le client a procédé à un licenciement "
        "économique le 01/09/2025 ; pas de mise à disposition avant le 02/03/2026"
    ) in text_of(response)
    assert Placement.objects.count() == 1


def test_a_prefect_derogation_lifts_the_cap(client: Any, world: dict[str, Any]) -> None:
    MadDerogationFactory(entity=world["ai"], valid_from=date(2025, 10, 1))
    client.force_login(world["planner"])
    response = client.post(new_url(world), placement_post(world["company"]))
    assert response.status_code == 302
    assert Placement.objects.filter(number="2", hours=20).exists()
    page = text_of(client.get(response["Location"]))
    assert "Dérogation préfectorale en vigueur du 01/10/2025 au 31/12/2027" in page
    assert "Plafond dépassé de 10,00 h" in page
    assert "sous dérogation" in page


def test_only_cddu_and_cddua_of_an_ai_carry_placements(client: Any, world: dict[str, Any]) -> None:
    cddi = ContractFactory(entity=world["ai"], person=world["person"], cddi=True)
    client.force_login(world["planner"])
    url = reverse("missions:placement_new", args=[cddi.pk])
    assert "ce contrat est un CDD d'insertion (CDDI)" in text_of(client.get(url))
    response = client.post(url, placement_post(world["household"], number="1"))
    assert response.status_code == 200
    assert "Contrat : une mise à disposition se rattache à un CDDU ou à un CDDUA" in text_of(
        response
    )
    assert not cddi.placements.exists()

    company_entity = EntityFactory(group=world["ai"].group)
    outside = ContractFactory(entity=company_entity)
    client.force_login(user_with_role(Role.PLANNER, company_entity))
    page = text_of(client.get(reverse("missions:placement_new", args=[outside.pk])))
    assert "réservée aux salariés d'une association intermédiaire" in page


def test_a_cddu_carries_a_single_placement(client: Any, world: dict[str, Any]) -> None:
    cddu = ContractFactory(entity=world["ai"], person=world["person"], cddu=True)
    PlacementFactory(contract=cddu, client=world["household"], hours=Decimal("5"))
    client.force_login(world["planner"])
    page = text_of(client.get(reverse("missions:placement_new", args=[cddu.pk])))
    assert "un CDDU couvre une seule mise à disposition" in page


def test_placement_within_the_contract_and_for_a_client_of_the_same_entity(
    client: Any, world: dict[str, Any]
) -> None:
    elsewhere = ClientFactory(entity=EntityFactory(group=world["ai"].group), household=True)
    client.force_login(world["planner"])
    response = client.post(
        new_url(world), placement_post(elsewhere, start="2024-12-20", end="2027-01-05")
    )
    page = text_of(response)
    assert "Client : Sélectionnez un choix valide" in page
    assert (
        "Début : La mise à disposition ne peut pas commencer avant le début du contrat "
        "(01/01/2025)." in page
    )
    assert (
        "Fin : La mise à disposition ne peut pas se terminer après la fin du contrat "
        "(31/12/2026)." in page
    )
    response = client.post(new_url(world), placement_post(world["household"], number="1"))
    assert "Ce contrat a déjà un ordre de mission n° 1" in text_of(response)
    assert Placement.objects.count() == 1


# --- Ledger ----------------------------------------------------------------------------------


def test_the_ledger_shows_the_window_counters_and_the_warning(
    client: Any, world: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    PlacementFactory(
        contract=world["contract"], client=world["household"], number="7", hours=Decimal("12")
    )
    MadDerogationFactory(
        entity=world["ai"], valid_from=date(2026, 1, 1), reference="Arrêté 79-2026-01"
    )
    client.force_login(user_with_role(Role.CIP, world["ai"]))
    with django_assert_max_num_queries(25):
        response = client.get(reverse("missions:ledger", args=[world["person"].pk]))
    soup = BeautifulSoup(response.content, "html.parser")
    cap = " ".join(soup.select_one(f"#cap-{world['ai'].pk}").get_text(" ").split())
    assert "Période de décompte du 03/02/2025 au 02/02/2027" in cap
    assert "Heures utilisées 470,00 h" in cap and "Heures restantes 10,00 h" in cap
    assert "97,9 %" in cap
    assert "Seuil d'alerte de 80 % atteint : il reste 10,00 h avant le plafond." in cap
    meter = soup.select_one("meter.mad-meter")
    assert meter is not None
    assert [Decimal(meter[a]) for a in ("value", "max", "low", "high")] == [470, 480, 384, 480]
    rows = [" ".join(r.get_text(" ").split()) for r in soup.select("table.placements tbody tr")]
    assert rows[0].startswith(
        "1 Menuiserie Dupont Entreprise 03/02/2025 30/06/2025 470,00 h compté"
    )
    assert rows[1].startswith("7 Famille Martin Particulier")
    assert "hors plafond" in rows[1]
    page = text_of(response)
    assert "Du 01/01/2026 au 31/12/2027 — Arrêté 79-2026-01" in page
    # A CIP reads the ledger but does not place.
    assert soup.find("a", string="Nouvelle mise à disposition") is None


def test_the_index_lists_the_ai_workers_closest_to_the_cap_first(
    client: Any, world: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    other = ContractFactory(entity=world["ai"], person__first_name="Zoé")
    PlacementFactory(contract=other, client=world["company"], hours=Decimal("35"))
    client.force_login(world["planner"])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("missions:index"))
    rows = BeautifulSoup(response.content, "html.parser").select("#workers tbody tr")
    assert [r.select_one("a").get_text() for r in rows] == [
        world["person"].full_name,
        other.person.full_name,
    ]
    assert "97,9 %" in rows[0].get_text() and "alerte" in rows[0].get_text()


# --- PDF -------------------------------------------------------------------------------------


def test_the_placement_contract_is_a_pdf_with_the_legal_mentions(
    client: Any, world: dict[str, Any]
) -> None:
    nir = nir_for(world["person"])
    world["person"].set_nir(nir)
    world["person"].save()
    placement = Placement.objects.get(number="1")
    client.force_login(user_with_role(Role.ACCOUNTANT, world["ai"]))
    response = client.get(reverse("missions:placement_pdf", args=[placement.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="contrat-mise-a-disposition-{world["contract"].pk}-1.pdf"'
    )
    pdf = response.content
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert "Menuiserie Dupont" in text
    assert "Association Élan Emploi" in text and world["ai"].siret in text
    assert world["person"].full_name in text
    assert nir[:13] not in text.replace(" ", "") and "NIR" not in text
    assert "art. L5132-7 du Code du travail" in text
    assert "480 heures sur 24 mois" in text
    assert "licenciement économique dans les 6 mois" in text
    assert "responsable des conditions d'exécution du travail" in text
    assert "€ HT de l'heure" in text  # no rate yet: a line to fill


def test_the_pdf_states_the_rate_when_known_and_the_exemption_of_a_household(
    client: Any, world: dict[str, Any]
) -> None:
    placement = PlacementFactory(
        contract=world["contract"],
        client=world["household"],
        number="9",
        hourly_rate=Decimal("21.5"),
    )
    client.force_login(world["planner"])
    text = pdf_text(client.get(reverse("missions:placement_pdf", args=[placement.pk])).content)
    assert "21,50 € HT de l'heure" in text
    assert re.search(r"type « Particulier » n'entre pas dans le plafond de 480 heures", text)


# --- Derogations ----------------------------------------------------------------------------


def test_derogations_are_recorded_by_the_direction_and_checked(
    client: Any, world: dict[str, Any]
) -> None:
    ai = world["ai"]
    director = user_with_role(Role.DIRECTION, ai)
    client.force_login(director)
    url = reverse("missions:derogation_new", args=[ai.slug])
    response = client.post(
        url, {"reference": "Arrêté 1", "valid_from": "2025-01-01", "valid_to": "2028-01-01"}
    )
    assert (
        "Fin de la dérogation : 3 ans au plus (art. D5132-18-1 du Code du travail) ; fin "
        "au plus tard le 31/12/2027." in text_of(response)
    )
    response = client.post(
        url, {"reference": "Arrêté 1", "valid_from": "2025-01-01", "valid_to": "2027-12-31"}
    )
    assert response.status_code == 302
    derogation = MadDerogation.objects.get()
    assert AuditEntry.objects.get(action="missions.derogation_added").data["reference"] == (
        "Arrêté 1"
    )
    response = client.post(
        url, {"reference": "Arrêté 2", "valid_from": "2027-06-01", "valid_to": "2029-05-31"}
    )
    assert "Début de la dérogation : La période chevauche la dérogation du 01/01/2025" in (
        text_of(response)
    )
    page = text_of(client.get(reverse("missions:derogations", args=[ai.slug])))
    assert "Arrêté 1 01/01/2025 31/12/2027 en vigueur" in page
    assert MadDerogation.objects.get() == derogation


def test_derogations_are_for_an_ai_only(client: Any) -> None:
    company = EntityFactory()
    client.force_login(user_with_role(Role.DIRECTION, company))
    assert client.get(reverse("missions:derogations", args=[company.slug])).status_code == 404


# --- Roles ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "ledger", "place", "pdf", "derogations"),
    [
        (Role.PLANNER, 200, 200, 200, 403),
        (Role.DIRECTION, 200, 200, 200, 200),
        (Role.HR, 200, 200, 200, 403),
        (Role.CIP, 200, 403, 200, 403),
        (Role.ACCOUNTANT, 200, 403, 200, 403),
        (Role.RECEPTION, 403, 403, 403, 403),
        (Role.WORKER, 403, 403, 403, 403),
    ],
    ids=lambda v: str(v),
)
def test_roles(
    client: Any,
    world: dict[str, Any],
    role: Role,
    ledger: int,
    place: int,
    pdf: int,
    derogations: int,
) -> None:
    client.force_login(user_with_role(role, world["ai"]))
    placement = Placement.objects.get()
    assert client.get(reverse("missions:ledger", args=[world["person"].pk])).status_code == ledger
    assert client.get(new_url(world)).status_code == place
    response = client.post(new_url(world), placement_post(world["household"]))
    assert response.status_code == (302 if place == 200 else place)
    assert client.get(reverse("missions:placement_pdf", args=[placement.pk])).status_code == pdf
    url = reverse("missions:derogations", args=[world["ai"].slug])
    assert client.get(url).status_code == derogations


def test_an_outsider_gets_404(client: Any, world: dict[str, Any]) -> None:
    client.force_login(user_with_role(Role.DIRECTION, EntityFactory()))
    placement = Placement.objects.get()
    for url in [
        reverse("missions:ledger", args=[world["person"].pk]),
        new_url(world),
        reverse("missions:placement_pdf", args=[placement.pk]),
        reverse("missions:derogation_new", args=[world["ai"].slug]),
    ]:
        assert client.get(url).status_code == 404, url
