from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from bs4 import BeautifulSoup
from dateutil.relativedelta import relativedelta
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.organisations.tests.factories import EntityFactory, GroupFactory
from tremplin.pathways import actions, rules
from tremplin.pathways.models import (
    DiagnosisAuthor,
    ExitFollowUp,
    PassProlongation,
    PassSuspension,
    TaskStatus,
)
from tremplin.pathways.rules import AdministrativeCriterion as C
from tremplin.pathways.rules import (
    AlertKind,
    ExitReason,
    PassStatus,
    PathwayFacts,
    SiaeKind,
)
from tremplin.pathways.tests.factories import (
    AppointmentFactory,
    EligibilityDiagnosisFactory,
    PassIaeFactory,
    PathwayStepFactory,
)
from tremplin.people.tests.factories import PersonFactory

D = date
P = pytest.param
TODAY = D(2026, 3, 2)
NOW = datetime(2026, 3, 2, 11, tzinfo=UTC)


# --- Rules added for the pathway pages (pure, no database) ------------------------------------


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        P("999992600012", True, id="platform_number"),
        P(" 99999 26 00012 ", True, id="spaces_ignored"),
        P("123452112345", True, id="former_agrement_number"),
        P("99999260001", False, id="eleven_digits"),
        P("9999926000123", False, id="thirteen_digits"),
        P("99999A600012", False, id="a_letter"),
        P("９９９９９２６０００１２", False, id="full_width_digits"),
        P("", False, id="empty"),
    ],
)
def test_pass_number_errors(number: str, valid: bool) -> None:
    assert (rules.pass_number_errors(number) == []) is valid


S = PassStatus


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        P(D(2025, 1, 5), (S.NOT_STARTED,), id="day_before_start"),
        P(D(2025, 1, 6), (S.VALID,), id="first_day"),
        P(D(2026, 1, 4), (S.VALID,), id="day_before_window"),
        P(D(2026, 1, 5), (S.VALID, S.PROLONGATION_WINDOW), id="window_opens"),
        P(D(2026, 10, 4), (S.VALID, S.PROLONGATION_WINDOW), id="day_before_3_months"),
        P(D(2026, 10, 5), (S.VALID, S.ENDING_SOON, S.PROLONGATION_WINDOW), id="3_months_left"),
        P(D(2027, 1, 5), (S.VALID, S.ENDING_SOON, S.PROLONGATION_WINDOW), id="last_day"),
        P(D(2027, 1, 6), (S.ENDED, S.PROLONGATION_WINDOW, S.WAITING_PERIOD), id="day_after"),
        P(D(2027, 7, 5), (S.ENDED, S.PROLONGATION_WINDOW, S.WAITING_PERIOD), id="window_closes"),
        P(D(2027, 7, 6), (S.ENDED, S.WAITING_PERIOD), id="after_window"),
        P(D(2029, 1, 5), (S.ENDED, S.WAITING_PERIOD), id="waiting_ends"),
        P(D(2029, 1, 6), (S.ENDED,), id="free_again"),
    ],
)
def test_pass_statuses(today: date, expected: tuple[PassStatus, ...]) -> None:
    assert rules.pass_statuses(D(2025, 1, 6), D(2027, 1, 5), today) == expected


@pytest.mark.parametrize(
    ("kind", "criteria", "prescriber", "eligible"),
    [
        P(SiaeKind.EI, [], True, True, id="prescriber_needs_no_criteria"),
        P(SiaeKind.AI, [C.QPV, C.ZRR], False, True, id="ai_two_level_2"),
        P(SiaeKind.EI, [C.QPV, C.ZRR], False, False, id="ei_two_level_2"),
        P(SiaeKind.EITI, [C.RSA], False, True, id="one_level_1"),
        P(SiaeKind.AI, [], False, False, id="employer_without_criteria"),
    ],
)
def test_diagnosis_eligibility(
    kind: SiaeKind, criteria: list[C], prescriber: bool, eligible: bool
) -> None:
    result = rules.diagnosis_eligibility(
        kind, criteria, prescriber_is_authorised=prescriber, on=TODAY
    )
    assert result.eligible is eligible and result.reasons


