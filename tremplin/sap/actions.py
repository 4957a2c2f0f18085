"""Generating the households' tax certificates, and the avance immédiate with URSSAF:
registering a household, sending an invoice as a payment request, following the requests
until URSSAF pays (then the payment is recorded on the invoice).

Calls to URSSAF are made outside any database transaction (no lock is held while the network
answers); what they bring back is written in one transaction, with its audit entry.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from tremplin.clients.models import Client
from tremplin.clients.rules import ClientKind
from tremplin.core import audit, runs
from tremplin.core import dates as core_dates
from tremplin.invoicing import actions as invoicing_actions
from tremplin.invoicing import rules as invoicing_rules
from tremplin.invoicing.models import (
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentMethod,
)
from tremplin.orders.models import Service
from tremplin.orders.rules import Unit
from tremplin.people.models import Person
from tremplin.sap import rules
from tremplin.sap.models import (
    ACTIVE_STATUSES,
    CertificateActivity,
    CertificateRun,
    CertificateStatus,
    CertificateWorker,
    PaymentRequest,
    RunStatus,
    TaxCertificate,
    UrssafRegistration,
)
from tremplin.sap.rules import RegistrationStatus, RequestStatus, SapNature
from tremplin.sap.urssaf import (
    Household,
    PaymentRequestData,
    RequestInfo,
    ServiceLine,
    Submission,
    UrssafError,
    UrssafGateway,
    UrssafUnavailable,
)
from tremplin.timesheets.models import TimeEntry

if TYPE_CHECKING:
    from tremplin.accounts.models import User
    from tremplin.organisations.models import Entity, SapDeclaration

Progress = Callable[[int, str], None]
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
# Payment requests asked about per call of the search (the API bounds the results [?]).
SEARCH_CHUNK = 10


# --- Certificates: reading the year --------------------------------------------------------


def declaration_for_year(entity: Entity, year: int) -> SapDeclaration | None:
    """The entity's SAP declaration in force during ``year`` (the latest one)."""
    return (
        entity.sap_declarations.filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=date(year, 1, 1)),
            declared_on__lte=date(year, 12, 31),
        )
        .order_by("-declared_on", "-pk")
        .first()
    )


def _year_payments(year: int) -> Q:
    return Q(
        paid_on__gte=date(year, 1, 1),
        paid_on__lte=date(year, 12, 31),
        invoice__is_sap=True,
        invoice__status=InvoiceStatus.ISSUED,
        invoice__kind=InvoiceKind.INVOICE,
    )


def households_to_certify(entity: Entity, year: int) -> list[Client]:
    """The entity's households that paid a SAP invoice in ``year``, by name."""
    ids = (
        Payment.objects.filter(_year_payments(year), entity=entity)
        .values_list("invoice__client_id", flat=True)
        .distinct()
    )
    return list(Client.objects.filter(pk__in=ids, kind=ClientKind.HOUSEHOLD).order_by("name", "pk"))


def _line_weight(line: InvoiceLine) -> Decimal:
    """A line's amount incl. VAT, the weight of its share of a payment."""
    return line.amount_excl_tax * (HUNDRED + line.vat_rate) / HUNDRED


def _line_hours(line: InvoiceLine) -> Decimal:
    if line.hours is not None:
        return line.hours
    return line.quantity if line.unit == Unit.HOUR else ZERO


@dataclass
class _Accumulator:
    paid: Decimal = ZERO
    through_advance: Decimal = ZERO
    aid: Decimal = ZERO
    excluded: Decimal = ZERO
    hours: Decimal = ZERO
    excluded_interventions: int = 0


def _entries(invoice: Invoice, service_ids: set[int]) -> list[dict[str, Any]]:
    """The locked hours behind an invoice: its client, its period, the services it bills."""
    if not service_ids or invoice.period_start is None or invoice.period_end is None:
        return []
    rows = (
        TimeEntry.objects.filter(
            entity_id=invoice.entity_id,
            client_id=invoice.client_id,
            day__gte=invoice.period_start,
            day__lte=invoice.period_end,
        )
        .locked()
        .annotate(billed=Coalesce("service_id", "intervention__order__service_id"))
        .filter(billed__in=service_ids)
        .values("person_id", "day", "hours", "billed")
        .order_by("day", "pk")
    )
    return [dict(row) for row in rows]


