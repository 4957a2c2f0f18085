"""Forms of the people app: the intake, the person file, wanted jobs and documents.

Every message names its field through the label that ``components/field.html`` puts in front
of it ("NIR : …", "Fichier : …"); messages of ``rules.py`` that already start with a field
label are split back onto that field.
"""

from __future__ import annotations

from datetime import date
from pathlib import PurePath
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q, QuerySet

from tremplin.accounts.models import User
from tremplin.core.dates import format_date
from tremplin.core.forms import DateInput, StyledFormMixin
from tremplin.organisations.models import Entity
from tremplin.people.models import (
    Intake,
    IntakeChannel,
    NotAdmittedReason,
    Orienter,
    Person,
    PersonDocument,
    PersonJob,
    RomeJob,
)
from tremplin.people.rules import (
    INTAKE_TRANSITIONS,
    IntakeStatus,
    intake_transition_errors,
    is_waiting,
    nir_errors,
    normalize_nir,
)

EARLIEST_BIRTH_DATE = date(1900, 1, 1)

# Uploads: three formats, each recognised by its extension AND its first bytes.
MAX_DOCUMENT_SIZE = 10 * 1024 * 1024
DOCUMENT_FORMATS: dict[str, tuple[str, bytes]] = {
    "pdf": ("application/pdf", b"%PDF-"),
    "jpg": ("image/jpeg", b"\xff\xd8\xff"),
    "jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    "png": ("image/png", b"\x89PNG\r\n\x1a\n"),
}

IDENTITY_FIELDS = ["civility", "birth_name", "usual_name", "first_name", "birth_date"]
CONTACT_FIELDS = ["phone", "email", "address", "postal_code", "city"]
SITUATION_FIELDS = [
    "education_level",
    "unemployment_duration",
    "france_travail_registered",
    "france_travail_id",
    "france_travail_since",
    "rsa",
    "rsa_since",
    "ass_since",
    "aah_since",
    "rqth",
    "housing",
    "mobility_issue",
    "french_below_a1",
    "refugee",
    "leaving_detention",
    "leaving_ase",
    "single_parent",
]
SINCE_FIELDS = ["france_travail_since", "rsa_since", "ass_since", "aah_since"]

NIR_HELP = "15 caractères, espaces acceptés ; le département peut être 2A ou 2B."
NIR_TAKEN = "Ce numéro est déjà enregistré pour une autre personne : vérifiez la saisie."


def birth_date_errors(day: date, *, today: date) -> list[str]:
    if day > today:
        return [f"Elle ne peut pas être postérieure à aujourd'hui ({format_date(today)})."]
    if day < EARLIEST_BIRTH_DATE:
        return [f"Elle ne peut pas être antérieure au {format_date(EARLIEST_BIRTH_DATE)}."]
    return []


def future_date_errors(day: date | None, *, today: date) -> list[str]:
    if day is not None and day > today:
        return [f"Elle ne peut pas être postérieure à aujourd'hui ({format_date(today)})."]
    return []


def add_prefixed_errors(form: forms.BaseForm, messages: list[str], default: str) -> None:
    """Attach ``"Label : message"`` texts to the field of that label, others to ``default``."""
    by_label = {str(field.label): name for name, field in form.fields.items()}
    for message in messages:
        label, separator, rest = message.partition(" : ")
        if separator and label in by_label:
            form.add_error(by_label[label], rest[:1].upper() + rest[1:])
        else:
            form.add_error(default, message)


def _postal_code_errors(value: str) -> list[str]:
    if value and not (len(value) == 5 and value.isdigit()):
        return ["Le code postal comporte 5 chiffres."]
    return []


