"""Object URLs of this app, for the cross-group 404 test (core/tests/test_url_walk.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from tremplin.organisations.models import Entity
from tremplin.pathways.models import Action, Exit, ExitFollowUp, Objective
from tremplin.pathways.rules import ExitCategory, ExitReason
from tremplin.pathways.tests.factories import (
    EligibilityDiagnosisFactory,
    PassIaeFactory,
    PathwayStepFactory,
)
from tremplin.people.tests.factories import PersonFactory


def make_objects(entity: Entity) -> dict[str, Any]:
    person = PersonFactory(entity=entity)
    step = PathwayStepFactory(person=person, entity=entity)
    closed = PathwayStepFactory(
        person=person, entity=entity, started_on=date(2024, 1, 8), ended_on=date(2024, 12, 20)
    )
    objective = Objective.objects.create(person_id=person.pk, entity=entity, title="Permis B")
    exit_ = Exit.objects.create(
        person_id=person.pk,
        entity=entity,
        step_id=closed.pk,
        exit_on=date(2024, 12, 20),
        reason=ExitReason.OTHER_SIAE,
        category=ExitCategory.POSITIVE_EXIT,
        siae_kind=closed.siae_kind,
    )
    return {
        "pathways_person": person,
        "pathways_step": step,
        "pathways_diagnosis": EligibilityDiagnosisFactory(person=person, entity=entity),
        "pathways_pass": PassIaeFactory(person=person, entity=entity),
        "pathways_objective": objective,
        "pathways_action": Action.objects.create(
            objective=objective, title="Inscription auto-école"
        ),
        "pathways_follow_up": ExitFollowUp.objects.create(exit=exit_, due_on=date(2025, 3, 20)),
    }


def _person(w: dict[str, Any], tail: str = "") -> str:
    return f"/parcours/personnes/{w['pathways_person'].pk}/{tail}"


OBJECT_URLS: dict[str, Callable[[dict[str, Any]], str]] = {
    "pathways:person": lambda w: _person(w),
    "pathways:eligibility": lambda w: _person(w, "eligibilite/"),
    "pathways:diagnosis_new": lambda w: _person(w, "eligibilite/diagnostic/"),
    "pathways:pass_new": lambda w: _person(w, "eligibilite/pass/"),
    "pathways:suspension_new": lambda w: f"/parcours/pass/{w['pathways_pass'].pk}/suspension/",
    "pathways:prolongation_new": lambda w: f"/parcours/pass/{w['pathways_pass'].pk}/prolongation/",
    "pathways:exit_new": lambda w: _person(w, "sortie/"),
    "pathways:follow_up": lambda w: f"/parcours/suivis/{w['pathways_follow_up'].pk}/",
    "pathways:accompaniment": lambda w: _person(w, "accompagnement/"),
    "pathways:barriers_new": lambda w: _person(w, "accompagnement/freins/"),
    "pathways:objective_new": lambda w: _person(w, "accompagnement/objectifs/ajouter/"),
    "pathways:action_new": lambda w: (
        f"/parcours/objectifs/{w['pathways_objective'].pk}/actions/ajouter/"
    ),
    "pathways:objective_status": lambda w: (
        f"/parcours/objectifs/{w['pathways_objective'].pk}/etat/"
    ),
    "pathways:action_status": lambda w: f"/parcours/actions/{w['pathways_action'].pk}/etat/",
    "pathways:appointment_new": lambda w: _person(w, "accompagnement/entretiens/ajouter/"),
    "pathways:training_new": lambda w: _person(w, "accompagnement/formations/ajouter/"),
}
