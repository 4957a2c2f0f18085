from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tremplin.core.parameters import ParameterNotInForce
from tremplin.sap import rules
from tremplin.sap.rules import (
    ActivityPayments,
    InvoiceFacts,
    RegistrationStatus,
    RequestStatus,
    SapNature,
    WorkerHours,
)

D = Decimal


@pytest.mark.parametrize(
    ("nature", "paid", "eligible", "above", "capped"),
    [
        pytest.param(SapNature.GARDENING, "4999.99", "4999.99", "0", False, id="garden_under"),
        pytest.param(SapNature.GARDENING, "5000.00", "5000.00", "0", False, id="garden_at_cap"),
        pytest.param(SapNature.GARDENING, "5000.01", "5000.00", "0.01", True, id="garden_1c_over"),
        pytest.param(SapNature.GARDENING, "7200.00", "5000.00", "2200.00", True, id="garden_over"),
        pytest.param(SapNature.DIY, "500.00", "500.00", "0", False, id="diy_at_cap"),
        pytest.param(SapNature.DIY, "500.01", "500.00", "0.01", True, id="diy_1c_over"),
        pytest.param(SapNature.IT_SUPPORT, "3000.00", "3000.00", "0", False, id="it_at_cap"),
        pytest.param(SapNature.IT_SUPPORT, "3100.00", "3000.00", "100.00", True, id="it_over"),
        pytest.param(SapNature.HOUSEWORK, "14000.00", "14000.00", "0", False, id="no_cap"),
        pytest.param(SapNature.GARDENING, "0.00", "0.00", "0", False, id="nothing_paid"),
        pytest.param(SapNature.GARDENING, "-50.00", "0.00", "0", False, id="refund_above_paid"),
    ],
)
def test_activity_caps(
    nature: SapNature, paid: str, eligible: str, above: str, capped: bool
) -> None:
    total = rules.activity_total(ActivityPayments(nature, D(paid)), year=2025)
    assert (total.eligible, total.above_cap, total.capped) == (D(eligible), D(above), capped)
    assert total.cap == rules.SPECIFIC_CAPS.on(date(2025, 12, 31)).get(nature)


@pytest.mark.parametrize(
    ("payments", "net", "eligible", "advance", "acquitted"),
    [
        pytest.param(
            ActivityPayments(SapNature.HOUSEWORK, D("1000"), through_advance=D("1000")),
            "1000",
            "1000",
            "500.00",
            "500.00",
            id="all_through_avance_immediate_counts_as_paid",
        ),
        pytest.param(
            ActivityPayments(SapNature.HOUSEWORK, D("1000"), through_advance=D("333.33")),
            "1000",
            "1000",
            "166.67",
            "833.33",
            id="advance_rounded_half_up",
        ),
        pytest.param(
            ActivityPayments(SapNature.HOUSEWORK, D("1000"), aid=D("200")),
            "800",
            "800",
            "0.00",
            "800",
            id="cesu_prefinance_deducted",
        ),
        pytest.param(
            ActivityPayments(SapNature.GARDENING, D("6000"), aid=D("500")),
            "5500",
            "5000",
            "0.00",
            "5500",
            id="aid_deducted_before_the_cap",
        ),
        pytest.param(
            ActivityPayments(SapNature.DIY, D("400"), excluded=D("150")),
            "250",
            "250",
            "0.00",
            "250",
            id="diy_beyond_two_hours_excluded",
        ),
    ],
)
def test_deductions(
    payments: ActivityPayments, net: str, eligible: str, advance: str, acquitted: str
) -> None:
    total = rules.activity_total(payments, year=2025)
    assert (total.net, total.eligible, total.advance_received, total.acquitted) == (
        D(net),
        D(eligible),
        D(advance),
        D(acquitted),
    )


def test_certificate_totals_merge_natures_in_a_fixed_order() -> None:
    totals = rules.certificate_totals(
        [
            ActivityPayments(SapNature.GARDENING, D("6000"), hours=D("100")),
            ActivityPayments(SapNature.HOUSEWORK, D("300"), hours=D("12")),
            ActivityPayments(SapNature.GARDENING, D("100"), hours=D("2")),
        ],
        year=2025,
    )
    assert [a.nature for a in totals.activities] == [SapNature.HOUSEWORK, SapNature.GARDENING]
    garden = totals.activities[1]
    assert (garden.paid, garden.hours, garden.eligible) == (D("6100"), D("102"), D("5000"))
    assert (totals.paid, totals.eligible, totals.capped) == (D("6400"), D("5300"), True)
    assert totals.parameters_confirmed


