"""Contracts of the demo people and the group's HR register: habilitations, medical visits and
one staff loan.

Built on the pathways of :mod:`tremplin.pathways.demo`, each step gets the contracts the seed
describes:

- at Élan Emploi (AI), a CDD d'usage amélioré (CDDUA) of 6 to 18 months guaranteeing about
  85 hours a month; the longer pathways were first employed under CDD d'usage (one CDDU per
  placement) and converted, some CDDUA are renewed, and the pathways that ended close their
  last contract on the exit day;
- at Élan Services (EI, two posts), a CDD d'insertion of 4 to 24 months, 20 to 35 hours a week;
- at Élan Domicile, a CDI, mostly part-time, for the AI leavers whose lasting job starts there;
- at Élan Services again, a CDI for the three people hired there outside the IAE.

Exactly 15 CDDUA are concluded in the last complete calendar year (the year before the day of
loading), guaranteeing 85 hours a month on average: the seed's first result. Where each
worker's CDDUA begins is chosen within what the rules allow (see :func:`place_in_year`).

Every contract is checked by :func:`tremplin.contracts.rules.contract_errors` (and renewals by
:func:`~tremplin.contracts.rules.renewal_errors`) against the person's PASS IAE before it is
saved: the demo obeys the rules it shows. Hourly rates start at or above the SMIC in force and
follow its increases through avenants. Contracts link to their pathway step as
:func:`tremplin.contracts.actions.create_contract` does.

A person who already holds a contract is left as they are, so a second load adds nothing; each
person's contracts come from a generator seeded with their place in the cast.
"""

from __future__ import annotations

import dataclasses
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from tremplin.accounts.models import User
from tremplin.contracts import actions
from tremplin.contracts.models import (
    Amendment,
    Contract,
    Habilitation,
    HabilitationKind,
    MedicalVisit,
    amendment_value,
    default_funding,
)
from tremplin.contracts.rules import (
    SMIC_HOURLY,
    ContractKind,
    ContractTerms,
    EndReason,
    contract_errors,
    end_errors,
    period_end,
    post_type_for,
    probation_end,
    renewal_errors,
    staff_loan_errors,
    started_months,
)
from tremplin.core.dates import format_date
from tremplin.organisations.models import Entity, Group
from tremplin.pathways.models import Exit, PassIae, PathwayStep, StepKind
from tremplin.pathways.rules import ExitReason
from tremplin.people import demo as people_demo
from tremplin.people.demo import AI, EI, Member, Story
from tremplin.people.models import Person

# Exit reason of a pathway → reason the last contract of the step ended for.
END_REASONS: dict[ExitReason, EndReason] = {
    ExitReason.CDI: EndReason.HIRED_CDI,
    ExitReason.LONG_FIXED_TERM: EndReason.HIRED_CDD_OVER_6_MONTHS,
    ExitReason.PUBLIC_SERVICE: EndReason.PUBLIC_SERVICE,
    ExitReason.BUSINESS_CREATION: EndReason.BUSINESS_CREATION,
    ExitReason.SHORT_FIXED_TERM: EndReason.HIRED_CDD_UNDER_6_MONTHS,
    ExitReason.SUBSIDISED_CONTRACT: EndReason.HIRED_ASSISTED_CONTRACT,
    ExitReason.TRAINING: EndReason.TRAINING,
    ExitReason.OTHER_SIAE: EndReason.HIRED_OTHER_SIAE,
    ExitReason.JOB_SEEKER: EndReason.JOB_SEEKING,
    ExitReason.INACTIVE: EndReason.INACTIVE,
    ExitReason.OTHER: EndReason.MUTUAL_AGREEMENT,
    ExitReason.DEATH: EndReason.DEATH,
    ExitReason.MOVED_AWAY: EndReason.MOVED_AWAY,
    ExitReason.ILLNESS: EndReason.HEALTH,
}

