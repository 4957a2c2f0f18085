from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tremplin.accounts.rules import (
    INTAKE_ROLES,
    NIR_REVEAL_ROLES,
    PERSON_READ_ROLES,
    PERSON_WRITE_ROLES,
    Role,
)
from tremplin.accounts.tests.factories import user_with_role
from tremplin.core.models import AccessLogEntry, AuditEntry
from tremplin.organisations.rules import SiaeKind
from tremplin.organisations.tests.factories import (
    ConventionFactory,
    EntityFactory,
    GroupFactory,
)
from tremplin.pathways.models import PathwayStep, StepKind
from tremplin.people.forms import MAX_DOCUMENT_SIZE
from tremplin.people.models import Intake, Person, PersonDocument, PersonJob
from tremplin.people.rules import IntakeStatus
from tremplin.people.tests.factories import (
    IntakeFactory,
    PersonFactory,
    PersonJobFactory,
    RomeJobFactory,
    make_nir,
)
from tremplin.people.tests.object_urls import PDF_BYTES, new_document
from tremplin.people.views import spaced_nir

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 16)
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def frozen_day() -> Iterator[None]:
    with time_machine.travel(
        datetime(2026, 3, 16, 10, tzinfo=ZoneInfo("Europe/Paris")), tick=False
    ):
        yield


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def world() -> dict[str, Any]:
    """A group with an AI, an EI (convention from 01/06/2026) and a company outside the IAE."""
    group = GroupFactory(name="Groupe Essai")
    ai = EntityFactory(group=group, name="Asso Essai", association=True)
    ei = EntityFactory(group=group, name="Insertion Essai")
    company = EntityFactory(group=group, name="Domicile Essai")
    ConventionFactory(entity=ai, kind=SiaeKind.AI, start=date(2025, 1, 1), end=date(2027, 12, 31))
    ConventionFactory(entity=ei, kind=SiaeKind.EI, start=date(2026, 6, 1), end=date(2028, 5, 31))
    nir = make_nir("2", 1985, 6)
    person = PersonFactory(
        entity=ai, birth_name="Lefèvre", first_name="Amélie", phone="0611223344", nir=nir
    )
    intake = IntakeFactory(person=person, entity=ai, contacted_on=date(2026, 3, 2))
    return {
        "group": group,
        "ai": ai,
        "ei": ei,
        "company": company,
        "person": person,
        "nir": nir,
        "intake": intake,
    }


def attribute(page: BeautifulSoup, selector: str, name: str = "value") -> Any:
    tag = page.select_one(selector)
    assert tag is not None, f"{selector} absent de la page"
    return tag[name]


def html(response: Any) -> str:
    return response.content.decode()


def soup(response: Any) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


# --- Roles --------------------------------------------------------------------------------------

NO_ACCESS_ROLES = [Role.WORKER, Role.CLIENT_CONTACT, Role.FEDERATION]

PAGES = [
    ("people:list", "get", None, PERSON_READ_ROLES),
    ("people:intakes", "get", None, INTAKE_ROLES),
    ("people:intake_new", "get", None, INTAKE_ROLES),
    ("people:intake", "get", "intake", INTAKE_ROLES),
    ("people:person", "get", "person", PERSON_READ_ROLES),
    ("people:person_edit", "get", "person", PERSON_WRITE_ROLES),
    ("people:nir_reveal", "post", "person", NIR_REVEAL_ROLES),
    ("people:job_add", "get", "person", PERSON_WRITE_ROLES),
    ("people:document_add", "get", "person", PERSON_WRITE_ROLES),
    ("people:document", "get", "document", PERSON_WRITE_ROLES),
]


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
@pytest.mark.parametrize(("name", "method", "target", "allowed"), PAGES, ids=[p[0] for p in PAGES])
def test_roles_matrix(
    client: Any,
    world: dict[str, Any],
    role: Role,
    name: str,
    method: str,
    target: str | None,
    allowed: frozenset[Role],
) -> None:
    objects = {**world, "document": new_document(world["person"])}
    args = [objects[target].pk] if target else []
    client.force_login(user_with_role(role, world["ai"]))
    response = getattr(client, method)(reverse(name, args=args))
    if response.streaming:
        # Consuming the stream lets the test client close the file without closing the
        # database connection (an explicit close() would fire request_finished).
        b"".join(response.streaming_content)
    assert response.status_code == (200 if role in allowed else 403)
    if role in NO_ACCESS_ROLES:
        assert response.status_code == 403


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("people:intake", "intake"),
        ("people:intake_move", "intake"),
        ("people:person", "person"),
        ("people:person_edit", "person"),
        ("people:nir_reveal", "person"),
        ("people:job_add", "person"),
        ("people:document_add", "person"),
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_person_of_an_entity_the_user_cannot_see_is_404(
    client: Any, world: dict[str, Any], name: str, target: str, method: str
) -> None:
    # A CIP of another entity of the same group: not group-wide, the AI stays invisible.
    client.force_login(user_with_role(Role.CIP, world["company"]))
    response = getattr(client, method)(reverse(name, args=[world[target].pk]))
    assert response.status_code == 404


def test_a_document_of_an_invisible_person_is_404(client: Any, world: dict[str, Any]) -> None:
    document = new_document(world["person"])
    client.force_login(user_with_role(Role.CIP, world["company"]))
    assert client.get(reverse("people:document", args=[document.pk])).status_code == 404
    assert not AccessLogEntry.objects.exists()


