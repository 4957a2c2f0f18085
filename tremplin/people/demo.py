"""The people of the demo group: 120 invented persons, their intakes and wanted jobs.

The cast is drawn by a generator with a fixed seed, so two loads give the same people; every
date (birth, first contact, hiring, exit) is counted back from ``today``, so the worklists show
their alerts whenever the demo is loaded. Each member has a *story* (intake step, insertion at
the AI or the EI, exit, move to a CDI at Élan Domicile) that :mod:`tremplin.pathways.demo`
turns into a pathway.

The seed's first results are those of the last complete calendar year (the year before the day
of loading), so the stories behind them are dated in that year rather than counted back from
``today``: the 15 moves from the AI to a CDI at Élan Domicile, the seven jobs created at Élan
Services (its two insertion posts changing hands, three CDI), and the long pathways at the AI,
counted back from 31 December. The indicators of that year (``manage.py indicators``) give the
seed's table; ``docs/indicators.md`` says which stories make each figure.

A member is present when the group holds a file with the same birth name and first name (the
birth date moves with the day of loading); members sharing those names — the second files of
the reception journey — are matched in creation order. Names, addresses, phone numbers and
e-mail addresses are invented; NIRs carry a computed key and match civility and birth date.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import random
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from django.core.management import call_command

from tremplin.accounts.demo import email_for
from tremplin.accounts.models import User
from tremplin.organisations.models import Entity, Group
from tremplin.people.models import (
    CountryGroup,
    EducationLevel,
    Housing,
    Intake,
    IntakeChannel,
    NotAdmittedReason,
    Orienter,
    Person,
    PersonJob,
    RomeJob,
    RsaStatus,
    SkillKind,
    UnemploymentDuration,
    search_key,
)
from tremplin.people.rules import Civility, IntakeStatus

SEED = 79_000  # Niort's postal code: any fixed value gives a stable cast.

AI = "elan-emploi"
EI = "elan-services"
SAP = "elan-domicile"


class Story(enum.StrEnum):
    """What happened to a member of the cast; the pathway demo builds on it."""

    CONTACTED = "contacted"  # intake at the first-contact step
    INFORMATION = "information"  # intake at the information session
    DIAGNOSIS = "diagnosis"  # intake at the diagnosis step
    NOT_ADMITTED = "not_admitted"
    REDIRECTED = "redirected"
    DUPLICATE = "duplicate"  # a second file of an existing person, for the reception journey
    AI_CURRENT = "ai_current"  # in an insertion post at the AI
    AI_LONG_SENIOR = "ai_long_senior"  # at the AI for more than 24 months, aged 53 or more
    AI_LONG = "ai_long"  # at the AI for more than 24 months, younger
    AI_EXIT = "ai_exit"  # left the AI after more than 150 hours
    AI_SHORT_EXIT = "ai_short_exit"  # left the AI within two months, under 150 hours
    AI_TO_CDI = "ai_to_cdi"  # left the AI for a CDI at Élan Domicile
    AI_TO_EI = "ai_to_ei"  # left the AI for one of the two EI posts at Élan Services
    EI_CURRENT = "ei_current"  # in the other EI post
    EI_SHORT_EXIT = "ei_short_exit"  # left the EI within four months
    SERVICES_CDI = "services_cdi"  # hired in a CDI at Élan Services, outside the IAE


# Stories whose file is held by Élan Services.
_EI_STORIES = frozenset({Story.EI_CURRENT, Story.EI_SHORT_EXIT, Story.SERVICES_CDI})

INTAKE_STORIES = frozenset(
    {
        Story.CONTACTED,
        Story.INFORMATION,
        Story.DIAGNOSIS,
        Story.NOT_ADMITTED,
        Story.REDIRECTED,
        Story.DUPLICATE,
    }
)


class Profile(enum.StrEnum):
    """A typical situation at entry; it decides the IAE criteria the person meets."""

    RSA = "rsa"
    RSA_SINGLE_PARENT = "rsa_single_parent"
    VERY_LONG_UNEMPLOYED = "very_long_unemployed"  # 24 months and more
    LONG_UNEMPLOYED = "long_unemployed"  # 12 to 24 months, low qualification
    SENIOR = "senior"
    SENIOR_ASS = "senior_ass"
    YOUNG = "young"
    YOUNG_ASE = "young_ase"
    REFUGEE = "refugee"
    JUSTICE = "justice"
    DISABILITY = "disability"
    NOT_ELIGIBLE = "not_eligible"


# Age at the reference day (hiring or first contact) for each profile.
_AGES: dict[Profile, tuple[int, int]] = {
    Profile.YOUNG: (18, 25),
    Profile.YOUNG_ASE: (18, 21),
    Profile.SENIOR: (50, 61),
    Profile.SENIOR_ASS: (52, 61),
}
_DEFAULT_AGES = (26, 49)

# How many members each story has, in the order of the cast (duplicates last: they copy the
# identity of members drawn before them).
CAST_PLAN: tuple[tuple[Story, int], ...] = (
    (Story.AI_CURRENT, 36),
    (Story.AI_LONG_SENIOR, 12),
    (Story.AI_LONG, 3),
    (Story.AI_TO_EI, 1),
    (Story.EI_CURRENT, 1),
    (Story.EI_SHORT_EXIT, 2),
    (Story.AI_EXIT, 13),
    (Story.AI_SHORT_EXIT, 5),
    (Story.AI_TO_CDI, 15),
    (Story.SERVICES_CDI, 3),
    (Story.CONTACTED, 8),
    (Story.INFORMATION, 6),
    (Story.DIAGNOSIS, 5),
    (Story.NOT_ADMITTED, 6),
    (Story.REDIRECTED, 5),
    (Story.DUPLICATE, 3),
)

_GENERAL_PROFILES = (
    Profile.RSA,
    Profile.YOUNG,
    Profile.VERY_LONG_UNEMPLOYED,
    Profile.SENIOR,
    Profile.REFUGEE,
    Profile.RSA_SINGLE_PARENT,
    Profile.LONG_UNEMPLOYED,
    Profile.JUSTICE,
    Profile.DISABILITY,
    Profile.YOUNG_ASE,
    Profile.SENIOR_ASS,
    Profile.RSA,
)
_STORY_PROFILES: dict[Story, tuple[Profile, ...]] = {
    Story.AI_LONG_SENIOR: (
        Profile.SENIOR,
        Profile.SENIOR_ASS,
        Profile.RSA,
        Profile.VERY_LONG_UNEMPLOYED,
        Profile.DISABILITY,
        Profile.LONG_UNEMPLOYED,
    ),
    Story.AI_LONG: (Profile.DISABILITY, Profile.JUSTICE, Profile.RSA_SINGLE_PARENT),
    Story.AI_TO_EI: (Profile.RSA,),
    Story.EI_CURRENT: (Profile.RSA_SINGLE_PARENT,),
    Story.EI_SHORT_EXIT: (Profile.VERY_LONG_UNEMPLOYED, Profile.RSA),
    Story.SERVICES_CDI: (Profile.LONG_UNEMPLOYED, Profile.SENIOR, Profile.RSA_SINGLE_PARENT),
    Story.AI_TO_CDI: (
        Profile.SENIOR,
        Profile.RSA,
        Profile.LONG_UNEMPLOYED,
        Profile.SENIOR_ASS,
        Profile.RSA_SINGLE_PARENT,
        Profile.VERY_LONG_UNEMPLOYED,
        Profile.REFUGEE,
    ),
    Story.NOT_ADMITTED: (
        Profile.NOT_ELIGIBLE,  # rank 0: not eligible to the IAE
        Profile.RSA,
        Profile.YOUNG,
        Profile.LONG_UNEMPLOYED,
        Profile.JUSTICE,
        Profile.SENIOR,
    ),
}

# fmt: off
# Hiring day, in days before today, of the members in an insertion post at the AI: the PASS IAE
# (730 days) of the last four ends within three months; the long pathways carry prolongations.
_AI_CURRENT_HIRED = (
    12, 30, 50, 70, 90, 110, 130, 150, 170, 190, 210, 230, 250, 270, 290, 310, 330, 350,
    370, 390, 410, 430, 450, 470, 490, 510, 530, 550, 570, 590, 610, 630, 655, 680, 705, 722,
)
# Hiring day of the long pathways, in days before 31 December of last year: more than two years
# at the AI on that day as well as today (the seed's ~30 %, mostly seniors).
_AI_LONG_SENIOR_HIRED = (770, 850, 930, 990, 1050, 1075, 1130, 1200, 1260, 1320, 1385, 1420)
# Ages on ``today`` of the long-pathway seniors: five of them 57 or more (CDI inclusion).
_AI_LONG_SENIOR_AGES = (53, 54, 55, 56, 58, 57, 59, 56, 60, 61, 63, 62)
_AI_LONG_HIRED = (790, 905)
# The third long pathway is counted back from ``today``: over two years today, and on
# 31 December of last year only when the demo is loaded before August. Together with the
# workers hired or gone since, this keeps last year's share of long pathways between 28 and
# 32 % whatever the day of loading.
_AI_LONG_HIRED_BEFORE_TODAY = 950
# (days at the AI, days since the exit)
_AI_EXIT_TIMES = (
    (420, 25), (610, 48), (380, 70), (540, 95), (300, 120), (250, 150), (480, 175),
    (700, 200), (350, 240), (200, 280), (690, 330), (450, 460), (560, 640),
)
_AI_SHORT_EXIT_TIMES = ((38, 45), (52, 160), (44, 300), (35, 90), (47, 400))
# The seed's 15 CDI at the SAP company, for long-standing AI workers, all created last year:
# (days at the AI, last day at the AI as (month, day) of last year). The CDI starts the next day.
_AI_TO_CDI_TIMES = (
    (820, (1, 20)), (640, (2, 14)), (910, (3, 6)), (1000, (3, 27)), (560, (4, 17)),
    (760, (5, 15)), (1180, (6, 5)), (480, (6, 26)), (900, (7, 17)), (690, (8, 28)),
    (1250, (9, 18)), (530, (10, 9)), (800, (10, 30)), (950, (11, 20)), (610, (12, 11)),
)
# Élan Services last year: its two insertion posts change hands (four CDDI), and three CDI are
# signed outside the IAE — the seed's "7 emplois créés dont 3 CDI". (month, day) of last year.
_AI_TO_EI_TIMES = (330, (6, 15))  # days at the AI, first day at the EI
_EI_CURRENT_HIRED = (4, 20)
_EI_SHORT_EXIT_TIMES = (((1, 12), 75), ((2, 2), 110))  # hiring day, days at the EI
_SERVICES_CDI_HIRED = ((3, 2), (6, 1), (9, 14))
# fmt: on

# --- Identities -------------------------------------------------------------------------------

# fmt: off
# First names by generation: aged 48 and more, 31 to 47, 30 and less.
_FIRST_NAMES: dict[Civility, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    Civility.MME: (
        ("Brigitte", "Chantal", "Corinne", "Fabienne", "Françoise", "Jocelyne", "Martine",
         "Maryse", "Monique", "Pascale", "Patricia", "Sylvie", "Véronique", "Marie-Hélène",
         "Nadège", "Isabelle", "Laurence", "Valérie", "Carole", "Christelle", "Malika"),
        ("Amandine", "Aurélie", "Élodie", "Émilie", "Laetitia", "Mélanie", "Solène",
         "Anne-Sophie", "Sandrine", "Séverine", "Karine", "Delphine", "Nathalie", "Hélène",
         "Céline", "Stéphanie", "Yasmina", "Samia"),
        ("Léa", "Lucie", "Manon", "Océane", "Leïla", "Chloé", "Inès", "Camille", "Jade",
         "Maëlys", "Sarah", "Lina", "Anaïs"),
    ),
    Civility.M: (
        ("Alain", "Bruno", "Christophe", "Didier", "Éric", "Fabrice", "Franck", "Gilles",
         "Hervé", "Jean-Marc", "Joël", "Laurent", "Pascal", "Patrick", "Philippe", "Régis",
         "Stéphane", "Thierry", "Jean-Louis", "Frédéric", "Rachid"),
        ("Anthony", "Cédric", "Damien", "David", "Grégory", "Jérôme", "Ludovic", "Mathieu",
         "Mickaël", "Nicolas", "Olivier", "Sylvain", "Yannick", "Mehdi", "Sébastien", "Julien"),
        ("Dylan", "Kévin", "Quentin", "Thomas", "Loïc", "Enzo", "Théo", "Lucas", "Nathan",
         "Yanis", "Bilal", "Maxime", "Jordan"),
    ),
}
_SURNAMES = (
    "Audebert", "Baudouin", "Bernier", "Bonnin", "Bouchet", "Brunet", "Chabot", "Charpentier",
    "Chauvet", "Chevalier", "Clément", "Coutant", "Dubreuil", "Dumas", "Gaillard", "Garnier",
    "Gauthier", "Girard", "Godet", "Guérin", "Guillot", "Hérault", "Jolly", "Joubert",
    "Lambert", "Lebrun", "Lefèvre", "Lemaire", "Marchand", "Martineau", "Mercier", "Meunier",
    "Michaud", "Moreau", "Morin", "Noël", "Pacaud", "Papin", "Pelletier", "Perrin", "Picard",
    "Poirier", "Renaud", "Robin", "Rousseau", "Texier", "Thibault", "Vallet", "Bénard",
    "Boutin", "Chaigneau", "Deschamps", "Fradet", "Goudeau", "Héraud", "Jaulin", "Largeau",
    "Naudin", "Ouvrard", "Proust", "Rabault", "Savariau", "Tessier", "Augereau", "Benali",
    "Haddad", "Bensaïd", "Mendes", "Ferreira", "Da Silva", "Nguyen", "Camara", "Koné",
    "Lopes", "Moulin", "Riffault", "Sabourin", "Turpeau", "Vergnaud", "Bonneau",
)
# (civility, first name, birth name, INSEE code of the country of birth, country group)
_REFUGEE_IDENTITIES = (
    (Civility.M, "Ahmad", "Rahimi", "99212", CountryGroup.OUTSIDE_EU),
    (Civility.MME, "Olena", "Kovalenko", "99155", CountryGroup.OUTSIDE_EU),
    (Civility.M, "Mamadou", "Diallo", "99330", CountryGroup.OUTSIDE_EU),
    (Civility.MME, "Fatoumata", "Traoré", "99335", CountryGroup.OUTSIDE_EU),
    (Civility.M, "Mehmet", "Kaya", "99208", CountryGroup.OUTSIDE_EU),
    (Civility.MME, "Samira", "Haddad", "99206", CountryGroup.OUTSIDE_EU),
    (Civility.M, "Dmytro", "Bondarenko", "99155", CountryGroup.OUTSIDE_EU),
    (Civility.MME, "Aïcha", "Sylla", "99341", CountryGroup.OUTSIDE_EU),
    (Civility.M, "Abdoulaye", "Keita", "99335", CountryGroup.OUTSIDE_EU),
    (Civility.MME, "Zeynep", "Demir", "99208", CountryGroup.OUTSIDE_EU),
    (Civility.M, "Hamid", "Noori", "99212", CountryGroup.OUTSIDE_EU),
)
_USUAL_NAMES = ("Moreau", "Girard", "Rousseau", "Guérin", "Chauvet", "Texier")
# INSEE codes of communes of birth (the NIR repeats them).
_BIRTH_PLACES = (
    "79191", "79191", "79191", "79202", "79049", "79329", "86194", "17300", "16015", "44109",
    "33063", "87085", "75114", "99139", "99350",
)
_EU_COUNTRIES = frozenset({"99139"})  # Portugal

# Invented streets, real communes of the Niort area.
_STREETS = (
    "rue de l'Envol", "allée du Marchepied", "impasse de la Passerelle", "rue des Premiers-Pas",
    "chemin de la Relance", "place de l'Escabeau", "rue du Nouveau-Départ",
    "avenue de l'Horizon-Clair", "rue de la Bonne-Étape", "allée des Cerfs-Volants",
)
_COMMUNES = (
    ("79000", "Niort"), ("79000", "Niort"), ("79000", "Niort"), ("79000", "Niort"),
    ("79180", "Chauray"), ("79230", "Aiffres"), ("79000", "Bessines"), ("79410", "Échiré"),
    ("79230", "Vouillé"), ("79400", "Saint-Maixent-l'École"), ("79200", "Parthenay"),
    ("79460", "Magné"), ("79510", "Coulon"),
)

# fmt: on

NO_NIR = "Pas de numéro de sécurité sociale : immatriculation en cours (naissance à l'étranger)"
NIR_OF_SOMEONE_ELSE = "Le numéro de sécurité sociale communiqué est associé à quelqu'un d'autre"

# --- Intakes ----------------------------------------------------------------------------------

_PRESCRIBERS: dict[Orienter, str] = {
    Orienter.MISSION_LOCALE: "Mission locale — antenne de Niort",
    Orienter.CAP_EMPLOI: "Cap emploi — Deux-Sèvres",
    Orienter.FRANCE_TRAVAIL: "France Travail — agence de Niort",
    Orienter.PLIE: "PLIE de l'agglomération niortaise",
    Orienter.DEPARTMENT_SOCIAL: "Service social départemental — Niort",
    Orienter.SPIP: "SPIP des Deux-Sèvres — antenne de Niort",
    Orienter.CCAS: "CCAS de Niort",
    Orienter.CHRS: "CHRS de Niort",
    Orienter.CADA: "CADA de Niort",
    Orienter.CPH: "Centre provisoire d'hébergement des Deux-Sèvres",
    Orienter.ASE: "Aide sociale à l'enfance — Deux-Sèvres",
    Orienter.NOT_AUTHORISED: "Association d'aide alimentaire de Niort",
}
_PROFILE_ORIENTERS: dict[Profile, tuple[Orienter, ...]] = {
    Profile.RSA: (Orienter.DEPARTMENT_SOCIAL, Orienter.FRANCE_TRAVAIL, Orienter.CCAS),
    Profile.RSA_SINGLE_PARENT: (Orienter.DEPARTMENT_SOCIAL, Orienter.CCAS),
    Profile.VERY_LONG_UNEMPLOYED: (Orienter.FRANCE_TRAVAIL, Orienter.PLIE),
    Profile.LONG_UNEMPLOYED: (Orienter.FRANCE_TRAVAIL, Orienter.PLIE),
    Profile.SENIOR: (Orienter.FRANCE_TRAVAIL,),
    Profile.SENIOR_ASS: (Orienter.FRANCE_TRAVAIL, Orienter.PLIE),
    Profile.YOUNG: (Orienter.MISSION_LOCALE,),
    Profile.YOUNG_ASE: (Orienter.ASE, Orienter.MISSION_LOCALE),
    Profile.REFUGEE: (Orienter.CADA, Orienter.CPH),
    Profile.JUSTICE: (Orienter.SPIP, Orienter.CHRS),
    Profile.DISABILITY: (Orienter.CAP_EMPLOI,),
    Profile.NOT_ELIGIBLE: (Orienter.NOT_AUTHORISED,),
}
UNAUTHORISED_ORIENTERS = frozenset(
    {Orienter.SPONTANEOUS, Orienter.NOT_AUTHORISED, Orienter.UNKNOWN}
)
_SPONTANEOUS_CHANNELS = (
    IntakeChannel.WALK_IN,
    IntakeChannel.PHONE,
    IntakeChannel.EMAIL,
    IntakeChannel.EVENT,
)
# First contacts that reach the two companies rather than the association.
_INTAKE_ELSEWHERE: dict[tuple[Story, int], str] = {
    (Story.CONTACTED, 2): EI,
    (Story.CONTACTED, 5): SAP,
    (Story.NOT_ADMITTED, 1): EI,  # no position: the EI has two posts, both held
    (Story.REDIRECTED, 2): SAP,  # redirected to the association
}
_REDIRECTIONS = (
    "Atelier chantier d'insertion — maraîchage (Niort)",
    "Mission locale — antenne de Niort",
    "Élan Emploi (association intermédiaire)",
    "Entreprise de travail temporaire d'insertion (Niort)",
    "Centre de formation — titre professionnel assistant de vie aux familles",
)
_INTAKE_NOTES = (
    "Disponible le matin uniquement.",
    "Rappeler après 17 h.",
    "Sans véhicule : se déplace en bus.",
    "A déposé un CV à l'accueil.",
    "Venue avec la conseillère de son organisme orienteur.",
    "Souhaite travailler à temps partiel.",
    "",
    "",
)
_NOT_ADMITTED_NOTES: dict[NotAdmittedReason, str] = {
    NotAdmittedReason.NOT_ELIGIBLE: "Aucun critère d'éligibilité à l'IAE : orientation vers "
    "France Travail pour un accompagnement classique.",
    NotAdmittedReason.NO_POSITION: "Aucun poste disponible sur ses horaires ; à recontacter.",
    NotAdmittedReason.DECLINED: "A trouvé un emploi saisonnier entre-temps.",
    NotAdmittedReason.NO_SHOW: "Ne s'est pas présenté à l'information collective.",
    NotAdmittedReason.NOT_SUITED: "Projet tourné vers la conduite d'engins, hors de l'offre.",
    NotAdmittedReason.OTHER: "Déménagement prévu hors du département.",
}

# Wanted jobs: ROME codes of the group's activities (tremplin/people/data/rome.csv).
_WANTED_JOBS = (
    "K2204",  # nettoyage de locaux
    "K1304",  # services domestiques
    "A1203",  # aménagement et entretien des espaces verts
    "N1103",  # magasinage et préparation de commandes
    "G1605",  # plonge en restauration
    "K1302",  # assistance auprès d'adultes
    "M1606",  # saisie de données (gestion électronique des documents)
    "N4105",  # livraison par tournées sur courte distance
    "G1602",  # personnel de cuisine
    "K2303",  # nettoyage des espaces urbains
    "N1105",  # manutention manuelle de charges
    "D1507",  # mise en rayon libre-service
    "A1414",  # horticulture et maraîchage
    "K1303",  # assistance auprès d'enfants
    "J1301",  # personnel polyvalent des services hospitaliers
)


@dataclasses.dataclass(frozen=True, slots=True)
class Situation:
    """The situation at entry, as the ASP employee record asks for it (Person fields)."""

    education_level: str = ""
    unemployment_duration: str = ""
    france_travail_registered: bool = False
    france_travail_id: str = ""
    france_travail_since: date | None = None
    rsa: str = RsaStatus.NO
    rsa_since: date | None = None
    ass_since: date | None = None
    aah_since: date | None = None
    rqth: bool = False
    housing: str = ""
    mobility_issue: bool = False
    french_below_a1: bool = False
    refugee: bool = False
    leaving_detention: bool = False
    leaving_ase: bool = False
    single_parent: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class IntakePlan:
    entity: str
    contacted_on: date
    channel: IntakeChannel
    orienter: Orienter
    orienter_name: str
    status: IntakeStatus
    status_changed_on: date
    not_admitted_reason: str = ""
    redirected_to: str = ""
    note: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class Member:
    """One person of the demo cast, with the dates of their story."""

    index: int
    story: Story
    rank: int  # position among the members of the same story
    profile: Profile
    entity: str  # slug of the entity that holds the file
    civility: Civility
    birth_name: str
    usual_name: str
    first_name: str
    birth_date: date
    birth_place: str  # INSEE code of the commune, or 99 and the country code
    birth_country_group: CountryGroup
    nir: str
    no_nir_reason: str
    email: str
    phone: str
    address: str
    postal_code: str
    city: str
    situation: Situation
    referent: str  # login of the demo account, or ""
    intake: IntakePlan
    hired_on: date | None = None
    left_on: date | None = None  # last day of the insertion step
    wanted_rome: str = ""  # ROME code of the job the person wants, if any

    @property
    def key(self) -> str:
        return cast_key(self.birth_name, self.first_name)

    @property
    def birth_insee_code(self) -> str:
        return "" if self.birth_place.startswith("99") else self.birth_place


def cast_key(birth_name: str, first_name: str) -> str:
    """What finds a member again whatever the day: birth name and first name, accent-blind."""
    return f"{search_key(birth_name)}|{search_key(first_name)}"


def make_nir(civility: Civility, birth_date: date, place: str, order: int) -> str:
    """A NIR for an invented person: sex, year, month, place of birth (5 chars), order, key.

    ``place`` is the INSEE code of the commune (or 99 and the country) of birth; the key is
    97 minus the first 13 digits modulo 97, Corsica's 2A and 2B counting as 19 and 18
    (domain.md §10.3).
    """
    sex = "1" if civility == Civility.M else "2"
    body = f"{sex}{birth_date.year % 100:02d}{birth_date.month:02d}{place}{order:03d}"
    department = {"2A": "19", "2B": "18"}.get(body[5:7], body[5:7])
    numeric = int(body[:5] + department + body[7:])
    return f"{body}{97 - numeric % 97:02d}"


# --- The cast ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def cast(today: date) -> tuple[Member, ...]:
    """The 120 members of the demo, dated from ``today``; the same for the same day."""
    return tuple(_CastBuilder(today).build())


class _CastBuilder:
    def __init__(self, today: date) -> None:
        self.today = today
        self.rng = random.Random(SEED)
        self.used_names: set[str] = set()
        self.used_nirs: set[str] = set()
        self.refugees = list(_REFUGEE_IDENTITIES)
        self.rng.shuffle(self.refugees)
        self.members: list[Member] = []

    def build(self) -> list[Member]:
        for story, count in CAST_PLAN:
            for rank in range(count):
                if story is Story.DUPLICATE:
                    self.members.append(self._duplicate(rank))
                else:
                    self.members.append(self._member(story, rank))
        self._give_nirs()
        return self.members

    def ago(self, days: int) -> date:
        return self.today - timedelta(days=days)

    def last_year(self, month: int, day: int) -> date:
        """A day of the last complete calendar year."""
        return date(self.today.year - 1, month, day)

    def before_last_new_year(self, days: int) -> date:
        """``days`` days before 31 December of last year."""
        return date(self.today.year - 1, 12, 31) - timedelta(days=days)

    # One member ---------------------------------------------------------------------------

    def _member(self, story: Story, rank: int) -> Member:
        rng = self.rng
        index = len(self.members)
        profiles = _STORY_PROFILES.get(story)
        if profiles:
            profile = profiles[rank % len(profiles)]
        else:
            profile = _GENERAL_PROFILES[index % len(_GENERAL_PROFILES)]
        hired_on, left_on = self._dates(story, rank)
        contacted_on = (
            hired_on - timedelta(rng.randint(12, 60))
            if hired_on
            else self._contact_day(story, rank)
        )
        if story is Story.AI_LONG_SENIOR:
            age = _AI_LONG_SENIOR_AGES[rank]
            birth_date = self.today - relativedelta(years=age) - timedelta(rng.randint(100, 300))
        else:
            # Counted from the hiring (or first contact), at least 100 days after a birthday:
            # the age on the eligibility diagnosis is the age of the profile.
            age = rng.randint(*_AGES.get(profile, _DEFAULT_AGES))
            birth_date = (hired_on or contacted_on) - relativedelta(years=age)
            birth_date -= timedelta(rng.randint(100, 360))
        # First names follow the generation, read from the age (not the year: the cast must
        # not change with the day of loading).
        generation = 0 if age >= 48 else 1 if age >= 31 else 2
        civility, first_name, birth_name, place, country = self._identity(profile, generation)
        usual_name = ""
        if civility == Civility.MME and profile is not Profile.REFUGEE and rng.random() < 0.2:
            usual_name = rng.choice([n for n in _USUAL_NAMES if n != birth_name])
        postal_code, city = rng.choice(_COMMUNES)
        entity = EI if story in _EI_STORIES else AI
        intake = self._intake(story, rank, profile, entity, contacted_on, hired_on)
        wanted = rng.choice(_WANTED_JOBS) if rng.random() < 0.5 else ""
        return Member(
            index=index,
            story=story,
            rank=rank,
            profile=profile,
            entity=intake.entity if story in INTAKE_STORIES else entity,
            civility=civility,
            birth_name=birth_name,
            usual_name=usual_name,
            first_name=first_name,
            birth_date=birth_date,
            birth_place=place,
            birth_country_group=country,
            nir="",
            no_nir_reason="",
            email=self._email(first_name, birth_name) if rng.random() < 0.55 else "",
            phone=_phone(index),
            address=f"{rng.randint(1, 48)} {rng.choice(_STREETS)}",
            postal_code=postal_code,
            city=city,
            situation=self._situation(profile, contacted_on),
            referent=self._referent(story, rank),
            intake=intake,
            hired_on=hired_on,
            left_on=left_on,
            wanted_rome=wanted,
        )

    def _identity(
        self, profile: Profile, generation: int
    ) -> tuple[Civility, str, str, str, CountryGroup]:
        rng = self.rng
        if profile is Profile.REFUGEE and self.refugees:
            civility, first_name, birth_name, place, country = self.refugees.pop()
            self.used_names.add(cast_key(birth_name, first_name))
            return civility, first_name, birth_name, place, country
        while True:
            civility = rng.choice((Civility.M, Civility.MME))
            names = _FIRST_NAMES[civility][generation]
            first_name, birth_name = rng.choice(names), rng.choice(_SURNAMES)
            if cast_key(birth_name, first_name) not in self.used_names:
                break
        self.used_names.add(cast_key(birth_name, first_name))
        place = rng.choice(_BIRTH_PLACES)
        if place.startswith("99"):
            country = CountryGroup.EU if place in _EU_COUNTRIES else CountryGroup.OUTSIDE_EU
        else:
            country = CountryGroup.FRANCE
        return civility, first_name, birth_name, place, country

    def _dates(self, story: Story, rank: int) -> tuple[date | None, date | None]:
        match story:
            case Story.AI_CURRENT:
                return self.ago(_AI_CURRENT_HIRED[rank]), None
            case Story.AI_LONG_SENIOR:
                return self.before_last_new_year(_AI_LONG_SENIOR_HIRED[rank]), None
            case Story.AI_LONG if rank < len(_AI_LONG_HIRED):
                return self.before_last_new_year(_AI_LONG_HIRED[rank]), None
            case Story.AI_LONG:
                return self.ago(_AI_LONG_HIRED_BEFORE_TODAY), None
            case Story.EI_CURRENT:
                return self.last_year(*_EI_CURRENT_HIRED), None
            case Story.SERVICES_CDI:
                return self.last_year(*_SERVICES_CDI_HIRED[rank]), None
            case Story.AI_EXIT | Story.AI_SHORT_EXIT:
                times = _AI_EXIT_TIMES if story is Story.AI_EXIT else _AI_SHORT_EXIT_TIMES
                stay, since = times[rank]
                return self.ago(stay + since - 1), self.ago(since)
            case Story.AI_TO_CDI:
                stay, last_day = _AI_TO_CDI_TIMES[rank]
                left = self.last_year(*last_day)
                return left - timedelta(stay - 1), left
            case Story.AI_TO_EI:
                stay, ei_first_day = _AI_TO_EI_TIMES
                left = self.last_year(*ei_first_day) - timedelta(1)
                return left - timedelta(stay - 1), left
            case Story.EI_SHORT_EXIT:
                hired_day, stay = _EI_SHORT_EXIT_TIMES[rank]
                hired = self.last_year(*hired_day)
                return hired, hired + timedelta(stay - 1)
        return None, None

    def _contact_day(self, story: Story, rank: int) -> date:
        if (story, rank) == (Story.DIAGNOSIS, 2):
            # Diagnosed by the association 82 days ago and still waiting: the employer's
            # diagnosis (92 days) is about to expire.
            return self.ago(86)
        low, high = {
            Story.CONTACTED: (0, 12),
            Story.INFORMATION: (8, 30),
            Story.DIAGNOSIS: (15, 45),
            Story.NOT_ADMITTED: (20, 240),
            Story.REDIRECTED: (15, 200),
            Story.DUPLICATE: (0, 6),
        }[story]
        return self.ago(self.rng.randint(low, high))

    def _intake(
        self,
        story: Story,
        rank: int,
        profile: Profile,
        entity: str,
        contacted_on: date,
        hired_on: date | None,
    ) -> IntakePlan:
        rng = self.rng
        orienter = rng.choice(_PROFILE_ORIENTERS[profile])
        if profile is not Profile.NOT_ELIGIBLE and rng.random() < 0.25:
            orienter = Orienter.SPONTANEOUS
        if orienter in UNAUTHORISED_ORIENTERS:
            channel = rng.choice(_SPONTANEOUS_CHANNELS)
        else:
            channel = rng.choice((IntakeChannel.PRESCRIBER, IntakeChannel.PLATFORM))
        note = rng.choice(_INTAKE_NOTES)
        changed_on = contacted_on
        if hired_on is None:
            # Drawn for intakes only: the draws of the cast must not depend on the day of
            # loading, and a hired member's dates may be those of last year.
            span = (self.today - contacted_on).days
            changed_on += timedelta(rng.randint(min(span, 3), span))
        not_admitted_reason: NotAdmittedReason | str = ""
        redirected_to = ""
        match story:
            case _ if hired_on is not None:
                status, changed_on = IntakeStatus.HIRED, hired_on
            case Story.CONTACTED:
                status, changed_on = IntakeStatus.CONTACTED, contacted_on
            case Story.INFORMATION:
                status = IntakeStatus.INFORMATION_SESSION
            case Story.DIAGNOSIS:
                status = IntakeStatus.DIAGNOSIS
                changed_on = contacted_on + timedelta(rng.randint(3, 10) if rank != 2 else 4)
            case Story.NOT_ADMITTED:
                status = IntakeStatus.NOT_ADMITTED
                not_admitted_reason = list(NotAdmittedReason)[rank % len(NotAdmittedReason)]
                note = _NOT_ADMITTED_NOTES[not_admitted_reason]
            case Story.REDIRECTED:
                status = IntakeStatus.REDIRECTED
                redirected_to = _REDIRECTIONS[rank % len(_REDIRECTIONS)]
            case _:
                raise ValueError(f"Pas d'accueil prévu pour l'histoire {story}.")
        return IntakePlan(
            entity=_INTAKE_ELSEWHERE.get((story, rank), entity),
            contacted_on=contacted_on,
            channel=channel,
            orienter=orienter,
            orienter_name=_PRESCRIBERS.get(orienter, ""),
            status=status,
            status_changed_on=changed_on,
            not_admitted_reason=not_admitted_reason,
            redirected_to=redirected_to,
            note=note,
        )

    def _situation(self, profile: Profile, contact: date) -> Situation:
        rng = self.rng

        def before(low: int, high: int) -> date:
            return contact - timedelta(rng.randint(low, high))

        def registered(since: date) -> dict[str, Any]:
            months = relativedelta(contact, since)
            total = months.years * 12 + months.months
            duration = (
                UnemploymentDuration.LESS_THAN_6
                if total < 6
                else UnemploymentDuration.FROM_6_TO_11
                if total < 12
                else UnemploymentDuration.FROM_12_TO_23
                if total < 24
                else UnemploymentDuration.MORE_THAN_24
            )
            number = rng.randint(1_000_000, 9_999_999)
            return {
                "france_travail_registered": True,
                "france_travail_id": f"{number}{rng.choice('ABCDEFGHJK')}",
                "france_travail_since": since,
                "unemployment_duration": duration,
            }

        low_levels = (
            EducationLevel.LEVEL_3,
            EducationLevel.LEVEL_3_NO_DIPLOMA,
            EducationLevel.COMPULSORY_ONLY,
            EducationLevel.NON_CERTIFYING,
        )
        housing = rng.choice((Housing.OWN, Housing.OWN, Housing.OWN, Housing.HOSTED))
        mobility = rng.random() < 0.3
        fields: dict[str, Any]
        match profile:
            case Profile.RSA:
                fields = {
                    "rsa": RsaStatus.YES,
                    "rsa_since": before(150, 1500),
                    **registered(before(100, 700)),
                    "education_level": rng.choice(
                        (*low_levels, EducationLevel.LEVEL_4, EducationLevel.LEVEL_4_PRO)
                    ),
                }
            case Profile.RSA_SINGLE_PARENT:
                fields = {
                    "rsa": RsaStatus.YES_INCREASED,
                    "rsa_since": before(200, 900),
                    "single_parent": True,
                    **registered(before(200, 600)),
                    "education_level": rng.choice(low_levels),
                }
            case Profile.VERY_LONG_UNEMPLOYED:
                fields = {
                    **registered(before(760, 1800)),
                    "education_level": rng.choice((*low_levels, EducationLevel.LEVEL_4_PRO)),
                }
            case Profile.LONG_UNEMPLOYED:
                fields = {
                    **registered(before(400, 700)),
                    "education_level": rng.choice(low_levels),
                }
            case Profile.SENIOR:
                fields = {
                    **registered(before(400, 700)),
                    "education_level": rng.choice(low_levels),
                }
            case Profile.SENIOR_ASS:
                fields = {
                    "ass_since": before(100, 700),
                    **registered(before(760, 1500)),
                    "education_level": rng.choice(low_levels),
                }
            case Profile.YOUNG:
                fields = {
                    "education_level": rng.choice(
                        (EducationLevel.COMPULSORY_ONLY, EducationLevel.LEVEL_3_NO_DIPLOMA)
                    ),
                    "housing": Housing.HOSTED,
                    **(registered(before(30, 150)) if rng.random() < 0.5 else {}),
                }
                mobility = True
            case Profile.YOUNG_ASE:
                fields = {
                    "education_level": EducationLevel.LEVEL_3_NO_DIPLOMA,
                    "leaving_ase": True,
                    "housing": Housing.SHELTER,
                }
            case Profile.REFUGEE:
                fields = {
                    "refugee": True,
                    "french_below_a1": True,
                    "education_level": rng.choice(
                        (EducationLevel.NEVER_SCHOOLED, EducationLevel.NON_CERTIFYING)
                    ),
                    "housing": Housing.SHELTER,
                    **registered(before(60, 300)),
                }
                mobility = True
            case Profile.JUSTICE:
                fields = {
                    "leaving_detention": True,
                    "housing": Housing.SHELTER,
                    "education_level": rng.choice(low_levels),
                    **registered(before(20, 120)),
                }
            case Profile.DISABILITY:
                fields = {
                    "rqth": True,
                    "aah_since": before(300, 2500),
                    **registered(before(200, 900)),
                    "education_level": rng.choice(
                        (*low_levels, EducationLevel.LEVEL_4, EducationLevel.LEVEL_5)
                    ),
                }
            case Profile.NOT_ELIGIBLE:
                fields = {
                    **registered(before(60, 200)),
                    "education_level": EducationLevel.LEVEL_5,
                    "housing": Housing.OWN,
                }
                mobility = False
        fields.setdefault("housing", housing)
        return Situation(**fields, mobility_issue=mobility)

    def _referent(self, story: Story, rank: int) -> str:
        if story in INTAKE_STORIES:
            return "cip" if story is Story.DIAGNOSIS else ""
        if story is Story.AI_CURRENT and rank < 2:
            return ""  # just hired: referent still to be named
        if story is Story.SERVICES_CDI:
            return ""  # an ordinary employee of the company, not in an insertion pathway
        # The transversal HR function follows a share of the pathways (the seed's HR role).
        return "rh" if rank % 4 == 3 else "cip"

    def _email(self, first_name: str, birth_name: str) -> str:
        def ascii_part(text: str) -> str:
            decomposed = unicodedata.normalize("NFKD", text)
            plain = "".join(c for c in decomposed if not unicodedata.combining(c))
            return "".join(c for c in plain.lower() if c.isalnum() or c == "-")

        return f"{ascii_part(first_name)}.{ascii_part(birth_name)}@courriel.test"

    # Second files and NIRs -------------------------------------------------------------------

    def _duplicate(self, rank: int) -> Member:
        """A second file of an earlier member: same names and birth date, typed differently."""
        original_story, original_rank, entity = (
            (Story.AI_SHORT_EXIT, 2, AI),  # left after a short stay, comes back to the desk
            (Story.NOT_ADMITTED, 1, AI),  # no position last time, calls again
            (Story.AI_CURRENT, 5, SAP),  # applies at the SAP company while at the AI
        )[rank]
        original = next(
            m for m in self.members if m.story is original_story and m.rank == original_rank
        )
        contacted_on = self._contact_day(Story.DUPLICATE, rank)
        intake = IntakePlan(
            entity,
            contacted_on,
            self.rng.choice((IntakeChannel.WALK_IN, IntakeChannel.PHONE)),
            Orienter.SPONTANEOUS,
            "",
            IntakeStatus.CONTACTED,
            contacted_on,
            note="Dit être déjà venue ou venu dans le groupe.",
        )
        return dataclasses.replace(
            original,
            index=len(self.members),
            story=Story.DUPLICATE,
            rank=rank,
            entity=entity,
            birth_name=_plain_upper(original.birth_name),
            first_name=original.first_name.replace("-", " "),
            usual_name="",
            nir="",
            no_nir_reason="",
            email="",
            phone=_phone(len(self.members)),
            referent="",
            intake=intake,
            hired_on=None,
            left_on=None,
            wanted_rome="",
        )

    def _give_nirs(self) -> None:
        """A NIR for a third of the cast, mostly employees; the reason of its absence for some."""
        hired = [m for m in self.members if m.hired_on is not None]
        chosen = {m.index for m in self.rng.sample(hired, 38)}
        chosen |= {m.index for m in self.members if m.story is Story.DIAGNOSIS and m.rank < 2}
        for position, member in enumerate(self.members):
            if member.index in chosen:
                member = dataclasses.replace(member, nir=self._nir(member))
            elif member.profile is Profile.REFUGEE and member.story is not Story.DUPLICATE:
                member = dataclasses.replace(member, no_nir_reason=NO_NIR)
            elif member.story is Story.AI_CURRENT and member.rank == 9:
                member = dataclasses.replace(member, no_nir_reason=NIR_OF_SOMEONE_ELSE)
            self.members[position] = member

    def _nir(self, member: Member) -> str:
        while True:
            nir = make_nir(
                member.civility, member.birth_date, member.birth_place, self.rng.randint(1, 999)
            )
            if nir not in self.used_nirs:
                self.used_nirs.add(nir)
                return nir


def _phone(index: int) -> str:
    return f"06 39 98 {index // 100:02d} {index % 100:02d}"


def _plain_upper(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


# --- Loading ----------------------------------------------------------------------------------


def people_of(group: Group, members: Sequence[Member]) -> dict[int, Person]:
    """The person of each member already in ``group``, by member index.

    Matched on birth name and first name (accent- and case-blind); members sharing them are
    matched in the order the files were created.
    """
    files: dict[str, list[Person]] = defaultdict(list)
    for person in Person.objects.filter(entity__group=group).order_by("pk"):
        files[cast_key(person.birth_name, person.first_name)].append(person)
    found: dict[int, Person] = {}
    seen: Counter[str] = Counter()
    for member in members:
        key = member.key
        if seen[key] < len(files[key]):
            found[member.index] = files[key][seen[key]]
        seen[key] += 1
    return found


def demo_users(logins: Iterable[str]) -> dict[str, User]:
    """The demo accounts by login (``cip``, ``rh``…); missing ones are left out."""
    wanted = {email_for(login): login for login in logins}
    return {wanted[u.email]: u for u in User.objects.filter(email__in=wanted)}


def load(group: Group, today: date) -> None:
    """Create the members missing from ``group`` with their intakes, and their wanted jobs.

    The ROME directory is loaded first (``load_rome``); a second run creates nothing.
    """
    call_command("load_rome", verbosity=0)
    members = cast(today)
    present = people_of(group, members)
    entities = {e.slug: e for e in Entity.objects.filter(group=group)}
    users = demo_users(["cip", "rh", "accueil", "planning"])
    receivers = {AI: users.get("accueil"), EI: users.get("cip"), SAP: users.get("planning")}
    people = dict(present)
    intakes = []
    for member in members:
        if member.index in present:
            continue
        person = Person(
            entity=entities[member.entity],
            civility=member.civility,
            birth_name=member.birth_name,
            usual_name=member.usual_name,
            first_name=member.first_name,
            birth_date=member.birth_date,
            birth_insee_code=member.birth_insee_code,
            birth_country_group=member.birth_country_group,
            email=member.email,
            phone=member.phone,
            address=member.address,
            postal_code=member.postal_code,
            city=member.city,
            no_nir_reason=member.no_nir_reason,
            referent=users.get(member.referent),
            **dataclasses.asdict(member.situation),
        )
        if member.nir:
            person.set_nir(member.nir)
        # One save per person keeps the model's own keys (identity, search) up to date.
        person.save()
        people[member.index] = person
        plan = member.intake
        intakes.append(
            Intake(
                entity=entities[plan.entity],
                person=person,
                contacted_on=plan.contacted_on,
                channel=plan.channel,
                orienter=plan.orienter,
                orienter_name=plan.orienter_name,
                status=plan.status,
                status_changed_on=plan.status_changed_on,
                not_admitted_reason=plan.not_admitted_reason,
                redirected_to=plan.redirected_to,
                note=plan.note,
                received_by=receivers[plan.entity],
            )
        )
    Intake.objects.bulk_create(intakes)
    _attach_wanted_jobs(members, people)


def _attach_wanted_jobs(members: Sequence[Member], people: dict[int, Person]) -> None:
    jobs = {job.code: job for job in RomeJob.objects.filter(code__in=_WANTED_JOBS)}
    PersonJob.objects.bulk_create(
        [
            PersonJob(person=people[m.index], rome=jobs[m.wanted_rome], kind=SkillKind.WANTED)
            for m in members
            if m.wanted_rome in jobs and m.index in people
        ],
        ignore_conflicts=True,
    )
