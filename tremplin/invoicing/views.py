"""Invoices of each entity: lists, the invoice page, drafts, issue, credit notes, payments."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render

from tremplin.closing import rules as closing_rules
from tremplin.closing.models import CloseStatus, MonthlyClose
from tremplin.core import audit
from tremplin.core.dates import today
from tremplin.core.entities import (
    entity_required,
    get_entity_or_404,
    get_for_user_or_404,
    require_roles,
)
from tremplin.invoicing import actions, rules
from tremplin.invoicing.forms import (
    CreditNoteForm,
    DraftForm,
    FilterForm,
    IssueForm,
    LineEditForm,
    LineForm,
    PaymentForm,
    apply_errors,
)
from tremplin.invoicing.models import (
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    OperationNature,
)
from tremplin.organisations.models import Entity

PAGE_SIZE = 50
MONTHS_SHOWN = 6
AUDIT_PREVIEW = 10
MONTH_NAMES = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def _month_label(year: int, month: int) -> str:
    return f"{MONTH_NAMES[month - 1]} {year}"


def _invoice_or_404(request: HttpRequest, pk: int) -> Invoice:
    invoice = get_for_user_or_404(
        request,
        Invoice.objects.select_related("entity", "client", "corrects", "close", "delivery_site"),
        pk=pk,
    )
    require_roles(request, invoice.entity, *rules.INVOICING_ROLES)
    return invoice


def _draft_or_404(request: HttpRequest, pk: int) -> Invoice:
    invoice = _invoice_or_404(request, pk)
    if invoice.status != InvoiceStatus.DRAFT:
        raise Http404("Cette facture est émise : elle ne se modifie plus.")
    return invoice


def _entity_for_invoicing(request: HttpRequest, slug: str) -> Entity:
    entity = get_entity_or_404(request, slug)
    require_roles(request, entity, *rules.INVOICING_ROLES)
    return entity


# --- Index and lists -------------------------------------------------------------------------


@entity_required
def index(request: HttpRequest) -> HttpResponse:
    """Per entity the user invoices for: drafts, overdue invoices, the last closed months."""
    visible = request.visible_entities  # type: ignore[attr-defined]
    held = request.user.roles_by_entity(visible)  # type: ignore[union-attr]
    entities = [e for e in visible if held[e.pk] & rules.INVOICING_ROLES]
    if not entities:
        require_roles(request, request.entity, *rules.INVOICING_ROLES)  # type: ignore[attr-defined]
    day = today()
    counts: dict[int, dict[str, Any]] = {
        row["entity_id"]: dict(row)
        for row in Invoice.objects.filter(entity__in=entities)
        .values("entity_id")
        .annotate(
            drafts=Count("pk", filter=Q(status=InvoiceStatus.DRAFT)),
            issued=Count("pk", filter=Q(status=InvoiceStatus.ISSUED, issue_date__year=day.year)),
        )
        .order_by()
    }
    overdue: dict[int, dict[str, Any]] = {
        row["entity_id"]: dict(row)
        for row in Invoice.objects.filter(entity__in=entities)
        .overdue(day)
        .values("entity_id")
        .annotate(n=Count("pk"), cents=Sum("balance_cents"))
        .order_by()
    }
    months = []
    year, month = day.year, day.month
    for _ in range(MONTHS_SHOWN):
        year, month = closing_rules.previous_month(year, month)
        months.append((year, month))
    closes = {
        (c.entity_id, c.year, c.month): c
        for c in MonthlyClose.objects.filter(
            entity__in=entities, year__gte=months[-1][0], year__lte=months[0][0]
        ).annotate(n_invoices=Count("invoices", filter=Q(invoices__kind=InvoiceKind.INVOICE)))
    }
    rows = []
    for entity in entities:
        late = overdue.get(entity.pk, {})
        rows.append(
            {
                "entity": entity,
                "drafts": counts.get(entity.pk, {}).get("drafts", 0),
                "issued": counts.get(entity.pk, {}).get("issued", 0),
                "overdue": late.get("n", 0),
                "overdue_amount": Decimal(late.get("cents") or 0) / 100,
                "months": [
                    {
                        "label": _month_label(y, m),
                        "year": y,
                        "month": m,
                        "close": closes.get((entity.pk, y, m)),
                    }
                    for y, m in months
                ],
            }
        )
    return render(request, "invoicing/index.html", {"rows": rows, "year": day.year})


def invoice_list(request: HttpRequest, entity_slug: str) -> HttpResponse:
    """The entity's invoices and credit notes, filtered by state, nature, client and dates."""
    entity = _entity_for_invoicing(request, entity_slug)
    form = FilterForm(request.GET or None, entity=entity)
    invoices = (
        Invoice.objects.for_entity(entity.pk)
        .with_balance()
        .select_related("client", "corrects")
        .order_by("status", "-issue_date", "-sequence", "-pk")
    )
    if form.is_valid():
        data = form.cleaned_data
        if data["status"]:
            invoices = invoices.filter(status=data["status"])
        if data["kind"]:
            invoices = invoices.filter(kind=data["kind"])
        if data["client"]:
            invoices = invoices.filter(client=data["client"])
        # An issued invoice is dated by its issue date, a draft by the end of its period.
        if data["start"]:
            invoices = invoices.filter(
                Q(issue_date__gte=data["start"])
                | Q(issue_date__isnull=True, period_end__gte=data["start"])
            )
        if data["end"]:
            invoices = invoices.filter(
                Q(issue_date__lte=data["end"])
                | Q(issue_date__isnull=True, period_end__lte=data["end"])
            )
    page = Paginator(invoices, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "entity": entity,
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "today": today(),
    }
    template = "invoicing/invoice_list.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#invoice-table"
    return render(request, template, context)