T = TaskStatus


@pytest.mark.parametrize(
    ("current", "reachable"),
    [
        P(T.TODO, (T.IN_PROGRESS, T.DONE, T.ABANDONED), id="todo"),
        P(T.IN_PROGRESS, (T.TODO, T.DONE, T.ABANDONED), id="in_progress"),
        P(T.DONE, (T.IN_PROGRESS,), id="done_reopens"),
        P(T.ABANDONED, (T.TODO,), id="abandoned_resumes"),
    ],
)
def test_task_transitions(current: TaskStatus, reachable: tuple[TaskStatus, ...]) -> None:
    assert rules.next_task_statuses(current) == reachable
    assert not rules.can_change_task_status(current, current)
    assert [s for s, verb in rules.next_task_steps(current) if verb] == list(reachable)


@pytest.mark.parametrize(
    ("kind", "known", "hours_required"),
    [
        P(SiaeKind.AI, True, True, id="ai"),
        P(SiaeKind.ETTI, True, True, id="etti"),
        P(SiaeKind.ACI, True, False, id="aci"),
        P(SiaeKind.EI, True, False, id="ei"),
        P(SiaeKind.EITI, False, False, id="eiti"),
    ],
)
def test_exit_counting_rule_known(kind: SiaeKind, known: bool, hours_required: bool) -> None:
    assert rules.exit_counting_rule_known(kind) is known
    assert rules.exit_hours_required(kind) is hours_required
    counted = rules.exit_counts_or_false(
        kind, hours_worked=rules.Decimal(1000), contract_months=rules.Decimal(24), on=TODAY
    )
    assert counted is known


LONG_GAP = ((D(2023, 1, 15), D(2023, 7, 14)), (D(2024, 7, 15), None))


@pytest.mark.parametrize(
    ("periods", "today", "long"),
    [
        P(((D(2024, 1, 15), None),), D(2026, 1, 14), False, id="one_step_day_before"),
        P(((D(2024, 1, 15), None),), D(2026, 1, 15), True, id="one_step_at_24_months"),
        P(
            ((D(2024, 1, 15), D(2024, 12, 31)), (D(2025, 1, 1), None)),
            D(2026, 1, 15),
            True,
            id="two_entities_back_to_back",
        ),
        P(
            ((D(2024, 1, 15), None), (D(2025, 1, 1), D(2025, 6, 30))),
            D(2026, 1, 14),
            False,
            id="overlap_counted_once",
        ),
        P(LONG_GAP, D(2026, 1, 15), False, id="with_a_gap_day_before"),
        P(LONG_GAP, D(2026, 1, 16), True, id="with_a_gap_at_24_months"),
        P((), TODAY, False, id="no_step"),
    ],
)
def test_is_long_insertion(
    periods: tuple[tuple[date, date | None], ...], today: date, long: bool
) -> None:
    assert rules.is_long_insertion(periods, today) is long


