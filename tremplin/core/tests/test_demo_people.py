"""The demo people and their pathways: shape, rules, idempotency, and no NIR in clear at rest."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from tremplin.accounts.demo import email_for
from tremplin.core.tests.demo_cleanup import wipe_database
from tremplin.organisations.rules import SiaeKind
from tremplin.pathways import rules
from tremplin.pathways.models import (
    Action,
    Appointment,
    Barrier,
    DiagnosisCriterion,
    Exit,
    ExitFollowUp,
    Objective,
    PassIae,
    PassProlongation,
    PassSuspension,
    PathwayStep,
    StepKind,
    Training,
    TrainingKind,
)
from tremplin.pathways.rules import (
    ExitCategory,
    ExitReason,
    ProlongationReason,
    SuspensionReason,
)
from tremplin.people.models import Intake, NotAdmittedReason, Person, PersonJob
from tremplin.people.rules import IntakeStatus, mask_nir, nir_errors, normalize_nir
from tremplin.people.tests.factories import PersonFactory, make_nir

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
TODAY = date(2026, 11, 26)


def _travel(day: date) -> time_machine.travel:
    return time_machine.travel(datetime(day.year, day.month, day.day, 10, tzinfo=PARIS), tick=False)


def _load_demo(settings: Any, day: date) -> None:
    settings.DEBUG = True
    with _travel(day):
        call_command("load_demo", stdout=StringIO())


def _counts(*labels: str) -> dict[str, int]:
    return {
        model.__name__: model._default_manager.count()
        for label in labels or ("accounts", "organisations", "people", "pathways")
        for model in apps.get_app_config(label).get_models()
    }


def _rows(queryset: Any) -> list[tuple[str, ...]]:
    return sorted(tuple(map(str, row)) for row in queryset)


def _fingerprint() -> dict[str, list[tuple[str, ...]]]:
    """The demo's content without primary keys nor ciphertexts (random by design)."""
    key = "person__identity_key"
    return {
        "people": _rows(
            Person.objects.values_list(
                "identity_key", "entity__slug", "nir_masked", "no_nir_reason", "referent__email",
                "address", "city", "rsa", "housing", "france_travail_since",
            )
        ),
        "intakes": _rows(
            Intake.objects.values_list(
                key, "entity__slug", "contacted_on", "channel", "orienter", "status",
                "status_changed_on", "not_admitted_reason", "redirected_to",
            )
        ),
        "jobs": _rows(PersonJob.objects.values_list(key, "rome__code", "kind")),
        "steps": _rows(
            PathwayStep.objects.values_list(
                key, "entity__slug", "kind", "siae_kind", "job_title", "started_on", "ended_on",
                "referent__email",
            )
        ),
        "criteria": _rows(
            DiagnosisCriterion.objects.values_list(
                "diagnosis__person__identity_key", "diagnosis__made_on",
                "diagnosis__author_kind", "criterion",
            )
        ),
        "passes": _rows(PassIae.objects.values_list(key, "number", "start", "end")),
        "prolongations": _rows(
            PassProlongation.objects.values_list("pass_iae__number", "start", "end", "reason")
        ),
        "barriers": _rows(
            Barrier.objects.values_list(
                "assessment__person__identity_key", "assessment__assessed_on", "theme", "severity"
            )
        ),
        "objectives": _rows(Objective.objects.values_list(key, "title", "due_on", "status")),
        "actions": _rows(
            Action.objects.values_list("objective__person__identity_key", "title", "due_on")
        ),
        "appointments": _rows(Appointment.objects.values_list(key, "held_on", "kind", "notes")),
        "trainings": _rows(Training.objects.values_list(key, "kind", "title", "start", "end")),
        "exits": _rows(
            Exit.objects.values_list(key, "exit_on", "reason", "hours_worked", "counted")
        ),
        "follow_ups": _rows(
            ExitFollowUp.objects.values_list(
                "exit__person__identity_key", "due_on", "done_on", "situation"
            )
        ),
    }  # fmt: skip


def _open_insertion_steps(day: date) -> Iterator[PathwayStep]:
    for step in PathwayStep.objects.select_related("person", "entity"):
        if step.kind == StepKind.INSERTION and step.is_open_on(day):
            yield step


def _effective_end(person: Person) -> date:
    latest = max(person.passes.all(), key=lambda p: p.start)
    return latest.effective_end()


# --- Shape --------------------------------------------------------------------------------------