# Guaranteed monthly hours of the CDDUA concluded last year, in the order they start: 85 hours
# a month on average, the seed's figure (sum 1 275 over 15 contracts).
SEED_CDDUA_HOURS = (
    Decimal(70),
    Decimal(95),
    Decimal(78),
    Decimal(88),
    Decimal(80),
    Decimal(100),
    Decimal(85),
    Decimal(82),
    Decimal(92),
    Decimal(75),
    Decimal(85),
    Decimal(90),
    Decimal(80),
    Decimal(90),
    Decimal(85),
)
# Guaranteed monthly hours of the other CDDUA: about 85 hours on average (the seed).
_CDDUA_MONTHLY_HOURS = (
    Decimal(60),
    Decimal(70),
    Decimal(78),
    Decimal(80),
    Decimal(85),
    Decimal(85),
    Decimal("86.67"),
    Decimal(90),
    Decimal(95),
    Decimal(104),
)
_CDDI_WEEKLY_HOURS = (Decimal(24), Decimal(26), Decimal(30))
# Élan Domicile's CDI: part time from the legal minimum of 24 h; two of the fifteen full time.
_CDI_WEEKLY_HOURS = (Decimal(24), Decimal(26), Decimal(28), Decimal(30))
_CDI_FULL_TIME_RANKS = frozenset({3, 10})
# Élan Services' CDI outside the IAE, by rank: two full time, one part time.
_SERVICES_CDI_WEEKLY_HOURS = (Decimal(35), Decimal(35), Decimal(30))

# Days from the hiring under which the AI hires directly in CDDUA; beyond, the CDDUA may
# follow CDD d'usage, and it started at most this many days before the day it covers.
_DIRECT_CDDUA_DAYS = 240
_LATEST_CDDUA_DAYS = 480
# At most this many CDD d'usage before the conversion, one every two and a half months or so.
_MAX_CDDU = 6
_CDDU_EVERY_DAYS = 75

_JOB_TITLES = {
    "Entretien de locaux (mises à disposition)": "Agent d'entretien des locaux",
    "Ménage et repassage chez des particuliers": "Employé familial (ménage, repassage)",
    "Entretien des espaces verts": "Agent d'entretien des espaces verts",
    "Manutention et préparation de commandes": "Manutentionnaire, préparateur de commandes",
    "Plonge en restauration collective": "Plongeur en restauration collective",
    "Aide au déménagement et manutention": "Aide-déménageur",
    "Lavage automobile sans eau": "Laveur automobile (lavage sans eau)",
    "Numérisation et gestion électronique des documents": "Opérateur de numérisation",
}


@dataclasses.dataclass(frozen=True, slots=True)
class PassFacts:
    """The person's birth date and PASS IAE, as the contract form reads them."""

    birth_date: date
    pass_start: date | None
    pass_end: date | None


def terms_of(
    contract: Contract,
    facts: PassFacts,
    *,
    previous_months: int = 0,
    is_renewal: bool = False,
) -> ContractTerms:
    """The terms the contract rules check, for a contract as saved."""
    return ContractTerms(
        kind=ContractKind(contract.kind),
        start=contract.start,
        planned_end=contract.planned_end,
        weekly_hours=contract.weekly_hours,
        monthly_hours=contract.monthly_hours,
        hourly_rate=contract.hourly_rate,
        birth_date=facts.birth_date,
        pass_iae_start=facts.pass_start,
        pass_iae_end=facts.pass_end,
        is_renewal=is_renewal,
        previous_cumulated_months=previous_months,
    )


# --- Loading ------------------------------------------------------------------------------------


def load(group: Group, today: date) -> None:
    """Create the contracts and register data of the demo people who have no contract yet."""
    members = people_demo.cast(today)
    people = people_demo.people_of(group, members)
    done = set(
        Contract.objects.filter(person__in=[p.pk for p in people.values()]).values_list(
            "person_id", flat=True
        )
    )
    todo = {i: p for i, p in people.items() if p.pk not in done}
    if not todo:
        return
    builder = _Builder(group, today, todo.values())
    builder.plan_cddua(members, todo)
    for member in members:
        person = todo.get(member.index)
        if person is not None:
            builder.add(member, person)
    builder.save()


@dataclasses.dataclass
class _Planned:
    """A contract to insert, with what its checks need."""

    contract: Contract
    facts: PassFacts
    agreed_on: date
    previous: _Planned | None = None
    amendments: list[Amendment] = dataclasses.field(default_factory=list)

    @property
    def previous_months(self) -> int:
        """Started months of the contracts this one renews (art. L1242-8-1 counts them)."""
        months, link = 0, self.previous
        while link is not None:
            assert link.contract.planned_end is not None
            months += started_months(link.contract.start, link.contract.planned_end)
            link = link.previous
        return months