def certificate_figures(
    client: Client, year: int
) -> tuple[rules.CertificateTotals, list[rules.WorkerHours]]:
    """The figures of a household's certificate for ``year``, read from its SAP invoices.

    Each payment received in the year is shared between the natures of its invoice's lines (and
    of the invoice's credit notes) in proportion to their amounts incl. VAT; a payment through
    the avance immédiate counts as paid, and as paid through it; a CESU préfinancé is aid. The
    hours and the recap of interventions come from the invoices settled by a payment of the
    year, from the locked hours behind them, else from the invoice lines.
    """
    payments = list(
        Payment.objects.filter(_year_payments(year), invoice__client=client)
        .select_related("invoice")
        .order_by("paid_on", "pk")
    )
    invoices = {p.invoice_id: p.invoice for p in payments}
    invoice_ids = set(invoices)
    lines_by_invoice: dict[int, list[InvoiceLine]] = defaultdict(list)
    for line in (
        InvoiceLine.objects.filter(
            Q(invoice_id__in=invoice_ids)
            | Q(invoice__corrects_id__in=invoice_ids, invoice__status=InvoiceStatus.ISSUED)
        )
        .annotate(original_id=Coalesce("invoice__corrects_id", "invoice_id"))
        .order_by("invoice_id", "position", "pk")
    ):
        lines_by_invoice[line.original_id].append(line)  # type: ignore[attr-defined]
    # Settled: nothing left to pay (credit notes included), the last payment in the year.
    left = {pk: invoice.total_incl_tax for pk, invoice in invoices.items()}
    last_paid: dict[int, date] = {}
    for corrects_id, total in Invoice.objects.filter(
        corrects_id__in=invoice_ids, status=InvoiceStatus.ISSUED
    ).values_list("corrects_id", "total_incl_tax"):
        left[corrects_id] += total
    for invoice_id, amount, paid_on in Payment.objects.filter(
        invoice_id__in=invoice_ids
    ).values_list("invoice_id", "amount", "paid_on"):
        left[invoice_id] -= amount
        last_paid[invoice_id] = max(paid_on, last_paid.get(invoice_id, paid_on))
    settled = {pk for pk in invoice_ids if left[pk] <= 0 and last_paid[pk].year == year}
    services = Service.objects.in_bulk(
        {ln.service_id for lines in lines_by_invoice.values() for ln in lines if ln.service_id}
    )
    people: dict[int, Person] = {}
    totals: dict[SapNature, _Accumulator] = defaultdict(_Accumulator)
    workers: list[rules.WorkerHours] = []
    weights_by_invoice: dict[int, dict[tuple[SapNature | None, bool], Decimal]] = {}

    for invoice_id, lines in lines_by_invoice.items():
        invoice = invoices[invoice_id]
        weights: dict[tuple[SapNature | None, bool], Decimal] = defaultdict(Decimal)
        sap_services = {
            ln.service_id
            for ln in lines
            if ln.sap_eligible and ln.service_id and rules.nature_of(ln.activity)
        }
        entries = _entries(invoice, sap_services)
        by_service: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for entry in entries:
            by_service[entry["billed"]].append(entry)
        for line in lines:
            nature = rules.nature_of(line.activity) if line.sap_eligible else None
            weight = _line_weight(line)
            if nature == SapNature.DIY and line.service_id in by_service:
                # Petit bricolage: an intervention beyond two hours is outside the SAP scope.
                worked = by_service[line.service_id]
                over = [e for e in worked if not rules.diy_within_limit(e["hours"], on=e["day"])]
                share = sum((e["hours"] for e in over), Decimal(0)) / sum(
                    (e["hours"] for e in worked), Decimal(0)
                )
                weights[(nature, True)] += weight * share
                weights[(nature, False)] += weight * (1 - share)
                if invoice_id in settled and line.invoice_id == invoice_id:
                    totals[nature].excluded_interventions += len(over)
            else:
                weights[(nature, False)] += weight
            if invoice_id in settled and nature is not None:
                totals[nature].hours += _line_hours(line)
        weights_by_invoice[invoice_id] = weights
        if invoice_id in settled:
            workers.extend(_recap(invoice, lines, by_service, services, people))

    for payment in payments:
        weights = weights_by_invoice.get(payment.invoice_id, {})
        keys = sorted(weights, key=lambda k: (k[0] is None, str(k[0]), k[1]))
        for (nature, excluded), part in zip(
            keys, rules.allocate(payment.amount, [weights[k] for k in keys]), strict=True
        ):
            if nature is None or not part:
                continue
            acc = totals[nature]
            acc.paid += part
            if excluded:
                acc.excluded += part
            if payment.method == PaymentMethod.URSSAF_AI:
                acc.through_advance += part
            elif payment.method == PaymentMethod.CESU:
                acc.aid += part

    figures = rules.certificate_totals(
        (
            rules.ActivityPayments(
                nature,
                acc.paid,
                acc.through_advance,
                acc.aid,
                acc.excluded,
                acc.hours,
                acc.excluded_interventions,
            )
            for nature, acc in totals.items()
        ),
        year=year,
    )
    return figures, rules.group_worker_hours(workers)