# --- Reception worklist -------------------------------------------------------------------------


def test_worklist_shows_waiting_intakes_oldest_first_with_counts(
    client: Any, world: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    ai, ei = world["ai"], world["ei"]
    older = IntakeFactory(entity=ai, person__entity=ai, contacted_on=date(2026, 2, 1))
    IntakeFactory(
        entity=ai,
        person__entity=ai,
        status=IntakeStatus.DIAGNOSIS,
        contacted_on=date(2026, 3, 10),
    )
    closed = IntakeFactory(entity=ai, person__entity=ai, status=IntakeStatus.NOT_ADMITTED)
    for n in range(20):
        IntakeFactory(entity=ei, person__entity=ei, contacted_on=date(2026, 1, 1 + n))
    client.force_login(user_with_role(Role.RECEPTION, ai))
    with django_assert_max_num_queries(11):
        response = client.get(reverse("people:intakes"))
    page = soup(response)
    links = [a["href"] for a in page.select("#intake-worklist tbody a")]
    # Only the AI's intakes (the reception of the AI does not see the EI), oldest first.
    assert links == [
        reverse("people:intake", args=[pk])
        for pk in [older.pk, world["intake"].pk, Intake.objects.get(status="diagnosis").pk]
    ]
    assert reverse("people:intake", args=[closed.pk]) not in html(response)
    counts = [a.get_text(" ", strip=True) for a in page.select(".intake-steps a")]
    assert counts == ["Premier contact 2", "Information collective 0", "Diagnostic 1"]


def test_worklist_filters_by_entity_and_step(client: Any, world: dict[str, Any]) -> None:
    ai, ei = world["ai"], world["ei"]
    in_ei = IntakeFactory(entity=ei, person__entity=ei, status=IntakeStatus.DIAGNOSIS)
    IntakeFactory(entity=ei, person__entity=ei)
    client.force_login(user_with_role(Role.HR, ai))  # group-wide: sees both entities
    url = reverse("people:intakes")
    assert len(soup(client.get(url)).select("#intake-worklist tbody tr")) == 3
    page = soup(client.get(url, {"structure": ei.slug, "etape": "diagnosis"}))
    rows = page.select("#intake-worklist tbody a")
    assert [a["href"] for a in rows] == [reverse("people:intake", args=[in_ei.pk])]
    assert [o.get_text() for o in page.select("#filter-entity option[selected]")] == [ei.name]


def test_worklist_is_paginated(client: Any, world: dict[str, Any]) -> None:
    for _ in range(30):
        IntakeFactory(entity=world["ai"], person__entity=world["ai"])
    client.force_login(user_with_role(Role.RECEPTION, world["ai"]))
    first = soup(client.get(reverse("people:intakes")))
    assert len(first.select("#intake-worklist tbody tr")) == 25
    second = soup(client.get(reverse("people:intakes"), {"page": 2}))
    assert len(second.select("#intake-worklist tbody tr")) == 6


# --- Recording an intake ------------------------------------------------------------------------


def intake_post(entity: Any, **overrides: str) -> dict[str, str]:
    data = {
        "civility": "MME",
        "birth_name": "Martin",
        "usual_name": "",
        "first_name": "Léa",
        "birth_date": "02/04/1990",
        "phone": "0699887766",
        "email": "lea.martin@exemple.test",
        "address": "3 rue des Lilas",
        "postal_code": "79000",
        "city": "Niort",
        "nir": "",
        "entity": str(entity.pk),
        "contacted_on": "16/03/2026",
        "channel": "phone",
        "orienter": "03",
        "orienter_name": "France Travail Niort",
        "note": "Disponible le matin.",
    }
    return {**data, **overrides}


def test_new_intake_creates_the_person_and_the_intake(client: Any, world: dict[str, Any]) -> None:
    receptionist = user_with_role(Role.RECEPTION, world["ai"])
    client.force_login(receptionist)
    nir = make_nir("2", 1990, 4)
    response = client.post(reverse("people:intake_new"), intake_post(world["ai"], nir=nir))
    person = Person.objects.get(birth_name="Martin")
    intake = person.intakes.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("people:intake", args=[intake.pk])
    assert person.entity == world["ai"] and person.reveal_nir() == nir
    assert person.nir_hash == Person.nir_hash_of(nir, world["ai"].group_id)
    assert intake.received_by == receptionist and intake.status == IntakeStatus.CONTACTED
    assert intake.contacted_on == TODAY and intake.orienter == "03"
    entry = AuditEntry.objects.get(action="people.intake_recorded")
    assert entry.data["nir"] == "modifié" and nir not in str(entry.data)


def test_new_intake_offers_only_the_entities_where_the_user_receives(
    client: Any, world: dict[str, Any]
) -> None:
    client.force_login(user_with_role(Role.RECEPTION, world["ai"]))
    page = soup(client.get(reverse("people:intake_new")))
    assert [o.get_text() for o in page.select("#id_entity option")] == ["Asso Essai"]
    response = client.post(reverse("people:intake_new"), intake_post(world["ei"]))
    assert "Structure concernée : Sélectionnez un choix valide" in html(response)
    assert not Person.objects.filter(birth_name="Martin").exists()


def assert_nothing_saved() -> None:
    assert not Person.objects.filter(birth_name="Martin").exists()
    assert Intake.objects.count() == 1
    assert not AuditEntry.objects.exists()


def assert_values_kept(response: Any, **expected: str) -> None:
    page = soup(response)
    for name, value in expected.items():
        assert attribute(page, f"[name={name}]") == value


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param(
            {"nir": "2 90 04 79 123 456 00"},
            "NIR : La clé de contrôle du NIR est incorrecte.",
            id="nir_wrong_key",
        ),
        pytest.param(
            {"nir": make_nir("1", 1990, 4)},
            "NIR : Le NIR commence par 1 (homme) mais la civilité est « MME ».",
            id="nir_wrong_sex",
        ),
        pytest.param(
            {"birth_date": "17/03/2026"},
            "Date de naissance : Elle ne peut pas être postérieure à aujourd&#x27;hui"
            " (16/03/2026).",
            id="birth_date_tomorrow",
        ),
        pytest.param(
            {"birth_date": "31/12/1899"},
            "Date de naissance : Elle ne peut pas être antérieure au 01/01/1900.",
            id="birth_date_before_1900",
        ),
        pytest.param(
            {"contacted_on": "17/03/2026"},
            "Date du premier contact : Elle ne peut pas être postérieure à aujourd&#x27;hui",
            id="contact_tomorrow",
        ),
        pytest.param(
            {"postal_code": "7900"},
            "Code postal : Le code postal comporte 5 chiffres.",
            id="postal_code",
        ),
    ],
)
def test_invalid_intake_is_refused_in_french_keeping_the_values(
    client: Any, world: dict[str, Any], overrides: dict[str, str], message: str
) -> None:
    client.force_login(user_with_role(Role.RECEPTION, world["ai"]))
    response = client.post(reverse("people:intake_new"), intake_post(world["ai"], **overrides))
    assert response.status_code == 200
    assert message in html(response)
    assert_values_kept(response, phone="0699887766", city="Niort", birth_name="Martin")
    assert_nothing_saved()