class _Builder:
    def __init__(self, group: Group, today: date, people: Iterable[Person]) -> None:
        self.today = today
        self.entities = {e.slug: e for e in Entity.objects.filter(group=group)}
        self.conventions = {
            slug: list(entity.conventions.all()) for slug, entity in self.entities.items()
        }
        self.rh: User | None = people_demo.demo_users(["rh"]).get("rh")
        pks = [p.pk for p in people]
        self.steps: dict[int, list[PathwayStep]] = defaultdict(list)
        for step in PathwayStep.objects.filter(person__in=pks).select_related("entity"):
            self.steps[step.person_id].append(step)
        self.passes: dict[int, list[PassIae]] = defaultdict(list)
        for pass_iae in PassIae.objects.filter(person__in=pks).prefetch_related(
            "suspensions", "prolongations"
        ):
            self.passes[pass_iae.person_id].append(pass_iae)
        self.exits = {e.step_id: ExitReason(e.reason) for e in Exit.objects.filter(person__in=pks)}
        self.planned: list[_Planned] = []
        self.cddua_starts: dict[int, date] = {}
        self.cddua_hours: dict[int, Decimal] = {}
        self.habilitations: list[Habilitation] = []
        self.visits: list[MedicalVisit] = []
        self.loan_contract: Contract | None = None

    def add(self, member: Member, person: Person) -> None:
        steps = sorted(self.steps[person.pk], key=lambda s: (s.started_on, s.pk))
        if not steps:
            return
        rng = random.Random(f"{people_demo.SEED}:contracts:{member.index}")
        latest = max(self.passes[person.pk], key=lambda p: (p.start, p.pk), default=None)
        facts = PassFacts(
            person.birth_date,
            latest.start if latest else None,
            latest.effective_end() if latest else None,
        )
        mine: list[_Planned] = []
        for step in steps:
            if step.kind == StepKind.LASTING_JOB:
                mine.append(self._cdi(member, person, step, facts, rng))
            elif step.entity.slug == AI:
                mine += self._ai_stint(member, person, step, facts, rng)
            elif step.entity.slug == EI:
                mine += self._ei_stint(person, step, facts, rng)
        for planned in mine:
            self._follow_smic(planned)
            self._check(person, planned)
        self.planned += mine
        contracts = [p.contract for p in mine]
        self._register(member, person, contracts, rng)
        if (member.story, member.rank) == _LENT:
            self.loan_contract = next(
                (
                    c
                    for c in contracts
                    if c.kind == ContractKind.CDDUA and c.is_active_on(self.today)
                ),
                None,
            )

    # Where the CDDUA begin ------------------------------------------------------------------

    def plan_cddua(self, members: Sequence[Member], people: dict[int, Person]) -> None:
        """Choose the first day of each AI worker's CDDUA: exactly :data:`SEED_CDDUA_HOURS`
        of them in the last complete year, with those hours, the others outside it."""
        windows = []
        for member in members:
            person = people.get(member.index)
            if person is None or member.story is Story.AI_SHORT_EXIT:
                continue
            for step in self.steps[person.pk]:
                if step.kind == StepKind.INSERTION and step.entity.slug == AI:
                    windows.append(self._cddua_window(member, person, step))
        if not windows:
            return  # every AI worker holds contracts already
        first, last = date(self.today.year - 1, 1, 1), date(self.today.year - 1, 12, 31)
        self.cddua_starts = place_in_year(windows, first, last, len(SEED_CDDUA_HOURS))
        in_year = sorted(
            (day, key) for key, day in self.cddua_starts.items() if first <= day <= last
        )
        self.cddua_hours = {
            key: hours for (_, key), hours in zip(in_year, SEED_CDDUA_HOURS, strict=True)
        }

    def _cddua_window(self, member: Member, person: Person, step: PathwayStep) -> CdduaWindow:
        """The days the first CDDUA of an AI stint may begin on, and the one it would take.

        The chain of CDDUA (the first one of 6 to 12 months, a renewal up to 18 in all) covers
        the stint's last day, or today: it begins at most 480 days before. The first CDDUA
        lasts 6 months within the PASS IAE. A worker who left had a month under CDDUA at least.
        Left to itself, a short stint is a CDDUA from the hiring, a long one follows CDD d'usage.
        """
        rng = random.Random(f"{people_demo.SEED}:cddua:{member.index}")
        passes = self.passes[person.pk]
        latest_pass = max(passes, key=lambda p: (p.start, p.pk))
        pass_end = latest_pass.effective_end()
        first = step.started_on
        last = step.ended_on or self.today
        latest = pass_end + timedelta(1) - relativedelta(months=6)
        while period_end(latest, 6) > pass_end:
            latest -= timedelta(1)
        days = (last - first).days
        if days < _DIRECT_CDDUA_DAYS or (days < _LATEST_CDDUA_DAYS and rng.random() < 0.4):
            natural = first
        else:
            natural = last - timedelta(rng.randint(30, min(_LATEST_CDDUA_DAYS, days - 60)))
        lo = max(first, last - timedelta(_LATEST_CDDUA_DAYS))
        hi = max(lo, min(latest, last if step.ended_on is None else last - timedelta(30)))
        return CdduaWindow(member.index, min(max(natural, lo), hi), lo, hi)

    # Contracts ---------------------------------------------------------------------------------

    def _contract(
        self,
        person: Person,
        step: PathwayStep,
        kind: ContractKind,
        start: date,
        planned_end: date | None,
        *,
        rate: Decimal,
        monthly_hours: Decimal | None = None,
        weekly_hours: Decimal | None = None,
        job_title: str,
        renewal: bool = False,
    ) -> Contract:
        in_force = any(c.is_in_force(start) for c in self.conventions[step.entity.slug])
        return Contract(
            entity=step.entity,
            person=person,
            kind=kind,
            post_type=post_type_for(kind),
            start=start,
            planned_end=planned_end,
            weekly_hours=weekly_hours,
            monthly_hours=monthly_hours,
            hourly_rate=max(rate, SMIC_HOURLY.on(start)),
            job_title=job_title,
            funding=default_funding(kind, convention_in_force=in_force),
            probation_end=None if renewal else probation_end(kind, start, planned_end),
            pathway_step=step,
        )

    def _ai_stint(
        self,
        member: Member,
        person: Person,
        step: PathwayStep,
        facts: PassFacts,
        rng: random.Random,
    ) -> list[_Planned]:
        """CDD d'usage, then a CDDUA chain covering the step's last day (or today)."""
        assert facts.pass_end is not None
        first = step.started_on
        last = step.ended_on or self.today
        job = _JOB_TITLES.get(step.job_title, step.job_title)
        rate = SMIC_HOURLY.on(first) + rng.choice(
            (Decimal(0), Decimal(0), Decimal("0.05"), Decimal("0.10"))
        )
        if member.story is Story.AI_SHORT_EXIT:
            # Less than two months under CDD d'usage, one per placement.
            periods = _spread(first, last, rng.randint(1, 2), rng, last_ends_on=last)
            return self._cddu(person, step, facts, periods, rate, job, ended_on=last)
        chain_start = self.cddua_starts[member.index]
        planned: list[_Planned] = []
        if chain_start > first:
            # CDD d'usage, one per placement, until the CDDUA.
            gap = (chain_start - first).days
            count = max(1, min(_MAX_CDDU, gap // _CDDU_EVERY_DAYS))
            periods = _spread(first, chain_start - timedelta(1), count, rng)
            planned += self._cddu(person, step, facts, periods, rate, job, ended_on=None)
            rate = max(rate, *(p.contract.hourly_rate for p in planned))
        hours = rng.choice(_CDDUA_MONTHLY_HOURS)
        hours = self.cddua_hours.get(member.index, hours)
        periods = _chain(chain_start, last, facts.pass_end, (6, 12), 18, rng)
        planned += self._chain_contracts(
            person,
            step,
            facts,
            ContractKind.CDDUA,
            periods,
            rate,
            job,
            monthly_hours=hours,
            rng=rng,
        )
        if step.ended_on is not None:
            self._end(planned[-1], step.ended_on, END_REASONS[self.exits[step.pk]])
        return planned

    def _cddu(
        self,
        person: Person,
        step: PathwayStep,
        facts: PassFacts,
        periods: Sequence[tuple[date, date]],
        rate: Decimal,
        job: str,
        *,
        ended_on: date | None,
    ) -> list[_Planned]:
        planned = []
        for start, end in periods:
            contract = self._contract(
                person, step, ContractKind.CDDU, start, end, rate=rate, job_title=job
            )
            item = _Planned(contract, facts, agreed_on=start)
            reason = EndReason.END_OF_TERM
            if ended_on is not None and end == ended_on:
                reason = END_REASONS[self.exits[step.pk]]
            if end < self.today:
                self._end(item, end, reason)
            planned.append(item)
        return planned

    def _ei_stint(
        self, person: Person, step: PathwayStep, facts: PassFacts, rng: random.Random
    ) -> list[_Planned]:
        """A CDDI from the hiring, renewed when its term has passed, within the PASS IAE."""
        assert facts.pass_end is not None
        last = step.ended_on or self.today
        job = _JOB_TITLES.get(step.job_title, step.job_title)
        initial = (4, 4) if step.ended_on is not None else (6, 8)
        periods = _chain(step.started_on, last, facts.pass_end, initial, 24, rng)
        rate = SMIC_HOURLY.on(step.started_on) + Decimal(rng.choice((10, 20, 35))) / 100
        planned = self._chain_contracts(
            person,
            step,
            facts,
            ContractKind.CDDI,
            periods,
            rate,
            job,
            weekly_hours=rng.choice(_CDDI_WEEKLY_HOURS),
            rng=rng,
        )
        if step.ended_on is not None:
            self._end(planned[-1], step.ended_on, END_REASONS[self.exits[step.pk]])
        return planned

    def _chain_contracts(
        self,
        person: Person,
        step: PathwayStep,
        facts: PassFacts,
        kind: ContractKind,
        periods: Sequence[tuple[date, date]],
        rate: Decimal,
        job: str,
        *,
        monthly_hours: Decimal | None = None,
        weekly_hours: Decimal | None = None,
        rng: random.Random,
    ) -> list[_Planned]:
        planned: list[_Planned] = []
        for start, end in periods:
            previous = planned[-1] if planned else None
            contract = self._contract(
                person,
                step,
                kind,
                start,
                end,
                rate=rate,
                monthly_hours=monthly_hours,
                weekly_hours=weekly_hours,
                job_title=job,
                renewal=previous is not None,
            )
            if previous is None:
                item = _Planned(contract, facts, agreed_on=start)
            else:
                # Agreed before the previous term (art. L1243-13), never after today.
                term = start - timedelta(1)
                agreed = min(term, self.today) - timedelta(rng.randint(2, 15))
                contract.renews = previous.contract
                item = _Planned(
                    contract,
                    facts,
                    agreed_on=max(agreed, previous.contract.start),
                    previous=previous,
                )
            planned.append(item)
            rate = contract.hourly_rate
        last = planned[-1].contract
        assert last.planned_end is not None
        if last.planned_end < self.today:
            self._end(planned[-1], last.planned_end, EndReason.END_OF_TERM)
        return planned

    def _cdi(
        self,
        member: Member,
        person: Person,
        step: PathwayStep,
        facts: PassFacts,
        rng: random.Random,
    ) -> _Planned:
        """A lasting job: a CDI from the step's first day, mostly part-time at Élan Domicile."""
        if member.story is Story.SERVICES_CDI:
            hours = _SERVICES_CDI_WEEKLY_HOURS[member.rank]
            job = step.job_title
        else:
            if member.rank in _CDI_FULL_TIME_RANKS:
                hours = Decimal(35)
            else:
                hours = rng.choice(_CDI_WEEKLY_HOURS)
            job = (
                "Jardinier à domicile"
                if "Jardinier" in step.job_title
                else "Intervenant à domicile (ménage, repassage)"
            )
        rate = SMIC_HOURLY.on(step.started_on) + Decimal(rng.choice((15, 25, 40, 55))) / 100
        contract = self._contract(
            person,
            step,
            ContractKind.CDI,
            step.started_on,
            None,
            rate=rate,
            weekly_hours=hours,
            job_title=job,
        )
        return _Planned(contract, facts, agreed_on=step.started_on)

    def _end(self, planned: _Planned, on: date, reason: EndReason) -> None:
        """Record the end of a contract: never after its term (art. L1243-11)."""
        contract = planned.contract
        if contract.planned_end is not None:
            on = min(on, contract.planned_end)
        contract.actual_end = on
        contract.end_reason = reason

    def _follow_smic(self, planned: _Planned) -> None:
        """Raise the hourly rate by avenant when the SMIC goes above it during the contract."""
        contract = planned.contract
        last = min(contract.end or self.today, self.today)
        for period in SMIC_HOURLY.periods:
            if not contract.start < period.valid_from <= last:
                continue
            if contract.hourly_rate >= period.value:
                continue
            old, contract.hourly_rate = contract.hourly_rate, period.value
            planned.amendments.append(
                Amendment(
                    contract=contract,
                    effective_on=period.valid_from,
                    reason=f"Revalorisation du SMIC au {format_date(period.valid_from)} "
                    "(Code du travail, art. L3231-2)",
                    changes={"hourly_rate": [amendment_value(old), amendment_value(period.value)]},
                    created_by=self.rh,
                )
            )

    def _check(self, person: Person, planned: _Planned) -> None:
        """Refuse to load a contract the rules would refuse (the demo must be lawful)."""
        contract = planned.contract
        terms = terms_of(
            contract,
            planned.facts,
            previous_months=planned.previous_months,
            is_renewal=planned.previous is not None,
        )
        errors = contract_errors(terms, today=planned.agreed_on)
        if planned.previous is not None:
            previous = planned.previous
            errors += renewal_errors(
                terms_of(
                    previous.contract,
                    previous.facts,
                    previous_months=previous.previous_months,
                    is_renewal=previous.previous is not None,
                ),
                terms,
            )
        if contract.actual_end is not None:
            ended = end_errors(
                start=contract.start,
                planned_end=contract.planned_end,
                probation_end=contract.probation_end,
                actual_end=contract.actual_end,
                reason=EndReason(contract.end_reason),
            )
            errors += [m for messages in ended.values() for m in messages]
        if errors:
            raise ValueError(
                f"Démonstration : contrat de {person} refusé par les règles : {errors}"
            )

    # HR register -------------------------------------------------------------------------------

    def _register(
        self, member: Member, person: Person, contracts: Sequence[Contract], rng: random.Random
    ) -> None:
        running = [c for c in contracts if c.is_active_on(self.today)]
        if not running:
            return
        key = (member.story, member.rank)
        current = running[-1]
        first_start = min(c.start for c in contracts if c.entity_id == current.entity_id)
        if rng.random() < 0.6 and not person.mobility_issue:
            obtained = (
                person.birth_date + relativedelta(years=18) + timedelta(rng.randint(60, 2500))
            )
            self._habilitation(person, HabilitationKind.DRIVING_LICENCE_B, "", obtained, None)
        since = min(first_start + timedelta(rng.randint(10, 60)), self.today)
        for words, kind, label, share, years in _JOB_HABILITATIONS:
            if any(w in current.job_title.lower() for w in words) and rng.random() < share:
                expires = since + relativedelta(years=years) if years else None
                self._habilitation(person, kind, label, since, expires)
        if key in _SST_EXPIRES_IN:
            expires = self.today + timedelta(_SST_EXPIRES_IN[key])
            self._habilitation(
                person,
                HabilitationKind.FIRST_AID,
                "Sauveteur secouriste du travail — recyclage à prévoir",
                expires - relativedelta(years=2),
                expires,
            )
        elif rng.random() < 0.25:
            obtained = self.today - timedelta(rng.randint(30, 600))
            self._habilitation(
                person, HabilitationKind.FIRST_AID, "", obtained, obtained + relativedelta(years=2)
            )
        for entity_id in dict.fromkeys(c.entity_id for c in running):
            start = min(c.start for c in contracts if c.entity_id == entity_id)
            self._visits(person, entity_id, start, key, rng)

    def _habilitation(
        self,
        person: Person,
        kind: HabilitationKind,
        label: str,
        obtained_on: date,
        expires_on: date | None,
    ) -> None:
        self.habilitations.append(
            Habilitation(
                person=person,
                kind=kind,
                label=label,
                obtained_on=min(obtained_on, self.today),
                expires_on=expires_on,
            )
        )

    def _visits(
        self,
        person: Person,
        entity_id: int,
        hired_on: date,
        key: tuple[Story, int],
        rng: random.Random,
    ) -> None:
        """The information and prevention visit after hiring, and the next one when it is due.

        Code du travail, art. R4624-10 and R4624-16: at most 5 years between two visits, 3 for
        a worker with a disability (RQTH). Only the members listed in :data:`_VISIT_DUE_IN` have
        a visit due within 30 days, or overdue.
        """
        years = 3 if person.rqth else 5
        done = min(hired_on + timedelta(rng.randint(3, 25)), self.today)
        due = done + relativedelta(years=years)
        if key in _VISIT_DUE_IN:
            due = self.today + timedelta(_VISIT_DUE_IN[key])
        elif due < self.today + timedelta(60):
            # The periodic visit took place: the next one is years away.
            self.visits.append(
                MedicalVisit(person=person, entity_id=entity_id, done_on=done, next_due_on=due)
            )
            done = min(due - timedelta(rng.randint(0, 30)), self.today)
            due = done + relativedelta(years=years)
        self.visits.append(
            MedicalVisit(person=person, entity_id=entity_id, done_on=done, next_due_on=due)
        )

    # Saving ------------------------------------------------------------------------------------

    def save(self) -> None:
        # Initial contracts first: renewals point to them.
        initial = [p.contract for p in self.planned if p.previous is None]
        Contract.objects.bulk_create(initial)
        depth = 1
        while True:
            layer = [p.contract for p in self.planned if _depth(p) == depth]
            if not layer:
                break
            Contract.objects.bulk_create(layer)
            depth += 1
        Amendment.objects.bulk_create([a for p in self.planned for a in p.amendments])
        Habilitation.objects.bulk_create(self.habilitations)
        MedicalVisit.objects.bulk_create(self.visits)
        if self.loan_contract is not None and self.rh is not None:
            self._lend(self.loan_contract, self.rh)

    def _lend(self, contract: Contract, by: User) -> None:
        """Élan Emploi lends the worker a few hours a week to Élan Services (art. L8241-2)."""
        borrower = self.entities[EI]
        start = max(contract.start, self.today - timedelta(20))
        assert contract.end is not None
        end = min(contract.end, self.today + timedelta(70))
        consent_on = start - timedelta(6)
        hours = Decimal(8)
        errors = staff_loan_errors(
            lender_id=contract.entity_id,
            lender_group_id=contract.entity.group_id,
            borrower_id=borrower.pk,
            borrower_group_id=borrower.group_id,
            contract_start=contract.start,
            contract_end=contract.end,
            start=start,
            end=end,
            consent_on=consent_on,
            weekly_hours=hours,
            contract_weekly_hours=contract.weekly_hours,
        )
        if errors:
            raise ValueError(f"Démonstration : prêt de main-d'œuvre refusé : {errors}")
        actions.lend_staff(
            contract,
            borrower=borrower,
            start=start,
            end=end,
            weekly_hours=hours,
            # At cost: the hourly wage with employer contributions, no margin (art. L8241-1).
            hourly_cost=(contract.hourly_rate * Decimal("1.32")).quantize(Decimal("0.01")),
            agreement_reference=f"CMAD-ELAN-{start.year}-01",
            consent_on=consent_on,
            by=by,
        )


def _depth(planned: _Planned) -> int:
    depth, link = 0, planned.previous
    while link is not None:
        depth, link = depth + 1, link.previous
    return depth


@dataclasses.dataclass(frozen=True, slots=True)
class CdduaWindow:
    """When one worker's first CDDUA may begin (``lo`` to ``hi``), and the day it would."""

    key: int
    natural: date
    lo: date
    hi: date


def place_in_year(
    windows: Sequence[CdduaWindow], first: date, last: date, count: int
) -> dict[int, date]:
    """The first day of each CDDUA chain, ``count`` of them from ``first`` to ``last``.

    Each chain begins within its window. Chosen to begin in the year: those that cannot begin
    elsewhere, then those whose natural day is in it, then the others, in the order given; a
    chosen chain keeps its natural day when it is in the year, else the nearest day of the year
    it may take. The others keep their natural day when it is outside the year, else begin
    after it (or, when they cannot, before it) at a day spread by their natural one. Raises
    ``ValueError`` when the windows cannot give exactly ``count``.
    """

    def can_be_in(w: CdduaWindow) -> bool:
        return max(w.lo, first) <= min(w.hi, last)

    def can_be_out(w: CdduaWindow) -> bool:
        return w.lo < first or w.hi > last

    def inside(day: date) -> bool:
        return first <= day <= last

    forced = [w for w in windows if can_be_in(w) and not can_be_out(w)]
    free = [w for w in windows if can_be_in(w) and can_be_out(w)]
    ranked = forced + [w for w in free if inside(w.natural)]
    ranked += [w for w in free if not inside(w.natural)]
    if len(forced) > count or len(ranked) < count:
        raise ValueError(
            f"Démonstration : impossible de faire commencer exactement {count} CDDUA entre le "
            f"{format_date(first)} et le {format_date(last)} ({len(forced)} le doivent, "
            f"{len(ranked)} le peuvent)."
        )
    chosen = {w.key for w in ranked[:count]}
    starts: dict[int, date] = {}
    for w in windows:
        if w.key in chosen:
            starts[w.key] = min(max(w.natural, w.lo, first), w.hi, last)
        elif not inside(w.natural):
            starts[w.key] = w.natural
        elif w.hi > last:
            span = (w.hi - last).days
            starts[w.key] = last + timedelta(1 + (w.natural - first).days % span)
        else:
            span = (first - w.lo).days
            starts[w.key] = first - timedelta(1 + (last - w.natural).days % span)
    return starts


def _chain(
    start: date,
    covers: date,
    pass_end: date,
    initial_months: tuple[int, int],
    total_months: int,
    rng: random.Random,
) -> list[tuple[date, date]]:
    """Periods of a fixed-term contract from ``start`` and its renewal, covering ``covers``.

    The first period lasts ``initial_months``; when it ends before ``covers``, a renewal starts
    the next day, long enough to cover it and within ``total_months`` in all. Nothing runs past
    the PASS IAE.
    """
    months = rng.randint(*initial_months)
    first_end = min(period_end(start, months), pass_end)
    periods = [(start, first_end)]
    if first_end < covers and first_end < pass_end:
        renewal_start = first_end + timedelta(1)
        left = total_months - started_months(start, first_end)
        needed = max(1, started_months(renewal_start, covers))
        length = rng.randint(min(needed, left), left)
        periods.append((renewal_start, min(period_end(renewal_start, length), pass_end)))
    return periods


def _spread(
    first: date,
    last: date,
    count: int,
    rng: random.Random,
    *,
    last_ends_on: date | None = None,
) -> list[tuple[date, date]]:
    """``count`` short contracts of 1 to 4 weeks spread between ``first`` and ``last``.

    The first one starts on ``first``, the day of hiring; with ``last_ends_on``, the last one
    ends on that day.
    """
    span = (last - first).days + 1
    slot = span // count
    periods = []
    for number in range(count):
        slot_start = first + timedelta(number * slot)
        length = min(slot, rng.randint(7, 28))
        offset = rng.randint(0, max(0, slot - length)) if number else 0
        start = slot_start + timedelta(offset)
        end = start + timedelta(length - 1)
        periods.append((start, end))
    if last_ends_on is not None:
        start, _ = periods[-1]
        periods[-1] = (min(start, last_ends_on), last_ends_on)
    return periods


# Habilitations that come with a job: (words of the job title, kind, label, share of the
# workers holding it, validity in years or 0 for none).
_JOB_HABILITATIONS: tuple[tuple[tuple[str, ...], HabilitationKind, str, float, int], ...] = (
    (
        ("entretien des locaux", "ménage"),
        HabilitationKind.CHEMICALS,
        "Produits d'entretien et gestes de sécurité",
        0.6,
        0,
    ),
    (("plongeur",), HabilitationKind.FOOD_HYGIENE, "Hygiène en restauration collective", 1.0, 0),
    (
        ("manutentionnaire", "déménageur"),
        HabilitationKind.CACES,
        "CACES R489 catégorie 1 (transpalettes à conducteur porté)",
        0.5,
        5,
    ),
)

# Members with a given contract or register situation, by (story, rank).
_LENT = (Story.AI_CURRENT, 9)  # lent 8 hours a week to Élan Services
# Days until the next medical visit is due: three within 30 days, one overdue.
_VISIT_DUE_IN: dict[tuple[Story, int], int] = {
    (Story.AI_LONG_SENIOR, 2): 9,
    (Story.AI_LONG_SENIOR, 8): 21,
    (Story.AI_CURRENT, 33): 27,
    (Story.AI_LONG, 1): -12,
}
# Days until the first-aid certificate expires: two to renew soon, one expired.
_SST_EXPIRES_IN: dict[tuple[Story, int], int] = {
    (Story.AI_CURRENT, 28): 24,
    (Story.AI_TO_CDI, 4): 47,
    (Story.AI_LONG_SENIOR, 5): -15,
}
