from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tremplin.accounts.tests.factories import UserFactory
from tremplin.contracts import actions
from tremplin.contracts.models import (
    Amendment,
    Contract,
    Funding,
    HabilitationKind,
)
from tremplin.contracts.rules import ContractKind, EndReason, PostType
from tremplin.contracts.tests.factories import AmendmentFactory, ContractFactory
from tremplin.core.models import AuditEntry
from tremplin.organisations.rules import SiaeKind
from tremplin.organisations.tests.factories import ConventionFactory, EntityFactory
from tremplin.pathways.models import PathwayStep, StepKind
from tremplin.pathways.tests.factories import PathwayStepFactory
from tremplin.people.tests.factories import PersonFactory, RomeJobFactory

pytestmark = pytest.mark.django_db


def _unsaved(**kwargs: Any) -> Contract:
    return ContractFactory.build(**kwargs)


def _create(by: Any) -> None:
    person = PersonFactory()
    actions.create_contract(_unsaved(person=person, entity=person.entity), by=by)


def _renew(by: Any) -> None:
    previous = ContractFactory()
    renewal = _unsaved(
        person=previous.person, entity=previous.entity, start=date(2025, 9, 3), planned_end=None
    )
    actions.renew_contract(previous, renewal=renewal, by=by)


def _amend(by: Any) -> None:
    actions.amend_contract(
        ContractFactory(),
        changes={"weekly_hours": Decimal(30), "job_title": "Agent de propreté"},
        effective_on=date(2025, 4, 1),
        reason="Avenant",
        by=by,
    )


def _end(by: Any) -> None:
    actions.end_contract(
        ContractFactory(), on=date(2025, 5, 2), reason=EndReason.RESIGNATION, by=by
    )


def _lend(by: Any) -> None:
    contract = ContractFactory(cdi=True)
    actions.lend_staff(
        contract,
        borrower=EntityFactory(group=contract.entity.group),
        start=date(2025, 4, 1),
        end=date(2025, 4, 30),
        weekly_hours=Decimal(10),
        hourly_cost=Decimal("18.40"),
        agreement_reference="CMAD-1",
        consent_on=date(2025, 3, 28),
        by=by,
    )


def _habilitation(by: Any) -> None:
    actions.add_habilitation(
        PersonFactory(),
        kind=HabilitationKind.CACES,
        label="R489",
        obtained_on=date(2024, 1, 8),
        expires_on=date(2029, 1, 7),
        by=by,
    )


def _visit(by: Any) -> None:
    person = PersonFactory()
    actions.add_medical_visit(
        person, entity=person.entity, done_on=None, next_due_on=date(2025, 6, 1), by=by
    )


@pytest.mark.parametrize(
    ("act", "action"),
    [
        pytest.param(_create, "contracts.contract_created", id="create"),
        pytest.param(_renew, "contracts.contract_renewed", id="renew"),
        pytest.param(_amend, "contracts.contract_amended", id="amend"),
        pytest.param(_end, "contracts.contract_ended", id="end"),
        pytest.param(_lend, "contracts.staff_lent", id="lend"),
        pytest.param(_habilitation, "contracts.habilitation_added", id="habilitation"),
        pytest.param(_visit, "contracts.medical_visit_added", id="medical_visit"),
    ],
)
def test_each_action_writes_one_audit_row(act: Callable[[Any], None], action: str) -> None:
    user = UserFactory()
    act(user)
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor) == (action, user)
    assert entry.entity is not None


def test_an_insertion_contract_outside_any_convention_opens_a_step_without_siae_kind() -> None:
    person = PersonFactory()
    contract = actions.create_contract(
        _unsaved(person=person, entity=person.entity, cddu=True), by=UserFactory()
    )
    step = contract.pathway_step
    assert step is not None
    assert (step.kind, step.siae_kind) == (StepKind.INSERTION, "")


def test_the_step_takes_the_kind_of_the_convention_in_force_on_the_start() -> None:
    person = PersonFactory()
    ConventionFactory(
        entity=person.entity, kind=SiaeKind.ACI, start=date(2022, 1, 1), end=date(2024, 12, 31)
    )
    ConventionFactory(entity=person.entity, kind=SiaeKind.EI, start=date(2025, 1, 1))
    contract = actions.create_contract(
        _unsaved(person=person, entity=person.entity), by=UserFactory()
    )
    assert contract.pathway_step is not None
    assert contract.pathway_step.siae_kind == SiaeKind.EI


def test_an_ended_insertion_step_is_not_reused() -> None:
    person = PersonFactory()
    old = PathwayStepFactory(
        person=person, entity=person.entity, started_on=date(2023, 1, 2), ended_on=date(2023, 6, 30)
    )
    contract = actions.create_contract(
        _unsaved(person=person, entity=person.entity), by=UserFactory()
    )
    assert contract.pathway_step not in (None, old)
    assert PathwayStep.objects.count() == 2


def test_a_pec_or_a_cdd_opens_no_step() -> None:
    person = PersonFactory()
    PathwayStepFactory(person=person, entity=person.entity)
    for trait in ("pec", "cdd"):
        contract = actions.create_contract(
            _unsaved(person=person, entity=person.entity, **{trait: True}), by=UserFactory()
        )
        assert contract.pathway_step is None