def test_boundary_dates_are_accepted(client: Any, world: dict[str, Any]) -> None:
    client.force_login(user_with_role(Role.RECEPTION, world["ai"]))
    post = intake_post(world["ai"], birth_date="01/01/1900", contacted_on="16/03/2026")
    assert client.post(reverse("people:intake_new"), post).status_code == 302
    assert Person.objects.get(birth_name="Martin").birth_date == date(1900, 1, 1)


def test_duplicate_by_identity_shows_the_existing_file_and_keeps_the_values(
    client: Any, world: dict[str, Any]
) -> None:
    client.force_login(user_with_role(Role.RECEPTION, world["ei"]))
    # Same person written without accents and in capitals, received by another entity.
    post = intake_post(
        world["ei"], birth_name="LEFEVRE", first_name="amelie", birth_date="15/06/1985"
    )
    response = client.post(reverse("people:intake_new"), post)
    assert response.status_code == 200
    panel = soup(response).select_one("#doublons")
    text = panel.get_text(" ", strip=True)
    assert "LEFÈVRE Amélie" in text and "15/06/1985" in text and "Asso Essai" in text
    assert "même nom, prénom et date de naissance" in text
    assert panel.select_one("button[value=new]") is not None
    assert_values_kept(response, phone="0699887766", birth_name="LEFEVRE")
    assert Person.objects.count() == 1 and Intake.objects.count() == 1


def test_attaching_to_the_existing_person_makes_the_file_visible(
    client: Any, world: dict[str, Any]
) -> None:
    person = world["person"]
    client.force_login(user_with_role(Role.RECEPTION, world["ei"]))
    assert client.get(reverse("people:person", args=[person.pk])).status_code == 404
    post = intake_post(
        world["ei"], birth_name="Lefevre", first_name="Amelie", birth_date="15/06/1985"
    )
    response = client.post(
        reverse("people:intake_new"), {**post, "decision": f"attach-{person.pk}"}
    )
    assert response.status_code == 302
    assert Person.objects.count() == 1
    intake = Intake.objects.get(entity=world["ei"])
    assert intake.person == person
    person.refresh_from_db()
    assert person.phone == "0611223344"  # the existing file is not overwritten
    assert AuditEntry.objects.get().data["dossier"] == "existant"
    assert client.get(reverse("people:person", args=[person.pk])).status_code == 200


def test_confirming_another_person_creates_a_second_file(
    client: Any, world: dict[str, Any]
) -> None:
    client.force_login(user_with_role(Role.RECEPTION, world["ai"]))
    post = intake_post(
        world["ai"], birth_name="Lefèvre", first_name="Amélie", birth_date="15/06/1985"
    )
    response = client.post(reverse("people:intake_new"), {**post, "decision": "new"})
    assert response.status_code == 302
    assert Person.objects.filter(identity_key=world["person"].identity_key).count() == 2


