from __future__ import annotations

from typing import Any

from django import forms

from tremplin.clients.models import Client, ClientContact, ClientRequirement, ClientSite
from tremplin.clients.rules import ClientKind, client_errors, normalise_vat_number
from tremplin.core.dates import today
from tremplin.core.forms import DateInput, StyledFormMixin
from tremplin.organisations.models import Entity


class VatNumberField(forms.CharField):
    """A VAT number typed as printed (``FR 44 732 829 320``), kept compact (``FR44732829320``).

    Normalising in ``to_python`` makes the length check and the change detection of the audit
    see the stored form; the browser gets no ``maxlength``, spaces being welcome.
    """

    def to_python(self, value: Any) -> str:
        return normalise_vat_number(super().to_python(value) or "")

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        return attrs


class ClientForm(StyledFormMixin, forms.ModelForm[Client]):
    """A client of ``entity``: identity, address, contact and last economic dismissal."""

    class Meta:
        model = Client
        fields = [
            "name",
            "kind",
            "siret",
            "vat_number",
            "address",
            "postal_code",
            "city",
            "email",
            "phone",
            "economic_dismissal_on",
            "chorus_service_code",
            "chorus_engagement_number",
            "immediate_advance_consent",
            "immediate_advance_consent_on",
            "is_active",
        ]
        field_classes = {"vat_number": VatNumberField}
        widgets = {
            "economic_dismissal_on": DateInput(),
            "immediate_advance_consent_on": DateInput(),
        }
        help_texts = {
            "siret": "14 chiffres ; obligatoire pour les entreprises et les organismes publics.",
            "vat_number": (
                "Clients assujettis à la TVA : code du pays puis numéro, par exemple FR, la clé "
                "à 2 caractères et le SIREN. Imprimé sur les factures."
            ),
            "economic_dismissal_on": (
                "Aucune mise à disposition n'est possible dans les 6 mois qui suivent "
                "un licenciement économique."
            ),
            "chorus_service_code": "Collectivités et établissements publics (Chorus Pro).",
            "immediate_advance_consent": "Particuliers : avance immédiate (URSSAF).",
        }

    def __init__(self, *args: Any, entity: Entity, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.entity = entity
        if self.instance.pk is None:
            # A new client is active; the box only matters when a client stops working with us.
            del self.fields["is_active"]

    def clean_siret(self) -> str:
        siret: str = self.cleaned_data["siret"].replace(" ", "")
        duplicate = (
            Client.objects.filter(entity=self.entity, siret=siret).exclude(pk=self.instance.pk)
            if siret
            else Client.objects.none()
        ).first()
        if duplicate is not None:
            raise forms.ValidationError(
                f"Ce SIRET est déjà celui du client « {duplicate.name} » de cette structure : "
                "un établissement n'est enregistré qu'une fois."
            )
        return siret

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind:
            errors = client_errors(
                kind=ClientKind(kind),
                siret=data.get("siret") or "",
                economic_dismissal_on=data.get("economic_dismissal_on"),
                today=today(),
                vat_number=data.get("vat_number") or "",
            )
            for field, messages in errors.items():
                if field not in self.errors:
                    for message in messages:
                        self.add_error(field, message)
            self._check_kind_fields(ClientKind(kind), data)
        return data

    def _check_kind_fields(self, kind: ClientKind, data: dict[str, Any]) -> None:
        """Chorus Pro fields belong to public buyers; the avance immédiate to households."""
        if kind not in PUBLIC_BUYERS:
            for field in ("chorus_service_code", "chorus_engagement_number"):
                if data.get(field):
                    self.add_error(
                        field,
                        "Seuls les collectivités et établissements publics sont facturés par "
                        "Chorus Pro (ordonnance 2014-697) : laissez ce champ vide.",
                    )
        if data.get("immediate_advance_consent"):
            if kind != ClientKind.HOUSEHOLD:
                self.add_error(
                    "immediate_advance_consent",
                    "L'avance immédiate du crédit d'impôt ne concerne que les particuliers "
                    "(art. 199 sexdecies du CGI).",
                )
            elif not data.get("immediate_advance_consent_on"):
                self.add_error(
                    "immediate_advance_consent_on",
                    "Indiquez la date de l'accord du particulier pour l'avance immédiate.",
                )
        elif data.get("immediate_advance_consent_on"):
            self.add_error(
                "immediate_advance_consent_on",
                "Une date d'accord suppose que la case de l'avance immédiate soit cochée.",
            )


# Public buyers that receive their invoices through Chorus Pro.
PUBLIC_BUYERS = frozenset({ClientKind.LOCAL_AUTHORITY, ClientKind.PUBLIC_BODY})


class ClientContactForm(StyledFormMixin, forms.ModelForm[ClientContact]):
    class Meta:
        model = ClientContact
        fields = ["name", "function", "email", "phone", "is_billing", "signs_timesheets"]


class ClientSiteForm(StyledFormMixin, forms.ModelForm[ClientSite]):
    """A place of work; coordinates are typed in (decimal degrees), no geocoding service."""

    class Meta:
        model = ClientSite
        fields = ["name", "address", "postal_code", "city", "latitude", "longitude"]
        labels = {"latitude": "Latitude", "longitude": "Longitude"}
        help_texts = {"latitude": "En degrés décimaux, par exemple 46,323716."}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lat, lon = data.get("latitude"), data.get("longitude")
        if (lat is None) != (lon is None):
            self.add_error(
                "longitude", "Saisissez la latitude et la longitude, ou aucune des deux."
            )
        if lat is not None and not -90 <= lat <= 90:
            self.add_error("latitude", "La latitude est comprise entre -90 et 90 degrés.")
        if lon is not None and not -180 <= lon <= 180:
            self.add_error("longitude", "La longitude est comprise entre -180 et 180 degrés.")
        return data


class ClientRequirementForm(StyledFormMixin, forms.ModelForm[ClientRequirement]):
    class Meta:
        model = ClientRequirement
        fields = ["habilitation", "note"]

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client

    def clean_habilitation(self) -> str:
        habilitation: str = self.cleaned_data["habilitation"]
        if self.client.requirements.filter(habilitation=habilitation).exists():
            raise forms.ValidationError("Ce client exige déjà cette habilitation.")
        return habilitation
