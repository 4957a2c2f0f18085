"""Object URLs of this app, for the cross-group 404 test (core/tests/test_url_walk.py)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Callable
from typing import Any

from django.core.files.base import ContentFile
from django.test import override_settings

from tremplin.organisations.models import Entity
from tremplin.people.models import DocumentKind, Person, PersonDocument
from tremplin.people.tests.factories import IntakeFactory, PersonFactory, PersonJobFactory

PDF_BYTES = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def new_document(person: Person) -> PersonDocument:
    """A PDF document of ``person``, its file written under the current MEDIA_ROOT."""
    document = PersonDocument(
        person=person,
        kind=DocumentKind.CV,
        original_name="cv.pdf",
        content_type="application/pdf",
        size=len(PDF_BYTES),
    )
    document.file.save("cv.pdf", ContentFile(PDF_BYTES), save=False)
    document.save()
    return document


def make_document(person: Person) -> PersonDocument:
    """``new_document`` with its file in a temporary MEDIA_ROOT (never the repository's),
    removed when the test process ends."""
    media_root = tempfile.mkdtemp(prefix="tremplin-media-")
    atexit.register(shutil.rmtree, media_root, ignore_errors=True)
    with override_settings(MEDIA_ROOT=media_root):
        return new_document(person)


def make_objects(entity: Entity) -> dict[str, Any]:
    person = PersonFactory(entity=entity, nir=True)
    return {
        "people_person": person,
        "people_intake": IntakeFactory(person=person, entity=entity),
        "people_job": PersonJobFactory(person=person),
        "people_document": make_document(person),
    }


def _person(w: dict[str, Any]) -> int:
    return int(w["people_person"].pk)


OBJECT_URLS: dict[str, Callable[[dict[str, Any]], str]] = {
    "people:intake": lambda w: f"/personnes/accueil/{w['people_intake'].pk}/",
    "people:intake_move": lambda w: f"/personnes/accueil/{w['people_intake'].pk}/etape/",
    "people:intake_orient": lambda w: f"/personnes/accueil/{w['people_intake'].pk}/orienter/",
    "people:person": lambda w: f"/personnes/{_person(w)}/",
    "people:person_edit": lambda w: f"/personnes/{_person(w)}/modifier/",
    "people:nir_reveal": lambda w: f"/personnes/{_person(w)}/nir/",
    "people:job_add": lambda w: f"/personnes/{_person(w)}/metiers/ajouter/",
    "people:job_remove": lambda w: f"/personnes/{_person(w)}/metiers/{w['people_job'].pk}/retirer/",
    "people:document_add": lambda w: f"/personnes/{_person(w)}/documents/ajouter/",
    "people:document": lambda w: f"/personnes/documents/{w['people_document'].pk}/",
}