def _recap(
    invoice: Invoice,
    lines: list[InvoiceLine],
    by_service: dict[int, list[dict[str, Any]]],
    services: dict[int, Service],
    people: dict[int, Person],
) -> list[rules.WorkerHours]:
    """Who worked for the invoice and how long, month by month: the locked hours, with the
    worker's matricule; the invoice lines' workers when no hours are behind them."""
    missing = {e["person_id"] for es in by_service.values() for e in es} - set(people)
    people.update(Person.objects.in_bulk(missing))
    rows: list[rules.WorkerHours] = []
    for service_id, worked in by_service.items():
        nature = rules.nature_of(services[service_id].kind)
        if nature is None:
            continue
        for entry in worked:
            person = people[entry["person_id"]]
            rows.append(
                rules.WorkerHours(
                    person.full_name,
                    str(person.pk),
                    entry["day"].replace(day=1),
                    nature,
                    entry["hours"],
                )
            )
    first_day = invoice.period_start or invoice.issue_date or invoice.created_at.date()
    month = first_day.replace(day=1)
    for line in lines:
        nature = rules.nature_of(line.activity) if line.sap_eligible else None
        if nature is None or (line.service_id and line.service_id in by_service):
            continue
        if line.worker_name and line.invoice_id == invoice.pk:
            rows.append(
                rules.WorkerHours(line.worker_name[:200], "", month, nature, _line_hours(line))
            )
    return rows


# --- Certificates: writing -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CertificateOutcome:
    certificate: TaxCertificate | None
    outcome: str  # "created", "replaced", "versioned", "unchanged", "empty"


def _fingerprint(data: dict[str, Any]) -> str:
    text = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _snapshot(
    client: Client,
    declaration: SapDeclaration,
    figures: rules.CertificateTotals,
    workers: list[rules.WorkerHours],
) -> dict[str, Any]:
    entity = client.entity
    return {
        "provider_name": entity.legal_name or entity.name,
        "provider_address": entity.address,
        "provider_postal_code": entity.postal_code,
        "provider_city": entity.city,
        "provider_siret": entity.siret,
        "declaration_kind": declaration.get_kind_display(),
        "declaration_number": declaration.number,
        "declared_on": declaration.declared_on,
        "household_name": client.name,
        "household_address": client.address,
        "household_postal_code": client.postal_code,
        "household_city": client.city,
        "total_paid": figures.paid,
        "total_through_advance": sum((a.through_advance for a in figures.activities), ZERO),
        "total_aid": sum((a.aid for a in figures.activities), ZERO),
        "total_excluded": sum((a.excluded for a in figures.activities), ZERO),
        "total_net": figures.net,
        "total_advance_received": sum((a.advance_received for a in figures.activities), ZERO),
        "eligible_total": figures.eligible,
        "capped": figures.capped,
        "total_hours": sum((a.hours for a in figures.activities), ZERO),
        "parameters_confirmed": figures.parameters_confirmed,
        "activities": [
            {
                "nature": a.nature.value,
                "paid": a.paid,
                "through_advance": a.through_advance,
                "aid": a.aid,
                "excluded": a.excluded,
                "excluded_interventions": a.excluded_interventions,
                "net": a.net,
                "advance_received": a.advance_received,
                "cap": a.cap,
                "eligible": a.eligible,
                "above_cap": a.above_cap,
                "hours": a.hours,
            }
            for a in figures.activities
        ],
        "workers": [
            {
                "worker_name": w.worker,
                "identifier": w.identifier,
                "month": w.month,
                "nature": w.nature.value,
                "hours": w.hours,
            }
            for w in workers
        ],
    }


def _no_declaration_message(entity: Entity, year: int) -> str:
    return (
        f"{entity.name} n'a pas de déclaration de services à la personne en vigueur en {year} : "
        "enregistrez-la dans la fiche de la structure avant d'établir les attestations."
    )


