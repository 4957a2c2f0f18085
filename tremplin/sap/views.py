from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from tremplin.clients.models import Client
from tremplin.clients.rules import ClientKind
from tremplin.core import audit, runs
from tremplin.core.dates import today
from tremplin.core.entities import (
    entity_required,
    get_entity_or_404,
    get_for_user_or_404,
    require_roles,
)
from tremplin.core.pdf import render_pdf
from tremplin.invoicing.models import Invoice, InvoiceKind, InvoiceStatus
from tremplin.organisations.models import Entity
from tremplin.sap import actions, rules
from tremplin.sap.forms import RegistrationForm
from tremplin.sap.models import (
    CertificateRun,
    CertificateStatus,
    PaymentRequest,
    TaxCertificate,
    UrssafRegistration,
)
from tremplin.sap.urssaf import NOT_CONFIGURED_MESSAGE, UrssafGateway, configured_gateway

YEARS_SHOWN = 4
AUDIT_PREVIEW = 10


def _gateway() -> tuple[UrssafGateway | None, str]:
    """The configured gateway, or the French message saying why there is none."""
    try:
        gateway = configured_gateway()
    except ImproperlyConfigured as exc:
        return None, f"L'avance immédiate est mal configurée : {exc}"
    return gateway, "" if gateway is not None else NOT_CONFIGURED_MESSAGE


def _sap_entity_or_404(request: HttpRequest, entity_slug: str) -> Entity:
    entity = get_entity_or_404(request, entity_slug)
    require_roles(request, entity, *rules.SAP_ROLES)
    return entity


def _year_or_404(year: int) -> int:
    if not 2000 <= year <= 2100:
        raise Http404("Année inconnue.")
    return year


def _post_only(request: HttpRequest) -> HttpResponse | None:
    return None if request.method == "POST" else HttpResponseNotAllowed(["POST"])


def _latest_versions(certificates: Any) -> list[TaxCertificate]:
    """One certificate per household: its latest version."""
    seen: set[int] = set()
    latest = []
    for certificate in certificates:
        if certificate.client_id not in seen:
            seen.add(certificate.client_id)
            latest.append(certificate)
    return latest


@entity_required
def index(request: HttpRequest) -> HttpResponse:
    """The services à la personne of the entities the user answers for: the certificates of
    the last years, the avance immédiate at a glance."""
    visible = request.visible_entities  # type: ignore[attr-defined]
    held = request.user.roles_by_entity(visible)  # type: ignore[union-attr]
    entities = [e for e in visible if held[e.pk] & rules.SAP_ROLES]
    if not entities:
        require_roles(request, request.entity, *rules.SAP_ROLES)  # type: ignore[attr-defined]
    day = today()
    years = [day.year - 1 - i for i in range(YEARS_SHOWN)]
    latest: dict[tuple[int, int], tuple[int, str]] = {}
    for row in (
        TaxCertificate.objects.filter(entity__in=entities, year__in=years)
        .order_by("client_id", "year", "version")
        .values("entity_id", "year", "status", "client_id")
    ):
        latest[(row["client_id"], row["year"])] = (row["entity_id"], row["status"])
    counts = Counter((entity_id, year, status) for (_, year), (entity_id, status) in latest.items())
    requests = Counter(
        {
            (row["entity_id"], row["status"]): row["n"]
            for row in PaymentRequest.objects.filter(entity__in=entities)
            .values("entity_id", "status")
            .annotate(n=Count("pk"))
            .order_by()
        }
    )
    rows = []
    for entity in entities:
        in_progress = sum(
            n
            for (entity_id, status), n in requests.items()
            if entity_id == entity.pk and status not in rules.FINAL_REQUEST_STATUSES
        )
        rows.append(
            {
                "entity": entity,
                "years": [
                    {
                        "year": year,
                        "generated": counts[(entity.pk, year, CertificateStatus.GENERATED)],
                        "sent": counts[(entity.pk, year, CertificateStatus.SENT)],
                    }
                    for year in years
                ],
                "in_progress": in_progress,
                "paid": requests[(entity.pk, rules.RequestStatus.PAID)],
            }
        )
    _, not_configured = _gateway()
    return render(
        request,
        "sap/index.html",
        {"rows": rows, "not_configured": not_configured},
    )