@pytest.mark.parametrize("day", [TODAY, date(2028, 2, 29)], ids=["autumn", "leap_day"])
def test_load_demo_gives_the_expected_people_and_pathways(settings: Any, day: date) -> None:
    _load_demo(settings, day)
    people = list(Person.objects.all())
    assert 110 <= len(people) <= 130
    with_nir = [p for p in people if p.has_nir]
    assert len(people) // 4 <= len(with_nir) <= len(people) // 2, "about a third with a NIR"
    assert any(p.no_nir_reason for p in people)

    # Intakes only, at every step, from many orienters and channels, with second files.
    intakes = list(Intake.objects.all())
    assert {i.status for i in intakes} == set(IntakeStatus.values)
    assert {i.not_admitted_reason for i in intakes} >= set(NotAdmittedReason.values)
    assert all(i.redirected_to for i in intakes if i.status == IntakeStatus.REDIRECTED)
    assert len({i.orienter for i in intakes}) >= 8
    assert len({i.channel for i in intakes}) >= 5
    shared = Counter(p.identity_key for p in people)
    assert sum(1 for n in shared.values() if n > 1) >= 3, "second files for the reception"

    # In pathway at the AI, the two EI posts at Élan Services.
    open_steps = list(_open_insertion_steps(day))
    ai_steps = [s for s in open_steps if s.siae_kind == SiaeKind.AI]
    ei_steps = [s for s in open_steps if s.siae_kind == SiaeKind.EI]
    assert len(ai_steps) >= 40
    assert {s.entity.slug for s in ai_steps} == {"elan-emploi"}
    assert len(ei_steps) == 2 and {s.entity.slug for s in ei_steps} == {"elan-services"}
    cip = Person.objects.filter(referent__email=email_for("cip")).count()
    assert cip >= 30
    assert Appointment.objects.filter(referent__email=email_for("cip")).exists()

    # Long pathways at the AI, mostly of seniors (the seed: ~30 % for more than two years).
    long_steps = [s for s in ai_steps if rules.is_long_pathway(s.started_on, day)]
    flags = [rules.senior_threshold_flags(s.person.birth_date, day) for s in long_steps]
    assert 0.2 <= len(long_steps) / len(ai_steps) <= 0.4
    assert sum(f.aged_50_plus for f in flags) >= 2 * len(long_steps) / 3
    assert sum(f.aged_57_plus for f in flags) >= 4
    assert all((day - s.started_on).days > 730 for s in long_steps)

    # PASS alerts: ending within 3 months, prolongation window, a suspension, prolongations.
    in_pathway = [s.person for s in open_steps]
    ends = [_effective_end(p) for p in in_pathway]
    assert all(end >= day for end in ends), "everyone in an insertion post holds a valid PASS"
    assert sum(rules.ends_within(end, day, 3) for end in ends) >= 4
    assert sum(rules.is_in_prolongation_window(end, day) for end in ends) >= 15
    assert PassSuspension.objects.count() == 1
    assert PassProlongation.objects.count() >= 12

    # People without an appointment for more than 30 days.
    overdue = [
        p
        for p in in_pathway
        if rules.appointment_overdue(
            max((a.held_on for a in p.appointments.all()), default=None), day
        )
    ]
    assert len(overdue) >= 5

    # Every exit category, counted and not counted; follow-ups due and done.
    exits = list(Exit.objects.all())
    assert {(e.category, e.counted) for e in exits} == {
        (category, counted) for category in ExitCategory.values for counted in (True, False)
    }
    follow_ups = list(ExitFollowUp.objects.all())
    assert sum(f.done_on is None and f.due_on <= day for f in follow_ups) >= 3
    assert sum(f.done_on is not None for f in follow_ups) >= 10
    assert any(f.due_on > day for f in follow_ups)

    # The seed's 15 CDI: the AI step ends on the exit, a lasting job starts at Élan Domicile.
    cdi = [e for e in exits if e.reason == ExitReason.CDI]
    assert len(cdi) == 15
    for exit_ in cdi:
        assert exit_.step is not None and exit_.step.siae_kind == SiaeKind.AI
        assert exit_.step.ended_on == exit_.exit_on
        job = exit_.person.pathway_steps.get(kind=StepKind.LASTING_JOB)
        assert job.entity.slug == "elan-domicile"
        assert job.started_on == exit_.exit_on + timedelta(days=1) and job.ended_on is None

    # Trainings and immersions, wanted jobs for about half the people.
    kinds = Counter(Training.objects.values_list("kind", flat=True))
    assert kinds[TrainingKind.TRAINING] >= 4 and kinds[TrainingKind.PMSMP] >= 3
    wanted = PersonJob.objects.values("person").distinct().count()
    assert 0.35 * len(people) <= wanted <= 0.65 * len(people)


# --- The demo obeys the rules -----------------------------------------------------------------