@transaction.atomic
def generate_certificate(
    client: Client, *, year: int, by: User | None, run: CertificateRun | None = None
) -> CertificateOutcome:
    """Establish (or re-establish) the tax certificate of ``client`` for ``year``.

    Idempotent: identical figures leave the latest certificate as it is. An unsent certificate
    is replaced in place; a sent one is kept and the new figures become the next version.
    A household with nothing eligible paid in the year gets no certificate.
    """
    if client.kind != ClientKind.HOUSEHOLD:
        raise ValidationError("Les attestations fiscales ne concernent que les particuliers.")
    declaration = declaration_for_year(client.entity, year)
    if declaration is None:
        raise ValidationError(_no_declaration_message(client.entity, year))
    figures, workers = certificate_figures(client, year)
    if not figures.activities:
        return CertificateOutcome(None, "empty")
    data = _snapshot(client, declaration, figures, workers)
    fingerprint = _fingerprint(data)
    latest = (
        TaxCertificate.objects.select_for_update()
        .filter(client=client, year=year)
        .order_by("-version")
        .first()
    )
    if latest is not None and latest.fingerprint == fingerprint:
        return CertificateOutcome(latest, "unchanged")
    activities, worker_rows = data.pop("activities"), data.pop("workers")
    fields = data | {
        "fingerprint": fingerprint,
        "run": run,
        "generated_at": timezone.now(),
        "generated_by": by,
    }
    if latest is not None and latest.status == CertificateStatus.GENERATED:
        outcome = "replaced"
        certificate = latest
        for name, value in fields.items():
            setattr(certificate, name, value)
        certificate.save()
        certificate.activities.all().delete()
        certificate.workers.all().delete()
    else:
        outcome = "created" if latest is None else "versioned"
        certificate = TaxCertificate.objects.create(
            entity=client.entity,
            client=client,
            year=year,
            version=1 if latest is None else latest.version + 1,
            **fields,
        )
    CertificateActivity.objects.bulk_create(
        CertificateActivity(certificate=certificate, **row) for row in activities
    )
    CertificateWorker.objects.bulk_create(
        CertificateWorker(certificate=certificate, **row) for row in worker_rows
    )
    audit.log(
        certificate,
        "sap.certificate_generated",
        by=by,
        data={
            "year": year,
            "version": certificate.version,
            "outcome": outcome,
            "eligible_total": str(certificate.eligible_total),
        },
    )
    return CertificateOutcome(certificate, outcome)


@transaction.atomic
def mark_certificate_sent(certificate: TaxCertificate, *, by: User | None) -> TaxCertificate:
    """Record that the certificate went to the household: from now on it is kept as sent."""
    certificate = TaxCertificate.objects.select_for_update().get(pk=certificate.pk)
    if certificate.status == CertificateStatus.SENT:
        raise ValidationError(
            f"Cette attestation a déjà été envoyée le {certificate.sent_at:%d/%m/%Y}."
        )
    certificate.status = CertificateStatus.SENT
    certificate.sent_at = timezone.now()
    certificate.sent_by = by
    certificate.save(update_fields=["status", "sent_at", "sent_by"])
    audit.log(certificate, "sap.certificate_sent", by=by, data={"version": certificate.version})
    return certificate


@transaction.atomic
def start_certificate_run(
    entity: Entity, *, year: int, by: User | None, today: date, run_in_background: bool = True
) -> CertificateRun:
    """Queue the generation of the certificates of ``year`` for every household of ``entity``
    that paid for services in that year (``tasks.run_certificates``)."""
    if error := rules.certificate_year_error(year, today):
        raise ValidationError(error)
    if declaration_for_year(entity, year) is None:
        raise ValidationError(_no_declaration_message(entity, year))
    now = timezone.now()
    for active in CertificateRun.objects.select_for_update().filter(
        entity=entity, year=year, status__in=ACTIVE_STATUSES
    ):
        if not runs.run_stalled(
            active.last_progress, now, after=settings.TREMPLIN_STALLED_RUN_AFTER
        ):
            raise ValidationError(f"La génération des attestations {year} est déjà en cours.")
        # Taken as interrupted: marked so, which also stops it should its worker come back.
        since = runs.stalled_since(timezone.localtime(active.last_progress))
        active.status, active.finished_at = RunStatus.FAILED, now
        active.error = f"{since} Une nouvelle génération a été lancée."
        active.save(update_fields=["status", "error", "finished_at"])
        audit.log(
            active,
            "sap.certificate_run_interrupted",
            by=by,
            data={"progress": active.progress, "step": active.step},
        )
    run = CertificateRun.objects.create(
        entity=entity, year=year, started_by=by, step="En attente de traitement", progress_at=now
    )
    audit.log(run, "sap.certificate_run_started", by=by, data={"year": year})
    if run_in_background:
        from tremplin.sap.tasks import run_certificates

        run_id = run.pk
        transaction.on_commit(lambda: run_certificates.enqueue(run_id))
    return run