def test_duplicate_by_nir_can_only_be_attached(client: Any, world: dict[str, Any]) -> None:
    client.force_login(user_with_role(Role.CIP, world["ei"]))
    post = intake_post(world["ei"], birth_name="Durand", birth_date="15/06/1985", nir=world["nir"])
    response = client.post(reverse("people:intake_new"), post)
    panel = soup(response).select_one("#doublons")
    assert "même NIR" in panel.get_text() and panel.select_one("button[value=new]") is None
    # Forcing "another person" is refused on the NIR field.
    response = client.post(reverse("people:intake_new"), {**post, "decision": "new"})
    assert "NIR : Ce NIR est celui d&#x27;un dossier existant du groupe" in html(response)
    assert Person.objects.count() == 1
    response = client.post(
        reverse("people:intake_new"), {**post, "decision": f"attach-{world['person'].pk}"}
    )
    assert response.status_code == 302
    assert Person.objects.count() == 1 and world["person"].intakes.count() == 2


def test_a_nir_known_in_another_group_reveals_nothing(client: Any, world: dict[str, Any]) -> None:
    elsewhere = PersonFactory(birth_date=date(1990, 4, 2))
    nir = make_nir("2", 1990, 4)
    elsewhere.set_nir(nir)
    elsewhere.save()
    client.force_login(user_with_role(Role.RECEPTION, world["ai"]))
    response = client.post(reverse("people:intake_new"), intake_post(world["ai"], nir=nir))
    # Accepted as any new number: the other group's file is neither matched nor hinted at.
    assert response.status_code == 302
    created = Person.objects.get(birth_name="Martin")
    assert created.reveal_nir() == elsewhere.reveal_nir() == nir
    assert created.nir_hash != elsewhere.nir_hash


# --- Moving an intake on ------------------------------------------------------------------------


def move(client: Any, intake: Intake, **data: str) -> Any:
    return client.post(reverse("people:intake_move", args=[intake.pk]), data)


def test_intake_page_shows_history_and_only_allowed_steps(
    client: Any, world: dict[str, Any]
) -> None:
    intake = world["intake"]
    client.force_login(user_with_role(Role.RECEPTION, world["ai"]))
    assert move(client, intake, status="information").status_code == 302
    page = soup(client.get(reverse("people:intake", args=[intake.pk])))
    assert "people.intake_moved" in page.select_one(".table-audit").get_text()
    options = [o["value"] for o in page.select("#id_status option")]
    assert options == ["", "diagnosis", "not_admitted", "redirected"]
    response = move(client, intake, status="")
    assert "Étape : Ce champ est obligatoire." in html(response)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(
            {"status": "hired", "hired_on": "16/03/2026", "job_title": "Agent"},
            "Étape : Passage de « Premier contact » à « Embauché » impossible.",
            id="skip_to_hired",
        ),
        pytest.param(
            {"status": "not_admitted"},
            "Motif de non-admission : Indiquez pourquoi la personne n&#x27;est pas retenue.",
            id="not_admitted_without_reason",
        ),
        pytest.param(
            {"status": "redirected", "redirected_to": "  "},
            "Réorienté vers : Indiquez vers quel organisme la personne est réorientée.",
            id="redirected_without_target",
        ),
    ],
)
def test_refused_moves_name_the_field(
    client: Any, world: dict[str, Any], data: dict[str, str], message: str
) -> None:
    intake = world["intake"]
    client.force_login(user_with_role(Role.CIP, world["ai"]))
    response = move(client, intake, **data)
    assert response.status_code == 200
    assert message in html(response)
    intake.refresh_from_db()
    assert intake.status == IntakeStatus.CONTACTED and not AuditEntry.objects.exists()


def test_not_admitted_with_reason_closes_the_intake(client: Any, world: dict[str, Any]) -> None:
    intake = world["intake"]
    client.force_login(user_with_role(Role.CIP, world["ai"]))
    move(client, intake, status="not_admitted", not_admitted_reason="no_show")
    intake.refresh_from_db()
    assert intake.status == IntakeStatus.NOT_ADMITTED and intake.not_admitted_reason == "no_show"
    assert intake.status_changed_on == TODAY
    page = soup(client.get(reverse("people:intake", args=[intake.pk])))
    assert page.select_one("#intake-move") is None and page.select_one("#intake-orient") is None
    response = move(client, intake, status="diagnosis")
    assert response.status_code == 302
    text = html(client.get(response["Location"]))
    assert "Étape : L&#x27;accueil est clos (« Non retenu »), il ne peut plus changer." in text
    response = client.post(
        reverse("people:intake_orient", args=[intake.pk]), {"entity": world["ei"].pk}
    )
    assert "il ne peut plus être orienté" in html(client.get(response["Location"]))
    intake.refresh_from_db()
    assert intake.status == IntakeStatus.NOT_ADMITTED and intake.entity == world["ai"]


@pytest.mark.parametrize(
    ("entity", "hired_on", "kind", "siae_kind"),
    [
        pytest.param("ai", "16/03/2026", StepKind.INSERTION, SiaeKind.AI, id="ai_convention"),
        pytest.param("ei", "31/05/2026", StepKind.LASTING_JOB, "", id="ei_before_convention"),
        pytest.param("ei", "01/06/2026", StepKind.INSERTION, SiaeKind.EI, id="ei_convention_day"),
        pytest.param("company", "16/03/2026", StepKind.LASTING_JOB, "", id="outside_iae"),
    ],
)
def test_hiring_opens_a_pathway_step_of_the_right_kind(
    client: Any,
    world: dict[str, Any],
    entity: str,
    hired_on: str,
    kind: StepKind,
    siae_kind: str,
) -> None:
    cip = user_with_role(Role.CIP, world[entity])
    person = PersonFactory(entity=world[entity], referent=cip)
    intake = IntakeFactory(person=person, entity=world[entity], status=IntakeStatus.DIAGNOSIS)
    client.force_login(cip)
    response = move(
        client, intake, status="hired", hired_on=hired_on, job_title="Agent d'entretien"
    )
    assert response.status_code == 302
    step = PathwayStep.objects.get(person_id=person.pk)
    assert step.entity == world[entity] and step.kind == kind and step.siae_kind == siae_kind
    assert step.job_title == "Agent d'entretien" and step.referent == cip
    assert step.started_on.strftime("%d/%m/%Y") == hired_on
    intake.refresh_from_db()
    assert intake.status == IntakeStatus.HIRED