# Nothing to say about this person on TODAY: in insertion for 9 months, seen today, aged 35.
QUIET = PathwayFacts(
    birth_date=D(1990, 6, 1),
    insertion_periods=((D(2025, 6, 2), None),),
    in_insertion=True,
    last_appointment=TODAY,
)
K = AlertKind


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        P({}, [], id="quiet"),
        P(
            {"pass_start": D(2024, 6, 3), "pass_end": D(2026, 6, 2)},
            [K.PASS_ENDING, K.PROLONGATION_WINDOW],
            id="pass_ends_in_3_months",
        ),
        P(
            {"pass_start": D(2024, 6, 4), "pass_end": D(2026, 6, 3)},
            [K.PROLONGATION_WINDOW],
            id="pass_ends_in_3_months_and_a_day",
        ),
        P(
            {"pass_start": D(2025, 3, 3), "pass_end": D(2027, 3, 2)},
            [K.PROLONGATION_WINDOW],
            id="window_opens",
        ),
        P({"pass_start": D(2025, 3, 4), "pass_end": D(2027, 3, 3)}, [], id="window_opens_tomorrow"),
        P(
            {"pass_start": D(2023, 9, 3), "pass_end": D(2025, 9, 2), "in_insertion": False},
            [K.PROLONGATION_WINDOW],
            id="window_closes_today",
        ),
        P(
            {"pass_start": D(2023, 9, 2), "pass_end": D(2025, 9, 1), "in_insertion": False},
            [],
            id="window_closed",
        ),
        P(
            {"latest_diagnosis": (D(2025, 12, 16), False), "in_insertion": False},
            [K.DIAGNOSIS_EXPIRING],
            id="diagnosis_ends_in_15_days",
        ),
        P(
            {"latest_diagnosis": (D(2025, 12, 17), False), "in_insertion": False},
            [],
            id="diagnosis_ends_in_16_days",
        ),
        P(
            {"latest_diagnosis": (D(2025, 12, 1), False), "in_insertion": False},
            [K.DIAGNOSIS_EXPIRING],
            id="diagnosis_ends_today",
        ),
        P(
            {"latest_diagnosis": (D(2025, 11, 30), False), "in_insertion": False},
            [],
            id="diagnosis_expired",
        ),
        P(
            {"latest_diagnosis": (D(2025, 12, 16), True), "in_insertion": False},
            [],
            id="prescriber_diagnosis",
        ),
        P(
            {
                "latest_diagnosis": (D(2025, 12, 16), False),
                "pass_start": D(2026, 1, 5),
                "pass_end": D(2028, 1, 4),
            },
            [],
            id="diagnosis_with_a_valid_pass",
        ),
        P({"insertion_periods": ((D(2024, 3, 2), None),)}, [K.LONG_PATHWAY], id="24_months_today"),
        P({"insertion_periods": ((D(2024, 3, 3), None),)}, [], id="24_months_tomorrow"),
        P({"birth_date": D(1976, 3, 2)}, [K.SENIOR_50], id="50_today"),
        P({"birth_date": D(1976, 3, 3)}, [], id="50_tomorrow"),
        P({"birth_date": D(1969, 3, 2)}, [K.SENIOR_57], id="57_today"),
        P({"birth_date": D(1969, 3, 3)}, [K.SENIOR_50], id="57_tomorrow"),
        P({"last_appointment": D(2026, 1, 31)}, [], id="appointment_30_days_ago"),
        P({"last_appointment": D(2026, 1, 30)}, [K.NO_APPOINTMENT], id="appointment_31_days_ago"),
        P({"last_appointment": None}, [K.NO_APPOINTMENT], id="never_seen"),
        P(
            {"in_insertion": False, "birth_date": D(1960, 1, 1), "last_appointment": None},
            [],
            id="not_in_a_pathway",
        ),
    ],
)
def test_pathway_alerts(changes: dict[str, Any], expected: list[AlertKind]) -> None:
    alerts = rules.pathway_alerts(replace(QUIET, **changes), TODAY)
    assert [a.kind for a in alerts] == expected


def test_alert_dates_and_sentences() -> None:
    facts = replace(
        QUIET,
        birth_date=D(1969, 3, 2),
        pass_start=D(2024, 6, 3),
        pass_end=D(2026, 6, 2),
        insertion_periods=((D(2023, 12, 1), None),),
        last_appointment=D(2026, 1, 15),
    )
    alerts = {a.kind: a for a in rules.pathway_alerts(facts, TODAY)}
    assert alerts[K.PASS_ENDING].day == D(2026, 6, 2)
    assert alerts[K.PROLONGATION_WINDOW].detail == (
        "Prolongation à demander au plus tard le 02/12/2026 (fin du PASS IAE le 02/06/2026)."
    )
    assert alerts[K.LONG_PATHWAY].day == D(2025, 12, 1)
    assert alerts[K.LONG_PATHWAY].detail == "27,0 mois en insertion dans le groupe."
    assert alerts[K.SENIOR_57].day == D(2026, 3, 2)
    assert "CDI inclusion" in alerts[K.SENIOR_57].detail
    assert alerts[K.NO_APPOINTMENT].detail == "Dernier entretien le 15/01/2026."


# --- The worklist page ------------------------------------------------------------------------