class _Interrupted(Exception):
    """The run was taken as interrupted, and another one started: this one stops."""


def _set_run(run: CertificateRun, report: Progress | None, **fields: Any) -> None:
    # Outside any transaction of the run: the page polling the run sees it at once. Each write
    # is a sign of life; none is made once the run was taken as interrupted.
    fields["progress_at"] = timezone.now()
    if not CertificateRun.objects.filter(pk=run.pk, status__in=ACTIVE_STATUSES).update(**fields):
        raise _Interrupted
    for name, value in fields.items():
        setattr(run, name, value)
    if report is not None:
        report(run.progress, run.step)


def run_certificates(run: CertificateRun, *, progress: Progress | None = None) -> CertificateRun:
    """Generate the certificates of a run, one household per transaction, writing progress.

    A failure stops the run (status FAILED, message kept); the certificates already written
    stay, and running it again completes the year (each generation is idempotent). A run taken
    as interrupted in the meantime (``start_certificate_run``) stops at its next household.
    """
    run.refresh_from_db()
    try:
        _generate_year(run, progress)
    except _Interrupted:
        run.refresh_from_db()
    return run


def _generate_year(run: CertificateRun, progress: Progress | None) -> None:
    by = run.started_by
    counts = {"created": 0, "replaced": 0, "versioned": 0, "unchanged": 0, "empty": 0}
    try:
        _set_run(run, progress, status=RunStatus.RUNNING, step="Recherche des clients", progress=0)
        clients = households_to_certify(run.entity, run.year)
        _set_run(run, progress, total=len(clients))
        active = CertificateRun.objects.filter(pk=run.pk, status__in=ACTIVE_STATUSES)
        for done, client in enumerate(clients, start=1):
            if not active.exists():  # taken as interrupted: another run does the year
                raise _Interrupted
            client.entity = run.entity
            outcome = generate_certificate(client, year=run.year, by=by, run=run)
            counts[outcome.outcome] += 1
            _set_run(
                run,
                progress,
                progress=done * 100 // len(clients),
                step=f"{done} / {len(clients)} : {client.name}",
                created_count=counts["created"],
                replaced_count=counts["replaced"],
                versioned_count=counts["versioned"],
                unchanged_count=counts["unchanged"],
            )
    except _Interrupted:
        raise
    except Exception as exc:
        message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        with transaction.atomic():
            _set_run(
                run,
                None,
                status=RunStatus.FAILED,
                error=f"La génération s'est arrêtée : {message}",
                finished_at=timezone.now(),
            )
            audit.log(run, "sap.certificate_run_failed", by=by, data={"error": message})
        if progress is not None:
            progress(run.progress, run.error)
        if isinstance(exc, ValidationError):
            return
        raise
    with transaction.atomic():
        _set_run(
            run,
            progress,
            status=RunStatus.DONE,
            progress=100,
            step=(
                f"Terminé : {counts['created']} créée(s), {counts['replaced']} remplacée(s), "
                f"{counts['versioned']} nouvelle(s) version(s), {counts['unchanged']} "
                "inchangée(s)."
            ),
            finished_at=timezone.now(),
        )
        audit.log(run, "sap.certificate_run_done", by=by, data=counts)


# --- Avance immédiate: registering a household ---------------------------------------------


def consent_errors(client: Client) -> list[str]:
    """Why ``client`` may not be registered for the avance immédiate (kind, consent)."""
    errors = []
    if client.kind != ClientKind.HOUSEHOLD:
        errors.append("L'avance immédiate ne concerne que les clients particuliers.")
    elif not client.immediate_advance_consent:
        errors.append(
            f"{client.name} n'a pas donné son accord à l'avance immédiate : enregistrez son "
            "accord sur la fiche client avant de l'inscrire."
        )
    return errors