def test_demo_pathways_obey_the_rules(settings: Any) -> None:
    _load_demo(settings, TODAY)
    for person in Person.objects.all():
        nir = person.reveal_nir()
        if nir:
            assert nir_errors(nir, birth_date=person.birth_date, civility=person.civility) == []
            assert person.nir_masked == mask_nir(nir)
        for intake in person.intakes.all():
            assert intake.contacted_on <= intake.status_changed_on <= TODAY
            if intake.status == IntakeStatus.NOT_ADMITTED:
                assert intake.not_admitted_reason
        insertion = [s for s in person.pathway_steps.all() if s.kind == StepKind.INSERTION]
        for before, after in zip(insertion, insertion[1:], strict=False):
            assert before.ended_on is not None and before.ended_on < after.started_on
        if insertion:
            hired = person.intakes.get(status=IntakeStatus.HIRED)
            assert hired.status_changed_on == insertion[0].started_on

    assert not PassIae.objects.filter(diagnosis=None).exists()
    for pass_iae in PassIae.objects.select_related("diagnosis", "person"):
        assert re.fullmatch(r"99999\d{7}", pass_iae.number)
        assert pass_iae.end == rules.pass_end(pass_iae.start)
        diagnosis = pass_iae.diagnosis
        assert diagnosis.result().eligible
        assert rules.is_eligible_by_criteria(
            SiaeKind(diagnosis.siae_kind), diagnosis.criteria_list(), today=diagnosis.made_on
        ).eligible
        assert rules.is_diagnosis_valid(
            diagnosis.made_on, pass_iae.start, prescriber_is_authorised=diagnosis.by_prescriber
        )
        steps = pass_iae.person.pathway_steps.filter(kind=StepKind.INSERTION)
        covered = max(s.ended_on or TODAY for s in steps)
        assert pass_iae.effective_end() >= covered, "the PASS covers the insertion steps"
        previous: list[rules.ProlongationPeriod] = []
        suspended = [
            rules.SuspensionPeriod(s.start, s.end, SuspensionReason(s.reason))
            for s in pass_iae.suspensions.all()
        ]
        end = rules.pass_end_with_suspensions_and_prolongations(pass_iae.start, suspended)
        for row in pass_iae.prolongations.order_by("start"):
            prolongation = rules.ProlongationPeriod(
                row.start, row.end, ProlongationReason(row.reason)
            )
            assert row.prescriber_name
            assert (
                rules.prolongation_errors(
                    prolongation,
                    kind=SiaeKind(diagnosis.siae_kind),
                    pass_end=end,
                    today=prolongation.start,
                    previous=previous,
                )
                == []
            )
            if prolongation.reason is ProlongationReason.SENIOR:
                age = rules.age_on(pass_iae.person.birth_date, prolongation.start)
                assert age >= 50
            previous.append(prolongation)
            end = prolongation.end

    suspension = PassSuspension.objects.select_related("pass_iae").get()
    assert suspension.reason == SuspensionReason.CONTRACT_SUSPENDED
    assert (
        rules.suspension_errors(
            rules.SuspensionPeriod(
                suspension.start, suspension.end, SuspensionReason(suspension.reason)
            ),
            kind=SiaeKind.AI,
            pass_start=suspension.pass_iae.start,
            pass_end=suspension.pass_iae.end,
            today=suspension.end,
        )
        == []
    )

    for exit_ in Exit.objects.select_related("step"):
        kind = SiaeKind(exit_.siae_kind)
        assert exit_.category == rules.exit_category(ExitReason(exit_.reason))
        assert exit_.step is not None and exit_.step.ended_on == exit_.exit_on
        months = rules.insertion_months([(exit_.step.started_on, exit_.exit_on)], exit_.exit_on)
        assert exit_.contract_months == months
        assert exit_.counted == rules.exit_counts(
            kind, hours_worked=exit_.hours_worked, contract_months=months, on=exit_.exit_on
        )
        planned = [f.due_on for f in exit_.follow_ups.all()]
        assert planned == list(rules.follow_up_dates(exit_.exit_on))
        for follow_up in exit_.follow_ups.all():
            assert follow_up.done_on is None or follow_up.due_on <= follow_up.done_on <= TODAY

    for appointment in Appointment.objects.all():
        assert appointment.held_on <= TODAY


# --- Idempotent and deterministic ---------------------------------------------------------------


def test_load_demo_is_idempotent_and_deterministic(settings: Any) -> None:
    _load_demo(settings, TODAY)
    counts, content = _counts(), _fingerprint()
    people_counts = _counts("people", "pathways")
    assert counts["Person"] >= 110

    _load_demo(settings, TODAY)
    assert _counts() == counts and _fingerprint() == content
    # Another day, another year: the people are found again by their names and nothing is
    # added to them (the group itself gets the financial annex of the new year).
    _load_demo(settings, TODAY + timedelta(days=40))
    assert _counts("people", "pathways") == people_counts

    # From scratch, the same day gives the same people and pathways (seeded, not random).
    wipe_database()
    _load_demo(settings, TODAY)
    assert _counts("people", "pathways") == people_counts
    assert _fingerprint() == content