@pytest.fixture
def world(db: None, time_machine: Any) -> dict[str, Any]:
    time_machine.move_to(NOW, tick=False)
    group = GroupFactory()
    ai = EntityFactory(group=group, name="Asso", association=True)
    ei = EntityFactory(group=group, name="Société")
    return {"ai": ai, "ei": ei, "cip": user_with_role(Role.CIP, ai, ei)}


def in_insertion(entity: Any, **person: Any) -> Any:
    """A person in insertion in ``entity`` since 02/06/2025, seen today: no alert by default."""
    someone = PersonFactory(entity=entity, **person)
    PathwayStepFactory(person=someone, entity=entity, started_on=D(2025, 6, 2))
    AppointmentFactory(person=someone, entity=entity, held_on=TODAY)
    return someone


def rows(client: Any, section: str = "#team-alerts", **params: str) -> list[tuple[str, str]]:
    """(person, alert kind) of each row of a section of the worklist."""
    page = BeautifulSoup(client.get(reverse("pathways:worklist"), params).content, "html.parser")
    return [
        (tr.select_one("td a").get_text(), tr["class"][0].removeprefix("alert-"))
        for tr in page.select(f"{section} tbody tr[class]")
    ]


@pytest.mark.parametrize("role", [Role.PLANNER, Role.ACCOUNTANT, Role.WORKER])
def test_worklist_is_refused_outside_pathway_roles(
    client: Any, world: dict[str, Any], role: Role
) -> None:
    client.force_login(user_with_role(role, world["ai"]))
    assert client.get(reverse("pathways:worklist")).status_code == 403


def test_reception_sees_its_own_people_only(client: Any, world: dict[str, Any]) -> None:
    reception = user_with_role(Role.RECEPTION, world["ai"])
    mine = in_insertion(world["ai"], referent=reception, birth_date=D(1970, 1, 1))
    in_insertion(world["ai"], birth_date=D(1970, 1, 1))
    client.force_login(reception)
    response = client.get(reverse("pathways:worklist"))
    page = BeautifulSoup(response.content, "html.parser")
    assert page.select_one("#team") is None
    assert rows(client, "#mine") == [(mine.full_name, "senior_50")]


def test_my_people_are_those_i_refer_on_the_file_or_on_an_open_step(
    client: Any, world: dict[str, Any]
) -> None:
    cip = world["cip"]
    on_file = in_insertion(world["ai"], referent=cip)
    on_step = PersonFactory(entity=world["ei"], birth_name="Zola")
    PathwayStepFactory(person=on_step, entity=world["ei"], referent=cip, started_on=D(2025, 6, 2))
    closed = PersonFactory(entity=world["ai"])
    PathwayStepFactory(
        person=closed,
        entity=world["ai"],
        referent=cip,
        started_on=D(2024, 1, 1),
        ended_on=D(2024, 12, 31),
    )
    client.force_login(cip)
    page = BeautifulSoup(client.get(reverse("pathways:worklist")).content, "html.parser")
    assert rows(client, "#mine") == [(on_step.full_name, "no_appointment")]
    assert page.select_one("#mine-quiet").get_text(" ", strip=True) == (
        f"Sans alerte : {on_file.full_name} ."
    )


@pytest.mark.parametrize(
    ("started_on", "shown"),
    [
        P(D(2024, 3, 2), True, id="24_months_today"),
        P(D(2024, 3, 3), False, id="24_months_tomorrow"),
    ],
)
def test_long_pathway_boundary_across_entities(
    client: Any, world: dict[str, Any], started_on: date, shown: bool
) -> None:
    person = in_insertion(world["ei"])  # in the company since 02/06/2025
    PathwayStepFactory(
        person=person, entity=world["ai"], started_on=started_on, ended_on=D(2025, 6, 1)
    )
    client.force_login(world["cip"])
    assert ((person.full_name, "long_pathway") in rows(client)) is shown