def register_household(
    client: Client, *, household: Household, gateway: UrssafGateway, by: User | None
) -> UrssafRegistration:
    """Register a consenting household with URSSAF (API Tiers de prestation, particulier).

    URSSAF answers with the household's id; the household then activates its account from the
    e-mail URSSAF sends it (status PENDING until then). A refusal (the tax administration does
    not know the identity, the bank details are refused…) is kept with its reason, so that the
    staff can correct and register again. URSSAF unreachable: nothing is saved.
    """
    errors = consent_errors(client)
    existing = UrssafRegistration.objects.filter(client=client).first()
    if existing is not None and existing.status != RegistrationStatus.REFUSED:
        errors.append(
            f"{client.name} est déjà inscrit à l'avance immédiate "
            f"({existing.get_status_display().lower()})."
        )
    if errors:
        raise ValidationError(errors)
    try:
        urssaf_id = gateway.register_client(household)
    except UrssafUnavailable as exc:
        raise ValidationError(exc.message) from exc
    except UrssafError as exc:
        return _save_registration(
            client, household, by=by, existing=existing, refused=exc, urssaf_id=""
        )
    return _save_registration(
        client, household, by=by, existing=existing, refused=None, urssaf_id=urssaf_id
    )


@transaction.atomic
def _save_registration(
    client: Client,
    household: Household,
    *,
    by: User | None,
    existing: UrssafRegistration | None,
    refused: UrssafError | None,
    urssaf_id: str,
) -> UrssafRegistration:
    now = timezone.now()
    registration = existing or UrssafRegistration(client=client, entity=client.entity)
    registration.civility = household.civility
    registration.birth_name = household.birth_name
    registration.usual_name = household.usual_name
    registration.first_names = household.first_names
    registration.birth_date = household.birth_date
    registration.iban_masked = rules.mask_iban(household.iban)
    registration.submitted_at = now
    registration.submitted_by = by
    registration.urssaf_id = urssaf_id
    registration.activated_at = None
    registration.status_code = ""
    registration.status_description = ""
    if refused is not None:
        registration.status = RegistrationStatus.REFUSED
        registration.refused_at = now
        registration.rejection_code = refused.code
        registration.rejection_message = rules.reason_text(
            refused.code, refused.description or refused.message
        )
    else:
        registration.status = RegistrationStatus.PENDING
        registration.refused_at = None
        registration.rejection_code = ""
        registration.rejection_message = ""
    registration.save()
    audit.log(
        registration,
        "sap.registration_refused" if refused else "sap.household_registered",
        by=by,
        data={"code": refused.code} if refused else {"urssaf_id": urssaf_id},
    )
    return registration


def refresh_registration(
    registration: UrssafRegistration, *, gateway: UrssafGateway, by: User | None
) -> UrssafRegistration:
    """Ask URSSAF where the household's account stands (activated, blocked…)."""
    if not registration.urssaf_id:
        raise ValidationError("Cette inscription n'a pas été acceptée par l'URSSAF.")
    try:
        account = gateway.client_status(registration.urssaf_id)
    except UrssafError as exc:
        raise ValidationError(rules.reason_label(exc.code, exc.message)) from exc
    with transaction.atomic():
        registration = UrssafRegistration.objects.select_for_update().get(pk=registration.pk)
        before = registration.status
        status = rules.registration_status(account.code, active=account.active)
        now = timezone.now()
        registration.status = status
        registration.status_code = account.code
        registration.status_description = account.description[:255]
        registration.last_checked_at = now
        if status == RegistrationStatus.ACTIVE and registration.activated_at is None:
            registration.activated_at = now
        registration.save()
        if status != before:
            audit.log(
                registration,
                "sap.registration_status",
                by=by,
                data={"from": before, "to": status, "code": account.code},
            )
    return registration


# --- Avance immédiate: payment requests ----------------------------------------------------


def _live_request(invoice: Invoice) -> bool:
    return PaymentRequest.objects.filter(
        invoice=invoice, status__in=rules.LIVE_REQUEST_STATUSES
    ).exists()


def invoice_facts(invoice: Invoice) -> rules.InvoiceFacts:
    client = invoice.client
    registration = UrssafRegistration.objects.filter(client=client).first()
    balance = Invoice.objects.with_balance().get(pk=invoice.pk).balance
    return rules.InvoiceFacts(
        number=invoice.number or "",
        issued=invoice.status == InvoiceStatus.ISSUED,
        is_credit_note=invoice.kind == InvoiceKind.CREDIT_NOTE,
        is_sap=invoice.is_sap,
        household=client.kind == ClientKind.HOUSEHOLD,
        consent=client.immediate_advance_consent,
        registration=RegistrationStatus(registration.status) if registration else None,
        registered_on=timezone.localdate(registration.submitted_at) if registration else None,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        total_incl_tax=invoice.total_incl_tax,
        balance=balance,
        live_request=_live_request(invoice),
    )