def test_hiring_needs_a_start_date_and_a_job(client: Any, world: dict[str, Any]) -> None:
    intake = IntakeFactory(
        entity=world["ai"], person__entity=world["ai"], status=IntakeStatus.DIAGNOSIS
    )
    client.force_login(user_with_role(Role.CIP, world["ai"]))
    response = move(client, intake, status="hired", hired_on="", job_title="")
    assert "Date d&#x27;embauche : Indiquez la date de début du contrat." in html(response)
    assert "Poste : Indiquez le poste occupé." in html(response)
    response = move(client, intake, status="hired", hired_on="01/01/2026", job_title="Agent")
    assert "Date d&#x27;embauche : Elle ne peut pas précéder le premier contact" in html(response)
    assert not PathwayStep.objects.exists()


def test_orienting_hands_the_intake_to_another_entity(client: Any, world: dict[str, Any]) -> None:
    intake = world["intake"]
    client.force_login(user_with_role(Role.RECEPTION, world["ai"]))
    response = client.post(
        reverse("people:intake_orient", args=[intake.pk]), {"entity": world["ei"].pk}
    )
    assert response["Location"] == reverse("people:intakes")
    intake.refresh_from_db()
    assert intake.entity == world["ei"]
    assert AuditEntry.objects.get().data == {"from": "Asso Essai", "to": "Insertion Essai"}
    # The AI's reception no longer sees it; the EI's does.
    assert client.get(reverse("people:intake", args=[intake.pk])).status_code == 404
    client.force_login(user_with_role(Role.RECEPTION, world["ei"]))
    assert client.get(reverse("people:intake", args=[intake.pk])).status_code == 200


def test_orienting_outside_the_group_is_refused(client: Any, world: dict[str, Any]) -> None:
    intake = world["intake"]
    client.force_login(user_with_role(Role.DIRECTION, world["ai"]))
    response = client.post(
        reverse("people:intake_orient", args=[intake.pk]), {"entity": EntityFactory().pk}
    )
    assert "Orienter vers : Sélectionnez un choix valide" in html(response)
    intake.refresh_from_db()
    assert intake.entity == world["ai"]


# --- People list --------------------------------------------------------------------------------