@pytest.mark.parametrize(
    ("held_on", "shown"),
    [P(D(2026, 1, 31), False, id="30_days_ago"), P(D(2026, 1, 30), True, id="31_days_ago")],
)
def test_no_appointment_boundary(
    client: Any, world: dict[str, Any], held_on: date, shown: bool
) -> None:
    person = in_insertion(world["ai"])
    person.appointments.update(held_on=held_on)
    client.force_login(world["cip"])
    assert ((person.full_name, "no_appointment") in rows(client)) is shown


@pytest.mark.parametrize(
    ("days_to_end", "shown"),
    [P(0, True, id="pass_ends_in_3_months"), P(1, False, id="pass_ends_one_day_later")],
)
def test_pass_ending_boundary(
    client: Any, world: dict[str, Any], days_to_end: int, shown: bool
) -> None:
    person = in_insertion(world["ai"])
    end = TODAY + relativedelta(months=3) + timedelta(days=days_to_end)
    PassIaeFactory(person=person, start=end - timedelta(days=729), end=end)
    client.force_login(world["cip"])
    assert ((person.full_name, "pass_ending") in rows(client)) is shown


@pytest.mark.parametrize(
    ("made_on", "shown"),
    [
        P(D(2025, 12, 16), True, id="expires_in_15_days"),
        P(D(2025, 12, 17), False, id="expires_in_16_days"),
        P(D(2025, 12, 1), True, id="expires_today"),
        P(D(2025, 11, 30), False, id="expired_yesterday"),
    ],
)
def test_diagnosis_expiring_boundary(
    client: Any, world: dict[str, Any], made_on: date, shown: bool
) -> None:
    person = PersonFactory(entity=world["ai"])  # waiting for a PASS: no step yet
    EligibilityDiagnosisFactory(
        person=person, made_on=made_on, author_kind=DiagnosisAuthor.EMPLOYER
    )
    client.force_login(world["cip"])
    assert ((person.full_name, "diagnosis_expiring") in rows(client)) is shown


@pytest.mark.parametrize(
    ("birth_date", "kind"),
    [
        P(D(1976, 3, 2), "senior_50", id="50_today"),
        P(D(1976, 3, 3), None, id="50_tomorrow"),
        P(D(1969, 3, 2), "senior_57", id="57_today"),
        P(D(1969, 3, 3), "senior_50", id="57_tomorrow"),
    ],
)
def test_senior_rows_say_the_options(
    client: Any, world: dict[str, Any], birth_date: date, kind: str | None
) -> None:
    person = in_insertion(world["ai"], birth_date=birth_date)
    client.force_login(world["cip"])
    found = [k for name, k in rows(client) if name == person.full_name]
    assert found == ([kind] if kind else [])
    text = client.get(reverse("pathways:worklist")).content.decode()
    if kind == "senior_57":
        assert "CDI inclusion possible" in text
    elif kind == "senior_50":
        assert "Prolongation du PASS IAE possible (motif « 50 ans et plus »)." in text


@pytest.mark.parametrize(
    ("due_on", "shown"),
    [P(TODAY, True, id="due_today"), P(TODAY + timedelta(days=1), False, id="due_tomorrow")],
)
def test_follow_up_due_boundary(
    client: Any, world: dict[str, Any], due_on: date, shown: bool
) -> None:
    person = PersonFactory(entity=world["ai"])
    step = PathwayStepFactory(person=person, entity=world["ai"], started_on=D(2025, 1, 6))
    exit_ = actions.record_exit(
        step,
        exit_on=D(2025, 12, 2),
        reason=ExitReason.TRAINING,
        hours_worked=rules.Decimal(300),
        employer="",
        by=world["cip"],
    )
    ExitFollowUp.objects.filter(exit=exit_).update(due_on=due_on + timedelta(days=90))
    first = exit_.follow_ups.order_by("due_on").first()
    first.due_on = due_on
    first.save()
    client.force_login(world["cip"])
    assert ((person.full_name, "follow_up_due") in rows(client)) is shown
    if shown:
        page = client.get(reverse("pathways:worklist")).content.decode()
        assert reverse("pathways:follow_up", args=[first.pk]) in page


