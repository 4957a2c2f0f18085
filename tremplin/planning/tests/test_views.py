from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from bs4 import BeautifulSoup, Tag
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.core.models import AuditEntry
from tremplin.orders.models import Intervention
from tremplin.organisations.tests.factories import EntityFactory
from tremplin.planning.loader import load_week
from tremplin.planning.models import (
    PlanningLock,
    PlanningRun,
    RunRoute,
    RunStatus,
    UnservedReason,
    WorkerHome,
)
from tremplin.planning.problem import Location
from tremplin.planning.tests.factories import (
    MONDAY,
    PlanningRunFactory,
    ProposedAssignmentFactory,
    RunWorkerFactory,
    UnservedFactory,
    WorkerHomeFactory,
    intervention,
    located_entity,
    order,
    worker,
)

pytestmark = pytest.mark.django_db

TUESDAY = MONDAY + timedelta(days=1)


@pytest.fixture
def week() -> dict[str, Any]:
    entity = located_entity()
    ana = worker(entity, "Ana")
    bruno = worker(entity, "Bruno")
    return {
        "entity": entity,
        "ana": ana,
        "bruno": bruno,
        "tuesday": intervention(order(entity), TUESDAY),
        "afternoon": intervention(order(entity), TUESDAY, time(14), worker=bruno),
        "planner": user_with_role(Role.PLANNER, entity),
    }


def run_url(run: PlanningRun, name: str = "run") -> str:
    return reverse(f"planning:{name}", args=[run.pk])


def text(response: Any) -> str:
    """The page as a reader sees it (entities such as &#x27; decoded)."""
    return BeautifulSoup(response.content, "html.parser").get_text(" ")


def one(soup: Any, selector: str) -> Tag:
    """The element ``selector`` finds; the test fails when there is none."""
    found = soup.select_one(selector)
    assert found is not None, f"Aucun élément « {selector} »"
    return found


# --- Starting --------------------------------------------------------------------------------


def test_start_a_run_from_the_form_and_follow_it(
    client: Any, week: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(week["planner"])
    page = client.get(reverse("planning:index") + "?semaine=2026-W03").content.decode()
    week_input = one(BeautifulSoup(page, "html.parser"), "#start-form input[name=week]")
    assert (week_input["value"], week_input["type"]) == ("2026-W03", "week")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("planning:index"),
            {"entity": week["entity"].slug, "week": "2026-W03", "seconds": "1"},
        )
    run = PlanningRun.objects.get(entity=week["entity"])
    assert response.status_code == 302 and response["Location"] == run_url(run)
    assert (run.week, run.seconds, run.started_by) == (MONDAY, 1, week["planner"])
    assert run.status == RunStatus.DONE
    listed = client.get(reverse("planning:index")).content.decode()
    assert run_url(run) in listed


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"week": "2026-53", "seconds": "5"}, "« 2026-53 » n'est pas une semaine"),
        ({"week": "2026-W03", "seconds": "0"}, "au moins 1 seconde"),
        ({"week": "", "seconds": "5"}, "choisissez la semaine à planifier"),
    ],
    ids=["bad_week", "no_time", "no_week"],
)
def test_bad_input_is_refused_in_french(
    client: Any, week: dict[str, Any], data: dict[str, str], message: str
) -> None:
    client.force_login(week["planner"])
    response = client.post(reverse("planning:index"), {"entity": week["entity"].slug, **data})
    assert response.status_code == 200
    assert message in text(response)
    assert not PlanningRun.objects.exists()


def test_an_entity_the_user_does_not_plan_cannot_be_chosen(client: Any) -> None:
    mine, other = located_entity(), EntityFactory()
    user = user_with_role(Role.PLANNER, mine)
    client.force_login(user)
    response = client.post(
        reverse("planning:index"), {"entity": other.slug, "week": "2026-W03", "seconds": "1"}
    )
    assert "choisissez une structure dont vous faites le planning" in text(response)
    assert not PlanningRun.objects.exists()


