"""Property tests of the rounding policy (docs/algorithms/invoicing.md), with hypothesis: on
the rules, then through the issuing actions and the database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tremplin.invoicing import actions, rules
from tremplin.invoicing.models import Invoice, InvoiceVatAmount
from tremplin.invoicing.rules import VatGroup
from tremplin.invoicing.tests.factories import issued_invoice

CENT = Decimal("0.01")
RATES = [Decimal(r) for r in ("0", "2.1", "5.5", "8.5", "10", "20")]

quantities = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999.99"), places=2)
prices = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("9999.99"), places=2)
line = st.tuples(quantities, prices, st.sampled_from(RATES))
lines_strategy = st.lists(line, min_size=1, max_size=30)


def _amounts(lines: list[tuple[Decimal, Decimal, Decimal]]) -> list[tuple[Decimal, Decimal]]:
    return [(rules.line_amount(q, p), r) for q, p, r in lines]


def _is_cents(value: Decimal) -> bool:
    return value == value.quantize(CENT)


@settings(max_examples=300, deadline=None)
@given(lines_strategy)
def test_totals_are_exact_to_the_cent_and_the_sum_of_their_parts(
    lines: list[tuple[Decimal, Decimal, Decimal]],
) -> None:
    amounts = _amounts(lines)
    totals = rules.totals(amounts)
    assert all(_is_cents(a) for a, _ in amounts)
    assert all(
        abs(a - q * p) <= Decimal("0.005") for (a, _), (q, p, _) in zip(amounts, lines, strict=True)
    )
    assert totals.excl_tax == sum((a for a, _ in amounts), Decimal(0))
    assert totals.excl_tax == sum((g.base for g in totals.groups), Decimal(0))
    assert totals.vat == sum((g.vat for g in totals.groups), Decimal(0))
    assert totals.incl_tax == totals.excl_tax + totals.vat
    assert all(_is_cents(v) for v in (totals.excl_tax, totals.vat, totals.incl_tax))
    rates = [g.rate for g in totals.groups]
    assert rates == sorted(set(rates)), "one group per rate"
    for group in totals.groups:
        assert group.base == sum(
            (a for a, r in amounts if rules.rate_key(r) == group.rate), Decimal(0)
        )
        assert _is_cents(group.vat)
        assert abs(group.vat - group.base * group.rate / 100) <= Decimal("0.005")


def _full_credit(
    lines: list[tuple[Decimal, Decimal, Decimal]],
) -> tuple[rules.Totals, rules.Totals]:
    amounts = _amounts(lines)
    invoice = rules.totals(amounts)
    credited = [
        (rules.credit_line_amount(q, p, left_quantity=q, left_amount=a), r)
        for (q, p, r), (a, _) in zip(lines, amounts, strict=True)
    ]
    bases: dict[Decimal, Decimal] = {}
    for amount, rate in credited:
        bases[rules.rate_key(rate)] = bases.get(rules.rate_key(rate), Decimal(0)) + amount
    remaining = {g.rate: g for g in invoice.groups}
    note = rules.totals_from_groups(rules.credit_note_groups(bases, remaining))
    return invoice, note


@settings(max_examples=300, deadline=None)
@given(lines_strategy)
def test_a_full_credit_note_and_its_invoice_sum_to_zero(
    lines: list[tuple[Decimal, Decimal, Decimal]],
) -> None:
    invoice, note = _full_credit(lines)
    assert invoice.excl_tax + note.excl_tax == 0
    assert invoice.vat + note.vat == 0
    assert invoice.incl_tax + note.incl_tax == 0
    by_rate = {g.rate: g for g in note.groups}
    for group in invoice.groups:
        assert group.base + by_rate[group.rate].base == 0
        assert group.vat + by_rate[group.rate].vat == 0


@settings(max_examples=300, deadline=None)
@given(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2),
    prices,
    st.sampled_from(RATES),
    st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=8),
)
def test_partial_credit_notes_never_exceed_the_invoice_and_end_at_zero(
    quantity: Decimal, price: Decimal, rate: Decimal, weights: list[int]
) -> None:
    """Credit one line in several parts (random splits): at no point does the credited total
    exceed the invoice, and crediting the rest brings everything to exactly zero."""
    amount = rules.line_amount(quantity, price)
    invoice = rules.totals([(amount, rate)])
    key = rules.rate_key(rate)
    left_q, left_amount = quantity, amount
    left_group = invoice.groups[0]
    total = sum(weights)
    parts = [(quantity * w / total).quantize(CENT) for w in weights]
    parts[-1] = quantity - sum(parts[:-1])
    credited_incl = Decimal(0)
    for part in parts:
        if part <= 0 or part > left_q:
            continue
        credit = rules.credit_line_amount(
            part, price, left_quantity=left_q, left_amount=left_amount
        )
        groups = rules.credit_note_groups({key: credit}, {key: left_group})
        note = rules.totals_from_groups(groups)
        credited_incl += note.incl_tax
        assert -credited_incl <= invoice.incl_tax
        left_q -= part
        left_amount += credit
        left_group = VatGroup(key, left_group.base + groups[0].base, left_group.vat + groups[0].vat)
        assert left_amount >= 0 and left_group.vat >= 0
    if left_q > 0:  # the rest, in one last credit note
        credit = rules.credit_line_amount(
            left_q, price, left_quantity=left_q, left_amount=left_amount
        )
        groups = rules.credit_note_groups({key: credit}, {key: left_group})
        credited_incl += rules.totals_from_groups(groups).incl_tax
    assert invoice.incl_tax + credited_incl == 0


class _Rollback(Exception):
    pass


@pytest.mark.django_db
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(line, min_size=1, max_size=5),
    st.lists(st.integers(min_value=0, max_value=100), min_size=5, max_size=5),
)
def test_through_the_actions_credit_notes_bring_an_invoice_to_zero(
    lines: list[tuple[Decimal, Decimal, Decimal]], shares: list[int]
) -> None:
    """Issue an invoice, credit a random part of each line, then the rest: the stored credit
    notes never exceed the invoice and, with it, sum to zero on every total and every rate."""
    if rules.totals(_amounts(lines)).incl_tax <= 0:
        return  # an invoice must have a positive total
    try:
        with transaction.atomic():
            invoice = issued_invoice(tuple((str(q), str(p), str(r)) for q, p, r in lines))
            part = {
                line.pk: (line.quantity * share / 100).quantize(CENT)
                for line, share in zip(invoice.lines.order_by("position"), shares, strict=False)
            }
            notes = []
            if any(part.values()):
                notes.append(actions.issue_credit_note(invoice, by=None, lines=part, reason="Part"))
                assert -notes[0].total_incl_tax <= invoice.total_incl_tax
            if any(c.left_quantity for c in actions.creditable_lines(invoice)):
                notes.append(actions.issue_credit_note(invoice, by=None, reason="Reste"))
            for field in ("total_excl_tax", "total_vat", "total_incl_tax"):
                assert getattr(invoice, field) + sum(getattr(n, field) for n in notes) == 0
            by_rate: dict[Decimal, Decimal] = {}
            for row in InvoiceVatAmount.objects.filter(invoice__in=[invoice, *notes]):
                key = rules.rate_key(row.rate)
                by_rate[key] = by_rate.get(key, Decimal(0)) + row.vat_amount
            assert set(by_rate.values()) == {Decimal(0)}
            assert Invoice.objects.with_balance().get(pk=invoice.pk).balance == 0
            raise _Rollback
    except _Rollback:
        pass