def test_team_rows_can_be_filtered_by_entity_and_the_fragment_matches(
    client: Any, world: dict[str, Any]
) -> None:
    in_ai = in_insertion(world["ai"], birth_date=D(1970, 1, 1))
    in_ei = in_insertion(world["ei"], birth_date=D(1970, 1, 1))
    client.force_login(world["cip"])
    assert {name for name, _ in rows(client)} == {in_ai.full_name, in_ei.full_name}
    assert rows(client, structure=world["ei"].slug) == [(in_ei.full_name, "senior_50")]
    url = reverse("pathways:worklist")
    params = {"structure": world["ei"].slug}
    fragment = BeautifulSoup(
        client.get(url, params, headers={"HX-Request": "true"}).content, "html.parser"
    )
    assert fragment.find("html") is None
    full = BeautifulSoup(client.get(url, params).content, "html.parser")
    assert str(fragment.select_one("#worklist-results")) == str(
        full.select_one("#worklist-results")
    )


def test_rows_can_be_filtered_by_alert_and_come_most_urgent_first(
    client: Any, world: dict[str, Any]
) -> None:
    senior = in_insertion(world["ai"], birth_date=D(1970, 1, 1))
    late = in_insertion(world["ai"], birth_date=D(1960, 1, 1))
    late.appointments.update(held_on=D(2025, 12, 1))
    client.force_login(world["cip"])
    assert rows(client) == [
        (late.full_name, "no_appointment"),
        (late.full_name, "senior_57"),
        (senior.full_name, "senior_50"),
    ]
    assert rows(client, alerte="senior_50") == [(senior.full_name, "senior_50")]
    page = BeautifulSoup(client.get(reverse("pathways:worklist")).content, "html.parser")
    options = [o.get_text() for o in page.select("#kind-select option")]
    assert "50 ans et plus (1)" in options and "Pas d'entretien récent (1)" in options


def test_an_entity_of_another_group_is_never_listed(client: Any, world: dict[str, Any]) -> None:
    stranger = in_insertion(EntityFactory(), birth_date=D(1960, 1, 1))
    client.force_login(world["cip"])
    assert all(name != stranger.full_name for name, _ in rows(client))
    assert all(name != stranger.full_name for name, _ in rows(client, structure="autre"))


def busy_person(entity: Any, referent: Any) -> None:
    """A person with something of every kind to load: steps, PASS, diagnosis, exit, follow-ups."""
    person = in_insertion(entity, referent=referent, birth_date=D(1968, 1, 1))
    pass_iae = PassIaeFactory(person=person, start=D(2024, 6, 3), end=D(2026, 6, 2))
    PassSuspension.objects.create(
        pass_iae_id=pass_iae.pk,
        entity=entity,
        start=D(2025, 2, 1),
        end=D(2025, 2, 10),
        reason="CONTRACT_BROKEN",
    )
    PassProlongation.objects.create(
        pass_iae_id=pass_iae.pk,
        entity=entity,
        start=D(2026, 6, 12),
        end=D(2026, 9, 12),
        reason="RQTH",
    )
    EligibilityDiagnosisFactory(person=person, made_on=D(2024, 5, 30))
    old = PathwayStepFactory(person=person, entity=entity, started_on=D(2023, 1, 2))
    actions.record_exit(
        old,
        exit_on=D(2025, 5, 30),
        reason=ExitReason.OTHER_SIAE,
        hours_worked=rules.Decimal(500),
        employer="",
        by=referent,
    )


def test_worklist_queries_do_not_grow_with_the_rows(
    client: Any, world: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    cip = world["cip"]
    busy_person(world["ai"], cip)
    client.force_login(cip)
    url = reverse("pathways:worklist")
    with CaptureQueriesContext(connection) as one:
        page = BeautifulSoup(client.get(url).content, "html.parser")
    per_person = len(page.select("#team-alerts tbody tr[class]"))
    assert per_person == 5  # prolongation window, long pathway, 57+, two follow-ups
    for _ in range(5):
        busy_person(world["ei"], cip)
    with django_assert_max_num_queries(len(one)):
        page = BeautifulSoup(client.get(url).content, "html.parser")
    assert len(page.select("#team-alerts tbody tr[class]")) == 6 * per_person
    assert len(page.select("#mine tbody tr[class]")) == 6 * per_person