def overdue(request: HttpRequest, entity_slug: str) -> HttpResponse:
    """Issued invoices past their due date with a balance left, oldest first."""
    entity = _entity_for_invoicing(request, entity_slug)
    day = today()
    invoices = list(actions.overdue_invoices(entity, day))
    rows = [{"invoice": i, "days": rules.days_overdue(i.due_date, day)} for i in invoices]  # type: ignore[arg-type]
    total = sum((i.balance for i in invoices), Decimal(0))
    return render(
        request,
        "invoicing/overdue.html",
        {"entity": entity, "rows": rows, "total": total, "today": day},
    )


# --- Drafts ----------------------------------------------------------------------------------


def invoice_new(request: HttpRequest, entity_slug: str) -> HttpResponse:
    """Start an invoice by hand."""
    entity = _entity_for_invoicing(request, entity_slug)
    form = DraftForm(
        request.POST or None,
        instance=Invoice(entity=entity),
        entity=entity,
        initial={"payment_terms_days": rules.DEFAULT_PAYMENT_DAYS.on(today())},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invoice = actions.create_draft(
                entity,
                client=data["client"],
                by=request.user,  # type: ignore[arg-type]
                period_start=data["period_start"],
                period_end=data["period_end"],
                payment_terms_days=data["payment_terms_days"],
                operation_nature=data["operation_nature"],
                vat_on_debits=data["vat_on_debits"],
                delivery_site=data["delivery_site"],
                note=data["note"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Le brouillon est créé : ajoutez ses lignes.")
            return redirect("invoicing:invoice", pk=invoice.pk)
    return render(
        request,
        "invoicing/draft_form.html",
        {"entity": entity, "form": form, "title": "Nouvelle facture"},
        status=400 if form.errors else 200,
    )


def invoice_edit(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _draft_or_404(request, pk)
    form = DraftForm(request.POST or None, instance=invoice, entity=invoice.entity)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            if fields:
                actions.update_draft(invoice, by=request.user, **fields)  # type: ignore[arg-type]
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Le brouillon est mis à jour.")
            return redirect("invoicing:invoice", pk=invoice.pk)
    return render(
        request,
        "invoicing/draft_form.html",
        {
            "entity": invoice.entity,
            "form": form,
            "title": f"Modifier {invoice}",
            "invoice": invoice,
        },
        status=400 if form.errors else 200,
    )


def invoice_delete(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _draft_or_404(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    entity = invoice.entity
    actions.delete_draft(invoice, by=request.user)  # type: ignore[arg-type]
    messages.success(request, "Le brouillon est supprimé.")
    return redirect("invoicing:list", entity_slug=entity.slug)


def line_add(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _draft_or_404(request, pk)
    if request.method != "POST":
        return redirect("invoicing:invoice", pk=invoice.pk)
    form = LineForm(request.POST, entity=invoice.entity)
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.add_line(
                invoice,
                by=request.user,  # type: ignore[arg-type]
                service=data["service"],
                quantity=data["quantity"],
                label=data["label"],
                unit_price=data["unit_price"],
                worker_name=data["worker_name"],
                hours=data["hours"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "La ligne est ajoutée.")
            return redirect("invoicing:invoice", pk=invoice.pk)
    return _detail(request, invoice, line_form=form, status=400)


def line_edit(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    invoice = _draft_or_404(request, pk)
    line = _line_or_404(invoice, line_pk)
    form = LineEditForm(
        request.POST or None,
        initial={
            "label": line.label,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "worker_name": line.worker_name,
            "hours": line.hours,
        },
    )
    if request.method == "POST" and form.is_valid():
        actions.update_line(line, by=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        messages.success(request, f"La ligne {line.position} est mise à jour.")
        return redirect("invoicing:invoice", pk=invoice.pk)
    return render(
        request,
        "invoicing/line_form.html",
        {"invoice": invoice, "line": line, "form": form},
        status=400 if form.errors else 200,
    )


def line_delete(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    invoice = _draft_or_404(request, pk)
    line = _line_or_404(invoice, line_pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    actions.delete_line(line, by=request.user)  # type: ignore[arg-type]
    messages.success(request, f"La ligne « {line.label} » est supprimée.")
    return redirect("invoicing:invoice", pk=invoice.pk)


def _line_or_404(invoice: Invoice, line_pk: int) -> InvoiceLine:
    line = invoice.lines.filter(pk=line_pk).first()
    if line is None:
        raise Http404("Cette ligne n'appartient pas à la facture.")
    return line


# --- Issue, credit notes, payments -------------------------------------------------------------


def invoice_issue(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _draft_or_404(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = IssueForm(request.POST)
    if form.is_valid():
        try:
            issued = actions.issue_invoice(
                invoice,
                by=request.user,  # type: ignore[arg-type]
                issue_date=form.cleaned_data["issue_date"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{issued} est émise.")
            return redirect("invoicing:invoice", pk=issued.pk)
    return _detail(request, invoice, issue_form=form, status=400)


def credit_note_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Credit an issued invoice, in full (default quantities) or in part."""
    invoice = _invoice_or_404(request, pk)
    if invoice.status != InvoiceStatus.ISSUED or invoice.kind != InvoiceKind.INVOICE:
        raise Http404("Seule une facture émise se corrige par un avoir.")
    form = CreditNoteForm(request.POST or None, lines=actions.creditable_lines(invoice))
    if request.method == "POST" and form.is_valid():
        try:
            note = actions.issue_credit_note(
                invoice,
                by=request.user,  # type: ignore[arg-type]
                lines=form.quantities(),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{note} est émis : il corrige {invoice}.")
            return redirect("invoicing:invoice", pk=note.pk)
    return render(
        request,
        "invoicing/credit_note_form.html",
        {"invoice": invoice, "form": form},
        status=400 if form.errors else 200,
    )


def payment_new(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _invoice_or_404(request, pk)
    if invoice.status != InvoiceStatus.ISSUED or invoice.kind != InvoiceKind.INVOICE:
        raise Http404("Les paiements s'enregistrent sur une facture émise.")
    if request.method != "POST":
        return redirect("invoicing:invoice", pk=invoice.pk)
    form = PaymentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.record_payment(
                invoice,
                by=request.user,  # type: ignore[arg-type]
                paid_on=data["paid_on"],
                amount=data["amount"],
                method=data["method"],
                reference=data["reference"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Le paiement est enregistré.")
            return redirect("invoicing:invoice", pk=invoice.pk)
    return _detail(request, invoice, payment_form=form, status=400)


# --- The invoice page --------------------------------------------------------------------------


def _preview_mentions(invoice: Invoice) -> list[str]:
    """What a draft would print if issued today (an issued invoice shows its snapshot)."""
    day = today()
    declaration = actions.sap_declaration_on(invoice.entity, day) if invoice.is_sap else None
    return list(
        rules.legal_mentions(
            rules.MentionFacts(
                issue_date=day,
                due_date=rules.due_date(day, invoice.payment_terms_days),
                payment_days=invoice.payment_terms_days,
                client_kind=invoice.client.kind,
                seller_vat_regime=invoice.entity.vat_regime,
                operation_nature_label=OperationNature(invoice.operation_nature).label,
                vat_on_debits=invoice.vat_on_debits,
                is_sap=invoice.is_sap,
                sap_declaration=declaration.number if declaration else "",
                sap_declared_on=declaration.declared_on if declaration else None,
            )
        ).lines
    )


def _detail(
    request: HttpRequest, invoice: Invoice, *, status: int = 200, **forms: Any
) -> HttpResponse:
    draft = invoice.status == InvoiceStatus.DRAFT
    balance = invoice.balance
    day = today()
    trail = audit.entries_for(invoice)
    show_all = request.GET.get("journal") == "tout"
    context: dict[str, Any] = {
        "invoice": invoice,
        "entity": invoice.entity,
        "draft": draft,
        "lines": invoice.lines.select_related("service").order_by("position", "pk"),
        "vat_amounts": invoice.vat_amounts.order_by("rate"),
        "mentions": _preview_mentions(invoice) if draft else invoice.mentions,
        "payments": invoice.payments.select_related("created_by").order_by("paid_on", "pk"),
        "credit_notes": invoice.credit_notes.filter(status=InvoiceStatus.ISSUED).order_by(
            "sequence"
        ),
        "balance": balance,
        "overdue": invoice.kind == InvoiceKind.INVOICE
        and rules.is_overdue(invoice.due_date, balance, day),
        "days_overdue": rules.days_overdue(invoice.due_date, day) if invoice.due_date else 0,
        "audit_entries": trail if show_all else trail[:AUDIT_PREVIEW],
        "audit_has_more": not show_all and trail.count() > AUDIT_PREVIEW,
    }
    if draft:
        context["line_form"] = forms.get("line_form") or LineForm(entity=invoice.entity)
        context["issue_form"] = forms.get("issue_form") or IssueForm(initial={"issue_date": day})
    elif invoice.kind == InvoiceKind.INVOICE:
        context["can_credit"] = any(c.left_quantity > 0 for c in actions.creditable_lines(invoice))
        if balance != 0:
            context["payment_form"] = forms.get("payment_form") or PaymentForm(
                initial={"paid_on": day, "amount": balance}
            )
    template = "invoicing/invoice_detail.html"
    if request.htmx and status == 200:  # type: ignore[attr-defined]
        template += "#audit-trail"
    return render(request, template, context, status=status)


def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The invoice: lines, VAT by rate, totals, mentions, payments, balance, credit notes."""
    return _detail(request, _invoice_or_404(request, pk))


# --- From the monthly close --------------------------------------------------------------------


def prepare_from_close(
    request: HttpRequest, entity_slug: str, year: int, month: int
) -> HttpResponse:
    """The invoices of a closed month: prepare the missing drafts (POST), list them."""
    entity = _entity_for_invoicing(request, entity_slug)
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        raise Http404("Mois inconnu.")
    close = MonthlyClose.objects.filter(entity=entity, year=year, month=month).first()
    if close is None or close.status != CloseStatus.CLOSED:
        raise Http404("Ce mois n'est pas clôturé.")
    if request.method == "POST":
        before = close.invoices.filter(kind=InvoiceKind.INVOICE).count()
        try:
            prepared = actions.invoices_from_close(close, by=request.user)  # type: ignore[arg-type]
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            created = len(prepared) - before
            messages.success(
                request,
                f"{created} facture(s) brouillon préparée(s) ; {before} existai(en)t déjà."
                if created
                else "Toutes les factures du mois sont déjà préparées : rien n'a changé.",
            )
        return redirect(
            "invoicing:prepare_from_close", entity_slug=entity.slug, year=year, month=month
        )
    invoices = (
        close.invoices.filter(kind=InvoiceKind.INVOICE)
        .with_balance()
        .select_related("client")
        .order_by("client__name", "pk")
    )
    done = {i.client_id for i in invoices}
    drafts = close.invoice_drafts.select_related("client").order_by("client__name", "pk")
    missing = [d for d in drafts if d.client_id not in done]
    return render(
        request,
        "invoicing/prepare.html",
        {
            "entity": entity,
            "close": close,
            "label": _month_label(year, month),
            "invoices": invoices,
            "missing": missing,
        },
    )