# --- The NIR at rest ----------------------------------------------------------------------------

# Separators a NIR may be written with: spaces (also non-breaking), tabs, dots, dashes.
_SEPARATORS = re.compile(rb"[\s.\-]|\xc2\xa0|\xe2\x80\xaf")


def nirs_in_clear(blob: bytes, nirs: Iterable[str]) -> set[str]:
    """The NIRs of ``nirs`` that ``blob`` holds in clear, whatever their spacing.

    Separators are removed from the whole blob first, so ``1 85 05 78 006 084 36``,
    ``1.85.05.78.006.084.36`` and ``185057800608436`` are all found; so is the NIR without its
    key (13 characters), in upper or lower case (Corsica's 2A/2B).
    """
    squeezed = _SEPARATORS.sub(b"", blob).upper()
    found = set()
    for nir in nirs:
        value = normalize_nir(nir).encode()
        if value in squeezed or value[:13] in squeezed:
            found.add(nir)
    return found


def database_bytes(tmp_path: Path) -> bytes:
    """Every byte the test database holds: the SQLite file (and its WAL), or a ``pg_dump``."""
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        if connection.is_in_memory_db():
            # The backup API copies the pages as they are, free pages included.
            copy = tmp_path / "copie.sqlite3"
            target = sqlite3.connect(copy)
            try:
                connection.connection.backup(target)
            finally:
                target.close()
            return copy.read_bytes()
        name = Path(connection.settings_dict["NAME"])
        wal = name.with_name(name.name + "-wal")
        return name.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    if connection.vendor == "postgresql":
        return _pg_dump()
    pytest.skip(f"Pas de lecture brute pour la base {connection.vendor}.")


def _pg_dump() -> bytes:
    executable = shutil.which("pg_dump")
    if executable is None:
        pytest.skip("pg_dump est introuvable : apt-get install postgresql-client.")
    settings = connection.settings_dict
    command = [executable, "--no-owner", "--no-privileges", "--dbname", settings["NAME"]]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings.get(key):
            command += [option, str(settings[key])]
    env = {**os.environ, "PGPASSWORD": settings.get("PASSWORD") or ""}
    result = subprocess.run(command, capture_output=True, env=env, timeout=120, check=True)
    return result.stdout


def _clear_nirs() -> list[str]:
    return [p.reveal_nir() for p in Person.objects.exclude(nir_ciphertext="")]


@pytest.mark.django_db(transaction=True)
def test_no_nir_in_clear_in_the_sqlite_file(settings: Any, tmp_path: Path) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("Lecture du fichier SQLite : la base de test n'est pas SQLite.")
    _load_demo(settings, TODAY)
    nirs = _clear_nirs()
    assert len(nirs) >= 30
    assert nirs_in_clear(database_bytes(tmp_path), nirs) == set()
    _assert_masked()


@pytest.mark.django_db(transaction=True)
def test_no_nir_in_clear_in_pg_dump(settings: Any, tmp_path: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump : la base de test n'est pas PostgreSQL.")
    _load_demo(settings, TODAY)
    nirs = _clear_nirs()
    assert len(nirs) >= 30
    assert nirs_in_clear(database_bytes(tmp_path), nirs) == set()
    _assert_masked()


def _assert_masked() -> None:
    for person in Person.objects.exclude(nir_ciphertext=""):
        nir = person.reveal_nir()
        assert person.nir_masked == mask_nir(nir)
        assert person.nir_masked.count("*") == 8 and nir[5:13] not in person.nir_masked
        assert person.nir_hash == Person.nir_hash_of(nir, person.entity.group_id)


@pytest.mark.django_db(transaction=True)
def test_the_scan_finds_a_nir_written_in_clear(tmp_path: Path) -> None:
    in_city, in_address, encrypted = (
        make_nir("2", 1995, 10),
        make_nir("1", 1985, 5, "78"),
        make_nir("1", 1996, 2),
    )
    n = in_city
    PersonFactory(city=f"{n[0]} {n[1:3]} {n[3:5]} {n[5:7]} {n[7:10]} {n[10:13]} {n[13:]}")
    PersonFactory(address=f"NIR : {in_address}")
    PersonFactory(nir=encrypted)
    found = nirs_in_clear(database_bytes(tmp_path), [in_city, in_address, encrypted])
    assert found == {in_city, in_address}, "written in clear: found; encrypted: not found"