def certificates(request: HttpRequest, entity_slug: str, year: int) -> HttpResponse:
    """The certificates of one year of one entity; start (POST) and follow their generation."""
    entity = _sap_entity_or_404(request, entity_slug)
    year = _year_or_404(year)
    if request.method == "POST":
        try:
            actions.start_certificate_run(entity, year=year, by=request.user, today=today())  # type: ignore[arg-type]
            messages.success(request, f"La génération des attestations {year} est lancée.")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("sap:certificates", entity_slug=entity.slug, year=year)
    run = CertificateRun.objects.filter(entity=entity, year=year).first()
    running = run is not None and run.is_active
    stalled_message = ""
    if run is not None and running and runs.stalled(run.last_progress):
        stalled_message = rules.stalled_message(timezone.localtime(run.last_progress))
    progress_context = {
        "run": run,
        "running": running,
        "entity": entity,
        "year": year,
        "stalled_message": stalled_message,
    }
    if request.htmx:  # type: ignore[attr-defined]
        response = render(request, "sap/certificates.html#progress", progress_context)
        if not running:
            response["HX-Refresh"] = "true"  # the run is over: show its certificates
        return response
    latest = _latest_versions(
        TaxCertificate.objects.filter(entity=entity, year=year).order_by(
            "household_name", "client_id", "-version"
        )
    )
    return render(
        request,
        "sap/certificates.html",
        progress_context
        | {
            "certificates": latest,
            "to_certify": len(actions.households_to_certify(entity, year)),
            "year_error": rules.certificate_year_error(year, today()),
            "deadline": rules.certificate_deadline(year),
            "eligible_total": sum((c.eligible_total for c in latest), rules.ZERO),
            "unsent": sum(c.status == CertificateStatus.GENERATED for c in latest),
        },
    )


def _certificate_or_404(request: HttpRequest, pk: int) -> TaxCertificate:
    certificate = get_for_user_or_404(
        request, TaxCertificate.objects.select_related("entity", "client"), pk=pk
    )
    require_roles(request, certificate.entity, *rules.SAP_ROLES)
    return certificate