def test_a_second_run_of_a_running_week_is_refused(client: Any, week: dict[str, Any]) -> None:
    PlanningRunFactory(entity=week["entity"], running=True)
    client.force_login(week["planner"])
    response = client.post(
        reverse("planning:index"),
        {"entity": week["entity"].slug, "week": "2026-W03", "seconds": "1"},
        follow=True,
    )
    assert "est déjà en cours" in text(response)
    assert PlanningRun.objects.count() == 1


@pytest.mark.parametrize("role", [Role.ACCOUNTANT, Role.WORKER, Role.CIP])
def test_other_roles_are_refused(client: Any, week: dict[str, Any], role: Role) -> None:
    run = PlanningRunFactory(entity=week["entity"])
    client.force_login(user_with_role(role, week["entity"]))
    assert client.get(reverse("planning:index")).status_code == 403
    assert client.get(run_url(run)).status_code == 403
    assert client.post(run_url(run, "accept"), {"all": "1"}).status_code == 403


def test_another_group_s_run_is_not_found(client: Any, week: dict[str, Any]) -> None:
    run = PlanningRunFactory(entity=week["entity"])
    client.force_login(user_with_role(Role.DIRECTION, EntityFactory()))
    assert client.get(run_url(run)).status_code == 404


# --- Following -------------------------------------------------------------------------------


def test_progress_partial_polls_while_running(client: Any, week: dict[str, Any]) -> None:
    run = PlanningRunFactory(entity=week["entity"], running=True)
    client.force_login(week["planner"])
    full = client.get(run_url(run)).content.decode()
    partial = client.get(run_url(run), headers={"HX-Request": "true", "HX-Target": "run-progress"})
    fragment = partial.content.decode().strip()
    assert 'hx-trigger="every 1s"' in fragment and "planning-w-40" in fragment
    assert "40 %" in fragment and "Recherche" in fragment
    assert fragment in full  # the swap gives what a full render gives
    assert "Actualiser" in fragment  # without JavaScript, a link reloads the page
    assert "HX-Refresh" not in partial


def test_progress_partial_refreshes_the_page_when_done(client: Any, week: dict[str, Any]) -> None:
    run = PlanningRunFactory(entity=week["entity"])
    client.force_login(week["planner"])
    response = client.get(run_url(run), headers={"HX-Request": "true", "HX-Target": "run-progress"})
    assert response["HX-Refresh"] == "true"
    assert "every 1s" not in response.content.decode()


def test_a_failed_run_shows_its_error(client: Any, week: dict[str, Any]) -> None:
    run = PlanningRunFactory(
        entity=week["entity"], status=RunStatus.FAILED, error="Point de départ : renseignez…"
    )
    client.force_login(week["planner"])
    soup = BeautifulSoup(client.get(run_url(run)).content, "html.parser")
    assert one(soup, "#run-error").text == "Point de départ : renseignez…"
    assert soup.select_one("#changes") is None


# --- The proposal ----------------------------------------------------------------------------


@pytest.fixture
def proposal(week: dict[str, Any]) -> PlanningRun:
    run: PlanningRun = PlanningRunFactory(  # type: ignore[assignment]
        entity=week["entity"], served_count=2, changed_count=1
    )
    RunWorkerFactory(run=run, person=week["ana"], planned_hours=Decimal(10))
    RunWorkerFactory(
        run=run,
        person=week["bruno"],
        min_hours=Decimal(0),
        target_hours=Decimal(20),
        max_hours=Decimal(40),
        planned_hours=Decimal(30),
    )
    ProposedAssignmentFactory(run=run, intervention=week["tuesday"], worker=week["ana"])
    ProposedAssignmentFactory(
        run=run,
        intervention=week["afternoon"],
        worker=week["bruno"],
        previous_worker=week["bruno"],
        changed=False,
        latitude=Decimal("46.300000"),
    )
    RunRoute.objects.create(
        run=run,
        person=week["bruno"],
        day=TUESDAY,
        leave=week["afternoon"].start - timedelta(minutes=10),
        back=week["afternoon"].end + timedelta(minutes=10),
        travel_minutes=20,
    )
    UnservedFactory(
        run=run,
        intervention=intervention(order(week["entity"]), TUESDAY, time(18)),
        reason=UnservedReason.NO_LOCATION,
        message="Adresse sans coordonnées : renseignez-les.",
    )
    return run