@pytest.mark.parametrize(
    ("year", "confirmed"),
    [
        pytest.param(2017, True, id="first_year_of_the_credit_for_all"),
        pytest.param(2025, True, id="last_confirmed_year"),
        pytest.param(2026, False, id="finance_law_2026_unconfirmed"),
    ],
)
def test_parameters_are_dated(year: int, confirmed: bool) -> None:
    totals = rules.certificate_totals([ActivityPayments(SapNature.DIY, D("10"))], year=year)
    assert totals.parameters_confirmed is confirmed


def test_a_year_before_the_parameters_is_refused() -> None:
    with pytest.raises(ParameterNotInForce, match="31/12/2016"):
        rules.activity_total(ActivityPayments(SapNature.DIY, D("10")), year=2016)


@pytest.mark.parametrize(
    ("hours", "within"),
    [
        pytest.param("1.99", True, id="under_two_hours"),
        pytest.param("2.00", True, id="exactly_two_hours"),
        pytest.param("2.01", False, id="past_two_hours"),
    ],
)
def test_diy_interventions_last_two_hours_at_most(hours: str, within: bool) -> None:
    assert rules.diy_within_limit(D(hours), on=date(2025, 6, 1)) is within


@pytest.mark.parametrize(
    ("amount", "weights", "expected"),
    [
        pytest.param("100.00", ["1", "1", "1"], ["33.34", "33.33", "33.33"], id="thirds"),
        pytest.param("10.00", ["0", "0"], ["10.00", "0.00"], id="no_weight"),
        pytest.param("-10.00", ["1", "2"], ["-3.33", "-6.67"], id="refund"),
        pytest.param("55.00", ["110", "-10"], ["55.00", "0.00"], id="credited_nature_takes_none"),
        pytest.param("0.01", ["1", "1"], ["0.01", "0.00"], id="one_cent"),
    ],
)
def test_allocate(amount: str, weights: list[str], expected: list[str]) -> None:
    assert rules.allocate(D(amount), [D(w) for w in weights]) == [D(e) for e in expected]


@given(
    st.decimals(min_value=-100000, max_value=100000, places=2),
    st.lists(st.decimals(min_value=0, max_value=10000, places=2), min_size=1, max_size=8),
)
def test_allocate_keeps_every_cent(amount: Decimal, weights: list[Decimal]) -> None:
    parts = rules.allocate(amount, weights)
    assert sum(parts, D(0)) == amount
    assert all(p == p.quantize(D("0.01")) for p in parts)


def test_worker_hours_grouped_by_month_then_worker() -> None:
    march, april = date(2025, 3, 1), date(2025, 4, 1)
    rows = rules.group_worker_hours(
        [
            WorkerHours("MARTIN Léa", "12", april, SapNature.HOUSEWORK, D("3")),
            WorkerHours("DURAND Paul", "7", march, SapNature.GARDENING, D("2")),
            WorkerHours("MARTIN Léa", "12", april, SapNature.HOUSEWORK, D("1.5")),
            WorkerHours("DURAND Paul", "7", march, SapNature.GARDENING, D("-2")),
        ]
    )
    assert rows == [WorkerHours("MARTIN Léa", "12", april, SapNature.HOUSEWORK, D("4.5"))]


@pytest.mark.parametrize(
    ("activity", "eligible", "code"),
    [
        pytest.param("menage", True, "60", id="housework"),
        pytest.param("repassage", True, "60", id="ironing_is_housework"),
        pytest.param("jardinage", True, "70", id="gardening"),
        pytest.param("bricolage", True, "80", id="diy"),
        pytest.param("informatique", True, "160", id="it_support"),
        pytest.param("menage", False, "270", id="not_eligible_line"),
        pytest.param("lavage", True, "270", id="not_a_household_service"),
    ],
)
def test_urssaf_nature_codes(activity: str, eligible: bool, code: str) -> None:
    assert rules.urssaf_nature_code(activity, sap_eligible=eligible) == code


