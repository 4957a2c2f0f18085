"""The group (GES) and its legal entities, their sites, IAE conventions and SAP declarations."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import models

from tremplin.clients.rules import normalise_vat_number
from tremplin.organisations.rules import (
    AnnexState,
    AssociationTaxStatus,
    LegalForm,
    SapActivity,
    SapAuthorisationKind,
    SiaeKind,
    VatRegime,
    convention_errors,
    entity_vat_number_error,
    is_in_force,
    siren_error,
    siret_error,
)

if TYPE_CHECKING:
    from tremplin.accounts.models import User


def validate_siren(value: str) -> None:
    if error := siren_error(value):
        raise ValidationError(error)


def validate_siret(value: str) -> None:
    if error := siret_error(value):
        raise ValidationError(error)


class Group(models.Model):
    """A *Groupe Économique Solidaire*: the entities run together by one governance."""

    name = models.CharField("nom", max_length=200)
    slug = models.SlugField("identifiant", unique=True)
    description = models.TextField("présentation", blank=True)

    class Meta:
        verbose_name = "groupe"
        verbose_name_plural = "groupes"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class EntityQuerySet(models.QuerySet["Entity"]):
    def visible_to(self, user: User) -> EntityQuerySet:
        """The entities ``user`` may see (see ``User.visible_entities``)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(pk__in=user.visible_entities().values("pk"))


class Entity(models.Model):
    """A legal entity of the group: the association, or one of the companies it created."""

    group = models.ForeignKey(
        Group, verbose_name="groupe", on_delete=models.PROTECT, related_name="entities"
    )
    slug = models.SlugField("identifiant", unique=True)
    name = models.CharField("nom d'usage", max_length=200)
    legal_name = models.CharField("raison sociale", max_length=200)
    legal_form = models.CharField("forme juridique", max_length=20, choices=LegalForm.choices)
    siren = models.CharField("SIREN", max_length=9, validators=[validate_siren])
    siret = models.CharField("SIRET du siège", max_length=14, validators=[validate_siret])
    naf_code = models.CharField("code NAF", max_length=6, help_text="Par exemple 78.30Z.")
    address = models.CharField("adresse", max_length=255)
    postal_code = models.CharField("code postal", max_length=5)
    city = models.CharField("commune", max_length=100)
    vat_regime = models.CharField("régime de TVA", max_length=20, choices=VatRegime.choices)
    vat_number = models.CharField("n° de TVA intracommunautaire", max_length=13, blank=True)
    tax_status = models.CharField(
        "statut fiscal",
        max_length=20,
        choices=AssociationTaxStatus.choices,
        default=AssociationTaxStatus.NOT_APPLICABLE,
    )
    is_active = models.BooleanField("active", default=True)

    objects = EntityQuerySet.as_manager()

    class Meta:
        verbose_name = "structure"
        verbose_name_plural = "structures"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["siret"], name="entity_unique_siret"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.siren and self.siret and (error := siret_error(self.siret, siren=self.siren)):
            raise ValidationError({"siret": error})
        if self.vat_number:
            if error := entity_vat_number_error(self.vat_number, siren=self.siren):
                raise ValidationError({"vat_number": error})
            self.vat_number = normalise_vat_number(self.vat_number)
        is_association = self.legal_form == LegalForm.ASSOCIATION
        if not is_association and self.tax_status != AssociationTaxStatus.NOT_APPLICABLE:
            raise ValidationError(
                {"tax_status": "Le statut fiscal d'association ne s'applique qu'aux associations."}
            )

    def conventions_in_force(self, day: date) -> list[Convention]:
        return [c for c in self.conventions.all() if c.is_in_force(day)]


