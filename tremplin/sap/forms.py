from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from tremplin.clients.models import Client
from tremplin.core.forms import DateInput, StyledFormMixin
from tremplin.sap import rules
from tremplin.sap.urssaf import Household, PostalAddress

# INSEE street type codes (the API's codeTypeVoie), the common ones.
STREET_TYPES = [
    ("", "—"),
    ("R", "Rue"),
    ("AV", "Avenue"),
    ("BD", "Boulevard"),
    ("CHE", "Chemin"),
    ("PL", "Place"),
    ("IMP", "Impasse"),
    ("ALL", "Allée"),
    ("RTE", "Route"),
    ("QU", "Quartier"),
    ("RES", "Résidence"),
    ("LOT", "Lotissement"),
    ("HAM", "Hameau"),
    ("SQ", "Square"),
    ("PAS", "Passage"),
]
STREET_LETTERS = [("", "—"), ("B", "bis"), ("T", "ter"), ("Q", "quater"), ("C", "quinquies")]


class YearForm(forms.Form):
    year = forms.IntegerField(label="Année", min_value=2017, max_value=2100)


class RegistrationForm(StyledFormMixin, forms.Form):
    """The identity URSSAF needs to register a household (InputParticulierDTO): the civil
    status known to the tax administration, a mobile phone, an e-mail, the postal address with
    its INSEE commune code, and the account to debit."""

    civility = forms.ChoiceField(label="Civilité", choices=[("2", "Madame"), ("1", "Monsieur")])
    birth_name = forms.CharField(label="Nom de naissance", max_length=80)
    usual_name = forms.CharField(
        label="Nom d'usage", max_length=80, required=False, help_text="S'il diffère."
    )
    first_names = forms.CharField(
        label="Prénoms", max_length=150, help_text="Séparés par une espace, comme à l'état civil."
    )
    birth_date = forms.DateField(label="Date de naissance", widget=DateInput())
    birth_country_code = forms.CharField(
        label="Pays de naissance (code INSEE)",
        max_length=5,
        initial=rules.FRANCE_COUNTRY_CODE,
        help_text="France : 99100.",
    )
    birth_commune_code = forms.CharField(
        label="Commune de naissance (code INSEE)",
        max_length=5,
        required=False,
        help_text="Obligatoire pour une naissance en France, ex. 79191 (Niort).",
    )
    birth_commune_label = forms.CharField(
        label="Commune de naissance", max_length=50, required=False
    )
    mobile = forms.CharField(label="Téléphone portable", max_length=16)
    email = forms.EmailField(
        label="Adresse e-mail", help_text="L'URSSAF y envoie le lien d'activation du compte."
    )
    street_number = forms.CharField(label="Numéro", max_length=20, required=False)
    street_letter = forms.ChoiceField(
        label="Indice de répétition", choices=STREET_LETTERS, required=False
    )
    street_type = forms.ChoiceField(label="Type de voie", choices=STREET_TYPES, required=False)
    street_name = forms.CharField(label="Nom de la voie", max_length=28, required=False)
    complement = forms.CharField(label="Complément d'adresse", max_length=38, required=False)
    locality = forms.CharField(label="Lieu-dit", max_length=38, required=False)
    postal_code = forms.CharField(label="Code postal", max_length=5)
    commune_code = forms.CharField(
        label="Commune (code INSEE)", max_length=5, help_text="Distinct du code postal."
    )
    commune_label = forms.CharField(label="Commune", max_length=50)
    iban = forms.CharField(label="IBAN du compte à débiter", max_length=42)
    bic = forms.CharField(label="BIC", max_length=11)
    account_holder = forms.CharField(label="Titulaire du compte", max_length=100)

    def __init__(self, *args: Any, client: Client, today: date, **kwargs: Any) -> None:
        self.today = today
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("email", client.email)
        initial.setdefault("mobile", client.phone)
        initial.setdefault("postal_code", client.postal_code)
        initial.setdefault("commune_label", client.city.upper())
        initial.setdefault("account_holder", client.name)
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        errors = rules.registration_errors(
            birth_name=data["birth_name"],
            usual_name=data["usual_name"],
            first_names=data["first_names"],
            birth_date=data["birth_date"],
            birth_country_code=data["birth_country_code"],
            birth_commune_code=data["birth_commune_code"],
            mobile=data["mobile"],
            street_number=data["street_number"],
            postal_code=data["postal_code"],
            commune_code=data["commune_code"],
            iban=data["iban"],
            bic=data["bic"],
            today=self.today,
        )
        for field, messages in errors.items():
            for message in messages:
                self.add_error(field, message)
        if not (data["street_name"] or data["complement"] or data["locality"]):
            self.add_error(
                "street_name", "Indiquez le nom de la voie, un complément ou un lieu-dit."
            )
        return data

    def household(self) -> Household:
        data = self.cleaned_data
        france = data["birth_country_code"] == rules.FRANCE_COUNTRY_CODE
        department, commune = (
            rules.birth_place_parts(data["birth_commune_code"]) if france else ("", "")
        )
        return Household(
            civility=data["civility"],
            birth_name=data["birth_name"].strip(),
            usual_name=data["usual_name"].strip(),
            first_names=" ".join(data["first_names"].split()),
            birth_date=data["birth_date"],
            birth_country_code=data["birth_country_code"],
            birth_department=department,
            birth_commune_code=commune,
            birth_commune_label=data["birth_commune_label"].strip() if france else "",
            mobile=rules.normalise_mobile(data["mobile"]),
            email=data["email"],
            address=PostalAddress(
                postal_code=data["postal_code"],
                commune_code=data["commune_code"].upper(),
                commune_label=data["commune_label"].strip(),
                street_number=data["street_number"],
                street_letter=data["street_letter"],
                street_type=data["street_type"],
                street_name=data["street_name"].strip(),
                complement=data["complement"].strip(),
                locality=data["locality"].strip(),
            ),
            iban=rules.normalise_iban(data["iban"]),
            bic=data["bic"].strip().upper(),
            account_holder=data["account_holder"].strip(),
        )