def _line_vats(invoice: Invoice, lines: list[InvoiceLine]) -> list[Decimal]:
    """The VAT of each line, so that the lines add up to the invoice's VAT by rate: the VAT of
    a rate (rounded once on the invoice) is shared between its lines by their amounts."""
    by_rate = {row.rate: row.vat_amount for row in invoice.vat_amounts.all()}
    vats = [invoicing_rules.vat_of(ln.amount_excl_tax, ln.vat_rate) for ln in lines]
    for rate, vat in by_rate.items():
        indexes = [i for i, ln in enumerate(lines) if ln.vat_rate == rate]
        shares = rules.allocate(vat, [abs(lines[i].amount_excl_tax) for i in indexes])
        for i, share in zip(indexes, shares, strict=True):
            vats[i] = share
    return vats


def _request_data(invoice: Invoice, registration: UrssafRegistration) -> PaymentRequestData:
    """The invoice in the API's terms: one service per line, the lines adding up to the
    invoice's totals (docs/algorithms/sap.md)."""
    assert invoice.period_start and invoice.period_end and invoice.issue_date and invoice.number
    invoice_lines = list(invoice.lines.order_by("position", "pk"))
    lines = []
    for line, vat in zip(invoice_lines, _line_vats(invoice, invoice_lines), strict=True):
        amounts = rules.urssaf_amounts(
            excl_tax=line.amount_excl_tax,
            vat=vat,
            quantity=line.quantity,
            per_hour=line.unit == Unit.HOUR,
        )
        lines.append(
            ServiceLine(
                nature_code=rules.urssaf_nature_code(line.activity, sap_eligible=line.sap_eligible),
                quantity=amounts.quantity,
                per_hour=amounts.per_hour,
                unit_incl_tax=amounts.unit_incl_tax,
                incl_tax=amounts.incl_tax,
                excl_tax=amounts.excl_tax,
                vat=amounts.vat,
                first_day=invoice.period_start,
                last_day=invoice.period_end,
                complement1=line.label[:50],
                complement2=invoice.seller_sap_declaration,
            )
        )
    return PaymentRequestData(
        client_id=registration.urssaf_id,
        client_birth_date=registration.birth_date,
        invoice_number=invoice.number,
        invoice_date=invoice.issue_date,
        first_day=invoice.period_start,
        last_day=invoice.period_end,
        incl_tax=sum((ln.incl_tax for ln in lines), ZERO),
        excl_tax=sum((ln.excl_tax for ln in lines), ZERO),
        lines=tuple(lines),
        billing_id=invoice.seller_siret,
    )


def submit_payment_request(
    invoice: Invoice, *, gateway: UrssafGateway, by: User | None, today: date
) -> PaymentRequest:
    """Send an issued SAP invoice to URSSAF as a payment request for the avance immédiate.

    The household then has 48 hours to validate or contest it on its URSSAF space; without an
    answer it is deemed validated, URSSAF debits the household's share and pays the whole
    invoice. A request URSSAF rejects at once is kept with its reasons.
    """
    if errors := rules.payment_request_errors(invoice_facts(invoice), today=today):
        raise ValidationError(errors)
    registration = UrssafRegistration.objects.get(client=invoice.client)
    data = _request_data(invoice, registration)
    submission: Submission | None = None
    try:
        submission = gateway.submit_payment_request(data)
    except UrssafUnavailable as exc:
        raise ValidationError(exc.message) from exc
    except UrssafError as exc:
        submission_errors: tuple[UrssafError, ...] = (exc,)
    else:
        submission_errors = submission.errors
    now = timezone.now()
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        request = PaymentRequest(
            entity=invoice.entity,
            invoice=invoice,
            registration=registration,
            amount_incl_tax=data.incl_tax,
            amount_excl_tax=data.excl_tax,
            submitted_at=now,
            submitted_by=by,
        )
        if submission is not None and submission.urssaf_id:
            request.urssaf_id = submission.urssaf_id
            request.status = rules.request_status(submission.status_code) or (
                RequestStatus.INTEGRATED
            )
            request.deadline = rules.validation_deadline(now)
        else:
            first = submission_errors[0] if submission_errors else None
            request.status = RequestStatus.REJECTED
            request.refused_at = now
            request.rejection_code = first.code if first else "INCONNU"
            request.rejection_comment = (
                " ".join(
                    rules.reason_text(e.code, e.description or e.message) for e in submission_errors
                )
                or "L'URSSAF a rejeté la demande sans en donner le motif."
            )
        request.save()
        audit.log(
            request,
            "sap.payment_request_rejected"
            if request.status == RequestStatus.REJECTED
            else "sap.payment_request_sent",
            by=by,
            data={
                "invoice": invoice.number,
                "status": request.status,
                "code": request.rejection_code,
            },
            entity=invoice.entity,
        )
    return request


