"""People received by the group: the person file, the intake (accueil), skills and documents.

The NIR is never stored in clear: ``nir_ciphertext`` holds it encrypted with the dedicated key,
``nir_hash`` a keyed hash (per group) for uniqueness and exact search, ``nir_masked`` what
lists may show.
Reading it back goes through :meth:`Person.reveal_nir`, which views call only after writing an
access-log entry.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models

from tremplin.core import crypto
from tremplin.people.rules import Civility, IntakeStatus, mask_nir, normalize_nir

if TYPE_CHECKING:
    from tremplin.accounts.models import User


def search_key(text: str) -> str:
    """Lower-case ASCII form of a name, for duplicate detection and search on any database."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(ascii_text.lower().replace("-", " ").replace("'", " ").split())


# --- ASP code lists (fiche salarié, LE:itou/asp/models.py, domain.md §4.2) --------------------


class CountryGroup(models.TextChoices):
    FRANCE = "1", "France"
    EU = "2", "Union européenne (CEE)"
    OUTSIDE_EU = "3", "Hors Union européenne"


class EducationLevel(models.TextChoices):
    NON_CERTIFYING = "00", "Qualifications non certifiantes"
    NEVER_SCHOOLED = "01", "Jamais scolarisé"
    LEVEL_8_7 = "10", "Troisième cycle ou école d'ingénieur"
    LEVEL_6 = "20", "Licence"
    LEVEL_5 = "30", "BTS ou DUT"
    LEVEL_4 = "40", "Baccalauréat"
    LEVEL_4_PRO = "41", "Brevet de technicien ou baccalauréat professionnel"
    LEVEL_3_NO_DIPLOMA = "50", "Niveau BEP ou CAP"
    LEVEL_3 = "51", "Diplôme de BEP ou CAP"
    SHORT_TRAINING = "60", "Formation courte d'une durée d'un an"
    COMPULSORY_ONLY = "70", "Pas au-delà de la scolarité obligatoire"


class UnemploymentDuration(models.TextChoices):
    LESS_THAN_6 = "01", "Moins de 6 mois"
    FROM_6_TO_11 = "02", "De 6 à 11 mois"
    FROM_12_TO_23 = "03", "De 12 à 23 mois"
    MORE_THAN_24 = "04", "24 mois et plus"


class RsaStatus(models.TextChoices):
    NO = "NON", "Non bénéficiaire"
    YES_INCREASED = "OUI-M", "Bénéficiaire du RSA majoré"
    YES = "OUI-NM", "Bénéficiaire du RSA non majoré"


class Housing(models.TextChoices):
    OWN = "own", "Logement autonome"
    HOSTED = "hosted", "Hébergé chez un tiers"
    SHELTER = "shelter", "Hébergement d'urgence ou d'insertion"
    NONE = "none", "Sans hébergement"


class Orienter(models.TextChoices):
    """Who directed the person to the group: ASP *orienteur* codes."""

    MISSION_LOCALE = "01", "Mission locale"
    CAP_EMPLOI = "02", "Cap emploi"
    FRANCE_TRAVAIL = "03", "France Travail"
    PLIE = "04", "PLIE"
    DEPARTMENT_SOCIAL = "05", "Service social du conseil départemental"
    OTHER_AUTHORISED = "06", "Autre prescripteur habilité"
    SPONTANEOUS = "07", "Candidature spontanée"
    NOT_AUTHORISED = "08", "Orienteur non habilité"
    SPIP = "09", "SPIP"
    PJJ = "10", "PJJ"
    CCAS = "11", "CCAS"
    CHRS = "12", "CHRS"
    CIDFF = "13", "CIDFF"
    PREVENTION = "14", "Prévention spécialisée"
    AFPA = "15", "AFPA"
    PIJ_BIJ = "16", "PIJ-BIJ"
    CAF = "17", "CAF"
    CADA = "18", "CADA"
    ASE = "19", "ASE"
    CAVA = "20", "CAVA"
    CPH = "21", "CPH"
    CHU = "22", "CHU"
    OACAS = "23", "OACAS"
    UNKNOWN = "99", "Non connu"


