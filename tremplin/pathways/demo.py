"""Pathways of the demo people: eligibility, PASS IAE, steps, accompaniment and exits.

Built on the cast of :mod:`tremplin.people.demo`: each member's story becomes an eligibility
diagnosis with the administrative criteria the person's situation meets, a PASS IAE, insertion
steps at Élan Emploi (AI) or Élan Services (EI), a barrier diagnosis, objectives, actions and
appointments, a few trainings and immersions (PMSMP), exits with their follow-ups and, for the
seed's 15 CDI, a lasting job at Élan Domicile; the three people Élan Services hires in a CDI
outside the IAE have a lasting job there and nothing else. Dates come from the rules: PASS end,
prolongation caps, exit category and counting, follow-up dates. A person whose pathway has begun
(a step or a diagnosis) is left as it is, so a second load adds nothing.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import models

from tremplin.accounts.models import User
from tremplin.organisations.models import Entity, Group
from tremplin.organisations.rules import SiaeKind
from tremplin.pathways import rules
from tremplin.pathways.models import (
    Action,
    Appointment,
    AppointmentKind,
    Barrier,
    BarrierAssessment,
    BarrierSeverity,
    BarrierTheme,
    DiagnosisAuthor,
    DiagnosisCriterion,
    EligibilityDiagnosis,
    Exit,
    ExitFollowUp,
    HealthCategory,
    Objective,
    PassIae,
    PassProlongation,
    PassSuspension,
    PathwayStep,
    StepKind,
    TaskStatus,
    Training,
    TrainingKind,
)
from tremplin.pathways.rules import (
    AdministrativeCriterion,
    ExitReason,
    ProlongationReason,
    SuspensionReason,
)
from tremplin.people import demo as people_demo
from tremplin.people.demo import AI, EI, SAP, UNAUTHORISED_ORIENTERS, Member, Story
from tremplin.people.models import EducationLevel, Housing, Person, RomeJob, RsaStatus

# Stories that go beyond the intake, and the kind of SIAE of their first insertion step.
_FIRST_STEP: dict[Story, SiaeKind] = {
    Story.AI_CURRENT: SiaeKind.AI,
    Story.AI_LONG_SENIOR: SiaeKind.AI,
    Story.AI_LONG: SiaeKind.AI,
    Story.AI_EXIT: SiaeKind.AI,
    Story.AI_SHORT_EXIT: SiaeKind.AI,
    Story.AI_TO_CDI: SiaeKind.AI,
    Story.AI_TO_EI: SiaeKind.AI,
    Story.EI_CURRENT: SiaeKind.EI,
    Story.EI_SHORT_EXIT: SiaeKind.EI,
}
_ENTITY_OF_KIND = {SiaeKind.AI: AI, SiaeKind.EI: EI}
# Intakes at the diagnosis step whose diagnosis is recorded (the others wait for it).
# The third one, made by the association 82 days ago, is about to expire.
_DIAGNOSED_INTAKES = {
    0: DiagnosisAuthor.PRESCRIBER,
    1: DiagnosisAuthor.PRESCRIBER,
    2: DiagnosisAuthor.EMPLOYER,
}

# Criterion JEUNE: under 26 on the day of the diagnosis (domain.md §3.2).
_YOUNG_AGE = 26
_LOW_EDUCATION = frozenset(
    {
        EducationLevel.NON_CERTIFYING,
        EducationLevel.NEVER_SCHOOLED,
        EducationLevel.LEVEL_3_NO_DIPLOMA,
        EducationLevel.LEVEL_3,
        EducationLevel.SHORT_TRAINING,
        EducationLevel.COMPULSORY_ONLY,
    }
)
_WITHOUT_OWN_HOUSING = frozenset({Housing.HOSTED, Housing.SHELTER, Housing.NONE})

_PROLONGATION_PRESCRIBERS = {
    ProlongationReason.RQTH: "Cap emploi — Deux-Sèvres",
    ProlongationReason.SENIOR: "France Travail — agence de Niort",
    ProlongationReason.PARTICULAR_DIFFICULTIES: "France Travail — agence de Niort",
}

# The one suspended PASS: contract suspended for more than 15 days, 56 days long.
_SUSPENDED = (Story.AI_CURRENT, 20)
_SUSPENSION_DAYS_AGO = (150, 95)

# Members in a pathway whose last appointment is more than 30 days old (AI_CURRENT rank 0 was
# hired 12 days ago and has had none yet).
_NO_RECENT_APPOINTMENT = frozenset(
    {
        (Story.AI_CURRENT, 8),
        (Story.AI_CURRENT, 14),
        (Story.AI_CURRENT, 19),
        (Story.AI_CURRENT, 24),
        (Story.AI_CURRENT, 30),
        (Story.AI_LONG_SENIOR, 4),
    }
)
_NO_APPOINTMENT_YET = (Story.AI_CURRENT, 0)

_AI_JOBS = (
    "Entretien de locaux (mises à disposition)",
    "Ménage et repassage chez des particuliers",
    "Entretien des espaces verts",
    "Manutention et préparation de commandes",
    "Plonge en restauration collective",
    "Aide au déménagement et manutention",
)
_EI_JOBS = ("Lavage automobile sans eau", "Numérisation et gestion électronique des documents")
_SAP_JOBS = (
    "Intervenant à domicile — ménage et repassage (CDI à temps partiel)",
    "Jardinier à domicile (CDI à temps partiel)",
)
# The CDI signed at Élan Services outside the IAE, by rank.
SERVICES_JOBS = (
    "Chef d'équipe lavage automobile",
    "Opérateur de numérisation",
    "Agent d'entretien de bureaux",
)


@dataclasses.dataclass(frozen=True, slots=True)
class _TrainingPlan:
    kind: TrainingKind
    title: str
    organisation: str
    # Start: ``offset`` days after the hiring, before the exit, or before today.
    anchor: str  # "hired", "left" or "today"
    offset: int
    days: int
    certification: str = ""
    rome: str = ""


_TRAININGS: dict[tuple[Story, int], _TrainingPlan] = {
    (Story.AI_CURRENT, 6): _TrainingPlan(
        TrainingKind.TRAINING,
        "Sauveteur secouriste du travail",
        "Organisme de formation — Niort",
        "hired",
        40,
        2,
        "Certificat SST",
    ),
    (Story.AI_CURRENT, 12): _TrainingPlan(
        TrainingKind.TRAINING,
        "Titre professionnel agent de propreté et d'hygiène",
        "Centre de formation professionnelle — Niort",
        "hired",
        90,
        70,
        "Titre professionnel APH",
        "K2204",
    ),
    (Story.AI_CURRENT, 16): _TrainingPlan(
        TrainingKind.TRAINING,
        "Français langue étrangère — vers le niveau A2",
        "Atelier sociolinguistique — Niort",
        "hired",
        30,
        120,
    ),
    (Story.AI_LONG_SENIOR, 2): _TrainingPlan(
        TrainingKind.TRAINING,
        "Certificat CléA — socle de connaissances et de compétences",
        "Organisme de formation — Niort",
        "today",
        20,
        60,
    ),
    (Story.AI_LONG, 1): _TrainingPlan(
        TrainingKind.TRAINING,
        "Code de la route et permis B",
        "Auto-école associative — Niort",
        "hired",
        200,
        150,
        "Permis B",
    ),
    (Story.AI_CURRENT, 10): _TrainingPlan(
        TrainingKind.PMSMP,
        "Immersion : entretien des espaces verts",
        "Entreprise paysagiste — Chauray",
        "hired",
        60,
        10,
        rome="A1203",
    ),
    (Story.AI_CURRENT, 23): _TrainingPlan(
        TrainingKind.PMSMP,
        "Immersion : préparation de commandes",
        "Plateforme logistique — Chauray",
        "hired",
        150,
        5,
        rome="N1103",
    ),
    (Story.AI_TO_CDI, 0): _TrainingPlan(
        TrainingKind.PMSMP,
        "Immersion : ménage et repassage chez des particuliers",
        "Élan Domicile",
        "left",
        45,
        10,
        rome="K1304",
    ),
    (Story.AI_TO_CDI, 4): _TrainingPlan(
        TrainingKind.PMSMP,
        "Immersion : jardinage chez des particuliers",
        "Élan Domicile",
        "left",
        60,
        10,
        rome="A1203",
    ),
}

# Exit reason and employer of the members who left the AI, by rank; short stays (under 150
# hours) are not counted in the State statistics, so each category has both cases.
_AI_EXITS: tuple[tuple[ExitReason, str], ...] = (
    (ExitReason.LONG_FIXED_TERM, "Plateforme logistique — Chauray (CDD de 9 mois)"),
    (ExitReason.SHORT_FIXED_TERM, "Conserverie — Niort (CDD de 3 mois)"),
    (ExitReason.JOB_SEEKER, ""),
    (ExitReason.BUSINESS_CREATION, "Micro-entreprise de repassage"),
    (ExitReason.TRAINING, "Titre professionnel agent de propreté et d'hygiène"),
    (ExitReason.SUBSIDISED_CONTRACT, "Club sportif associatif — parcours emploi compétences"),
    (ExitReason.LONG_FIXED_TERM, "Collectivité — service des espaces verts (CDD de 12 mois)"),
    (ExitReason.OTHER_SIAE, "Atelier chantier d'insertion — maraîchage (Niort)"),
    (ExitReason.INACTIVE, ""),
    (ExitReason.PUBLIC_SERVICE, "Commune du Niortais — agent d'entretien stagiaire"),
    (ExitReason.SHORT_FIXED_TERM, "Entreprise de nettoyage — Niort (CDD de 4 mois)"),
    (ExitReason.ILLNESS, ""),
    (ExitReason.OTHER, ""),
)
_EI_SHORT_EXITS: tuple[tuple[ExitReason, str], ...] = (
    (ExitReason.JOB_SEEKER, ""),
    (ExitReason.SHORT_FIXED_TERM, "Entreprise de nettoyage — Niort (CDD de 4 mois)"),
)
_AI_SHORT_EXITS: tuple[tuple[ExitReason, str], ...] = (
    (ExitReason.SHORT_FIXED_TERM, "Exploitation viticole — vendanges (CDD de 1 mois)"),
    (ExitReason.TRAINING, "Formation pré-qualifiante aux métiers du bâtiment"),
    (ExitReason.JOB_SEEKER, ""),
    (ExitReason.LONG_FIXED_TERM, "Transporteur — Niort (CDD de 8 mois)"),
    (ExitReason.MOVED_AWAY, ""),
)
_FOLLOW_UP_COMMENTS: dict[ExitReason, str] = {
    ExitReason.CDI: "Toujours en poste.",
    ExitReason.LONG_FIXED_TERM: "Contrat en cours, bonne intégration dans l'équipe.",
    ExitReason.PUBLIC_SERVICE: "Stage en cours, titularisation envisagée.",
    ExitReason.BUSINESS_CREATION: "Activité lancée, premiers clients réguliers.",
    ExitReason.SHORT_FIXED_TERM: "Contrat court en cours ; recherche de la suite.",
    ExitReason.SUBSIDISED_CONTRACT: "Contrat aidé en cours.",
    ExitReason.TRAINING: "Formation suivie avec assiduité.",
    ExitReason.OTHER_SIAE: "Parcours poursuivi dans l'autre structure.",
    ExitReason.JOB_SEEKER: "Toujours en recherche d'emploi, inscrit à France Travail.",
    ExitReason.INACTIVE: "Pas de recherche d'emploi pour le moment.",
    ExitReason.OTHER: "Situation inchangée.",
    ExitReason.MOVED_AWAY: "A déménagé hors du département.",
    ExitReason.ILLNESS: "Toujours en arrêt ; pas de reprise prévue.",
}

_BARRIER_COMMENTS: dict[BarrierTheme, str] = {
    BarrierTheme.MOBILITY: "Pas de permis ; dépend des horaires de bus.",
    BarrierTheme.HOUSING: "Hébergement provisoire ; demande de logement à faire.",
    BarrierTheme.HEALTH: "Aménagement de poste à prévoir.",
    BarrierTheme.CHILDCARE: "Garde des enfants à organiser le mercredi et le soir.",
    BarrierTheme.LANGUAGE: "Comprend les consignes simples ; écrit difficilement.",
    BarrierTheme.DIGITAL: "Peu à l'aise avec les démarches en ligne.",
    BarrierTheme.MONEY: "Budget serré ; dettes en cours d'étalement.",
    BarrierTheme.JUSTICE: "Obligations de suivi à concilier avec les horaires.",
}
_OBJECTIVES: dict[BarrierTheme | None, tuple[str, tuple[str, ...]]] = {
    BarrierTheme.MOBILITY: (
        "Gagner en autonomie pour les déplacements",
        ("S'inscrire au code de la route", "Demander l'aide au permis de conduire"),
    ),
    BarrierTheme.HOUSING: (
        "Accéder à un logement autonome",
        ("Déposer une demande de logement social", "Constituer le dossier d'aide à l'entrée"),
    ),
    BarrierTheme.HEALTH: (
        "Adapter le poste de travail",
        ("Demander l'étude de poste avec Cap emploi",),
    ),
    BarrierTheme.CHILDCARE: (
        "Organiser la garde des enfants",
        ("Contacter le relais petite enfance", "Inscrire les enfants à l'accueil périscolaire"),
    ),
    BarrierTheme.LANGUAGE: (
        "Progresser en français à l'oral et à l'écrit",
        ("S'inscrire à l'atelier sociolinguistique", "Lire seul les consignes de mission"),
    ),
    BarrierTheme.DIGITAL: (
        "Faire seul les démarches en ligne",
        ("Créer l'espace personnel France Travail", "Participer à l'atelier numérique"),
    ),
    BarrierTheme.MONEY: (
        "Stabiliser le budget",
        ("Rencontrer la conseillère en économie sociale et familiale", "Mettre à jour les droits"),
    ),
    BarrierTheme.JUSTICE: (
        "Concilier le suivi judiciaire et le travail",
        ("Transmettre les attestations de travail au SPIP",),
    ),
    None: (
        "Construire le projet professionnel",
        ("Mettre à jour le CV", "Réaliser une immersion en entreprise", "Préparer les entretiens"),
    ),
}
_APPOINTMENT_NOTES: dict[AppointmentKind, tuple[str, ...]] = {
    AppointmentKind.INDIVIDUAL: (
        "Point sur les missions du mois et les disponibilités.",
        "Bilan des objectifs : avancées sur le projet professionnel.",
        "Mise à jour du CV avec les dernières missions.",
        "Préparation d'un entretien d'embauche.",
        "Point sur les démarches de logement.",
    ),
    AppointmentKind.PHONE: (
        "Report de la mission de jeudi ; nouveau créneau fixé.",
        "Point rapide sur les horaires de la semaine.",
    ),
    AppointmentKind.COLLECTIVE: ("Atelier collectif : techniques de recherche d'emploi.",),
    AppointmentKind.WORKPLACE: ("Visite chez le client pendant la mission : retours positifs.",),
    AppointmentKind.PARTNER: ("Rencontre avec la conseillère du prescripteur : point d'étape.",),
}
_APPOINTMENT_KINDS = (
    (AppointmentKind.INDIVIDUAL, 11),
    (AppointmentKind.PHONE, 4),
    (AppointmentKind.WORKPLACE, 2),
    (AppointmentKind.COLLECTIVE, 2),
    (AppointmentKind.PARTNER, 1),
)


def pass_number(member: Member) -> str:
    """An invented PASS IAE number: the ASP prefix 99999 and 7 digits (domain.md §3.3)."""
    return f"99999{7_900_000 + member.index:07d}"


def criteria_met(person: Person, on: date, *, by_prescriber: bool) -> list[AdministrativeCriterion]:
    """The administrative criteria the person's situation meets on ``on`` (domain.md §3.2).

    The mobility problem needs an authorised prescriber's diagnosis, so only they record it.
    """
    criteria: list[AdministrativeCriterion] = []
    if person.rsa != RsaStatus.NO:
        criteria.append(AdministrativeCriterion.RSA)
    if person.ass_since:
        criteria.append(AdministrativeCriterion.ASS)
    if person.aah_since:
        criteria.append(AdministrativeCriterion.AAH)
    if person.france_travail_since:
        months = relativedelta(on, person.france_travail_since)
        registered = months.years * 12 + months.months
        if registered >= 24:
            criteria.append(AdministrativeCriterion.DETLD)
        elif registered >= 12:
            criteria.append(AdministrativeCriterion.DELD)
    if person.education_level in _LOW_EDUCATION:
        criteria.append(AdministrativeCriterion.CAP_BEP)
    if rules.senior_threshold_flags(person.birth_date, on).aged_50_plus:
        criteria.append(AdministrativeCriterion.SENIOR)
    if rules.age_on(person.birth_date, on) < _YOUNG_AGE:
        criteria.append(AdministrativeCriterion.JEUNE)
    flags = (
        (person.leaving_ase, AdministrativeCriterion.ASE),
        (person.rqth, AdministrativeCriterion.TH),
        (person.single_parent, AdministrativeCriterion.PI),
        (person.housing in _WITHOUT_OWN_HOUSING, AdministrativeCriterion.PSH_PR),
        (person.refugee, AdministrativeCriterion.REF_DA),
        (person.leaving_detention, AdministrativeCriterion.DETENTION_MJ),
        (person.french_below_a1, AdministrativeCriterion.FLE),
        (by_prescriber and person.mobility_issue, AdministrativeCriterion.PM),
    )
    criteria.extend(criterion for met, criterion in flags if met)
    return criteria


# Parents before their children.
_INSERT_ORDER: tuple[type[models.Model], ...] = (
    EligibilityDiagnosis,
    DiagnosisCriterion,
    PathwayStep,
    PassIae,
    PassSuspension,
    PassProlongation,
    BarrierAssessment,
    Barrier,
    Objective,
    Action,
    Appointment,
    Training,
    Exit,
    ExitFollowUp,
)


class _Rows:
    """Rows to insert, one bulk insert per model."""

    def __init__(self) -> None:
        self.by_model: dict[type[models.Model], list[models.Model]] = {
            model: [] for model in _INSERT_ORDER
        }

    def add[M: models.Model](self, row: M) -> M:
        self.by_model[type(row)].append(row)
        return row

    def save(self) -> None:
        for model, rows in self.by_model.items():
            if rows:
                model._default_manager.bulk_create(rows)


def load(group: Group, today: date) -> None:
    """Create the pathways of the demo people of ``group`` whose pathway has not begun."""
    members = people_demo.cast(today)
    people = people_demo.people_of(group, members)
    candidates = {
        m.index: people[m.index]
        for m in members
        if m.index in people
        and (m.story in _FIRST_STEP or m.story in (Story.DIAGNOSIS, Story.SERVICES_CDI))
    }
    pks = [p.pk for p in candidates.values()]
    begun = set(
        PathwayStep.objects.filter(person__in=pks).values_list("person_id", flat=True)
    ) | set(EligibilityDiagnosis.objects.filter(person__in=pks).values_list("person_id", flat=True))
    builder = _Builder(group, today)
    for member in members:
        person = candidates.get(member.index)
        if person is not None and person.pk not in begun:
            builder.add(member, person)
    builder.rows.save()


class _Builder:
    def __init__(self, group: Group, today: date) -> None:
        self.today = today
        self.entities = {e.slug: e for e in Entity.objects.filter(group=group)}
        self.users = people_demo.demo_users(["cip", "planning"])
        self.rome = {job.code: job for job in RomeJob.objects.all()}
        self.rows = _Rows()

    @property
    def cip(self) -> User | None:
        return self.users.get("cip")

    def add(self, member: Member, person: Person) -> None:
        """Add the rows of one member's pathway (or diagnosis, for an intake)."""
        if member.story is Story.SERVICES_CDI:
            self._services_cdi(member, person)
        elif member.story is not Story.DIAGNOSIS:
            # One generator per member: a pathway does not depend on who else is loaded.
            self._pathway(member, person, random.Random(f"{people_demo.SEED}:{member.index}"))
        elif member.rank in _DIAGNOSED_INTAKES:
            author = _DIAGNOSED_INTAKES[member.rank]
            if member.intake.orienter in UNAUTHORISED_ORIENTERS:
                author = DiagnosisAuthor.EMPLOYER
            self._diagnosis(person, SiaeKind.AI, author, member.intake.status_changed_on, member)

    def _services_cdi(self, member: Member, person: Person) -> None:
        """A lasting job at Élan Services from the hiring: no eligibility, PASS or accompaniment."""
        assert member.hired_on is not None
        self.rows.add(
            PathwayStep(
                person=person,
                entity=self.entities[EI],
                kind=StepKind.LASTING_JOB,
                job_title=SERVICES_JOBS[member.rank],
                started_on=member.hired_on,
            )
        )

    # Eligibility and PASS IAE -----------------------------------------------------------------

    def _diagnosis(
        self,
        person: Person,
        kind: SiaeKind,
        author: DiagnosisAuthor,
        made_on: date,
        member: Member,
    ) -> EligibilityDiagnosis:
        by_prescriber = author == DiagnosisAuthor.PRESCRIBER
        criteria = criteria_met(person, made_on, by_prescriber=by_prescriber)
        if not rules.is_eligible_by_criteria(kind, criteria, today=made_on).eligible:
            raise ValueError(
                f"Démonstration : {person} ne remplit pas les critères d'éligibilité"
                f" ({', '.join(criteria) or 'aucun'})."
            )
        diagnosis = self.rows.add(
            EligibilityDiagnosis(
                person=person,
                entity=self.entities[_ENTITY_OF_KIND[kind]],
                siae_kind=kind,
                author_kind=author,
                prescriber_name=member.intake.orienter_name if by_prescriber else "",
                made_on=made_on,
                made_by=None if by_prescriber else self.cip,
            )
        )
        for criterion in criteria:
            self.rows.add(DiagnosisCriterion(diagnosis=diagnosis, criterion=criterion))
        return diagnosis

    def _pass(
        self,
        member: Member,
        person: Person,
        kind: SiaeKind,
        diagnosis: EligibilityDiagnosis,
        covered_until: date,
    ) -> None:
        """The PASS IAE from the hiring, suspended or prolonged so that it covers the pathway."""
        assert member.hired_on is not None
        entity = self.entities[_ENTITY_OF_KIND[kind]]
        pass_iae = self.rows.add(
            PassIae(
                person=person,
                entity=entity,
                number=pass_number(member),
                start=member.hired_on,
                end=rules.pass_end(member.hired_on),
                diagnosis=diagnosis,
            )
        )
        suspensions = []
        if (member.story, member.rank) == _SUSPENDED:
            first, last = (self.today - timedelta(days) for days in _SUSPENSION_DAYS_AGO)
            suspensions.append(
                rules.SuspensionPeriod(first, last, SuspensionReason.CONTRACT_SUSPENDED)
            )
            self.rows.add(
                PassSuspension(
                    pass_iae=pass_iae,
                    start=first,
                    end=last,
                    reason=SuspensionReason.CONTRACT_SUSPENDED,
                    entity=entity,
                )
            )
        prolongations: list[rules.ProlongationPeriod] = []
        end = rules.pass_end_with_suspensions_and_prolongations(member.hired_on, suspensions)
        while end < covered_until:
            reason = self._prolongation_reason(person, end)
            new_end = rules.prolongation_max_end(end, reason, previous=prolongations)
            if new_end is None or new_end <= end:
                raise ValueError(f"Démonstration : PASS IAE de {person} impossible à prolonger.")
            prolongations.append(rules.ProlongationPeriod(end, new_end, reason))
            self.rows.add(
                PassProlongation(
                    pass_iae=pass_iae,
                    start=end,
                    end=new_end,
                    reason=reason,
                    prescriber_name=_PROLONGATION_PRESCRIBERS[reason],
                    entity=entity,
                )
            )
            end = new_end

    @staticmethod
    def _prolongation_reason(person: Person, on: date) -> ProlongationReason:
        if rules.senior_threshold_flags(person.birth_date, on).aged_50_plus:
            return ProlongationReason.SENIOR
        if person.rqth:
            return ProlongationReason.RQTH
        return ProlongationReason.PARTICULAR_DIFFICULTIES

    # Steps -------------------------------------------------------------------------------------

    def _pathway(self, member: Member, person: Person, rng: random.Random) -> None:
        assert member.hired_on is not None
        kind = _FIRST_STEP[member.story]
        intake = member.intake
        if intake.orienter in UNAUTHORISED_ORIENTERS:
            author = DiagnosisAuthor.EMPLOYER
            made_on = intake.contacted_on + timedelta(
                rng.randint(2, min(10, (member.hired_on - intake.contacted_on).days))
            )
        else:
            author = DiagnosisAuthor.PRESCRIBER
            made_on = intake.contacted_on - timedelta(rng.randint(0, 10))
        diagnosis = self._diagnosis(person, kind, author, made_on, member)
        referent = person.referent
        first = self.rows.add(
            PathwayStep(
                person=person,
                entity=self.entities[_ENTITY_OF_KIND[kind]],
                kind=StepKind.INSERTION,
                siae_kind=kind,
                job_title=rng.choice(_AI_JOBS if kind == SiaeKind.AI else _EI_JOBS),
                started_on=member.hired_on,
                ended_on=member.left_on,
                referent=referent,
            )
        )
        steps = [first]
        next_step: PathwayStep | None = None
        if member.story is Story.AI_TO_EI:
            assert member.left_on is not None
            next_step = self.rows.add(
                PathwayStep(
                    person=person,
                    entity=self.entities[EI],
                    kind=StepKind.INSERTION,
                    siae_kind=SiaeKind.EI,
                    job_title=_EI_JOBS[0],
                    started_on=member.left_on + timedelta(1),
                    referent=self.cip,
                )
            )
            steps.append(next_step)
        elif member.story is Story.AI_TO_CDI:
            assert member.left_on is not None
            self.rows.add(
                PathwayStep(
                    person=person,
                    entity=self.entities[SAP],
                    kind=StepKind.LASTING_JOB,
                    job_title=rng.choice(_SAP_JOBS),
                    started_on=member.left_on + timedelta(1),
                    referent=self.users.get("planning"),
                )
            )
        # The PASS covers the insertion steps, up to today for those still running.
        covered_until = member.left_on if member.left_on and next_step is None else self.today
        self._pass(member, person, kind, diagnosis, covered_until)
        self._accompaniment(member, person, steps, rng)
        if member.left_on is not None:
            self._exit(member, person, first, rng)

    # Accompaniment -------------------------------------------------------------------------

    def _accompaniment(
        self, member: Member, person: Person, steps: Sequence[PathwayStep], rng: random.Random
    ) -> None:
        first, last = steps[0], steps[-1]
        owner = person.referent or self.cip
        end = last.ended_on or self.today
        entity = first.entity
        barriers = self._barriers(person, rng)
        assessed_on = min(first.started_on + timedelta(rng.randint(5, 12)), end)
        assessments = [(assessed_on, barriers)]
        if (end - first.started_on).days > 420:
            # A second diagnosis a year later: the barriers have eased.
            eased = [(t, BarrierSeverity(max(0, s - 1)), h) for t, s, h in barriers]
            assessments.append((assessed_on + timedelta(365 + rng.randint(0, 30)), eased))
        for day, themes in assessments:
            assessment = self.rows.add(
                BarrierAssessment(person=person, entity=entity, assessed_on=day, assessed_by=owner)
            )
            for theme, severity, health in themes:
                self.rows.add(
                    Barrier(
                        assessment=assessment,
                        theme=theme,
                        severity=severity,
                        health_category=health,
                        comment=_BARRIER_COMMENTS[theme] if severity else "",
                    )
                )
        self._objectives(person, entity, owner, first.started_on, end, barriers, rng)
        for step in steps:
            self._appointments(member, person, step, rng)
        plan = _TRAININGS.get((member.story, member.rank))
        if plan is not None:
            self._training(member, person, entity, plan)

    def _barriers(
        self, person: Person, rng: random.Random
    ) -> list[tuple[BarrierTheme, BarrierSeverity, str]]:
        def severity(low: int, high: int) -> BarrierSeverity:
            return BarrierSeverity(rng.randint(low, high))

        found: list[tuple[BarrierTheme, BarrierSeverity, str]] = []
        if person.mobility_issue:
            found.append((BarrierTheme.MOBILITY, severity(2, 3), ""))
        if person.housing in _WITHOUT_OWN_HOUSING:
            found.append((BarrierTheme.HOUSING, severity(2, 3), ""))
        if person.french_below_a1:
            found.append((BarrierTheme.LANGUAGE, BarrierSeverity.SEVERE, ""))
        if person.single_parent:
            found.append((BarrierTheme.CHILDCARE, severity(1, 2), ""))
        if person.leaving_detention:
            found.append((BarrierTheme.JUSTICE, BarrierSeverity.MEDIUM, ""))
        if person.rqth:
            found.append((BarrierTheme.HEALTH, severity(1, 2), HealthCategory.WORK_CAPACITY))
        if person.rsa != RsaStatus.NO or person.ass_since or len(found) < 2:
            found.append((BarrierTheme.MONEY, severity(1, 2), ""))
        if rng.random() < 0.4 or len(found) < 2:
            found.append((BarrierTheme.DIGITAL, severity(1, 2), ""))
        return found

    def _objectives(
        self,
        person: Person,
        entity: Entity,
        owner: User | None,
        start: date,
        end: date,
        barriers: Sequence[tuple[BarrierTheme, BarrierSeverity, str]],
        rng: random.Random,
    ) -> None:
        main = sorted(barriers, key=lambda b: -b[1])[:2]
        themes: list[BarrierTheme | None] = [theme for theme, _, _ in main]
        themes.append(None)
        closed = end < self.today
        for position, theme in enumerate(themes):
            title, actions = _OBJECTIVES[theme]
            due_on = start + timedelta(rng.randint(90, 270) + 30 * position)
            if closed:
                status = TaskStatus.DONE if rng.random() < 0.8 else TaskStatus.ABANDONED
            elif due_on < self.today:
                status = TaskStatus.DONE if rng.random() < 0.6 else TaskStatus.IN_PROGRESS
            else:
                status = TaskStatus.IN_PROGRESS if rng.random() < 0.6 else TaskStatus.TODO
            objective = self.rows.add(
                Objective(
                    person=person,
                    entity=entity,
                    title=title,
                    theme=theme or "",
                    owner=owner,
                    due_on=due_on,
                    status=status,
                )
            )
            step_days = max(1, (due_on - start).days // (len(actions) + 1))
            for number, action in enumerate(actions, start=1):
                action_status: TaskStatus
                if status in (TaskStatus.DONE, TaskStatus.TODO):
                    action_status = status
                elif status == TaskStatus.ABANDONED:
                    action_status = TaskStatus.DONE if number == 1 else TaskStatus.ABANDONED
                else:
                    action_status = TaskStatus.DONE if number == 1 else TaskStatus.IN_PROGRESS
                self.rows.add(
                    Action(
                        objective=objective,
                        title=action,
                        owner=owner,
                        due_on=start + timedelta(step_days * number),
                        status=action_status,
                    )
                )

    def _appointments(
        self, member: Member, person: Person, step: PathwayStep, rng: random.Random
    ) -> None:
        """Appointments every two to five weeks, back from the last one to the step's start."""
        if (member.story, member.rank) == _NO_APPOINTMENT_YET:
            return
        if step.ended_on is not None:
            last = step.ended_on - timedelta(rng.randint(0, 12))
        elif (member.story, member.rank) in _NO_RECENT_APPOINTMENT:
            last = self.today - timedelta(rng.randint(36, 75))
        else:
            last = self.today - timedelta(rng.randint(1, 25))
        day = max(last, step.started_on)
        referent = person.referent or self.cip
        kinds = [kind for kind, _ in _APPOINTMENT_KINDS]
        weights = [weight for _, weight in _APPOINTMENT_KINDS]
        while day >= step.started_on:
            kind = rng.choices(kinds, weights)[0]
            if day - step.started_on < timedelta(14):
                kind = AppointmentKind.INDIVIDUAL  # the welcome interview
            self.rows.add(
                Appointment(
                    person=person,
                    entity=step.entity,
                    held_on=day,
                    kind=kind,
                    referent=referent,
                    notes=rng.choice(_APPOINTMENT_NOTES[kind]),
                )
            )
            day -= timedelta(rng.randint(14, 35))

    def _training(
        self, member: Member, person: Person, entity: Entity, plan: _TrainingPlan
    ) -> None:
        assert member.hired_on is not None
        if plan.anchor == "hired":
            start = member.hired_on + timedelta(plan.offset)
        elif plan.anchor == "left":
            assert member.left_on is not None
            start = member.left_on - timedelta(plan.offset)
        else:
            start = self.today - timedelta(plan.offset)
        end = start + timedelta(plan.days - 1)
        completed = end < self.today
        self.rows.add(
            Training(
                person=person,
                entity=entity,
                kind=plan.kind,
                title=plan.title,
                organisation=plan.organisation,
                start=start,
                end=end,
                rome=self.rome.get(plan.rome),
                completed=completed,
                certification=plan.certification if completed else "",
            )
        )

    # Exits -------------------------------------------------------------------------------------

    def _exit(self, member: Member, person: Person, step: PathwayStep, rng: random.Random) -> None:
        assert member.hired_on is not None and member.left_on is not None
        match member.story:
            case Story.AI_TO_CDI:
                reason, employer = ExitReason.CDI, "Élan Domicile"
            case Story.AI_TO_EI:
                reason, employer = ExitReason.OTHER_SIAE, "Élan Services (entreprise d'insertion)"
            case Story.AI_EXIT:
                reason, employer = _AI_EXITS[member.rank % len(_AI_EXITS)]
            case Story.AI_SHORT_EXIT:
                reason, employer = _AI_SHORT_EXITS[member.rank % len(_AI_SHORT_EXITS)]
            case _:  # Story.EI_SHORT_EXIT: left within four months
                reason, employer = _EI_SHORT_EXITS[member.rank % len(_EI_SHORT_EXITS)]
        kind = SiaeKind(step.siae_kind)
        exit_on = member.left_on
        months = rules.insertion_months([(member.hired_on, exit_on)], exit_on)
        hours = Decimal(0)
        if kind == SiaeKind.AI:
            # The seed: 85 hours a month on average in the AI; fewer on short stays.
            monthly = rng.randint(55, 80) if member.story is Story.AI_SHORT_EXIT else None
            hours = (months * (monthly or rng.randint(60, 100))).quantize(Decimal(1))
        exit_ = self.rows.add(
            Exit(
                person=person,
                entity=step.entity,
                step=step,
                exit_on=exit_on,
                reason=reason,
                category=rules.exit_category(reason),
                siae_kind=kind,
                hours_worked=hours,
                contract_months=months,
                counted=rules.exit_counts(
                    kind, hours_worked=hours, contract_months=months, on=exit_on
                ),
                employer=employer,
            )
        )
        planned = rules.follow_up_dates(exit_on)
        due = [day for day in planned if day <= self.today]
        # One member in three has the latest due follow-up still to do.
        done = due[:-1] if member.rank % 3 == 1 else due
        for day in planned:
            if day not in done:
                self.rows.add(ExitFollowUp(exit=exit_, due_on=day))
                continue
            situation, comment = reason, _FOLLOW_UP_COMMENTS[reason]
            if reason == ExitReason.JOB_SEEKER and day != planned[0]:
                situation, comment = ExitReason.SHORT_FIXED_TERM, "A retrouvé un CDD de 3 mois."
            self.rows.add(
                ExitFollowUp(
                    exit=exit_,
                    due_on=day,
                    done_on=min(day + timedelta(rng.randint(0, 12)), self.today),
                    situation=situation,
                    comment=comment,
                )
            )
