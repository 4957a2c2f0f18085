"""The HR register and the quality-of-employment page, and the rules behind them (as tables)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.urls import reverse

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.contracts.models import Funding, default_funding
from tremplin.contracts.rules import (
    AlertKind,
    ContractKind,
    EndReason,
    JobCategory,
    KindShare,
    add_working_days,
    contractual_monthly_hours,
    end_errors,
    is_cddu_conversion,
    is_part_time,
    kind_mix,
    percentage,
    probation_end,
    register_alerts,
    staff_loan_errors,
)
from tremplin.contracts.tests.factories import (
    ContractFactory,
    HabilitationFactory,
    MedicalVisitFactory,
    StaffLoanFactory,
    WorkPermitFactory,
)
from tremplin.organisations.tests.factories import EntityFactory, GroupFactory
from tremplin.people.tests.factories import PersonFactory

D = Decimal
TODAY = date(2025, 6, 2)
DAY = timedelta(days=1)
PARIS = ZoneInfo("Europe/Paris")


# --- Rules: register alerts -----------------------------------------------------------------


def kinds(**kwargs: Any) -> list[AlertKind]:
    return [a.kind for a in register_alerts(today=TODAY, **kwargs)]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param({"contract_end": TODAY}, [AlertKind.CONTRACT_ENDING], id="ends_today"),
        pytest.param(
            {"contract_end": TODAY + 30 * DAY}, [AlertKind.CONTRACT_ENDING], id="ends_in_30_days"
        ),
        pytest.param({"contract_end": TODAY + 31 * DAY}, [], id="ends_in_31_days"),
        pytest.param({"contract_end": None}, [], id="no_term"),
        pytest.param(
            {"work_permit_until": TODAY - DAY}, [AlertKind.WORK_PERMIT_EXPIRED], id="permit_expired"
        ),
        pytest.param(
            {"work_permit_until": TODAY},
            [AlertKind.WORK_PERMIT_EXPIRING],
            id="permit_valid_through_today",
        ),
        pytest.param(
            {"work_permit_until": TODAY + 60 * DAY},
            [AlertKind.WORK_PERMIT_EXPIRING],
            id="permit_expires_in_60_days",
        ),
        pytest.param({"work_permit_until": TODAY + 61 * DAY}, [], id="permit_expires_in_61_days"),
        pytest.param(
            {"medical_visit_due": TODAY - DAY},
            [AlertKind.MEDICAL_VISIT_OVERDUE],
            id="visit_overdue",
        ),
        pytest.param(
            {"medical_visit_due": TODAY}, [AlertKind.MEDICAL_VISIT_DUE], id="visit_due_today"
        ),
        pytest.param(
            {"medical_visit_due": TODAY + 30 * DAY},
            [AlertKind.MEDICAL_VISIT_DUE],
            id="visit_due_in_30_days",
        ),
        pytest.param({"medical_visit_due": TODAY + 31 * DAY}, [], id="visit_due_in_31_days"),
        pytest.param(
            {"habilitations": [("CACES", TODAY - DAY)]},
            [AlertKind.HABILITATION_EXPIRED],
            id="habilitation_expired",
        ),
        pytest.param(
            {"habilitations": [("CACES", TODAY + 60 * DAY)]},
            [AlertKind.HABILITATION_EXPIRING],
            id="habilitation_expires_in_60_days",
        ),
        pytest.param(
            {"habilitations": [("CACES", TODAY + 61 * DAY), ("Permis B", None)]},
            [],
            id="habilitation_expires_in_61_days_or_never",
        ),
        pytest.param({"hourly_rate": D("11.88")}, [], id="rate_at_the_smic"),
        pytest.param({"hourly_rate": D("11.87")}, [AlertKind.BELOW_SMIC], id="rate_under_the_smic"),
        pytest.param(
            {"contract_end": TODAY + 3 * DAY, "work_permit_until": TODAY + 10 * DAY,
             "medical_visit_due": TODAY - 5 * DAY},
            [AlertKind.MEDICAL_VISIT_OVERDUE, AlertKind.CONTRACT_ENDING,
             AlertKind.WORK_PERMIT_EXPIRING],
            id="urgent_first_then_by_date",
        ),
    ],
)  # fmt: skip
def test_register_alerts(kwargs: dict[str, Any], expected: list[AlertKind]) -> None:
    assert kinds(**kwargs) == expected


def test_register_alert_messages_are_french_and_dated() -> None:
    messages = [
        a.message
        for a in register_alerts(
            today=TODAY,
            work_permit_until=TODAY - DAY,
            habilitations=[("CACES R489", TODAY + 7 * DAY)],
            hourly_rate=D("11.50"),
        )
    ]
    # Urgent ones first, each group by date: the SMIC in force since 01/11/2024 comes first.
    assert messages == [
        "Taux horaire de 11,50\u00a0€ inférieur au SMIC en vigueur depuis le 01/11/2024 "
        "(11,88\u00a0€) : un avenant s'impose (Code du travail, art. L3231-2).",
        "Autorisation de travail expirée depuis le 01/06/2025 (Code du travail, art. L5221-8).",
        "CACES R489 : valable jusqu'au 09/06/2025.",
    ]


# --- Rules: probation end, ending, loans ------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "start", "planned_end", "category", "expected"),
    [
        pytest.param(ContractKind.CDDI, date(2025, 3, 3), date(2025, 9, 2), None,
                     date(2025, 3, 16), id="cddi_6_months_two_weeks"),
        pytest.param(ContractKind.CDD, date(2025, 3, 3), date(2025, 6, 2), None,
                     date(2025, 3, 15), id="cdd_3_months_one_day_per_week"),
        pytest.param(ContractKind.CDD, date(2025, 3, 3), date(2025, 10, 2), None,
                     date(2025, 4, 2), id="cdd_over_6_months_one_month"),
        pytest.param(ContractKind.CDDU, date(2025, 3, 3), date(2025, 3, 12), None,
                     date(2025, 3, 3), id="cddu_of_10_days_one_day"),
        pytest.param(ContractKind.CDDU, date(2025, 3, 3), date(2025, 3, 5), None,
                     date(2025, 3, 3), id="shorter_than_a_week_still_one_day"),
        pytest.param(ContractKind.ETTI_MISSION, date(2025, 3, 3), date(2025, 4, 2), None,
                     date(2025, 3, 4), id="mission_of_1_month_two_working_days"),
        pytest.param(ContractKind.ETTI_MISSION, date(2025, 3, 7), date(2025, 4, 6), None,
                     date(2025, 3, 10), id="mission_starting_friday_skips_the_week_end"),
        pytest.param(ContractKind.ETTI_MISSION, date(2025, 3, 3), date(2025, 6, 2), None,
                     date(2025, 3, 7), id="mission_over_2_months_five_working_days"),
        pytest.param(ContractKind.CDI, date(2025, 3, 3), None, None,
                     date(2025, 5, 2), id="cdi_worker_2_months"),
        pytest.param(ContractKind.CDI, date(2025, 3, 3), None, JobCategory.EXECUTIVE,
                     date(2025, 7, 2), id="cdi_executive_4_months"),
        pytest.param(ContractKind.CDI_INCLUSION, date(2025, 1, 31), None, None,
                     date(2025, 3, 30), id="cdi_inclusion_from_a_31st"),
    ],
)  # fmt: skip
def test_probation_end(
    kind: ContractKind,
    start: date,
    planned_end: date | None,
    category: JobCategory | None,
    expected: date,
) -> None:
    kwargs = {"category": category} if category else {}
    assert probation_end(kind, start, planned_end, **kwargs) == expected


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        pytest.param(date(2025, 3, 3), 1, date(2025, 3, 3), id="monday_counts"),
        pytest.param(date(2025, 3, 8), 1, date(2025, 3, 10), id="saturday_does_not"),
        pytest.param(date(2025, 3, 6), 3, date(2025, 3, 10), id="across_a_week_end"),
    ],
)
def test_add_working_days(start: date, days: int, expected: date) -> None:
    assert add_working_days(start, days) == expected


START, TERM, PROBATION = date(2025, 3, 3), date(2025, 9, 2), date(2025, 3, 16)


@pytest.mark.parametrize(
    ("actual_end", "reason", "planned_end", "probation", "expected"),
    [
        pytest.param(TERM, EndReason.END_OF_TERM, TERM, PROBATION, {}, id="at_term"),
        pytest.param(TERM - DAY, EndReason.END_OF_TERM, TERM, PROBATION,
                     {"end_reason": ["« fin du contrat à son terme » suppose une fin effective "
                                     "au terme prévu, le 02/09/2025 ; sinon, indiquer le motif "
                                     "de la rupture anticipée."]},
                     id="end_of_term_before_the_term"),
        pytest.param(TERM + DAY, EndReason.HIRED_CDI, TERM, PROBATION,
                     {"actual_end": ["postérieure au terme prévu (02/09/2025) : un contrat à "
                                     "durée déterminée qui se poursuit après son terme devient à "
                                     "durée indéterminée (Code du travail, art. L1243-11) ; le "
                                     "renouveler plutôt (art. L1243-13)."]},
                     id="after_the_term"),
        pytest.param(START - DAY, EndReason.RESIGNATION, TERM, PROBATION,
                     {"actual_end": ["antérieure au début du contrat (03/03/2025)."]},
                     id="before_the_start"),
        pytest.param(START, EndReason.RESIGNATION, TERM, PROBATION, {}, id="on_the_first_day"),
        pytest.param(PROBATION, EndReason.PROBATION_END_BY_EMPLOYER, TERM, PROBATION, {},
                     id="last_day_of_probation"),
        pytest.param(PROBATION + DAY, EndReason.PROBATION_END_BY_EMPLOYEE, TERM, PROBATION,
                     {"end_reason": ["la période d'essai a pris fin le 16/03/2025 : une rupture "
                                     "le 17/03/2025 n'est plus une rupture de la période d'essai "
                                     "(Code du travail, art. L1221-20 et L1242-10)."]},
                     id="day_after_probation"),
        pytest.param(START, EndReason.PROBATION_END_BY_EMPLOYER, TERM, None,
                     {"end_reason": ["aucune période d'essai n'est enregistrée pour ce "
                                     "contrat."]},
                     id="no_probation_recorded"),
        pytest.param(TERM, EndReason.END_OF_TERM, None, PROBATION,
                     {"end_reason": ["un contrat sans terme ne prend pas fin « à son terme »."]},
                     id="cdi_has_no_term"),
        pytest.param(date(2030, 1, 1), EndReason.RETIREMENT, None, PROBATION, {},
                     id="cdi_ends_any_day"),
    ],
)  # fmt: skip
def test_end_errors(
    actual_end: date,
    reason: EndReason,
    planned_end: date | None,
    probation: date | None,
    expected: dict[str, list[str]],
) -> None:
    errors = end_errors(
        start=START,
        planned_end=planned_end,
        probation_end=probation,
        actual_end=actual_end,
        reason=reason,
    )
    assert errors == expected


def loan_errors(**overrides: Any) -> dict[str, list[str]]:
    kwargs: dict[str, Any] = {
        "lender_id": 1,
        "lender_group_id": 10,
        "borrower_id": 2,
        "borrower_group_id": 10,
        "contract_start": START,
        "contract_end": TERM,
        "start": date(2025, 4, 1),
        "end": date(2025, 6, 30),
        "consent_on": date(2025, 3, 20),
        "weekly_hours": D(10),
        "contract_weekly_hours": D(26),
        "other_loans": [],
    }
    return staff_loan_errors(**{**kwargs, **overrides})


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        pytest.param({}, None, None, id="valid"),
        pytest.param({"borrower_id": 1}, "borrower",
                     "le salarié ne peut pas être prêté à son propre employeur.", id="to_itself"),
        pytest.param({"borrower_group_id": 11}, "borrower",
                     "le prêt de main-d'œuvre ne se fait ici qu'entre structures du même groupe "
                     "(Code du travail, art. L8241-2).", id="other_group"),
        pytest.param({"start": START - DAY, "consent_on": START - DAY}, "start",
                     "antérieur au début du contrat (03/03/2025) : le prêt s'inscrit dans le "
                     "contrat de travail (Code du travail, art. L8241-2).", id="before_contract"),
        pytest.param({"start": START, "consent_on": START}, None, None,
                     id="from_the_first_day_with_consent_that_day"),
        pytest.param({"end": TERM + DAY}, "end",
                     "postérieure à la fin du contrat (02/09/2025) : le prêt s'inscrit dans le "
                     "contrat de travail (Code du travail, art. L8241-2).", id="after_contract"),
        pytest.param({"end": TERM}, None, None, id="until_the_term"),
        pytest.param({"contract_end": None, "end": date(2030, 1, 1)}, None, None,
                     id="cdi_has_no_end"),
        pytest.param({"end": date(2025, 3, 31)}, "end",
                     "antérieure au début du prêt (01/04/2025).", id="end_before_start"),
        pytest.param({"consent_on": date(2025, 4, 2)}, "consent_on",
                     "l'accord écrit du salarié précède le début du prêt (01/04/2025) (Code du "
                     "travail, art. L8241-2).", id="consent_after_start"),
        pytest.param({"weekly_hours": D(27)}, "weekly_hours",
                     "27 h dépassent la durée hebdomadaire du contrat (26 h).",
                     id="more_hours_than_the_contract"),
        pytest.param({"weekly_hours": D(26)}, None, None, id="all_the_contract_hours"),
        pytest.param({"weekly_hours": D(0)}, "weekly_hours", "doit être supérieur à 0 h.",
                     id="no_hours"),
        pytest.param({"other_loans": [(date(2025, 6, 30), date(2025, 7, 31))]}, "start",
                     "un autre prêt de ce contrat couvre déjà la période du 30/06/2025 au "
                     "31/07/2025.", id="overlaps_by_one_day"),
        pytest.param({"other_loans": [(date(2025, 7, 1), date(2025, 7, 31))]}, None, None,
                     id="next_loan_starts_the_day_after"),
    ],
)  # fmt: skip
def test_staff_loan_errors(overrides: dict[str, Any], field: str | None, message: str) -> None:
    errors = loan_errors(**overrides)
    assert errors == ({} if field is None else {field: [message]})


# --- Rules: quality figures and funding ---------------------------------------------------------


@pytest.mark.parametrize(
    ("weekly", "monthly", "hours", "part_time"),
    [
        pytest.param(D(35), None, D("151.67"), False, id="full_time_week"),
        pytest.param(D("34.99"), None, D("151.62"), True, id="just_under_35_hours"),
        pytest.param(D(24), None, D(104), True, id="24_hours"),
        pytest.param(None, D("151.67"), D("151.67"), False, id="full_time_month"),
        pytest.param(None, D("151.66"), D("151.66"), True, id="just_under_a_full_month"),
        pytest.param(None, D(85), D(85), True, id="cddua_85_hours"),
        pytest.param(None, None, None, None, id="no_hours"),
    ],
)
def test_contractual_hours_and_part_time(
    weekly: Decimal | None, monthly: Decimal | None, hours: Decimal | None, part_time: bool | None
) -> None:
    assert contractual_monthly_hours(weekly, monthly) == hours
    assert is_part_time(weekly, monthly) is part_time


CDDU, CDDUA = ContractKind.CDDU, ContractKind.CDDUA


@pytest.mark.parametrize(
    ("kind", "earlier", "expected"),
    [
        pytest.param(CDDUA, [(CDDU, START - DAY)], True, id="cddu_the_day_before"),
        pytest.param(CDDUA, [(CDDU, START)], False, id="cddu_the_same_day"),
        pytest.param(CDDUA, [(CDDUA, START - DAY)], False, id="earlier_cddua_only"),
        pytest.param(CDDUA, [], False, id="first_contract"),
        pytest.param(ContractKind.CDDI, [(CDDU, START - DAY)], False, id="not_a_cddua"),
    ],
)
def test_is_cddu_conversion(
    kind: ContractKind, earlier: list[tuple[ContractKind, date]], expected: bool
) -> None:
    assert is_cddu_conversion(kind, START, earlier) is expected


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        pytest.param(1, 3, D("33.3"), id="third"),
        pytest.param(2, 3, D("66.7"), id="two_thirds_half_up"),
        pytest.param(1, 8, D("12.5"), id="exact"),
        pytest.param(0, 0, None, id="nothing"),
    ],
)
def test_percentage(part: int, whole: int, expected: Decimal | None) -> None:
    assert percentage(part, whole) == expected


def test_kind_mix_counts_and_shares_in_enum_order() -> None:
    mix = kind_mix([ContractKind.CDI, CDDU, CDDU, CDDUA])
    assert mix == [
        KindShare(CDDU, 2, D("50.0")),
        KindShare(CDDUA, 1, D("25.0")),
        KindShare(ContractKind.CDI, 1, D("25.0")),
    ]


@pytest.mark.parametrize(
    ("kind", "convention", "expected"),
    [
        pytest.param(ContractKind.CDDI, True, Funding.AIDE_AU_POSTE, id="insertion_conventioned"),
        pytest.param(ContractKind.CDDU, False, Funding.NONE, id="insertion_without_convention"),
        pytest.param(ContractKind.PEC, True, Funding.PEC, id="pec"),
        pytest.param(ContractKind.CDI, True, Funding.NONE, id="cdi"),
    ],
)
def test_default_funding(kind: ContractKind, convention: bool, expected: Funding) -> None:
    assert default_funding(kind, convention_in_force=convention) == expected


# --- The register page ----------------------------------------------------------------------


@pytest.fixture
def _frozen() -> Iterator[None]:
    with time_machine.travel(datetime(2025, 6, 2, 10, tzinfo=PARIS), tick=False):
        yield


@pytest.fixture
def group(db: None, _frozen: None) -> SimpleNamespace:
    """Three entities of one group, staff under contract in each, and people who are not."""
    group = GroupFactory(name="Groupe Essai")
    ai = EntityFactory(group=group, name="Asso", association=True)
    services = EntityFactory(group=group, name="Services")
    home = EntityFactory(group=group, name="Domicile")
    return SimpleNamespace(
        group=group,
        ai=ai,
        services=services,
        home=home,
        ai_worker=ContractFactory(
            person=PersonFactory(entity=ai, birth_name="Arnaud"), entity=ai, cddua=True
        ),
        services_worker=ContractFactory(
            person=PersonFactory(entity=services, birth_name="Bernard"), entity=services
        ),
        home_worker=ContractFactory(
            person=PersonFactory(entity=home, birth_name="Colin"), entity=home, cdi=True
        ),
        former=ContractFactory(
            person=PersonFactory(entity=ai, birth_name="Dupuis"),
            entity=ai,
            start=date(2024, 1, 8),
            ended=True,
        ),
        future=ContractFactory(
            person=PersonFactory(entity=home, birth_name="Esnault"),
            entity=home,
            start=date(2025, 7, 1),
            cdi=True,
        ),
    )


def staff_names(response: Any) -> list[str]:
    page = BeautifulSoup(response.content, "html.parser")
    return [row.select_one("th a").get_text() for row in page.select(".register-table tbody th")]


@pytest.mark.parametrize("role", [Role.HR, Role.DIRECTION], ids=["hr", "direction"])
def test_hr_and_direction_see_the_staff_of_every_entity(
    client: Any, group: SimpleNamespace, role: Role
) -> None:
    client.force_login(user_with_role(role, group.ai))
    response = client.get(reverse("contracts:register"))
    # By entity name (Asso, Domicile, Services), then by worker.
    assert staff_names(response) == ["ARNAUD Camille", "COLIN Camille", "BERNARD Camille"]


def test_a_planner_sees_only_the_staff_of_its_entity(client: Any, group: SimpleNamespace) -> None:
    client.force_login(user_with_role(Role.PLANNER, group.home))
    response = client.get(reverse("contracts:register"))
    assert staff_names(response) == ["COLIN Camille"]
    text = " ".join(BeautifulSoup(response.content, "html.parser").get_text(" ").split())
    assert "Asso" not in text and "Services" not in text


def test_register_filters_by_entity_post_type_and_kind(client: Any, group: SimpleNamespace) -> None:
    client.force_login(user_with_role(Role.HR, group.ai))
    url = reverse("contracts:register")
    assert staff_names(client.get(url, {"structure": group.ai.slug})) == ["ARNAUD Camille"]
    assert staff_names(client.get(url, {"poste": "PERMANENT"})) == ["COLIN Camille"]
    assert staff_names(client.get(url, {"contrat": "CDDI"})) == ["BERNARD Camille"]
    # A planner cannot widen the register to an entity it does not see.
    client.force_login(user_with_role(Role.PLANNER, group.home))
    assert staff_names(client.get(url, {"structure": group.ai.slug})) == ["COLIN Camille"]


def test_register_counts_headcount_and_etp_per_entity(client: Any, group: SimpleNamespace) -> None:
    # A second contract of the same person in the AI: one more contract, the same person.
    ContractFactory(
        person=group.ai_worker.person, entity=group.ai, cdi_part_time=True, start=date(2025, 5, 5)
    )
    client.force_login(user_with_role(Role.HR, group.ai))
    page = BeautifulSoup(client.get(reverse("contracts:register")).content, "html.parser")
    rows = {
        r.th.get_text(): [td.get_text() for td in r.select("td")]
        for r in page.select("#register section:first-of-type tbody tr")
    }
    # CDDUA 85 h a month (0,56 ETP) + CDI 24 h a week (0,69 ETP).
    assert rows["Asso"] == ["1", "2", "1", "1", "1,25"]
    assert rows["Services"] == ["1", "1", "1", "0", "0,74"]
    assert rows["Domicile"] == ["1", "1", "0", "1", "1,00"]
    total = [td.get_text() for td in page.select("#register section:first-of-type tfoot td")]
    assert total[0] == "3" and total[-1] == "2,99"


def test_register_alerts_at_their_boundaries(client: Any, group: SimpleNamespace) -> None:
    in_30 = ContractFactory(
        person=PersonFactory(entity=group.ai, birth_name="Fabre"),
        entity=group.ai,
        cddu=True,
        start=date(2025, 6, 2),
        planned_end=date(2025, 7, 2),
    )
    ContractFactory(
        person=PersonFactory(entity=group.ai, birth_name="Garnier"),
        entity=group.ai,
        cddu=True,
        start=date(2025, 6, 2),
        planned_end=date(2025, 7, 3),
    )
    worker = group.home_worker.person
    WorkPermitFactory(person=worker, valid_until=date(2025, 8, 1))  # in 60 days
    MedicalVisitFactory(person=worker, entity=group.home, next_due_on=date(2025, 6, 1))  # overdue
    HabilitationFactory(person=worker, first_aid=True, expires_on=date(2025, 8, 2))  # in 61 days
    other = group.services_worker.person
    WorkPermitFactory(person=other, valid_until=date(2025, 8, 2))  # in 61 days
    MedicalVisitFactory(person=other, entity=group.services, next_due_on=date(2025, 7, 2))  # 30
    HabilitationFactory(person=other, first_aid=True, expires_on=date(2025, 8, 1))  # in 60 days
    client.force_login(user_with_role(Role.HR, group.ai))
    page = BeautifulSoup(client.get(reverse("contracts:register")).content, "html.parser")
    alerts = [" ".join(li.get_text(" ").split()) for li in page.select(".register-alerts li")]
    assert alerts == [
        "Visite médicale en retard COLIN Camille (Domicile) — Visite médicale en retard : prévue "
        "avant le 01/06/2025.",
        f"Fin de contrat proche {in_30.person} (Asso) — Contrat se terminant le 02/07/2025.",
        "Visite médicale à prévoir BERNARD Camille (Services) — Visite médicale à réaliser avant "
        "le 02/07/2025.",
        "Autorisation de travail bientôt expirée COLIN Camille (Domicile) — Autorisation de "
        "travail valable jusqu'au 01/08/2025.",
        "Habilitation bientôt expirée BERNARD Camille (Services) — Sauveteur secouriste du "
        "travail (SST) : valable jusqu'au 01/08/2025.",
    ]


def test_register_queries_do_not_grow_with_the_staff(
    client: Any, group: SimpleNamespace, django_assert_max_num_queries: Any
) -> None:
    client.force_login(user_with_role(Role.HR, group.ai))
    url = reverse("contracts:register")
    for n in range(12):
        contract = ContractFactory(
            person=PersonFactory(entity=group.services), entity=group.services, start=TODAY
        )
        HabilitationFactory(person=contract.person)
        MedicalVisitFactory(person=contract.person, entity=group.services)
        WorkPermitFactory(person=contract.person)
        if n % 3 == 0:
            StaffLoanFactory(contract=contract, borrower=group.home, start=TODAY)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert len(staff_names(response)) == 15


def test_register_filter_htmx_swap_matches_the_full_page(
    client: Any, group: SimpleNamespace
) -> None:
    client.force_login(user_with_role(Role.HR, group.ai))
    url = reverse("contracts:register")
    params = {"structure": group.home.slug}
    fragment = BeautifulSoup(
        client.get(url, params, headers={"HX-Request": "true"}).content, "html.parser"
    )
    assert fragment.find("html") is None
    full = BeautifulSoup(client.get(url, params).content, "html.parser")
    assert str(fragment.select_one("#register")) == str(full.select_one("#register"))
    assert "COLIN Camille" in fragment.get_text() and "ARNAUD" not in fragment.get_text()


def test_register_shows_current_loans(client: Any, group: SimpleNamespace) -> None:
    StaffLoanFactory(
        contract=group.home_worker,
        borrower=group.services,
        start=date(2025, 6, 1),
        end=date(2025, 6, 30),
    )
    client.force_login(user_with_role(Role.HR, group.ai))
    text = " ".join(
        BeautifulSoup(client.get(reverse("contracts:register")).content, "html.parser")
        .get_text(" ")
        .split()
    )
    assert "prêté à Services jusqu'au 30/06/2025" in text


# --- The quality page ---------------------------------------------------------------------------


def test_quality_of_employment_per_entity(client: Any, group: SimpleNamespace) -> None:
    ai = group.ai
    converted = PersonFactory(entity=ai, birth_name="Hamon")
    ContractFactory(person=converted, entity=ai, cddu=True, start=date(2024, 11, 4))
    ContractFactory(person=converted, entity=ai, cddua=True, start=date(2025, 2, 3))
    # A CDDU in another entity does not make a conversion in the AI.
    elsewhere = PersonFactory(entity=ai, birth_name="Izard")
    ContractFactory(person=elsewhere, entity=group.services, cddu=True, start=date(2024, 11, 4))
    ContractFactory(person=elsewhere, entity=ai, cddua=True, start=date(2025, 3, 3))
    ContractFactory(
        person=PersonFactory(entity=ai, birth_name="Jourdan"),
        entity=ai,
        cddu=True,
        start=date(2025, 5, 5),
    )
    client.force_login(user_with_role(Role.HR, ai))
    response = client.get(reverse("contracts:quality"), {"annee": "2025"})
    page = BeautifulSoup(response.content, "html.parser")
    section = page.find("section", attrs={"aria-labelledby": f"entity-{ai.slug}"})
    text = " ".join(section.get_text(" ").split())
    # Running in 2025 in the AI: 3 CDDUA (Arnaud, Hamon, Izard) and 1 CDDU (Jourdan); the
    # contract of Dupuis ended in 2024 and the CDDU of Hamon in December 2024.
    assert "Répartition par type des 4 contrats en cours" in text
    assert "CDD d'usage (CDDU) 1 25,0 %" in text
    assert "CDD d'usage amélioré (CDDUA) 3 75,0 %" in text
    assert "CDDUA commencés en 2025 3" in text
    assert "dont passages du CDDU au CDDUA (CDDU antérieur dans la structure) 1 (33,3 %)" in text
    assert (
        "Contrats à temps partiel (moins de 35 h par semaine ou de 151,67 h par mois) 3 sur 3 "
        in text
    )
    assert "Contrats sans durée contractuelle (heures fixées mission par mission) 1" in text
    # Each insertion worker's latest contract: three CDDUA of 85 h a month and one CDDU.
    assert "Heures contractuelles mensuelles moyennes des salariés en insertion 85,00 h" in text
    assert "HAMON Camille CDDUA du 03/02/2025 85,00 h —" in text
    assert "JOURDAN Camille CDDU du 05/05/2025 — —" in text
    assert "viendront des relevés d'heures" in text
    services = page.find("section", attrs={"aria-labelledby": f"entity-{group.services.slug}"})
    assert "Heures contractuelles mensuelles moyennes des salariés en insertion 112,67 h" in (
        " ".join(services.get_text(" ").split())
    )


def test_quality_is_limited_to_the_entities_the_user_reads(
    client: Any, group: SimpleNamespace
) -> None:
    client.force_login(user_with_role(Role.PLANNER, group.home))
    page = BeautifulSoup(client.get(reverse("contracts:quality")).content, "html.parser")
    assert [h.get_text() for h in page.select("main h2")] == ["Domicile"]


def test_quality_of_a_year_without_contracts(client: Any, group: SimpleNamespace) -> None:
    client.force_login(user_with_role(Role.PLANNER, group.home))
    response = client.get(reverse("contracts:quality"), {"annee": "2021"})
    assert "Aucun contrat en cours en 2021." in response.content.decode()
