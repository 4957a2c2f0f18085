from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tremplin.clients.models import ClientRequirement
from tremplin.clients.rules import ClientKind
from tremplin.clients.tests.factories import ClientFactory
from tremplin.closing.tests.factories import AbsenceFactory
from tremplin.contracts.models import Habilitation, HabilitationKind
from tremplin.missions.models import MadDerogation
from tremplin.orders.models import InterventionStatus, OrderKind
from tremplin.orders.tests.factories import ServiceFactory
from tremplin.organisations.models import Site
from tremplin.organisations.tests.factories import EntityFactory
from tremplin.people.tests.factories import PersonFactory
from tremplin.planning.loader import PLACEMENT_SKILL, LoaderError, load_week
from tremplin.planning.models import UnservedReason
from tremplin.planning.problem import Interval, Location, Lock
from tremplin.planning.tests.factories import (
    MONDAY,
    ClientSiteFactory,
    PlanningLockFactory,
    WorkerHomeFactory,
    intervention,
    located_entity,
    order,
    worker,
)

pytestmark = pytest.mark.django_db

TUESDAY = MONDAY + timedelta(days=1)


def test_interventions_become_visits_in_minutes_of_the_week() -> None:
    entity = located_entity()
    usual = worker(entity, "Habituel")
    the_order = order(entity, usual_worker=usual)
    item = intervention(the_order, TUESDAY, time(9, 30), hours=2)
    intervention(the_order, MONDAY - timedelta(days=1))  # the Sunday before: not this week
    intervention(the_order, MONDAY + timedelta(days=2), status=InterventionStatus.CANCELLED)
    loaded = load_week(entity, MONDAY)

    (visit,) = loaded.week.visits
    site = the_order.site
    assert site is not None
    assert visit.id == item.pk
    assert visit.client_id == the_order.client_id
    assert visit.location == Location(float(site.latitude), float(site.longitude))
    assert (visit.earliest_start, visit.latest_start) == (1440 + 570, 1440 + 570)
    assert visit.duration == 120
    assert visit.usual_worker_id == usual.pk
    assert visit.required_skills == frozenset()
    assert visit.counts_toward_mad_cap is False
    assert the_order.client.name in visit.label
    assert loaded.current == {item.pk: None}


def test_without_an_order_site_the_client_s_located_site_is_used() -> None:
    entity = located_entity()
    worker(entity, "Un")
    client = ClientFactory(entity=entity)
    ClientSiteFactory(client=client, name="A sans coordonnées", unlocated=True)
    located = ClientSiteFactory(client=client, name="B atelier", latitude=Decimal("46.4"))
    unlocated_client = ClientFactory(entity=entity)
    ClientSiteFactory(client=unlocated_client, unlocated=True)
    from tremplin.orders.tests.factories import OrderFactory

    first = intervention(OrderFactory(client=client), TUESDAY)
    second = intervention(OrderFactory(client=unlocated_client), TUESDAY, time(14))
    visits = load_week(entity, MONDAY).week.visits_by_id()

    assert visits[first.pk].location == Location(46.4, float(located.longitude))
    assert visits[second.pk].location is None  # reported unserved by the engine, no crash


