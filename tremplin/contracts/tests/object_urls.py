"""Object URLs of this app, for the cross-group 404 test (core/tests/test_url_walk.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tremplin.contracts.tests.factories import ContractFactory
from tremplin.organisations.models import Entity
from tremplin.people.tests.factories import PersonFactory


def make_objects(entity: Entity) -> dict[str, Any]:
    worker = PersonFactory(entity=entity)
    return {
        "contracts_person": worker,
        "contracts_contract": ContractFactory(person=worker, entity=entity),
    }


OBJECT_URLS: dict[str, Callable[[dict[str, Any]], str]] = {
    "contracts:person_contracts": lambda w: f"/contrats/personnes/{w['contracts_person'].pk}/",
    "contracts:contract_new": lambda w: f"/contrats/personnes/{w['contracts_person'].pk}/nouveau/",
    "contracts:habilitation_new": lambda w: (
        f"/contrats/personnes/{w['contracts_person'].pk}/habilitations/ajouter/"
    ),
    "contracts:medical_visit_new": lambda w: (
        f"/contrats/personnes/{w['contracts_person'].pk}/visites-medicales/ajouter/"
    ),
    "contracts:contract": lambda w: f"/contrats/{w['contracts_contract'].pk}/",
    "contracts:amend": lambda w: f"/contrats/{w['contracts_contract'].pk}/avenant/",
    "contracts:renew": lambda w: f"/contrats/{w['contracts_contract'].pk}/renouvellement/",
    "contracts:end": lambda w: f"/contrats/{w['contracts_contract'].pk}/fin/",
    "contracts:loan_new": lambda w: f"/contrats/{w['contracts_contract'].pk}/pret/",
}
