"""Acceptance journey of the front door in a real Chromium (issue #3).

Reception receives someone who already has a file under another spelling and attaches the
intake to it, then records a newcomer; the CIP hires the first person, records an employer
diagnosis and a PASS IAE that ends within three months, and finds the alert on the worklist.

Time cannot be frozen across the live server's thread: every date is relative to ``today()``.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tremplin.accounts.models import User
from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import PASSWORD, MembershipFactory, UserFactory
from tremplin.core.dates import format_date, today
from tremplin.organisations.rules import SiaeKind
from tremplin.organisations.tests.factories import (
    ConventionFactory,
    EntityFactory,
    GroupFactory,
)
from tremplin.pathways.models import EligibilityDiagnosis, PassIae, PathwayStep, StepKind
from tremplin.pathways.rules import pass_end
from tremplin.people.models import Intake, Person
from tremplin.people.rules import Civility, IntakeStatus
from tremplin.people.tests.factories import PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASS_NUMBER = "999990004217"


def log_in(page: Page, user: User) -> None:
    page.goto("/compte/login/")
    main = page.locator("main")
    expect(main.locator("h1")).to_have_text("Connexion à Tremplin")
    main.locator("#id_login").fill(user.email)
    main.locator("#id_password").fill(PASSWORD)
    main.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/")


def log_out(page: Page) -> None:
    page.locator("header .user-menu").click()
    page.locator("header").get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/compte/login/")


def fill_intake(
    page: Page,
    *,
    civility: Civility,
    birth_name: str,
    first_name: str,
    birth_date: date,
    phone: str,
    entity_name: str,
) -> None:
    """Fill the new intake form, identity first, then the intake itself."""
    form = page.locator("main #intake-form")
    form.get_by_label("Civilité").select_option(civility.value)
    form.get_by_label("Nom de naissance").fill(birth_name)
    form.get_by_label("Prénom").fill(first_name)
    form.get_by_label("Date de naissance").fill(birth_date.isoformat())
    form.get_by_label("Téléphone").fill(phone)
    form.get_by_label("Structure concernée").select_option(label=entity_name)
    form.get_by_label("Canal").select_option(label="Orientation d'un prescripteur")
    form.get_by_label("Orienteur (code ASP)").select_option(label="France Travail")
    form.get_by_label("Organisme orienteur").fill("France Travail Niort")


def test_reception_attaches_a_returning_person_and_the_cip_sees_the_pass_ending(
    page: Page, tmp_path: Path
) -> None:
    day = today()
    group = GroupFactory(name="Groupe Essai")
    ai = EntityFactory(group=group, name="Essai Intérim")
    EntityFactory(group=group, name="Essai Services")
    ConventionFactory(
        entity=ai,
        kind=SiaeKind.AI,
        start=day - timedelta(days=365),
        end=day + timedelta(days=730),
    )
    reception = UserFactory(first_name="Louise", last_name="Accueil")
    MembershipFactory(user=reception, entity=ai, role=Role.RECEPTION)
    cip = UserFactory(first_name="Hugo", last_name="Conseil")
    MembershipFactory(user=cip, entity=ai, role=Role.CIP)
    amelie = PersonFactory.create(
        entity=ai,
        civility=Civility.MME,
        birth_name="Lefèvre",
        first_name="Amélie",
        birth_date=date(1988, 3, 12),
        phone="05 49 00 00 01",
    )
    main = page.locator("main")

    # Reception: a returning person, typed without accents and in capitals.
    log_in(page, reception)
    page.locator("header").get_by_role("link", name="Accueil", exact=True).click()
    page.wait_for_url("**/personnes/accueil/")
    main.get_by_role("link", name="Nouvel accueil").click()
    expect(main.locator("h1")).to_have_text("Nouvel accueil")
    fill_intake(
        page,
        civility=Civility.MME,
        birth_name="LEFEVRE",
        first_name="Amelie",
        birth_date=date(1988, 3, 12),
        phone="06 11 22 33 44",
        entity_name="Essai Intérim",
    )
    main.get_by_role("button", name="Enregistrer l'accueil").click()

    panel = main.locator("#doublons")
    expect(panel).to_contain_text("Cette personne a peut-être déjà un dossier dans le groupe")
    expect(panel).to_contain_text("LEFÈVRE Amélie, née le 12/03/1988")
    expect(panel).to_contain_text("dossier tenu par Essai Intérim")
    expect(panel).to_contain_text("même nom, prénom et date de naissance")
    panel.screenshot(path=tmp_path / "doublons.png")
    panel.get_by_role("button", name="Rattacher l'accueil à ce dossier").click()

    expect(main.locator("h1")).to_contain_text("Accueil de LEFÈVRE Amélie")
    expect(main).to_contain_text("L'accueil de LEFÈVRE Amélie est enregistré.")
    expect(main.locator(".facts")).to_contain_text("Essai Intérim")
    expect(main.locator("#intake-status")).to_have_text("Premier contact")

    # Reception: somebody new, recorded at once.
    main.get_by_role("link", name="Accueil", exact=True).click()
    main.get_by_role("link", name="Nouvel accueil").click()
    fill_intake(
        page,
        civility=Civility.M,
        birth_name="Benali",
        first_name="Karim",
        birth_date=date(1996, 7, 4),
        phone="06 55 66 77 88",
        entity_name="Essai Intérim",
    )
    main.get_by_role("button", name="Enregistrer l'accueil").click()
    expect(main.locator("h1")).to_contain_text("Accueil de BENALI Karim")
    page.locator("header").get_by_role("link", name="Accueil", exact=True).click()
    worklist = main.locator("#intake-worklist")
    expect(worklist.locator("tbody tr")).to_have_count(2)
    expect(worklist).to_contain_text("LEFÈVRE Amélie")
    expect(worklist).to_contain_text("BENALI Karim")
    expect(main).to_contain_text("2 accueils en attente.")
    log_out(page)

    # CIP: finds the person, hires her through her intake.
    log_in(page, cip)
    page.locator("header").get_by_role("link", name="Accueil", exact=True).click()
    main.get_by_role("link", name="Rechercher une personne").click()
    main.get_by_label("Nom ou prénom").fill("lefevre")
    main.get_by_role("button", name="Rechercher").click()
    expect(main).to_contain_text("1 personne pour « lefevre ».")
    main.locator("#people").get_by_role("link", name="LEFÈVRE Amélie").click()
    expect(main.locator("h1")).to_have_text("LEFÈVRE Amélie")
    main.locator("#person-intakes").get_by_role("link").click()
    move = main.locator("#intake-move")
    move.get_by_label("Étape").select_option(label="Diagnostic")
    move.get_by_role("button", name="Enregistrer l'étape").click()
    expect(main).to_contain_text("L'accueil est passé à l'étape « Diagnostic ».")
    move.get_by_label("Étape").select_option(label="Embauché")
    move.get_by_label("Date d'embauche").fill(day.isoformat())
    move.get_by_label("Poste").fill("Agente d'entretien")
    move.get_by_role("button", name="Enregistrer l'étape").click()
    expect(main).to_contain_text(
        "Embauche enregistrée : « Parcours d'insertion » dans Essai Intérim."
    )

    # CIP: employer diagnosis with two level-2 criteria, eligible for an AI.
    main.get_by_role("link", name="Dossier de la personne").click()
    main.locator("#pathway-links").get_by_role("link", name="Éligibilité et PASS IAE").click()
    expect(main.locator("#no-pass")).to_have_text("Aucun PASS IAE enregistré.")
    main.get_by_role("link", name="Nouveau diagnostic d'éligibilité").click()
    diagnosis = main.locator("#diagnosis-form")
    expect(diagnosis.get_by_label("Type de SIAE")).to_have_value(SiaeKind.AI.value)
    expect(diagnosis.get_by_label("Date du diagnostic")).to_have_value(day.isoformat())
    diagnosis.get_by_label("Parent isolé").check()
    diagnosis.get_by_label("Problème de mobilité").check()
    diagnosis.get_by_role("button", name="Enregistrer le diagnostic").click()
    expect(main).to_contain_text("Le diagnostic a été enregistré : personne éligible.")
    card = main.locator("article.diagnosis")
    expect(card.locator("h3")).to_contain_text(f"Diagnostic du {format_date(day)}")
    expect(card.locator("h3")).to_contain_text("éligible")
    expect(card.locator("h3")).to_contain_text("valable")

    # CIP: the PASS IAE, started long enough ago to end within three months.
    start = day - timedelta(days=730) + timedelta(days=60)
    end = pass_end(start)
    main.get_by_role("link", name="Enregistrer un PASS IAE").click()
    pass_form = main.locator("#pathway-form")
    pass_form.get_by_label("Numéro").fill("99999 0004217")
    pass_form.get_by_label("Début").fill(start.isoformat())
    pass_form.get_by_role("button", name="Enregistrer").click()
    expect(main).to_contain_text("Le PASS IAE a été enregistré.")
    pass_card = main.locator("article.pass")
    expect(pass_card).to_contain_text(PASS_NUMBER)
    expect(pass_card).to_contain_text("Se termine dans moins de 3 mois")
    expect(pass_card).to_contain_text(format_date(end))

    # CIP: the worklist warns about the end of the PASS.
    page.locator("header").get_by_role("link", name="Parcours", exact=True).click()
    page.wait_for_url("**/parcours/")
    alert = main.locator("#team tr.alert-pass_ending")
    expect(alert).to_have_count(1)
    expect(alert).to_contain_text("LEFÈVRE Amélie")
    expect(alert).to_contain_text("Fin du PASS IAE proche")
    expect(alert).to_contain_text(f"Le PASS IAE prend fin le {format_date(end)}.")
    expect(main.locator("#team")).not_to_contain_text("BENALI Karim")
    page.screenshot(path=tmp_path / "parcours.png", full_page=True)

    # One file for Amélie, whose contact details the intake did not change.
    assert Person.objects.count() == 2
    amelie.refresh_from_db()
    assert amelie.phone == "05 49 00 00 01"
    assert list(
        Intake.objects.filter(person=amelie).values_list("entity", "status", "received_by")
    ) == [(ai.pk, IntakeStatus.HIRED, reception.pk)]
    karim = Person.objects.get(birth_name="Benali")
    assert (karim.entity_id, karim.first_name, karim.birth_date) == (
        ai.pk,
        "Karim",
        date(1996, 7, 4),
    )
    step = PathwayStep.objects.get(person=amelie)
    assert (step.kind, step.siae_kind, step.started_on, step.ended_on) == (
        StepKind.INSERTION,
        SiaeKind.AI,
        day,
        None,
    )
    recorded = EligibilityDiagnosis.objects.get(person=amelie)
    assert recorded.made_by_id == cip.pk
    assert recorded.result().eligible
    assert list(PassIae.objects.filter(person=amelie).values_list("number", "start", "end")) == [
        (PASS_NUMBER, start, end)
    ]