def test_workers_bounds_days_and_starting_points() -> None:
    entity = located_entity()
    cddi = worker(entity, "Cddi", weekly_hours=Decimal(26))
    cddua = worker(
        entity, "Cddua", cddua=True, start=date(2025, 11, 1), planned_end=MONDAY + timedelta(2)
    )
    WorkerHomeFactory(entity=entity, person=cddi, latitude=Decimal("46.31"))
    outsider = PersonFactory(entity=entity)  # no contract: not a worker of the week
    loaded = load_week(entity, MONDAY)

    workers = loaded.week.workers_by_id()
    assert set(workers) == {cddi.pk, cddua.pk}
    first, second = workers[cddi.pk], workers[cddua.pk]
    assert (first.weekly_min_minutes, first.weekly_target_minutes) == (1560, 1560)
    assert first.weekly_max_minutes == 1560
    assert first.daily_max_minutes == 600
    assert first.is_insertion is True
    assert len(first.availability) == 6  # Monday to Saturday, 6:00–21:00
    assert first.home == Location(46.31, -0.48)
    assert loaded.workers[cddi.pk].home_known is True
    # The CDDUA: 85 h a month → 19,62 h a week, no weekly minimum, legal ceiling, and its
    # contract ends on Wednesday; it may be placed; no home: the head office.
    assert (second.weekly_min_minutes, second.weekly_target_minutes) == (0, 1177)
    assert second.weekly_max_minutes == 48 * 60
    assert second.availability == (Interval(360, 1260), Interval(1800, 2700), Interval(3240, 4140))
    assert second.skills == frozenset({PLACEMENT_SKILL})
    assert second.home == Location(46.3237, -0.4648)
    assert loaded.workers[cddua.pk].home_known is False
    assert outsider.pk not in loaded.workers


def test_work_elsewhere_absences_and_habilitations() -> None:
    entity = located_entity()
    other = EntityFactory(group=entity.group)
    person = worker(entity, "Occupé", weekly_hours=Decimal(26))
    # 3 h in another entity of the group on Tuesday, and 2 h already done here on Monday.
    from tremplin.contracts.tests.factories import ContractFactory

    elsewhere_contract = ContractFactory(
        person=person, entity=other, start=date(2025, 12, 1), weekly_hours=Decimal(10)
    )
    intervention(
        order(other), TUESDAY, time(8), hours=3, worker=person, contract=elsewhere_contract
    )
    own = person.contracts.get(entity=entity)
    intervention(
        order(entity), MONDAY, time(14), worker=person, contract=own, status=InterventionStatus.DONE
    )
    # An absence recorded by the other entity on Thursday counts too.
    AbsenceFactory(
        person=person, entity=other, start=MONDAY + timedelta(3), end=MONDAY + timedelta(3)
    )
    Habilitation.objects.create(
        person=person, kind=HabilitationKind.FIRST_AID, obtained_on=date(2024, 1, 1)
    )
    Habilitation.objects.create(
        person=person,
        kind=HabilitationKind.CACES,
        obtained_on=date(2020, 1, 1),
        expires_on=MONDAY + timedelta(days=3),  # expires during the week: not held
    )
    (the_worker,) = load_week(entity, MONDAY).week.workers

    # 26 h - 2 h done under the same contract; 48 h - 5 h in the group is not lower.
    assert the_worker.weekly_max_minutes == 24 * 60
    assert the_worker.absences == (
        Interval(840, 960),
        Interval(1440 + 480, 1440 + 660),
        Interval(3 * 1440, 4 * 1440),
    )
    assert the_worker.habilitations == frozenset({HabilitationKind.FIRST_AID})


def test_client_requirements_are_required_habilitations() -> None:
    entity = located_entity()
    worker(entity, "Un")
    the_order = order(entity)
    ClientRequirement.objects.create(
        client=the_order.client, habilitation=HabilitationKind.WORK_AT_HEIGHT
    )
    intervention(the_order, TUESDAY)
    (visit,) = load_week(entity, MONDAY).week.visits
    assert visit.required_habilitations == frozenset({HabilitationKind.WORK_AT_HEIGHT})


def _placement_order(entity: Any, **client: Any) -> Any:
    return order(
        entity,
        kind=OrderKind.PLACEMENT,
        client=ClientFactory(entity=entity, **client),
        service=ServiceFactory(entity=entity, placement=True),
    )