# --- Person ----------------------------------------------------------------------------------


class PersonQuerySet(models.QuerySet["Person"]):
    def visible_in(self, entity_ids: list[int]) -> PersonQuerySet:
        """People whose file is held by, or who were received, follow a pathway step or hold a
        contract in one of the entities."""
        return self.filter(
            models.Q(entity_id__in=entity_ids)
            | models.Q(pk__in=Person.objects.filter(intakes__entity_id__in=entity_ids).values("pk"))
            | models.Q(
                pk__in=Person.objects.filter(pathway_steps__entity_id__in=entity_ids).values("pk")
            )
            | models.Q(
                pk__in=Person.objects.filter(contracts__entity_id__in=entity_ids).values("pk")
            )
        )

    def matching_identity(
        self, *, birth_name: str, first_name: str, birth_date: date
    ) -> PersonQuerySet:
        return self.filter(
            identity_key=Person.make_identity_key(birth_name, first_name, birth_date)
        )

    def matching_name(self, text: str) -> PersonQuerySet:
        """People whose names contain every word of ``text``, whatever the accents and case."""
        queryset = self
        for word in search_key(text).split():
            queryset = queryset.filter(name_key__contains=word)
        return queryset


class Person(models.Model):
    """A person received by the group, whatever the entity; one file for the whole pathway."""

    entity = models.ForeignKey(
        "organisations.Entity",
        verbose_name="structure qui tient le dossier",
        on_delete=models.PROTECT,
        related_name="people",
    )
    civility = models.CharField("civilité", max_length=3, choices=Civility.choices)
    birth_name = models.CharField("nom de naissance", max_length=100)
    usual_name = models.CharField("nom d'usage", max_length=100, blank=True)
    first_name = models.CharField("prénom", max_length=100)
    birth_date = models.DateField("date de naissance")
    birth_insee_code = models.CharField(
        "commune de naissance (code INSEE)", max_length=5, blank=True
    )
    birth_country_group = models.CharField(
        "pays de naissance", max_length=1, choices=CountryGroup.choices, default=CountryGroup.FRANCE
    )
    email = models.EmailField("adresse e-mail", blank=True)
    phone = models.CharField("téléphone", max_length=20, blank=True)
    address = models.CharField("adresse", max_length=255, blank=True)
    postal_code = models.CharField("code postal", max_length=5, blank=True)
    city = models.CharField("commune", max_length=100, blank=True)

    nir_ciphertext = models.TextField(blank=True, editable=False)
    nir_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    nir_masked = models.CharField("NIR", max_length=25, blank=True, editable=False)
    no_nir_reason = models.CharField("raison de l'absence de NIR", max_length=200, blank=True)

    # Situation at entry, as the ASP employee record asks for it (domain.md §4.2).
    education_level = models.CharField(
        "niveau de formation", max_length=2, choices=EducationLevel.choices, blank=True
    )
    unemployment_duration = models.CharField(
        "sans emploi depuis", max_length=2, choices=UnemploymentDuration.choices, blank=True
    )
    france_travail_registered = models.BooleanField("inscrit à France Travail", default=False)
    france_travail_id = models.CharField("identifiant France Travail", max_length=11, blank=True)
    france_travail_since = models.DateField("inscrit depuis le", null=True, blank=True)
    rsa = models.CharField("RSA", max_length=6, choices=RsaStatus.choices, default=RsaStatus.NO)
    rsa_since = models.DateField("RSA depuis le", null=True, blank=True)
    ass_since = models.DateField("ASS depuis le", null=True, blank=True)
    aah_since = models.DateField("AAH depuis le", null=True, blank=True)
    rqth = models.BooleanField("RQTH", default=False)
    housing = models.CharField("hébergement", max_length=10, choices=Housing.choices, blank=True)
    mobility_issue = models.BooleanField("problème de mobilité", default=False)
    french_below_a1 = models.BooleanField("français inférieur au niveau A1", default=False)
    refugee = models.BooleanField("réfugié ou demandeur d'asile", default=False)
    leaving_detention = models.BooleanField("sortant de détention", default=False)
    leaving_ase = models.BooleanField("sortant de l'ASE", default=False)
    single_parent = models.BooleanField("parent isolé", default=False)

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="compte de connexion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
        help_text="Le compte avec lequel le salarié déclare ses heures sur son téléphone.",
    )
    referent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="référent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referred_people",
    )
    identity_key = models.CharField(max_length=255, db_index=True, editable=False)
    # Every name of the person in ``search_key`` form, for accent- and case-blind search and
    # for sorting lists by the name they show.
    name_key = models.CharField(max_length=310, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = "personne"
        verbose_name_plural = "personnes"
        ordering = ["birth_name", "first_name", "pk"]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args: object, **kwargs: object) -> None:
        # Field-level invariant: the duplicate-detection and search keys follow the identity.
        self.identity_key = self.make_identity_key(
            self.birth_name, self.first_name, self.birth_date
        )
        self.name_key = self.make_name_key(self.birth_name, self.usual_name, self.first_name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "identity_key", "name_key"}  # type: ignore[misc]
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def full_name(self) -> str:
        name = self.usual_name or self.birth_name
        return f"{name.upper()} {self.first_name}"

    @staticmethod
    def make_identity_key(birth_name: str, first_name: str, birth_date: date) -> str:
        return f"{search_key(birth_name)}|{search_key(first_name)}|{birth_date.isoformat()}"

    @staticmethod
    def make_name_key(birth_name: str, usual_name: str, first_name: str) -> str:
        """The name as shown (usual name first), then the birth name: sorts and searches."""
        shown = usual_name or birth_name
        return search_key(f"{shown} {first_name} {birth_name if usual_name else ''}")

    @staticmethod
    def nir_hash_of(nir: str, group_id: int) -> str:
        """Keyed hash of a NIR within one group.

        Keyed per group: a NIR is found again and kept unique inside its group, and a number
        entered in one group says nothing about whether another group knows that person.
        """
        return crypto.blind_index(normalize_nir(nir), purpose=f"nir:group:{group_id}")

    def set_nir(self, nir: str) -> None:
        """Store ``nir`` (already validated) encrypted, with its keyed hash and masked form."""
        value = normalize_nir(nir)
        self.nir_ciphertext = crypto.encrypt(value)
        self.nir_hash = self.nir_hash_of(value, self.entity.group_id)
        self.nir_masked = mask_nir(value)
        self.no_nir_reason = ""

    def reveal_nir(self) -> str:
        """The NIR in clear. Callers log the access first (``core.audit.log_access``)."""
        return crypto.decrypt(self.nir_ciphertext) if self.nir_ciphertext else ""

    @property
    def has_nir(self) -> bool:
        return bool(self.nir_ciphertext)

    def age_on(self, day: date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


# --- Intake (accueil) ------------------------------------------------------------------------


class IntakeChannel(models.TextChoices):
    WALK_IN = "walk_in", "Accueil physique"
    PHONE = "phone", "Téléphone"
    EMAIL = "email", "Courriel"
    PRESCRIBER = "prescriber", "Orientation d'un prescripteur"
    PLATFORM = "platform", "Candidature sur les emplois de l'inclusion"
    EVENT = "event", "Forum ou réunion"


class NotAdmittedReason(models.TextChoices):
    NOT_ELIGIBLE = "not_eligible", "Non éligible à l'IAE"
    NO_POSITION = "no_position", "Pas de poste disponible"
    DECLINED = "declined", "La personne a renoncé"
    NO_SHOW = "no_show", "Ne s'est pas présentée"
    NOT_SUITED = "not_suited", "Projet ou besoins non adaptés à l'offre"
    OTHER = "other", "Autre motif"


class Intake(models.Model):
    """A first contact of a person with the group, followed until hiring or another outcome."""

    entity = models.ForeignKey(
        "organisations.Entity",
        verbose_name="structure concernée",
        on_delete=models.PROTECT,
        related_name="intakes",
    )
    person = models.ForeignKey(
        Person, verbose_name="personne", on_delete=models.CASCADE, related_name="intakes"
    )
    contacted_on = models.DateField("date du premier contact")
    channel = models.CharField("canal", max_length=12, choices=IntakeChannel.choices)
    orienter = models.CharField(
        "orienteur (code ASP)", max_length=2, choices=Orienter.choices, default=Orienter.SPONTANEOUS
    )
    orienter_name = models.CharField("organisme orienteur", max_length=200, blank=True)
    status = models.CharField(
        "étape", max_length=12, choices=IntakeStatus.choices, default=IntakeStatus.CONTACTED
    )
    status_changed_on = models.DateField("depuis le")
    not_admitted_reason = models.CharField(
        "motif de non-admission", max_length=12, choices=NotAdmittedReason.choices, blank=True
    )
    redirected_to = models.CharField("réorienté vers", max_length=200, blank=True)
    note = models.TextField(
        "observations",
        blank=True,
        help_text="Informations pratiques seulement : rien sur la santé ni la vie privée.",
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="reçu par",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "accueil"
        verbose_name_plural = "accueils"
        ordering = ["-contacted_on", "-pk"]

    def __str__(self) -> str:
        return f"Accueil de {self.person} le {self.contacted_on:%d/%m/%Y}"


# --- Skills, wanted jobs, documents ------------------------------------------------------------


class RomeJob(models.Model):
    """A job of the ROME (France Travail's directory), reference data loaded by ``load_rome``."""

    code = models.CharField("code ROME", max_length=5, unique=True)
    label = models.CharField("intitulé", max_length=200)

    class Meta:
        verbose_name = "métier ROME"
        verbose_name_plural = "métiers ROME"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.label}"


class SkillKind(models.TextChoices):
    SKILL = "skill", "Compétence ou expérience"
    WANTED = "wanted", "Métier recherché"


class PersonJob(models.Model):
    """A job a person has experience in, or wants to do."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="jobs")
    rome = models.ForeignKey(RomeJob, verbose_name="métier", on_delete=models.PROTECT)
    kind = models.CharField("nature", max_length=6, choices=SkillKind.choices)
    note = models.CharField("précision", max_length=200, blank=True)

    class Meta:
        verbose_name = "métier de la personne"
        verbose_name_plural = "métiers de la personne"
        constraints = [
            models.UniqueConstraint(fields=["person", "rome", "kind"], name="person_job_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} : {self.rome}"


class DocumentKind(models.TextChoices):
    IDENTITY = "identity", "Pièce d'identité"
    WORK_PERMIT = "work_permit", "Titre de séjour ou autorisation de travail"
    CRITERION_PROOF = "criterion_proof", "Justificatif de critère d'éligibilité"
    CV = "cv", "CV"
    DIPLOMA = "diploma", "Diplôme ou attestation de formation"
    OTHER = "other", "Autre document"


def document_path(instance: PersonDocument, filename: str) -> str:
    # The stored name never reuses the uploaded one (it may hold personal data or odd characters).
    import secrets

    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"people/{instance.person_id}/{secrets.token_hex(16)}.{extension}"


class PersonDocument(models.Model):
    """An uploaded document or proof, served only through a permission-checked view."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField("type", max_length=16, choices=DocumentKind.choices)
    file = models.FileField("fichier", upload_to=document_path)
    original_name = models.CharField("nom du fichier", max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField("taille (octets)")
    valid_until = models.DateField("valable jusqu'au", null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "document"
        verbose_name_plural = "documents"
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.original_name}"

    @property
    def entity(self) -> models.Model:
        return self.person.entity


def linked_entity_ids(person: Person) -> set[int]:
    """The entities a person is linked to: file, intakes, pathway steps, contracts."""
    return (
        {person.entity_id}
        | set(person.intakes.values_list("entity_id", flat=True))
        | set(person.pathway_steps.values_list("entity_id", flat=True))
        | set(person.contracts.values_list("entity_id", flat=True))
    )


def roles_for_person(user: User, person: Person, entity_ids: list[int]) -> frozenset[str]:
    """The user's roles in the visible entities this person is linked to."""
    from tremplin.organisations.models import Entity

    linked = set(entity_ids) & linked_entity_ids(person)
    roles: set[str] = set()
    for entity in Entity.objects.filter(pk__in=linked):
        roles |= user.roles_in(entity)
    return frozenset(roles)