def test_a_cdi_reuses_an_open_lasting_job_step_of_the_same_entity() -> None:
    person = PersonFactory()
    home = EntityFactory(group=person.entity.group)
    PathwayStepFactory(person=person, entity=person.entity, ended_on=date(2025, 2, 28))
    lasting = PathwayStepFactory(
        person=person, entity=home, kind=StepKind.LASTING_JOB, started_on=date(2025, 3, 3)
    )
    contract = actions.create_contract(
        _unsaved(person=person, entity=home, cdi=True, start=date(2025, 9, 1)), by=UserFactory()
    )
    assert contract.pathway_step == lasting


def test_insertion_in_another_group_does_not_open_a_lasting_job_step() -> None:
    person = PersonFactory()
    PathwayStepFactory(person=person, entity=EntityFactory())  # another group
    contract = actions.create_contract(
        _unsaved(person=person, entity=person.entity, cdi=True), by=UserFactory()
    )
    assert contract.pathway_step is None


@pytest.mark.parametrize(
    ("other", "step_ends"),
    [
        pytest.param(None, True, id="alone_in_the_step"),
        pytest.param({"start": date(2025, 9, 3)}, False, id="renewal_after_it"),
        pytest.param({"cdi_inclusion": True}, False, id="contract_without_term"),
        pytest.param({"ended": True, "start": date(2024, 1, 8)}, True, id="older_ended_contract"),
        pytest.param(
            {"start": date(2025, 3, 3), "planned_end": date(2025, 5, 2)},
            True,
            id="other_ending_the_same_day",
        ),
    ],
)
def test_ending_a_contract_ends_its_lasting_job_step_when_nothing_else_runs(
    other: dict[str, Any] | None, step_ends: bool
) -> None:
    step = PathwayStepFactory(started_on=date(2024, 1, 8), kind=StepKind.LASTING_JOB)
    contract = ContractFactory(person=step.person, entity=step.entity, pathway_step=step)
    if other is not None:
        ContractFactory(person=step.person, entity=step.entity, pathway_step=step, **other)
    actions.end_contract(
        contract, on=date(2025, 5, 2), reason=EndReason.HIRED_CDI, by=UserFactory()
    )
    step.refresh_from_db()
    assert step.ended_on == (date(2025, 5, 2) if step_ends else None)
    assert AuditEntry.objects.get().data["step_ended"] is step_ends


def test_ending_an_insertion_contract_leaves_the_step_open_for_the_exit() -> None:
    step = PathwayStepFactory(started_on=date(2024, 1, 8), kind=StepKind.INSERTION)
    contract = ContractFactory(person=step.person, entity=step.entity, pathway_step=step)
    actions.end_contract(
        contract, on=date(2025, 5, 2), reason=EndReason.HIRED_CDI, by=UserFactory()
    )
    step.refresh_from_db()
    # The exit, declared in the pathway, closes the step with its category and follow-ups.
    assert step.ended_on is None
    assert AuditEntry.objects.get().data["step_ended"] is False


def test_amendments_store_text_and_show_in_french() -> None:
    contract = ContractFactory()
    rome = RomeJobFactory(code="K2204", label="Nettoyage de locaux")
    amendment = actions.amend_contract(
        contract,
        changes={
            "weekly_hours": Decimal("30.50"),
            "hourly_rate": Decimal("12.75"),
            "planned_end": date(2025, 12, 31),
            "rome": rome,
            "post_type": PostType.PERMANENT,
        },
        effective_on=date(2025, 4, 1),
        reason="Avenant",
        by=UserFactory(),
    )
    assert amendment.changes == {
        "weekly_hours": ["26", "30.5"],
        "hourly_rate": ["12.5", "12.75"],
        "planned_end": ["2025-09-02", "2025-12-31"],
        "rome": ["", "K2204 — Nettoyage de locaux"],
        "post_type": ["INSERTION", "PERMANENT"],
    }
    assert amendment.rows() == [
        ("Durée hebdomadaire (h)", "26 h", "30,5 h"),
        ("Taux horaire brut (€)", "12,50\u00a0€", "12,75\u00a0€"),
        ("Fin prévue", "02/09/2025", "31/12/2025"),
        ("Métier (ROME)", "—", "K2204 — Nettoyage de locaux"),
        ("Nature du poste", "Poste d'insertion", "Poste permanent"),
    ]
    contract.refresh_from_db()
    assert (contract.weekly_hours, contract.rome, contract.post_type) == (
        Decimal("30.50"),
        rome,
        PostType.PERMANENT,
    )


def test_an_older_amendment_is_left_as_it_was() -> None:
    contract = ContractFactory()
    first = AmendmentFactory(contract=contract)
    actions.amend_contract(
        contract,
        changes={"funding": Funding.NONE},
        effective_on=date(2025, 5, 1),
        reason="Fin de l'aide",
        by=UserFactory(),
    )
    first.refresh_from_db()
    assert first.changes == {"weekly_hours": ["24.00", "26"]}
    assert Amendment.objects.filter(contract_id=contract.pk).count() == 2


def test_a_renewal_keeps_the_step_and_points_to_the_renewed_contract() -> None:
    step = PathwayStepFactory()
    previous = ContractFactory(person=step.person, entity=step.entity, pathway_step=step)
    renewal = actions.renew_contract(
        previous,
        renewal=_unsaved(person=previous.person, entity=previous.entity, start=date(2025, 9, 3)),
        by=UserFactory(),
    )
    assert (renewal.renews, renewal.pathway_step) == (previous, step)
    assert renewal.renewal_chain() == [previous, renewal]
    assert renewal.months_before() == 6
    assert ContractKind(renewal.kind) is ContractKind.CDDI