def test_the_proposal_page(client: Any, week: dict[str, Any], proposal: PlanningRun) -> None:
    client.force_login(week["planner"])
    soup = BeautifulSoup(client.get(run_url(proposal)).content, "html.parser")

    # Hours bars: Ana 10 h of a 26 h week below her 20 h minimum; Bruno 30 h of 40 h.
    ana_row = one(soup, f'#hours tr[data-person="{week["ana"].pk}"]')
    bar = one(ana_row, ".progress-bar")
    assert "planning-w-38" in bar["class"] and "bg-warning" in bar["class"]
    assert one(ana_row, ".planning-mark-min")["class"][-1] == "planning-l-77"
    assert "sous le minimum" in ana_row.text
    bruno_row = one(soup, f'#hours tr[data-person="{week["bruno"].pk}"]')
    assert "planning-w-75" in one(bruno_row, ".progress-bar")["class"]
    assert bruno_row.select_one(".planning-mark-min") is None
    assert one(bruno_row, ".progress")["aria-valuenow"] == "30.00"
    # The changes, with a checkbox and a lock button; the unchanged ones apart.
    (change,) = soup.select("#changes tbody tr")
    assert "ESSAI" not in change.text and "ANA" in change.text and "à pourvoir" in change.text
    row = proposal.assignments.get(intervention=week["tuesday"])
    assert one(change, "input[type=checkbox]")["value"] == str(row.pk)
    assert one(change, "button[form=lock-form]")["value"] == str(row.pk)
    assert "1 affectation(s) inchangée(s)" in one(soup, "#unchanged").text
    # The unserved, with their reason.
    unserved = one(soup, "#unserved").text
    assert "Adresse du site sans coordonnées" in unserved and "renseignez-les" in unserved
    # Bruno's Tuesday as a sketch: home, one stop, back home, with times.
    svg = one(soup, "#route-sketch")
    assert len(str(one(svg, "polyline")["points"]).split()) == 3
    assert len(svg.select("circle")) == 1
    assert "14h00–16h00" in svg.text
    steps = one(soup, "#route-steps").text
    assert "Départ du siège à 13h50" in steps and "Retour à 16h10" in steps


def test_the_route_partial(client: Any, week: dict[str, Any], proposal: PlanningRun) -> None:
    client.force_login(week["planner"])
    route = proposal.routes.get()
    url = run_url(proposal) + f"?tournee={route.pk}"
    full = client.get(url).content.decode()
    fragment = client.get(url, headers={"HX-Request": "true", "HX-Target": "route"})
    text = fragment.content.decode().strip()
    assert text.startswith('<div id="route">') and "<svg" in text
    assert text in full


def test_accept_all_from_the_page(client: Any, week: dict[str, Any], proposal: PlanningRun) -> None:
    client.force_login(week["planner"])
    response = client.post(run_url(proposal, "accept"), {"all": "1"}, follow=True)
    assert "Proposition acceptée : 2 affectation(s), dont 1 changement(s)" in text(response)
    assert Intervention.objects.get(pk=week["tuesday"].pk).worker == week["ana"]
    one(BeautifulSoup(response.content, "html.parser"), "#accepted-badge")


def test_accept_the_ticked_rows(client: Any, week: dict[str, Any], proposal: PlanningRun) -> None:
    client.force_login(week["planner"])
    row = proposal.assignments.get(intervention=week["tuesday"])
    client.post(run_url(proposal, "accept"), {"assignment": [str(row.pk)]})
    row.refresh_from_db()
    assert row.accepted_at is not None
    assert proposal.assignments.filter(accepted_at__isnull=True).count() == 1