class Site(models.Model):
    """A place where the entity works or receives people (siège, antenne)."""

    entity = models.ForeignKey(
        Entity, verbose_name="structure", on_delete=models.CASCADE, related_name="sites"
    )
    name = models.CharField("nom", max_length=200)
    address = models.CharField("adresse", max_length=255)
    postal_code = models.CharField("code postal", max_length=5)
    city = models.CharField("commune", max_length=100)
    siret = models.CharField(
        "SIRET de l'établissement", max_length=14, blank=True, validators=[validate_siret]
    )
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    is_head_office = models.BooleanField("siège", default=False)

    class Meta:
        verbose_name = "site"
        verbose_name_plural = "sites"
        ordering = ["-is_head_office", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.city})"


class Convention(models.Model):
    """An IAE convention between the State (préfet, DDETS) and an entity, at most 3 years."""

    entity = models.ForeignKey(
        Entity, verbose_name="structure", on_delete=models.PROTECT, related_name="conventions"
    )
    kind = models.CharField("type de SIAE", max_length=4, choices=SiaeKind.choices)
    measure_code = models.CharField("code mesure ASP", max_length=10)
    number = models.CharField("numéro", max_length=50)
    start = models.DateField("début")
    end = models.DateField("fin", null=True, blank=True)
    territory = models.CharField("territoire", max_length=200, blank=True)
    posts = models.DecimalField(
        "postes d'insertion conventionnés",
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Nombre de postes prévu par la convention (les ETP annuels sont dans l'annexe).",
    )

    class Meta:
        verbose_name = "convention IAE"
        verbose_name_plural = "conventions IAE"
        ordering = ["-start"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "number"], name="convention_unique_number"),
            models.CheckConstraint(
                condition=models.Q(end__isnull=True) | models.Q(end__gte=models.F("start")),
                name="convention_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} n° {self.number}"

    def clean(self) -> None:
        if self.start and (errors := convention_errors(self.start, self.end)):
            raise ValidationError({"end": errors})

    def is_in_force(self, day: date) -> bool:
        return is_in_force(self.start, self.end, day)


class FinancialAnnex(models.Model):
    """The yearly *annexe financière* of a convention: ETP financed and aid."""

    convention = models.ForeignKey(
        Convention, verbose_name="convention", on_delete=models.CASCADE, related_name="annexes"
    )
    year = models.PositiveSmallIntegerField("année")
    number = models.CharField("numéro", max_length=50)
    etp = models.DecimalField("ETP conventionnés", max_digits=6, decimal_places=2)
    state = models.CharField(
        "état", max_length=10, choices=AnnexState.choices, default=AnnexState.PROVISIONAL
    )

    class Meta:
        verbose_name = "annexe financière"
        verbose_name_plural = "annexes financières"
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["convention", "year"], name="annex_one_per_year"),
            models.CheckConstraint(condition=models.Q(etp__gte=0), name="annex_etp_positive"),
        ]

    def __str__(self) -> str:
        return f"Annexe {self.year} n° {self.number}"

    @property
    def entity(self) -> Entity:
        return self.convention.entity


class SapDeclaration(models.Model):
    """A *services à la personne* declaration or agrément held by an entity."""

    entity = models.ForeignKey(
        Entity, verbose_name="structure", on_delete=models.PROTECT, related_name="sap_declarations"
    )
    kind = models.CharField(
        "nature",
        max_length=12,
        choices=SapAuthorisationKind.choices,
        default=SapAuthorisationKind.DECLARATION,
    )
    number = models.CharField("numéro", max_length=50)
    declared_on = models.DateField("date")
    valid_until = models.DateField("fin de validité", null=True, blank=True)
    activities = models.JSONField(
        "activités", default=list, help_text="Codes d'activité SAP déclarés."
    )

    class Meta:
        verbose_name = "déclaration SAP"
        verbose_name_plural = "déclarations SAP"
        ordering = ["-declared_on"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} SAP n° {self.number}"

    def clean(self) -> None:
        unknown = [a for a in self.activities if a not in SapActivity.values]
        if unknown:
            raise ValidationError({"activities": f"Activités inconnues : {', '.join(unknown)}."})

    def activity_labels(self) -> list[str]:
        return [SapActivity(a).label for a in self.activities]