def test_people_list_is_searched_without_accents_or_case(
    client: Any, world: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        PersonFactory(entity=world["ai"], birth_name=f"Durand{n:02d}")
    PersonFactory(entity=world["ai"], birth_name="Bernard", usual_name="Éluard", first_name="Zoé")
    PersonFactory(birth_name="Lefèvre", first_name="Amélie")  # another group
    client.force_login(user_with_role(Role.PLANNER, world["ai"]))
    url = reverse("people:list")
    with django_assert_max_num_queries(11):
        page = soup(client.get(url))
    assert len(page.select("#people tbody tr")) == 25
    found = soup(client.get(url, {"q": "LEFEVRE amelie"})).select("#people tbody a")
    assert [a["href"] for a in found] == [reverse("people:person", args=[world["person"].pk])]
    found = soup(client.get(url, {"q": "eluard zoe"})).select("#people tbody a")
    assert [a.get_text() for a in found] == ["ÉLUARD Zoé"]
    assert "Aucune personne ne correspond" in html(client.get(url, {"q": "inconnu"}))


def test_people_list_is_sorted_by_the_name_shown_whatever_the_accents(
    client: Any, world: dict[str, Any]
) -> None:
    company = world["company"]
    PersonFactory(entity=company, birth_name="Brunet", first_name="Aurélie")
    PersonFactory(entity=company, birth_name="Benali", usual_name="Texier", first_name="Jo")
    PersonFactory(entity=company, birth_name="Bénard", first_name="Loïc")
    client.force_login(user_with_role(Role.CIP, company))
    names = [a.get_text() for a in soup(client.get(reverse("people:list"))).select("#people a")]
    assert names == ["BÉNARD Loïc", "BRUNET Aurélie", "TEXIER Jo"]


def test_people_list_shows_only_visible_people(client: Any, world: dict[str, Any]) -> None:
    in_company = PersonFactory(entity=world["company"])
    client.force_login(user_with_role(Role.CIP, world["company"]))
    links = [a["href"] for a in soup(client.get(reverse("people:list"))).select("#people a")]
    assert links == [reverse("people:person", args=[in_company.pk])]


# --- Person file --------------------------------------------------------------------------------


def test_opening_the_file_writes_the_access_log(client: Any, world: dict[str, Any]) -> None:
    person = world["person"]
    cip = user_with_role(Role.CIP, world["ai"])
    client.force_login(cip)
    response = client.get(reverse("people:person", args=[person.pk]))
    assert response.status_code == 200
    entry = AccessLogEntry.objects.get()
    assert entry.what == "people.file_opened" and entry.actor == cip
    assert entry.object_id == str(person.pk) and entry.entity == world["ai"]
    page = html(response)
    assert person.nir_masked in page
    assert world["nir"] not in page and spaced_nir(world["nir"]) not in page
    assert "Afficher le NIR" in page and 'id="timeline"' in page


def test_planner_reads_identity_but_not_the_sensitive_parts(
    client: Any, world: dict[str, Any]
) -> None:
    person = world["person"]
    new_document(person)
    client.force_login(user_with_role(Role.PLANNER, world["ai"]))
    page = soup(client.get(reverse("people:person", args=[person.pk])))
    assert person.nir_masked in page.select_one("#nir").get_text()
    assert "Afficher le NIR" not in page.get_text()
    for hidden in ["#documents", "#situation-title", "#timeline", "#audit-trail"]:
        assert page.select_one(hidden) is None
    assert AccessLogEntry.objects.filter(what="people.file_opened").count() == 1


def test_reception_cannot_reveal_the_nir(client: Any, world: dict[str, Any]) -> None:
    client.force_login(user_with_role(Role.RECEPTION, world["ai"]))
    page = html(client.get(reverse("people:person", args=[world["person"].pk])))
    assert "Afficher le NIR" not in page
    response = client.post(reverse("people:nir_reveal", args=[world["person"].pk]))
    assert response.status_code == 403
    assert not AccessLogEntry.objects.filter(what="people.nir_revealed").exists()


def test_nir_reveal_logs_before_decrypting_and_is_never_cached(
    client: Any, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    logged_before: list[int] = []
    reveal = Person.reveal_nir

    def spy(self: Person) -> str:
        logged_before.append(AccessLogEntry.objects.filter(what="people.nir_revealed").count())
        return reveal(self)

    monkeypatch.setattr(Person, "reveal_nir", spy)
    client.force_login(user_with_role(Role.CIP, world["ai"]))
    url = reverse("people:nir_reveal", args=[world["person"].pk])
    response = client.post(url, headers={"HX-Request": "true"})
    assert logged_before == [1]
    nir = world["nir"]
    assert f"{nir[0]} {nir[1:3]} {nir[3:5]} {nir[5:7]} {nir[7:10]} {nir[10:13]} {nir[13:]}" in (
        html(response)
    )
    assert "no-store" in response["Cache-Control"]
    # A GET reveals nothing and goes back to the file.
    response = client.get(url)
    assert response.status_code == 302 and logged_before == [1]


def test_nir_fragment_matches_the_full_render(client: Any, world: dict[str, Any]) -> None:
    person = world["person"]
    client.force_login(user_with_role(Role.HR, world["ai"]))
    url = reverse("people:nir_reveal", args=[person.pk])
    page = soup(client.get(reverse("people:person", args=[person.pk])))
    fragment = soup(client.post(url, headers={"HX-Request": "true"}))
    assert fragment.find("html") is None
    full = soup(client.post(url))  # without JavaScript: the whole page, NIR shown
    assert spaced_nir(world["nir"]) in full.select_one("#nir").get_text()
    page.select_one("#nir").replace_with(fragment.select_one("#nir"))
    assert str(page.select_one("#nir")) == str(full.select_one("#nir"))
    whats = list(AccessLogEntry.objects.order_by("pk").values_list("what", flat=True))
    assert whats == [
        "people.file_opened",
        "people.nir_revealed",
        "people.nir_revealed",
        "people.file_opened",
    ]


def test_audit_trail_htmx_swap_matches_the_full_page(client: Any, world: dict[str, Any]) -> None:
    person = world["person"]
    client.force_login(user_with_role(Role.CIP, world["ai"]))
    for n in range(12):
        client.post(
            reverse("people:person_edit", args=[person.pk]), person_post(person, city=f"Ville {n}")
        )
        person.refresh_from_db()
    url = reverse("people:person", args=[person.pk])
    page = soup(client.get(url))
    assert len(page.select("#audit-trail tbody tr")) == 10
    fragment = soup(client.get(url, {"journal": "tout"}, headers={"HX-Request": "true"}))
    assert fragment.find("html") is None
    assert len(fragment.select("#audit-trail tbody tr")) == 12
    full = soup(client.get(url, {"journal": "tout"}))
    page.select_one("#audit-trail").replace_with(fragment.select_one("#audit-trail"))
    assert str(page.select_one("#audit-trail")) == str(full.select_one("#audit-trail"))


# --- Editing the file ---------------------------------------------------------------------------


def person_post(person: Person, **overrides: str) -> dict[str, str]:
    data = {
        "civility": person.civility,
        "birth_name": person.birth_name,
        "usual_name": person.usual_name,
        "first_name": person.first_name,
        "birth_date": person.birth_date.strftime("%d/%m/%Y"),
        "birth_insee_code": person.birth_insee_code,
        "birth_country_group": person.birth_country_group,
        "email": person.email,
        "phone": person.phone,
        "address": person.address,
        "postal_code": person.postal_code,
        "city": person.city,
        "nir": "",
        "no_nir_reason": person.no_nir_reason,
        "rsa": person.rsa,
        "referent": str(person.referent_id or ""),
    }
    return {**data, **overrides}


def test_edit_is_audited_with_the_nir_as_modified(client: Any, world: dict[str, Any]) -> None:
    person = world["person"]
    cip = user_with_role(Role.CIP, world["ai"])
    client.force_login(cip)
    new_nir = make_nir("2", 1985, 6, department="2A")
    post = person_post(person, city="Parthenay", nir=new_nir, referent=str(cip.pk), rqth="on")
    response = client.post(reverse("people:person_edit", args=[person.pk]), post)
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.city == "Parthenay" and person.reveal_nir() == new_nir
    assert person.referent == cip and person.rqth is True
    entry = AuditEntry.objects.get()
    assert entry.action == "people.person_updated" and entry.actor == cip
    assert entry.data["changes"]["city"] == ["Niort", "Parthenay"]
    assert entry.data["changes"]["referent"] == ["", str(cip)]
    assert entry.data["changes"]["nir"] == "modifié"
    assert new_nir not in str(entry.data) and world["nir"] not in str(entry.data)


def test_blank_nir_keeps_the_current_one(client: Any, world: dict[str, Any]) -> None:
    person = world["person"]
    client.force_login(user_with_role(Role.RECEPTION, world["ai"]))
    page = html(client.get(reverse("people:person_edit", args=[person.pk])))
    assert spaced_nir(world["nir"]) not in page and world["nir"] not in page
    assert person.nir_masked in page
    client.post(
        reverse("people:person_edit", args=[person.pk]), person_post(person, phone="0600000000")
    )
    person.refresh_from_db()
    assert person.reveal_nir() == world["nir"] and person.phone == "0600000000"
    assert "nir" not in AuditEntry.objects.get().data["changes"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param(
            {"nir": "123"}, "NIR : Le NIR doit comporter 15 caractères (3 saisis).", id="nir_short"
        ),
        pytest.param(
            {"birth_date": "17/03/2026"},
            "Date de naissance : Elle ne peut pas être postérieure",
            id="birth_date_tomorrow",
        ),
        pytest.param(
            {"rsa_since": "17/03/2026", "rsa": "OUI-NM"},
            "RSA depuis le : Elle ne peut pas être postérieure",
            id="rsa_since_tomorrow",
        ),
    ],
)
def test_invalid_edit_saves_nothing(
    client: Any, world: dict[str, Any], overrides: dict[str, str], message: str
) -> None:
    person = world["person"]
    client.force_login(user_with_role(Role.HR, world["ai"]))
    post = person_post(person, city="Parthenay", **overrides)
    response = client.post(reverse("people:person_edit", args=[person.pk]), post)
    assert message in html(response)
    assert_values_kept(response, city="Parthenay")
    person.refresh_from_db()
    assert person.city == "Niort" and person.reveal_nir() == world["nir"]
    assert not AuditEntry.objects.exists()


def test_the_nir_of_another_person_is_refused(client: Any, world: dict[str, Any]) -> None:
    other = PersonFactory(entity=world["ai"], nir=True)
    client.force_login(user_with_role(Role.CIP, world["ai"]))
    response = client.post(
        reverse("people:person_edit", args=[world["person"].pk]),
        person_post(world["person"], nir=other.reveal_nir()),
    )
    assert "NIR : Ce numéro est déjà enregistré pour une autre personne" in html(response)
    assert Person.objects.filter(nir_hash=other.nir_hash).count() == 1


def test_referents_are_the_cips_of_the_group_the_user_sees(
    client: Any, world: dict[str, Any]
) -> None:
    cip_ai = user_with_role(Role.CIP, world["ai"])
    cip_company = user_with_role(Role.CIP, world["company"])
    user_with_role(Role.PLANNER, world["ai"])
    user_with_role(Role.CIP, EntityFactory())  # another group
    client.force_login(user_with_role(Role.DIRECTION, world["ai"]))
    page = soup(client.get(reverse("people:person_edit", args=[world["person"].pk])))
    offered = {o["value"] for o in page.select("#id_referent option") if o["value"]}
    assert offered == {str(cip_ai.pk), str(cip_company.pk)}
    client.force_login(cip_ai)  # sees the AI only
    page = soup(client.get(reverse("people:person_edit", args=[world["person"].pk])))
    offered = {o["value"] for o in page.select("#id_referent option") if o["value"]}
    assert offered == {str(cip_ai.pk)}


# --- Jobs ---------------------------------------------------------------------------------------


def test_jobs_are_added_and_removed(client: Any, world: dict[str, Any]) -> None:
    person = world["person"]
    rome = RomeJobFactory(code="K2204", label="Nettoyage de locaux")
    client.force_login(user_with_role(Role.RECEPTION, world["ai"]))
    url = reverse("people:job_add", args=[person.pk])
    assert "K2204 — Nettoyage de locaux" in html(client.get(url))
    response = client.post(url, {"rome": rome.pk, "kind": "wanted", "note": "Le matin"})
    assert response.status_code == 302
    job = PersonJob.objects.get(person=person)
    page = html(client.get(reverse("people:person", args=[person.pk])))
    assert "Nettoyage de locaux" in page and "Le matin" in page
    response = client.post(url, {"rome": rome.pk, "kind": "wanted", "note": ""})
    assert "Métier : Ce métier figure déjà dans le dossier" in html(response)
    client.post(reverse("people:job_remove", args=[person.pk, job.pk]))
    assert not PersonJob.objects.exists()
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["people.job_added", "people.job_removed"]


def test_a_job_of_another_person_cannot_be_removed(client: Any, world: dict[str, Any]) -> None:
    other = PersonJobFactory(person__entity=world["ai"])
    client.force_login(user_with_role(Role.CIP, world["ai"]))
    response = client.post(reverse("people:job_remove", args=[world["person"].pk, other.pk]))
    assert response.status_code == 404 and PersonJob.objects.filter(pk=other.pk).exists()


# --- Documents ----------------------------------------------------------------------------------


def upload(client: Any, person: Person, name: str, content: bytes, **data: str) -> Any:
    return client.post(
        reverse("people:document_add", args=[person.pk]),
        {
            "kind": "identity",
            "valid_until": "2030-12-31",
            **data,
            "file": SimpleUploadedFile(name, content),
        },
    )


def test_upload_is_stored_under_a_random_name_and_served_as_attachment(
    client: Any, world: dict[str, Any], media_root: Path
) -> None:
    person = world["person"]
    cip = user_with_role(Role.CIP, world["ai"])
    client.force_login(cip)
    response = upload(client, person, "Carte d'identité Lefèvre.PDF", PDF_BYTES)
    assert response.status_code == 302
    document = PersonDocument.objects.get()
    assert document.content_type == "application/pdf" and document.size == len(PDF_BYTES)
    assert document.valid_until == date(2030, 12, 31) and document.uploaded_by == cip
    stored = Path(document.file.name)
    assert stored.parent == Path(f"people/{person.pk}") and "Lef" not in stored.name
    assert stored.suffix == ".pdf" and (media_root / stored).read_bytes() == PDF_BYTES
    response = client.get(reverse("people:document", args=[document.pk]))
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    entry = AccessLogEntry.objects.get(what="people.document_opened")
    assert entry.actor == cip and entry.object_id == str(document.pk)


def test_a_png_is_accepted_and_the_exact_size_limit_too(client: Any, world: dict[str, Any]) -> None:
    client.force_login(user_with_role(Role.HR, world["ai"]))
    assert upload(client, world["person"], "photo.png", PNG_BYTES).status_code == 302
    at_limit = PDF_BYTES + b"0" * (MAX_DOCUMENT_SIZE - len(PDF_BYTES))
    assert upload(client, world["person"], "gros.pdf", at_limit).status_code == 302
    assert PersonDocument.objects.count() == 2


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        pytest.param(
            "gros.pdf",
            PDF_BYTES + b"0" * (MAX_DOCUMENT_SIZE + 1 - len(PDF_BYTES)),
            "Fichier : Le fichier dépasse la taille maximale de 10 Mo.",
            id="one_byte_over_10_mb",
        ),
        pytest.param(
            "notes.txt", b"texte", "Fichier : Seuls les fichiers PDF, JPEG et PNG", id="extension"
        ),
        pytest.param(
            "faux.pdf",
            b"MZ\x90\x00 not a pdf",
            "Fichier : Le contenu du fichier n&#x27;est pas celui d&#x27;un fichier .pdf",
            id="content_not_pdf",
        ),
        pytest.param(
            "photo.jpg",
            PNG_BYTES,
            "Fichier : Le contenu du fichier n&#x27;est pas celui d&#x27;un fichier .jpg",
            id="png_named_jpg",
        ),
    ],
)
def test_refused_upload_names_the_field_and_saves_nothing(
    client: Any,
    world: dict[str, Any],
    media_root: Path,
    name: str,
    content: bytes,
    message: str,
) -> None:
    client.force_login(user_with_role(Role.CIP, world["ai"]))
    response = upload(client, world["person"], name, content, kind="cv")
    assert response.status_code == 200
    assert message in html(response)
    page = soup(response)
    assert attribute(page, "#id_kind option[selected]") == "cv"
    assert attribute(page, "#id_valid_until") == "2030-12-31"
    assert not PersonDocument.objects.exists() and not AuditEntry.objects.exists()
    assert not media_root.exists() or not any(media_root.rglob("*.*"))


# --- Admin --------------------------------------------------------------------------------------


def test_admin_shows_the_masked_nir_only(admin_client: Any, world: dict[str, Any]) -> None:
    person = world["person"]
    document = new_document(person)
    for url in [
        reverse("admin:people_person_changelist"),
        reverse("admin:people_person_change", args=[person.pk]),
        reverse("admin:people_intake_change", args=[world["intake"].pk]),
        reverse("admin:people_romejob_changelist"),
        reverse("admin:people_persondocument_change", args=[document.pk]),
    ]:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        text = html(response)
        assert world["nir"] not in text and spaced_nir(world["nir"]) not in text
        assert person.nir_ciphertext not in text and str(person.nir_hash) not in text
    page = soup(admin_client.get(reverse("admin:people_person_change", args=[person.pk])))
    assert person.nir_masked in page.get_text()
    assert page.select_one("[name=nir_ciphertext]") is None
    # The stored file is never linked: downloads go through the checked, logged view.
    text = html(admin_client.get(reverse("admin:people_persondocument_change", args=[document.pk])))
    assert str(document.file.name) not in text and "/media/" not in text