def test_a_refused_acceptance_says_why(
    client: Any, week: dict[str, Any], proposal: PlanningRun
) -> None:
    client.force_login(week["planner"])
    response = client.post(run_url(proposal, "accept"), {}, follow=True)
    assert "cochez au moins une ligne" in text(response)
    assert client.get(run_url(proposal, "accept")).status_code == 405


def test_lock_and_unlock_from_the_page(
    client: Any, week: dict[str, Any], proposal: PlanningRun
) -> None:
    client.force_login(week["planner"])
    row = proposal.assignments.get(intervention=week["tuesday"])
    response = client.post(run_url(proposal, "lock"), {"assignment": row.pk}, follow=True)
    assert "garde l'intervention du 13/01/2026" in text(response)
    lock = PlanningLock.objects.get()
    assert (lock.intervention, lock.worker) == (week["tuesday"], week["ana"])
    soup = BeautifulSoup(response.content, "html.parser")
    assert one(soup, "#changes button[form=unlock-form]")["value"] == str(row.pk)
    response = client.post(run_url(proposal, "unlock"), {"assignment": row.pk}, follow=True)
    assert "Verrou retiré" in text(response)
    assert not PlanningLock.objects.exists()
    response = client.post(run_url(proposal, "unlock"), {"assignment": row.pk}, follow=True)
    assert "n'est pas verrouillée" in text(response)


def test_a_row_of_another_run_cannot_be_locked(
    client: Any, week: dict[str, Any], proposal: PlanningRun
) -> None:
    other = ProposedAssignmentFactory(run=PlanningRunFactory(entity=week["entity"]))
    client.force_login(week["planner"])
    assert client.post(run_url(proposal, "lock"), {"assignment": other.pk}).status_code == 404
    assert client.post(run_url(proposal, "lock"), {"assignment": "x"}).status_code == 404
    assert not PlanningLock.objects.exists()