@pytest.mark.parametrize(
    ("excl", "vat", "quantity", "expected"),
    [
        pytest.param("250.00", "25.00", "10", ("10", True, "27.50", "275.00"), id="hourly_exact"),
        pytest.param(
            "100.00", "10.00", "3", ("1", False, "110.00", "110.00"), id="thirds_as_flat_rate"
        ),
        pytest.param("0.00", "0.00", "0", ("1", False, "0.00", "0.00"), id="no_quantity"),
    ],
)
def test_urssaf_amounts_concord(
    excl: str, vat: str, quantity: str, expected: tuple[str, bool, str, str]
) -> None:
    amounts = rules.urssaf_amounts(
        excl_tax=D(excl), vat=D(vat), quantity=D(quantity), per_hour=True
    )
    assert (amounts.quantity, amounts.per_hour, amounts.unit_incl_tax, amounts.incl_tax) == (
        D(expected[0]),
        expected[1],
        D(expected[2]),
        D(expected[3]),
    )
    assert amounts.excl_tax + amounts.vat == amounts.incl_tax
    assert amounts.unit_incl_tax * amounts.quantity == amounts.incl_tax


TODAY = date(2026, 4, 15)
GOOD = InvoiceFacts(
    number="FA-2026-00012",
    issued=True,
    is_credit_note=False,
    is_sap=True,
    household=True,
    consent=True,
    registration=RegistrationStatus.ACTIVE,
    registered_on=date(2026, 1, 10),
    period_start=date(2026, 3, 1),
    period_end=date(2026, 3, 31),
    total_incl_tax=D("275.00"),
    balance=D("275.00"),
    live_request=False,
)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({}, None, id="sendable"),
        pytest.param({"issued": False}, "n'est pas émise", id="draft"),
        pytest.param({"is_credit_note": True}, "Un avoir", id="credit_note"),
        pytest.param({"is_sap": False}, "pas une facture de services", id="not_sap"),
        pytest.param({"household": False}, "que les clients particuliers", id="company"),
        pytest.param({"consent": False}, "pas donné son accord", id="no_consent"),
        pytest.param({"registration": None}, "pas inscrit", id="not_registered"),
        pytest.param(
            {"registration": RegistrationStatus.PENDING}, "en attente d'activation", id="pending"
        ),
        pytest.param(
            {"period_start": date(2026, 2, 20)}, "un seul mois civil", id="across_two_months"
        ),
        pytest.param(
            {"period_start": date(2026, 4, 1), "period_end": date(2026, 4, 30)},
            "après aujourd'hui",
            id="service_not_over",
        ),
        pytest.param(
            {"registered_on": date(2026, 3, 5)}, "avant l'inscription", id="before_registration"
        ),
        pytest.param({"live_request": True}, "déjà une demande", id="already_sent"),
        pytest.param({"balance": D("75.00")}, "200,00", id="partly_paid"),
    ],
)
def test_payment_request_errors(changes: dict[str, object], message: str | None) -> None:
    facts = replace(GOOD, **changes)
    errors = rules.payment_request_errors(facts, today=TODAY)
    if message is None:
        assert errors == []
    else:
        assert len(errors) == 1 and message in errors[0], errors


def test_validation_window_is_48_hours() -> None:
    sent = datetime(2026, 3, 27, 9, 30, tzinfo=UTC)  # across the change to summer time
    deadline = rules.validation_deadline(sent)
    assert deadline - sent == timedelta(hours=48)
    assert not rules.deemed_validated(
        RequestStatus.VALIDATED, deadline=deadline, seen_at=deadline - timedelta(seconds=1)
    )
    assert rules.deemed_validated(RequestStatus.VALIDATED, deadline=deadline, seen_at=deadline)
    assert not rules.deemed_validated(RequestStatus.REFUSED, deadline=deadline, seen_at=deadline)


@pytest.mark.parametrize(
    ("code", "active", "status"),
    [
        pytest.param("APPAREILLAGE_EC", False, RegistrationStatus.PENDING, id="in_progress"),
        pytest.param("APPAREILLAGE_VALIDE", True, RegistrationStatus.ACTIVE, id="activated"),
        pytest.param("PARTICULIER_BLOQUE", False, RegistrationStatus.BLOCKED, id="blocked"),
        pytest.param("MANDAT_ECHU", False, RegistrationStatus.MANDATE_EXPIRED, id="mandate"),
        pytest.param("NOUVEAU_CODE", True, RegistrationStatus.ACTIVE, id="unknown_code_ok"),
        pytest.param("NOUVEAU_CODE", False, RegistrationStatus.PENDING, id="unknown_code_ko"),
    ],
)
def test_registration_status(code: str, active: bool, status: RegistrationStatus) -> None:
    assert rules.registration_status(code, active=active) == status


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("10", RequestStatus.INTEGRATED),
        ("20", RequestStatus.AWAITING_CLIENT),
        ("30", RequestStatus.VALIDATED),
        ("40", RequestStatus.REFUSED),
        ("70", RequestStatus.PAID),
        ("110", RequestStatus.CANCELLED),
        ("999", None),
    ],
)
def test_request_status_from_code(code: str, status: RequestStatus | None) -> None:
    assert rules.request_status(code) == status