def certificate(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = _certificate_or_404(request, pk)
    versions = TaxCertificate.objects.filter(
        client_id=certificate.client_id, year=certificate.year
    ).order_by("-version")
    return render(
        request,
        "sap/certificate.html",
        {
            "certificate": certificate,
            "activities": certificate.activities.all(),
            "workers": certificate.workers.all(),
            "versions": versions,
            "latest": versions.first() == certificate,
            "statement": rules.TAX_CREDIT_STATEMENT,
            "audit_entries": audit.entries_for(certificate)[:AUDIT_PREVIEW],
        },
    )


def _certificate_context(certificate: TaxCertificate) -> dict[str, Any]:
    activities = list(certificate.activities.all())
    return {
        "certificate": certificate,
        "activities": activities,
        "workers": certificate.workers.all(),
        "statement": rules.TAX_CREDIT_STATEMENT,
        "cesu_statement": rules.CESU_STATEMENT if certificate.total_aid else "",
        "advance_statement": (rules.ADVANCE_STATEMENT if certificate.total_through_advance else ""),
        "any_excluded": any(a.excluded for a in activities),
        "today": today(),
    }


def certificate_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The certificate as a PDF, rendered from its snapshot."""
    certificate = _certificate_or_404(request, pk)
    html = render_to_string(
        "sap/certificate_pdf.html", _certificate_context(certificate), request=request
    )
    audit.log_access(request, certificate, "sap.certificate_downloaded")
    name = f"attestation-fiscale-{certificate.year}-{certificate.household_name}"
    if certificate.version > 1:
        name += f"-v{certificate.version}"
    response = HttpResponse(render_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{slugify(name)}.pdf"'
    return response


def certificate_sent(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = _certificate_or_404(request, pk)
    if refused := _post_only(request):
        return refused
    try:
        actions.mark_certificate_sent(certificate, by=request.user)  # type: ignore[arg-type]
        messages.success(request, "L'attestation est notée comme envoyée.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("sap:certificate", pk=certificate.pk)


def certificate_regenerate(request: HttpRequest, pk: int) -> HttpResponse:
    """Establish the household's certificate again from the invoices and payments of now."""
    certificate = _certificate_or_404(request, pk)
    if refused := _post_only(request):
        return refused
    try:
        outcome = actions.generate_certificate(
            certificate.client,
            year=certificate.year,
            by=request.user,  # type: ignore[arg-type]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("sap:certificate", pk=certificate.pk)
    text = {
        "unchanged": "Rien n'a changé depuis la dernière édition : l'attestation reste la même.",
        "replaced": "L'attestation a été établie à nouveau avec les paiements actuels.",
        "versioned": "L'attestation envoyée est conservée ; une nouvelle version a été établie.",
        "created": "L'attestation a été établie.",
        "empty": "Plus aucun paiement éligible cette année : aucune nouvelle attestation.",
    }[outcome.outcome]
    messages.info(request, text)
    target = outcome.certificate or certificate
    return redirect("sap:certificate", pk=target.pk)


# --- Per client ----------------------------------------------------------------------------


def _client_or_404(request: HttpRequest, pk: int) -> Client:
    client = get_for_user_or_404(request, Client.objects.select_related("entity"), pk=pk)
    require_roles(request, client.entity, *rules.SAP_ROLES)
    return client


def client(request: HttpRequest, pk: int) -> HttpResponse:
    """A household's services à la personne: its certificates, its avance immédiate."""
    client = _client_or_404(request, pk)
    registration = UrssafRegistration.objects.filter(client=client).first()
    requests = list(
        PaymentRequest.objects.filter(invoice__client=client)
        .select_related("invoice")
        .order_by("-submitted_at", "-pk")
    )
    live = {r.invoice_id for r in requests if r.status in rules.LIVE_REQUEST_STATUSES}
    invoices = (
        Invoice.objects.with_balance()
        .filter(client=client, is_sap=True, status=InvoiceStatus.ISSUED, kind=InvoiceKind.INVOICE)
        .order_by("-issue_date", "-sequence")
    )
    sendable = [i for i in invoices if i.pk not in live and i.balance > 0]
    _, not_configured = _gateway()
    return render(
        request,
        "sap/client.html",
        {
            "client": client,
            "household": client.kind == ClientKind.HOUSEHOLD,
            "certificates": TaxCertificate.objects.filter(client=client).order_by(
                "-year", "-version"
            ),
            "registration": registration,
            "requests": requests,
            "sendable": sendable
            if registration and registration.status == rules.RegistrationStatus.ACTIVE
            else [],
            "not_configured": not_configured,
        },
    )


def registration(request: HttpRequest, pk: int) -> HttpResponse:
    """Register the household with URSSAF (its identity, address and account to debit)."""
    client = _client_or_404(request, pk)
    gateway, not_configured = _gateway()
    existing = UrssafRegistration.objects.filter(client=client).first()
    initial: dict[str, Any] = {}
    if existing is not None:
        initial = {
            "civility": existing.civility,
            "birth_name": existing.birth_name,
            "usual_name": existing.usual_name,
            "first_names": existing.first_names,
            "birth_date": existing.birth_date,
        }
    form = RegistrationForm(request.POST or None, client=client, today=today(), initial=initial)
    blocked = actions.consent_errors(client)
    if existing is not None and existing.status != rules.RegistrationStatus.REFUSED:
        blocked.append(
            f"{client.name} est déjà inscrit à l'avance immédiate "
            f"({existing.get_status_display().lower()})."
        )
    if request.method == "POST" and gateway is not None and not blocked and form.is_valid():
        try:
            done = actions.register_household(
                client,
                household=form.household(),
                gateway=gateway,
                by=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if done.status == rules.RegistrationStatus.REFUSED:
                messages.error(request, f"L'URSSAF refuse l'inscription : {done.rejection_message}")
            else:
                messages.success(
                    request,
                    f"{client.name} est inscrit : l'URSSAF lui envoie un e-mail pour activer son "
                    "compte. Les demandes de paiement seront possibles une fois le compte activé.",
                )
                return redirect("sap:client", pk=client.pk)
    return render(
        request,
        "sap/registration_form.html",
        {
            "client": client,
            "form": form,
            "not_configured": not_configured,
            "blocked": blocked,
            "existing": existing,
        },
    )


def registration_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client_or_404(request, pk)
    if refused := _post_only(request):
        return refused
    registration = UrssafRegistration.objects.filter(client=client).first()
    gateway, not_configured = _gateway()
    if registration is None:
        raise Http404("Ce client n'est pas inscrit à l'avance immédiate.")
    if gateway is None:
        messages.error(request, not_configured)
    else:
        try:
            registration = actions.refresh_registration(
                registration,
                gateway=gateway,
                by=request.user,  # type: ignore[arg-type]
            )
            messages.info(request, f"Compte URSSAF : {registration.get_status_display()}.")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return redirect("sap:client", pk=client.pk)


# --- Payment requests ----------------------------------------------------------------------


def request_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Send an issued SAP invoice to URSSAF as a payment request."""
    invoice = get_for_user_or_404(
        request, Invoice.objects.select_related("entity", "client"), pk=pk
    )
    require_roles(request, invoice.entity, *rules.SAP_ROLES)
    if refused := _post_only(request):
        return refused
    gateway, not_configured = _gateway()
    if gateway is None:
        messages.error(request, not_configured)
        return redirect("sap:client", pk=invoice.client_id)
    try:
        sent = actions.submit_payment_request(
            invoice,
            gateway=gateway,
            by=request.user,  # type: ignore[arg-type]
            today=today(),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("sap:client", pk=invoice.client_id)
    if sent.status == rules.RequestStatus.REJECTED:
        messages.error(request, f"L'URSSAF rejette la demande : {sent.rejection_comment}")
    else:
        deadline = timezone.localtime(sent.deadline) if sent.deadline else None
        messages.success(
            request,
            f"La facture {invoice.number} est transmise à l'URSSAF : le client a jusqu'au "
            f"{deadline:%d/%m/%Y à %H:%M} pour la valider ou la contester.",
        )
    return redirect("sap:request", pk=sent.pk)


def _request_or_404(request: HttpRequest, pk: int) -> PaymentRequest:
    payment_request = get_for_user_or_404(
        request,
        PaymentRequest.objects.select_related(
            "entity", "invoice__client", "registration", "payment"
        ),
        pk=pk,
    )
    require_roles(request, payment_request.entity, *rules.SAP_ROLES)
    return payment_request


def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    payment_request = _request_or_404(request, pk)
    reason = ""
    if payment_request.rejection_code:
        reason = rules.reason_label(payment_request.rejection_code)
    return render(
        request,
        "sap/request.html",
        {
            "payment_request": payment_request,
            "reason": reason,
            "final": payment_request.status in rules.FINAL_REQUEST_STATUSES,
            "audit_entries": audit.entries_for(payment_request)[:AUDIT_PREVIEW],
        },
    )


def request_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    payment_request = _request_or_404(request, pk)
    if refused := _post_only(request):
        return refused
    gateway, not_configured = _gateway()
    if gateway is None:
        messages.error(request, not_configured)
    else:
        try:
            result = actions.refresh_payment_requests(
                [payment_request],
                gateway=gateway,
                by=request.user,  # type: ignore[arg-type]
            )
            messages.info(
                request,
                "État mis à jour."
                if result.changed
                else "Pas de changement depuis la dernière vérification.",
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return redirect("sap:request", pk=payment_request.pk)


def requests(request: HttpRequest, entity_slug: str) -> HttpResponse:
    """The payment requests of an entity; ask URSSAF for their statuses (POST, background)."""
    entity = _sap_entity_or_404(request, entity_slug)
    _, not_configured = _gateway()
    if request.method == "POST":
        if not_configured:
            messages.error(request, not_configured)
        else:
            from tremplin.sap.tasks import refresh_urssaf

            refresh_urssaf.enqueue(entity.pk, request.user.pk)
            messages.success(
                request,
                "Les états sont demandés à l'URSSAF ; actualisez la page dans un instant.",
            )
        return redirect("sap:requests", entity_slug=entity.slug)
    payment_requests = (
        PaymentRequest.objects.filter(entity=entity)
        .select_related("invoice__client")
        .order_by("-submitted_at", "-pk")
    )
    return render(
        request,
        "sap/requests.html",
        {
            "entity": entity,
            "payment_requests": payment_requests,
            "not_configured": not_configured,
            "registrations": UrssafRegistration.objects.filter(entity=entity)
            .select_related("client")
            .order_by("client__name"),
        },
    )