def test_rerun_keeps_the_week_and_the_time(
    client: Any,
    week: dict[str, Any],
    proposal: PlanningRun,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client.force_login(week["planner"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(run_url(proposal, "rerun"))
    new = PlanningRun.objects.exclude(pk=proposal.pk).get()
    assert response["Location"] == run_url(new)
    assert (new.entity, new.week, new.seconds, new.status) == (
        week["entity"],
        MONDAY,
        proposal.seconds,
        RunStatus.DONE,
    )


# --- The weekly board ------------------------------------------------------------------------


def test_the_board_links_to_the_engine_and_loads_the_hours(
    client: Any, week: dict[str, Any], proposal: PlanningRun
) -> None:
    client.force_login(week["planner"])
    board = client.get(reverse("orders:board") + "?semaine=2026-W03").content.decode()
    soup = BeautifulSoup(board, "html.parser")
    assert one(soup, "#engine-link")["href"] == reverse("planning:index") + "?semaine=2026-W03"
    hours_url = reverse("planning:week_hours") + "?semaine=2026-W03"
    assert one(soup, f'[hx-get="{hours_url}"]')["hx-trigger"] == "load"

    empty = client.get(hours_url, headers={"HX-Request": "true"}).content.decode()
    assert "Aucune proposition du moteur acceptée pour cette semaine" in empty
    client.post(run_url(proposal, "accept"), {"all": "1"})
    fragment = client.get(hours_url, headers={"HX-Request": "true"}).content.decode().strip()
    assert fragment.startswith('<section id="week-hours"')
    assert "planning-w-38" in fragment and run_url(proposal) in fragment
    assert fragment in client.get(hours_url).content.decode()


def test_the_proposal_page_does_not_query_per_row(
    client: Any, week: dict[str, Any], proposal: PlanningRun
) -> None:
    client.force_login(week["planner"])
    client.get(run_url(proposal))  # warm the session and content-type caches

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(run_url(proposal)).status_code == 200
        return len(queries)

    before = count()
    for hour in (7, 11, 17, 19):
        item = intervention(order(week["entity"]), TUESDAY + timedelta(days=1), time(hour))
        ProposedAssignmentFactory(run=proposal, intervention=item, worker=week["bruno"])
        PlanningLock.objects.create(entity=week["entity"], intervention=item, worker=week["ana"])
        UnservedFactory(run=proposal, intervention=intervention(order(week["entity"]), MONDAY))
        RunWorkerFactory(run=proposal, person=worker(week["entity"], f"W{hour}"))
    assert count() == before


# --- Starting points -------------------------------------------------------------------------

# The workers' contracts run from 01/12/2025 to 30/06/2026.
during_the_contracts = time_machine.travel(date(2026, 1, 10), tick=False)


@during_the_contracts
def test_set_and_clear_a_worker_s_starting_point(client: Any, week: dict[str, Any]) -> None:
    client.force_login(week["planner"])
    page = client.get(reverse("planning:homes"))
    rows = BeautifulSoup(page.content, "html.parser").select("#homes tbody tr")
    assert {r["id"] for r in rows} == {f"home-{week['ana'].pk}", f"home-{week['bruno'].pk}"}
    response = client.post(
        reverse("planning:homes"),
        {"person": week["ana"].pk, "latitude": "46,312345", "longitude": "-0.41"},
        follow=True,
    )
    assert "commencera ses journées depuis son point de départ" in text(response)
    home = WorkerHome.objects.get(entity=week["entity"], person=week["ana"])
    assert (home.latitude, home.longitude) == (Decimal("46.312345"), Decimal("-0.410000"))
    assert one(BeautifulSoup(response.content, "html.parser"), f"#home-{week['ana'].pk}")
    worker_of_week = load_week(week["entity"], MONDAY).week.workers_by_id()[week["ana"].pk]
    assert worker_of_week.home == Location(46.312345, -0.41)
    entry = AuditEntry.objects.get(action="planning.worker_home_set")
    assert entry.actor == week["planner"] and entry.data == {}  # where someone lives: not logged

    client.post(reverse("planning:homes"), {"person": week["ana"].pk})
    assert not WorkerHome.objects.exists()


@during_the_contracts
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"latitude": "146", "longitude": "0"}, "Latitude : elle est comprise entre -90 et 90"),
        ({"latitude": "46,3", "longitude": ""}, "Saisissez la latitude et la longitude, ou"),
        ({"latitude": "nord", "longitude": "0"}, "Latitude : saisissez des degrés décimaux"),
    ],
    ids=["out_of_range", "only_one", "not_a_number"],
)
def test_a_bad_starting_point_is_refused_in_french(
    client: Any, week: dict[str, Any], data: dict[str, str], message: str
) -> None:
    WorkerHomeFactory(entity=week["entity"], person=week["ana"])
    client.force_login(week["planner"])
    response = client.post(
        reverse("planning:homes"), {"person": week["ana"].pk, **data}, follow=True
    )
    assert message in text(response)
    assert WorkerHome.objects.get().latitude == Decimal("46.3")  # the saved point is kept


@during_the_contracts
def test_only_the_entity_s_workers_get_a_starting_point(client: Any, week: dict[str, Any]) -> None:
    stranger = worker(EntityFactory(group=week["entity"].group), "Ailleurs")
    client.force_login(week["planner"])
    response = client.post(
        reverse("planning:homes"),
        {"person": stranger.pk, "latitude": "46", "longitude": "0"},
        follow=True,
    )
    assert "choisissez un intervenant de la structure" in text(response)
    assert not WorkerHome.objects.exists()
    client.force_login(user_with_role(Role.ACCOUNTANT, week["entity"]))
    assert client.get(reverse("planning:homes")).status_code == 403