def test_reason_labels_are_french() -> None:
    assert "erreur" in rules.reason_label("CONTEST_ERR_FACT")
    assert rules.reason_label("X_NOUVEAU", "Message de l'URSSAF") == "Message de l'URSSAF"
    assert rules.reason_label("X_NOUVEAU") == "Motif communiqué par l'URSSAF : X_NOUVEAU."
    assert rules.reason_text("PARAM_INVALIDE", "Le format du champ iban est incorrect") == (
        "Une donnée transmise est invalide. Précision de l'URSSAF : Le format du champ iban est "
        "incorrect"
    )
    assert rules.reason_text("X_NOUVEAU", "Détail") == "Détail"


VALID_IDENTITY = {
    "birth_name": "Le Gall",
    "usual_name": "",
    "first_names": "Anne-Marie Hélène",
    "birth_date": date(1970, 5, 2),
    "birth_country_code": "99100",
    "birth_commune_code": "29019",
    "mobile": "06 12 34 56 78",
    "street_number": "8",
    "postal_code": "29200",
    "commune_code": "29019",
    "iban": "FR76 3000 6000 0112 3456 7890 189",
    "bic": "BNPAFRPPXXX",
    "today": TODAY,
}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({}, None, id="valid"),
        pytest.param({"birth_name": "Le Gall 2"}, "birth_name", id="digit_in_name"),
        pytest.param({"first_names": "-Anne"}, "first_names", id="starts_with_hyphen"),
        pytest.param({"birth_date": TODAY}, "birth_date", id="born_today"),
        pytest.param({"birth_country_code": "FR"}, "birth_country_code", id="country_not_insee"),
        pytest.param({"birth_commune_code": "29"}, "birth_commune_code", id="commune_missing"),
        pytest.param(
            {"birth_country_code": "99134", "birth_commune_code": ""}, None, id="born_abroad"
        ),
        pytest.param({"mobile": "01 23 45 67 89"}, "mobile", id="landline"),
        pytest.param({"mobile": "+33712345678"}, None, id="international_mobile"),
        pytest.param({"street_number": "0"}, "street_number", id="street_number_zero"),
        pytest.param({"postal_code": "2920"}, "postal_code", id="short_postal_code"),
        pytest.param({"commune_code": "2A00"}, "commune_code", id="bad_commune_code"),
        pytest.param({"iban": "FR7630006000011234567890188"}, "iban", id="iban_bad_key"),
        pytest.param({"bic": "BNPA"}, "bic", id="short_bic"),
    ],
)
def test_registration_errors(changes: dict[str, object], field: str | None) -> None:
    errors = rules.registration_errors(**{**VALID_IDENTITY, **changes})
    assert list(errors) == ([] if field is None else [field])


@pytest.mark.parametrize(
    ("insee", "parts"),
    [("69123", ("069", "123")), ("2B033", ("02B", "033")), ("97411", ("974", "411"))],
)
def test_birth_place_parts(insee: str, parts: tuple[str, str]) -> None:
    assert rules.birth_place_parts(insee) == parts


@pytest.mark.parametrize(
    ("year", "message"),
    [
        pytest.param(2025, "", id="last_year"),
        pytest.param(2026, "n'est pas terminée", id="current_year"),
        pytest.param(2016, "pas connus", id="before_parameters"),
    ],
)
def test_certificate_year_error(year: int, message: str) -> None:
    error = rules.certificate_year_error(year, TODAY)
    assert (message in error) if message else error == ""


def test_certificate_deadline() -> None:
    assert rules.certificate_deadline(2025) == date(2026, 3, 31)
    assert rules.mask_iban("FR76 3000 6000 0112 3456 7890 189") == "FR76…0189"