def _apply(
    request: PaymentRequest, info: RequestInfo, *, by: User | None, now: datetime, today: date
) -> bool:
    """Write what URSSAF says of one request; record the payment once URSSAF has paid.
    Return whether the status changed."""
    with transaction.atomic():
        request = PaymentRequest.objects.select_for_update().get(pk=request.pk)
        before = request.status
        status = rules.request_status(info.status_code)
        request.last_checked_at = now
        if status is None:
            request.error = f"Code d'état inconnu renvoyé par l'URSSAF : {info.status_code}."
            request.save(update_fields=["last_checked_at", "error"])
            return False
        request.status = status
        if status in {
            RequestStatus.VALIDATED,
            RequestStatus.DEBITED,
            RequestStatus.PAID,
        } and (request.validated_at is None):
            request.validated_at = now
            request.deemed_validated = request.deadline is not None and rules.deemed_validated(
                RequestStatus.VALIDATED, deadline=request.deadline, seen_at=now
            )
        if info.rejection_code:
            request.rejection_code = info.rejection_code
            request.rejection_comment = info.rejection_comment
        if status in {RequestStatus.REFUSED, RequestStatus.CANCELLED} and not request.refused_at:
            request.refused_at = now
        if status == RequestStatus.PAID:
            request.paid_on = min(info.transfer_date or today, today)
            request.transfer_amount = info.transfer_amount or request.amount_incl_tax
            if request.payment_id is None:
                try:
                    request.payment = invoicing_actions.record_payment(
                        request.invoice,
                        by=by,
                        paid_on=request.paid_on,
                        amount=request.transfer_amount,
                        method=PaymentMethod.URSSAF_AI,
                        reference=f"URSSAF {request.urssaf_id}"[:100],
                    )
                    request.error = ""
                except ValidationError as exc:
                    request.error = (
                        "Paiement de l'URSSAF reçu mais non enregistré sur la facture : "
                        + " ".join(exc.messages)
                    )
        request.save()
        if status != before:
            audit.log(
                request,
                "sap.payment_request_status",
                by=by,
                data={"from": before, "to": status, "code": info.rejection_code},
                entity=request.entity,
            )
    return status != before


@dataclass(frozen=True, slots=True)
class RefreshResult:
    checked: int
    changed: int


def refresh_payment_requests(
    requests: Iterable[PaymentRequest],
    *,
    gateway: UrssafGateway,
    by: User | None,
    progress: Progress | None = None,
) -> RefreshResult:
    """Ask URSSAF where the given requests stand (those still in progress), ten per call."""
    pending = [r for r in requests if r.urssaf_id and r.status not in rules.FINAL_REQUEST_STATUSES]
    checked = changed = 0
    now, today = timezone.now(), core_dates.today()
    for start in range(0, len(pending), SEARCH_CHUNK):
        chunk = pending[start : start + SEARCH_CHUNK]
        try:
            infos = gateway.payment_request_status([r.urssaf_id for r in chunk])
        except UrssafError as exc:
            raise ValidationError(rules.reason_label(exc.code, exc.message)) from exc
        by_id = {r.urssaf_id: r for r in chunk}
        for info in infos:
            if info.urssaf_id in by_id:
                checked += 1
                changed += _apply(by_id[info.urssaf_id], info, by=by, now=now, today=today)
        if progress is not None:
            done = min(start + SEARCH_CHUNK, len(pending))
            progress(done * 100 // len(pending), f"{done} / {len(pending)} demande(s) vérifiée(s)")
    return RefreshResult(checked, changed)


def refresh_entity(
    entity: Entity, *, gateway: UrssafGateway, by: User | None, progress: Progress | None = None
) -> RefreshResult:
    """The polling of one entity: the registrations awaiting activation, then the payment
    requests still in progress."""
    for registration in UrssafRegistration.objects.filter(
        entity=entity, status=RegistrationStatus.PENDING
    ).exclude(urssaf_id=""):
        refresh_registration(registration, gateway=gateway, by=by)
    requests = (
        PaymentRequest.objects.filter(entity=entity)
        .exclude(status__in=rules.FINAL_REQUEST_STATUSES)
        .select_related("invoice")
    )
    return refresh_payment_requests(requests, gateway=gateway, by=by, progress=progress)