class Fieldsets:
    """Forms rendered in titled sections: ``fieldsets`` lists (title, bound fields)."""

    sections: list[tuple[str, list[str]]] = []

    def fieldsets(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [
            (title, [self[name] for name in names if name in self.fields])  # type: ignore[index,attr-defined]
            for title, names in self.sections
        ]


# --- Intake ----------------------------------------------------------------------------------


class IntakeForm(Fieldsets, StyledFormMixin, forms.ModelForm[Person]):
    """A first contact: who the person is, how to reach them, and the intake itself.

    The bound instance is the person to create when no existing file matches.
    """

    nir = forms.CharField(label="NIR", required=False, max_length=25, help_text=NIR_HELP)
    entity = forms.ModelChoiceField(
        label="Structure concernée", queryset=Entity.objects.none(), empty_label=None
    )
    contacted_on = forms.DateField(label="Date du premier contact", widget=DateInput())
    channel = forms.ChoiceField(label="Canal", choices=IntakeChannel.choices)
    orienter = forms.ChoiceField(
        label="Orienteur (code ASP)", choices=Orienter.choices, initial=Orienter.SPONTANEOUS
    )
    orienter_name = forms.CharField(label="Organisme orienteur", required=False, max_length=200)
    note = forms.CharField(
        label="Observations",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Informations pratiques seulement : rien sur la santé ni la vie privée.",
    )

    sections = [
        ("Identité", IDENTITY_FIELDS),
        ("Coordonnées", CONTACT_FIELDS),
        ("Numéro de sécurité sociale", ["nir"]),
        (
            "Accueil",
            ["entity", "contacted_on", "channel", "orienter", "orienter_name", "note"],
        ),
    ]

    class Meta:
        model = Person
        fields = IDENTITY_FIELDS + CONTACT_FIELDS
        widgets = {"birth_date": DateInput()}

    def __init__(
        self, *args: Any, entities: QuerySet[Entity] | list[Entity], today: date, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        entity_field: forms.ModelChoiceField[Entity] = self.fields["entity"]  # type: ignore[assignment]
        entity_field.queryset = Entity.objects.filter(pk__in=[e.pk for e in entities])

    def clean_postal_code(self) -> str:
        value: str = self.cleaned_data["postal_code"].strip()
        if errors := _postal_code_errors(value):
            raise forms.ValidationError(errors)
        return value

    def clean_birth_date(self) -> date:
        day: date = self.cleaned_data["birth_date"]
        if errors := birth_date_errors(day, today=self.today):
            raise forms.ValidationError(errors)
        return day

    def clean_contacted_on(self) -> date:
        day: date = self.cleaned_data["contacted_on"]
        if errors := future_date_errors(day, today=self.today):
            raise forms.ValidationError(errors)
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        raw = data.get("nir", "")
        if raw:
            errors = nir_errors(
                raw, birth_date=data.get("birth_date"), civility=data.get("civility")
            )
            if errors:
                for error in errors:
                    self.add_error("nir", error)
            else:
                # Inside the group a match is shown as a duplicate to attach to; the hash is
                # keyed per group, so files of other groups are never matched.
                data["nir"] = normalize_nir(raw)
        return data

    def nir_hash(self) -> str | None:
        nir = self.cleaned_data.get("nir")
        entity = self.cleaned_data.get("entity")
        return Person.nir_hash_of(nir, entity.group_id) if nir and entity else None

    def duplicates(self) -> list[Person]:
        """Files of the chosen entity's group with the same identity key or the same NIR."""
        data = self.cleaned_data
        match = Q(
            identity_key=Person.make_identity_key(
                data["birth_name"], data["first_name"], data["birth_date"]
            )
        )
        if nir_hash := self.nir_hash():
            match |= Q(nir_hash=nir_hash)
        return list(
            Person.objects.filter(match, entity__group=data["entity"].group_id)
            .select_related("entity")
            .order_by("birth_name", "first_name", "pk")
        )


class IntakeMoveForm(StyledFormMixin, forms.Form):
    """Move an intake to its next step; hiring asks the start date and the job."""

    status = forms.ChoiceField(label="Étape", choices=IntakeStatus.choices)
    not_admitted_reason = forms.ChoiceField(
        label="Motif de non-admission",
        required=False,
        choices=[("", "—"), *NotAdmittedReason.choices],
    )
    redirected_to = forms.CharField(label="Réorienté vers", required=False, max_length=200)
    hired_on = forms.DateField(label="Date d'embauche", required=False, widget=DateInput())
    job_title = forms.CharField(label="Poste", required=False, max_length=200)

    def __init__(self, *args: Any, intake: Intake, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.intake = intake
        allowed = INTAKE_TRANSITIONS[IntakeStatus(intake.status)]
        self.allowed_values = [status.value for status in IntakeStatus if status in allowed]
        # Every step validates (so a refused move gets the rule's message), only the allowed
        # ones are offered.
        self.fields["status"].widget.choices = [
            ("", "Choisissez l'étape suivante"),
            *((status.value, status.label) for status in IntakeStatus if status in allowed),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "status" not in data:
            return data
        target = IntakeStatus(data["status"])
        errors = intake_transition_errors(
            IntakeStatus(self.intake.status),
            target,
            not_admitted_reason=data.get("not_admitted_reason", ""),
            redirected_to=data.get("redirected_to", ""),
        )
        add_prefixed_errors(self, errors, default="status")
        if not errors and target == IntakeStatus.HIRED:
            hired_on = data.get("hired_on")
            if hired_on is None:
                self.add_error("hired_on", "Indiquez la date de début du contrat.")
            elif hired_on < self.intake.contacted_on:
                self.add_error(
                    "hired_on",
                    "Elle ne peut pas précéder le premier contact"
                    f" ({format_date(self.intake.contacted_on)}).",
                )
            if not data.get("job_title", "").strip():
                self.add_error("job_title", "Indiquez le poste occupé.")
        return data


class IntakeOrientForm(StyledFormMixin, forms.Form):
    """Send a waiting intake to another entity of the group."""

    entity = forms.ModelChoiceField(
        label="Orienter vers", queryset=Entity.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, intake: Intake, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.intake = intake
        entity_field: forms.ModelChoiceField[Entity] = self.fields["entity"]  # type: ignore[assignment]
        entity_field.queryset = Entity.objects.filter(
            group=intake.entity.group_id, is_active=True
        ).exclude(pk=intake.entity_id)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        status = IntakeStatus(self.intake.status)
        if not is_waiting(status):
            self.add_error(
                "entity", f"L'accueil est clos (« {status.label} »), il ne peut plus être orienté."
            )
        return data


# --- Person file ------------------------------------------------------------------------------


class PersonForm(Fieldsets, StyledFormMixin, forms.ModelForm[Person]):
    """Identity, contact, situation at entry (ASP fiche salarié), NIR and referent."""

    nir = forms.CharField(label="NIR", required=False, max_length=25)

    sections = [
        ("Identité", [*IDENTITY_FIELDS, "birth_insee_code", "birth_country_group"]),
        ("Coordonnées", CONTACT_FIELDS),
        ("Numéro de sécurité sociale", ["nir", "no_nir_reason"]),
        ("Situation à l'entrée (fiche salarié ASP)", SITUATION_FIELDS),
        ("Suivi", ["referent"]),
    ]

    class Meta:
        model = Person
        fields = [
            *IDENTITY_FIELDS,
            "birth_insee_code",
            "birth_country_group",
            *CONTACT_FIELDS,
            "no_nir_reason",
            *SITUATION_FIELDS,
            "referent",
        ]
        widgets = {name: DateInput() for name in ["birth_date", *SINCE_FIELDS]}

    def __init__(self, *args: Any, referents: QuerySet[User], today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        referent_field: forms.ModelChoiceField[User] = self.fields["referent"]  # type: ignore[assignment]
        referent_field.queryset = referents
        referent_field.help_text = "Accompagnateurs (CIP) des structures du groupe."
        current = self.instance.nir_masked
        self.fields["nir"].help_text = (
            f"Actuel : {current}. Laissez vide pour le conserver." if current else NIR_HELP
        )

    def clean_postal_code(self) -> str:
        value: str = self.cleaned_data["postal_code"].strip()
        if errors := _postal_code_errors(value):
            raise forms.ValidationError(errors)
        return value

    def clean_birth_date(self) -> date:
        day: date = self.cleaned_data["birth_date"]
        if errors := birth_date_errors(day, today=self.today):
            raise forms.ValidationError(errors)
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in SINCE_FIELDS:
            for error in future_date_errors(data.get(name), today=self.today):
                self.add_error(name, error)
        raw = data.get("nir", "")
        if raw:
            errors = nir_errors(
                raw, birth_date=data.get("birth_date"), civility=data.get("civility")
            )
            for error in errors:
                self.add_error("nir", error)
            if not errors:
                data["nir"] = normalize_nir(raw)
                others = Person.objects.exclude(pk=self.instance.pk)
                group_id = self.instance.entity.group_id
                if others.filter(nir_hash=Person.nir_hash_of(data["nir"], group_id)).exists():
                    self.add_error("nir", NIR_TAKEN)
        return data

    def changes(self) -> dict[str, Any]:
        """``{field: [old, new]}`` of the changed fields, readable; the NIR only as "modifié"."""
        changes: dict[str, Any] = {}
        for name in self.changed_data:
            if name == "nir":
                continue
            old, new = self.initial.get(name), self.cleaned_data.get(name)
            if name == "referent":
                old = User.objects.filter(pk=old).first() if old else None
            changes[name] = ["" if old is None else str(old), "" if new is None else str(new)]
        if self.cleaned_data.get("nir"):
            changes["nir"] = "modifié"
        return changes


class PersonJobForm(StyledFormMixin, forms.ModelForm[PersonJob]):
    class Meta:
        model = PersonJob
        fields = ["rome", "kind", "note"]

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.person = person
        rome_field: forms.ModelChoiceField[RomeJob] = self.fields["rome"]  # type: ignore[assignment]
        rome_field.queryset = RomeJob.objects.order_by("code")
        rome_field.empty_label = "Choisissez un métier du ROME"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        rome, kind = data.get("rome"), data.get("kind")
        if rome and kind and self.person.jobs.filter(rome=rome, kind=kind).exists():
            self.add_error("rome", "Ce métier figure déjà dans le dossier, avec cette nature.")
        return data

    def validate_unique(self) -> None:
        # The person is not a field of the form: uniqueness is checked in clean().
        pass


class PersonDocumentForm(StyledFormMixin, forms.ModelForm[PersonDocument]):
    class Meta:
        model = PersonDocument
        fields = ["kind", "file", "valid_until"]
        widgets = {
            "valid_until": DateInput(),
            "file": forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
        }
        help_texts = {"file": "PDF, JPEG ou PNG, 10 Mo au plus."}

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if upload.size is not None and upload.size > MAX_DOCUMENT_SIZE:
            raise forms.ValidationError("Le fichier dépasse la taille maximale de 10 Mo.")
        extension = PurePath(upload.name or "").suffix.lower().lstrip(".")
        if extension not in DOCUMENT_FORMATS:
            raise forms.ValidationError(
                "Seuls les fichiers PDF, JPEG et PNG sont acceptés (extension .pdf, .jpg, .jpeg"
                " ou .png)."
            )
        content_type, signature = DOCUMENT_FORMATS[extension]
        upload.seek(0)
        head = upload.read(len(signature))
        upload.seek(0)
        if head != signature:
            raise forms.ValidationError(
                f"Le contenu du fichier n'est pas celui d'un fichier .{extension} : seuls les"
                " fichiers PDF, JPEG et PNG sont acceptés."
            )
        self.detected_content_type = content_type
        return upload
