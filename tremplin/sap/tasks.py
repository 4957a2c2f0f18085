"""Background work of the services à la personne (Django tasks; django-tasks-db in production)."""

from __future__ import annotations

from django.tasks import task

from tremplin.accounts.models import User
from tremplin.organisations.models import Entity
from tremplin.sap import actions
from tremplin.sap.models import CertificateRun
from tremplin.sap.urssaf import configured_gateway


@task
def run_certificates(run_id: int) -> None:
    """Generate the certificates of the run queued by ``actions.start_certificate_run``."""
    actions.run_certificates(CertificateRun.objects.select_related("entity").get(pk=run_id))


@task
def refresh_urssaf(entity_id: int, user_id: int | None = None) -> None:
    """Ask URSSAF where the entity's registrations and payment requests stand."""
    gateway = configured_gateway()
    if gateway is None:
        return
    by = User.objects.filter(pk=user_id).first() if user_id else None
    actions.refresh_entity(Entity.objects.get(pk=entity_id), gateway=gateway, by=by)
