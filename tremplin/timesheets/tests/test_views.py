from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import MembershipFactory, user_with_role
from tremplin.clients.models import ClientContact
from tremplin.clients.tests.factories import ClientFactory
from tremplin.contracts.tests.factories import ContractFactory
from tremplin.core import audit
from tremplin.organisations.tests.factories import EntityFactory
from tremplin.people.tests.factories import PersonFactory
from tremplin.timesheets import rules
from tremplin.timesheets.models import ClientSignOff, EntrySource, EntryStatus, TimeEntry
from tremplin.timesheets.tests.factories import (
    TOKEN,
    ClientSignOffFactory,
    InterventionFactory,
    TimeEntryFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(date(2026, 11, 26), tick=False):
        yield


@pytest.fixture
def worker(db: None) -> dict[str, Any]:
    """A worker with a login account linked to their person file, and one intervention."""
    membership = MembershipFactory(worker=True)
    person = PersonFactory(entity=membership.entity, user=membership.user)
    intervention = InterventionFactory(entity=membership.entity, worker=person)
    return {"user": membership.user, "person": person, "intervention": intervention}


# --- Worker ----------------------------------------------------------------------------------


def test_a_worker_sees_their_recent_interventions_only(client: Any, worker: dict[str, Any]) -> None:
    colleague = InterventionFactory(entity=worker["person"].entity, day=date(2026, 11, 25))
    old = InterventionFactory(
        entity=worker["person"].entity, worker=worker["person"], day=date(2026, 11, 11)
    )
    client.force_login(worker["user"])
    page = client.get(reverse("timesheets:my_hours")).content.decode()
    assert f'id="card-{worker["intervention"].pk}"' in page
    assert f'id="card-{colleague.pk}"' not in page
    assert f'id="card-{old.pk}"' not in page
    assert 'value="3,00"' in page  # prefilled with the planned hours


def test_the_heures_menu_sends_a_worker_to_their_page(client: Any, worker: dict[str, Any]) -> None:
    client.force_login(worker["user"])
    response = client.get(reverse("timesheets:index"))
    assert response["Location"] == reverse("timesheets:my_hours")


def test_a_worker_declares_then_updates_hours(client: Any, worker: dict[str, Any]) -> None:
    client.force_login(worker["user"])
    intervention = worker["intervention"]
    url = reverse("timesheets:declare", args=[intervention.pk])
    prefix = f"i{intervention.pk}"
    response = client.post(url, {f"{prefix}-hours": "3,5", f"{prefix}-travel_minutes": "15"})
    assert response["Location"] == reverse("timesheets:my_hours")
    entry = TimeEntry.objects.get()
    assert (entry.hours, entry.travel_minutes, entry.status, entry.source) == (
        Decimal("3.50"),
        15,
        EntryStatus.DECLARED,
        EntrySource.WORKER,
    )
    assert (entry.client, entry.intervention) == (intervention.order.client, intervention)
    fragment = client.post(
        url,
        {f"{prefix}-hours": "4", f"{prefix}-travel_minutes": "15"},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert fragment.lstrip().startswith(f'<article class="card mb-3" id="card-{intervention.pk}"')
    assert "Heures enregistrées." in fragment
    assert TimeEntry.objects.get().hours == Decimal(4)


@pytest.mark.parametrize(
    ("hours", "message"),
    [("0", "supérieur à 0"), ("24,5", "ne peut pas dépasser 24"), ("abc", "Saisissez un nombre")],
    ids=["zero", "past_upper_bound", "not_a_number"],
)
def test_a_worker_gets_the_reason_of_refused_hours(
    client: Any, worker: dict[str, Any], hours: str, message: str
) -> None:
    client.force_login(worker["user"])
    prefix = f"i{worker['intervention'].pk}"
    response = client.post(
        reverse("timesheets:declare", args=[worker["intervention"].pk]),
        {f"{prefix}-hours": hours, f"{prefix}-travel_minutes": "0"},
    )
    assert response.status_code == 200
    assert "Heures travaillées : " in response.content.decode()
    assert message in response.content.decode()
    assert not TimeEntry.objects.exists()


def test_a_worker_cannot_open_someone_elses_intervention(
    client: Any, worker: dict[str, Any]
) -> None:
    other = InterventionFactory(entity=worker["person"].entity)
    client.force_login(worker["user"])
    assert client.get(reverse("timesheets:declare", args=[other.pk])).status_code == 404
    assert client.post(reverse("timesheets:declare", args=[other.pk])).status_code == 404


def test_a_worker_cannot_change_validated_hours(client: Any, worker: dict[str, Any]) -> None:
    intervention = worker["intervention"]
    TimeEntryFactory(
        entity=intervention.entity,
        person=worker["person"],
        client=intervention.order.client,
        intervention=intervention,
        validated=True,
    )
    client.force_login(worker["user"])
    prefix = f"i{intervention.pk}"
    response = client.post(
        reverse("timesheets:declare", args=[intervention.pk]),
        {f"{prefix}-hours": "9", f"{prefix}-travel_minutes": "0"},
    )
    assert "déjà été validées" in response.content.decode()
    assert TimeEntry.objects.get().hours == Decimal("3.50")


def test_staff_without_a_person_file_cannot_use_the_worker_page(client: Any) -> None:
    client.force_login(user_with_role(Role.PLANNER, EntityFactory()))
    assert client.get(reverse("timesheets:my_hours")).status_code == 403


# --- Staff -----------------------------------------------------------------------------------


@pytest.fixture
def planner(db: None) -> Any:
    entity = EntityFactory()
    return user_with_role(Role.PLANNER, entity), entity


def test_staff_enter_hours_for_a_worker(client: Any, planner: Any) -> None:
    user, entity = planner
    contract = ContractFactory(entity=entity, person__entity=entity)
    customer = ClientFactory(entity=entity)
    client.force_login(user)
    response = client.post(
        reverse("timesheets:entry_new"),
        {
            "person": contract.person.pk,
            "client": customer.pk,
            "day": "2026-11-03",
            "hours": "6",
            "travel_minutes": "0",
        },
    )
    assert response.status_code == 302
    entry = TimeEntry.objects.get()
    assert (entry.source, entry.declared_by) == (EntrySource.STAFF, user)


def test_staff_validate_the_checked_declared_entries(client: Any, planner: Any) -> None:
    user, entity = planner
    declared = TimeEntryFactory(entity=entity)
    other = TimeEntryFactory(entity=entity)
    locked = TimeEntryFactory(entity=entity, locked=True, day=date(2026, 10, 6))
    client.force_login(user)
    page = client.get(reverse("timesheets:index"), {"mois": "2026-11", "etat": "declared"})
    assert f'value="{declared.pk}"' in page.content.decode()
    client.post(reverse("timesheets:validate"), {"entries": [declared.pk, locked.pk]})
    declared.refresh_from_db()
    assert (declared.status, declared.validated_by) == (EntryStatus.VALIDATED, user)
    other.refresh_from_db()
    locked.refresh_from_db()
    assert (other.status, locked.validated_by) == (EntryStatus.DECLARED, None)
    assert list(TimeEntry.objects.locked()) == [locked]


def test_correcting_a_validated_entry_is_audited_and_resets_it(client: Any, planner: Any) -> None:
    user, entity = planner
    entry = TimeEntryFactory(entity=entity, validated=True)
    client.force_login(user)
    response = client.post(
        reverse("timesheets:entry_edit", args=[entry.pk]),
        {"client": entry.client.pk, "day": "2026-11-10", "hours": "5", "travel_minutes": "10"},
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.hours, entry.status, entry.validated_by) == (
        Decimal(5),
        EntryStatus.DECLARED,
        None,
    )
    trail = audit.entries_for(entry).get()
    assert trail.action == "timesheets.entry_corrected"
    assert trail.data["heures"] == ["3.50", "5"]
    assert trail.data["trajet (min)"] == ["0", "10"]
    assert trail.data["état"] == ["Validée", "Déclarée"]


def test_a_locked_entry_cannot_be_corrected(client: Any, planner: Any) -> None:
    user, entity = planner
    entry = TimeEntryFactory(entity=entity, locked=True, day=date(2026, 10, 6))
    client.force_login(user)
    url = reverse("timesheets:entry_edit", args=[entry.pk])
    assert "Le mois de octobre 2026 est clôturé" in client.get(url).content.decode()
    response = client.post(
        url, {"client": entry.client.pk, "day": "2026-10-06", "hours": "9", "travel_minutes": "0"}
    )
    assert response.status_code == 409
    entry.refresh_from_db()
    assert entry.hours == Decimal("3.50")


def test_a_cip_cannot_validate_hours(client: Any) -> None:
    entity = EntityFactory()
    client.force_login(user_with_role(Role.CIP, entity))
    assert client.get(reverse("timesheets:index")).status_code == 403
    assert client.post(reverse("timesheets:validate")).status_code == 403


def test_counters_per_worker(client: Any, planner: Any) -> None:
    user, entity = planner
    contract = ContractFactory(
        entity=entity, person__entity=entity, start=date(2026, 9, 1), planned_end=None
    )
    InterventionFactory(entity=entity, worker=contract.person, planned_hours=Decimal(3))
    TimeEntryFactory(entity=entity, person=contract.person, hours=Decimal("3.5"))
    client.force_login(user)
    response = client.get(reverse("timesheets:counters"), {"mois": "2026-11"})
    row = response.context["rows"][0]
    assert (row["planned"], row["worked"], row["target"], row["balance"]) == (
        Decimal(3),
        Decimal("3.50"),
        Decimal("112.67"),
        Decimal("-109.17"),
    )


# --- Client sign-off -------------------------------------------------------------------------


def test_staff_send_a_link_whose_token_is_stored_hashed(
    client: Any, planner: Any, django_capture_on_commit_callbacks: Any
) -> None:
    user, entity = planner
    customer = ClientFactory.create(entity=entity)
    ClientContact.objects.create(
        client=customer, name="Alex Martin", email="alex@client.test", signs_timesheets=True
    )
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("timesheets:signoff_new"), {"client": customer.pk, "month": 11, "year": 2026}
        )
    link = response.context["link"]
    token = link.rstrip("/").rsplit("/", 1)[1]
    signoff = ClientSignOff.objects.get()
    assert len(token) >= 43 and signoff.token_hash == rules.hash_token(token)
    assert token not in signoff.token_hash
    assert signoff.expires_on == date(2026, 12, 26)
    assert mail.outbox[0].to == ["alex@client.test"]
    assert link in mail.outbox[0].body


def test_the_client_approves_through_the_link_without_logging_in(client: Any) -> None:
    signoff = ClientSignOffFactory()
    TimeEntryFactory(entity=signoff.client.entity, client=signoff.client, hours=Decimal(4))
    TimeEntryFactory(entity=signoff.client.entity, client=signoff.client, hours=Decimal("2.5"))
    TimeEntryFactory(entity=signoff.client.entity, day=date(2026, 11, 3))  # another client
    url = reverse("timesheets:signoff", args=[TOKEN])
    page = client.get(url)
    assert page.status_code == 200
    assert "6,50" in page.content.decode()
    response = client.post(url, {"name": "Alex Martin", "comment": "RAS"})
    assert "sont validées" in response.content.decode()
    signoff.refresh_from_db()
    assert (signoff.signed_by_name, signoff.total_hours, signoff.comment) == (
        "Alex Martin",
        Decimal("6.50"),
        "RAS",
    )
    assert signoff.signed_at is not None
    assert audit.entries_for(signoff).get().action == "timesheets.signoff_approved"


def test_a_used_link_cannot_be_used_again(client: Any) -> None:
    ClientSignOffFactory(signed=True)
    url = reverse("timesheets:signoff", args=[TOKEN])
    response = client.post(url, {"name": "Quelqu'un d'autre"})
    assert response.status_code == 410
    assert "déjà été validées" in response.content.decode()
    assert ClientSignOff.objects.get().signed_by_name == "Alex Martin"


def test_an_expired_link_answers_a_french_page(client: Any) -> None:
    ClientSignOffFactory(expires_on=date(2026, 11, 25))
    response = client.get(reverse("timesheets:signoff", args=[TOKEN]))
    assert response.status_code == 410
    assert "Ce lien a expiré le 25/11/2026." in response.content.decode()


def test_an_unknown_token_is_a_404(client: Any) -> None:
    ClientSignOffFactory()
    assert client.get(reverse("timesheets:signoff", args=["autre" + TOKEN])).status_code == 404
    assert not mail.outbox