def test_placements_need_a_placement_contract_and_count_against_the_cap() -> None:
    entity = located_entity()
    placed = worker(entity, "Cddu", cddu=True, planned_end=date(2026, 2, 28))
    worker(entity, "Cddi")
    company = _placement_order(entity)
    household = _placement_order(entity, household=True)
    # 470 h already placed with companies in the current window, outside the week.
    for n in range(47):
        intervention(
            company,
            date(2025, 12, 1) + timedelta(days=n % 28),
            time(6 + n // 28 * 10),
            hours=10,
            worker=placed,
        )
    visit_company = intervention(company, TUESDAY)
    visit_household = intervention(household, TUESDAY, time(14))
    loaded = load_week(entity, MONDAY)

    visits = loaded.week.visits_by_id()
    assert visits[visit_company.pk].required_skills == frozenset({PLACEMENT_SKILL})
    assert visits[visit_company.pk].counts_toward_mad_cap is True
    assert visits[visit_household.pk].counts_toward_mad_cap is False
    workers = loaded.week.workers_by_id()
    assert workers[placed.pk].mad_cap_minutes == 10 * 60
    assert workers[placed.pk].skills == frozenset({PLACEMENT_SKILL})

    MadDerogation.objects.create(
        entity=entity, valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31), reference="AP"
    )
    assert load_week(entity, MONDAY).week.workers_by_id()[placed.pk].mad_cap_minutes is None


def test_a_placement_under_the_economic_dismissal_ban_is_set_aside() -> None:
    entity = located_entity()
    worker(entity, "Cddu", cddu=True, planned_end=date(2026, 2, 28))
    barred = _placement_order(entity, economic_dismissal_on=date(2025, 11, 20))
    item = intervention(barred, TUESDAY)
    loaded = load_week(entity, MONDAY)

    assert loaded.week.visits == ()
    (aside,) = loaded.set_aside
    assert aside.intervention_id == item.pk
    assert aside.reason == UnservedReason.ECONOMIC_DISMISSAL
    assert "20/11/2025" in aside.message and "20/05/2026" in aside.message
    assert item.pk in loaded.interventions


def test_locks_are_kept_and_a_lock_for_someone_without_contract_is_set_aside() -> None:
    entity = located_entity()
    kept_worker = worker(entity, "Gardé")
    the_order = order(entity)
    kept = intervention(the_order, TUESDAY)
    orphan = intervention(the_order, TUESDAY + timedelta(days=1))
    PlanningLockFactory(intervention=kept, worker=kept_worker)
    gone = PersonFactory(entity=entity, birth_name="Parti")
    PlanningLockFactory(intervention=orphan, worker=gone)
    loaded = load_week(entity, MONDAY)

    assert loaded.week.locks == (Lock(visit_id=kept.pk, worker_id=kept_worker.pk),)
    (aside,) = loaded.set_aside
    assert aside.intervention_id == orphan.pk
    assert aside.reason == UnservedReason.LOCKED_WORKER
    assert "PARTI" in aside.message


def test_without_any_starting_point_the_loader_says_what_to_fix() -> None:
    entity = located_entity()
    Site.objects.filter(entity=entity).update(latitude=None, longitude=None)
    with_home = worker(entity, "Chez soi")
    WorkerHomeFactory(entity=entity, person=with_home)
    assert load_week(entity, MONDAY).week.workers  # every worker has a home: fine
    worker(entity, "Sans domicile connu")
    with pytest.raises(LoaderError, match="renseignez la latitude et la longitude du siège"):
        load_week(entity, MONDAY)


def test_only_a_monday_starts_a_week() -> None:
    with pytest.raises(ValueError, match="Monday"):
        load_week(located_entity(), TUESDAY)


def test_the_number_of_queries_does_not_grow_with_the_week(
    django_assert_num_queries: Any,
) -> None:
    def build(entity: Any, size: int) -> None:
        for n in range(size):
            person = worker(entity, f"W{n}")
            placement = _placement_order(entity, kind=ClientKind.COMPANY)
            intervention(placement, TUESDAY, time(8 + n), hours=1, worker=person)
            intervention(order(entity), MONDAY, time(8 + n), hours=1)

    small, large = located_entity(), located_entity()
    build(small, 1)
    build(large, 4)
    with django_assert_num_queries(13):
        load_week(small, MONDAY)
    with django_assert_num_queries(13):
        load_week(large, MONDAY)
