"""The counting rules of the indicators, as tables: no database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tremplin.contracts.rules import ContractKind
from tremplin.indicators import rules
from tremplin.indicators.rules import ContractFacts, PathwayFacts
from tremplin.pathways.rules import ExitCategory

D = Decimal


def contract(
    pk: int,
    kind: ContractKind,
    start: date,
    planned_end: date | None = None,
    *,
    entity: int = 1,
    person: int = 1,
    renews: int | None = None,
    weekly: str | None = None,
    monthly: str | None = None,
) -> ContractFacts:
    return ContractFacts(
        pk=pk,
        entity_id=entity,
        person_id=person,
        kind=kind,
        start=start,
        planned_end=planned_end,
        renews_id=renews,
        weekly_hours=D(weekly) if weekly else None,
        monthly_hours=D(monthly) if monthly else None,
    )


# --- The period ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "today", "expected"),
    [
        pytest.param(2025, date(2026, 3, 16), date(2025, 12, 31), id="past_year_ends_31_12"),
        pytest.param(2026, date(2026, 3, 16), date(2026, 3, 16), id="current_year_is_today"),
        pytest.param(2026, date(2026, 12, 31), date(2026, 12, 31), id="last_day_of_the_year"),
        pytest.param(2026, date(2026, 1, 1), date(2026, 1, 1), id="first_day_of_the_year"),
    ],
)
def test_reference_date(year: int, today: date, expected: date) -> None:
    assert rules.reference_date(year, today) == expected


def test_a_year_not_begun_is_refused_in_french() -> None:
    with pytest.raises(ValueError, match="L'année 2027 n'a pas commencé"):
        rules.reference_date(2027, date(2026, 12, 31))


@pytest.mark.parametrize(
    ("year", "reference", "months"),
    [
        pytest.param(2025, date(2025, 12, 31), 12, id="complete_year"),
        pytest.param(2026, date(2026, 3, 16), 3, id="march_under_way"),
        pytest.param(2026, date(2026, 1, 1), 1, id="first_day"),
    ],
)
def test_months_covered(year: int, reference: date, months: int) -> None:
    assert rules.months_covered(year, reference) == months


# --- Arithmetic ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param([], None, id="none"),
        pytest.param([D(80), D(90)], D("85.00"), id="exact"),
        # (85 + 85 + 85.015) / 3 = 85.005 → half up
        pytest.param([D(85), D(85), D("85.015")], D("85.01"), id="half_up"),
    ],
)
def test_average(values: list[Decimal], expected: Decimal | None) -> None:
    assert rules.average(values) == expected


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        pytest.param(0, 0, None, id="empty"),
        pytest.param(3, 10, D("30.0"), id="thirty"),
        pytest.param(1, 3, D("33.3"), id="third"),
        pytest.param(2, 3, D("66.7"), id="two_thirds_half_up"),
    ],
)
def test_share(part: int, whole: int, expected: Decimal | None) -> None:
    assert rules.share(part, whole) == expected


@pytest.mark.parametrize(
    ("hours", "months", "expected"),
    [
        # 151,67 h a month for 12 months = one full-time post.
        pytest.param(D("1820.04"), 12, D("1.00"), id="one_post"),
        # 2 600 / (151,67 × 12) = 2 600 / 1 820,04 = 1,4285… → 1,43
        pytest.param(D(2600), 12, D("1.43"), id="part_of_a_year"),
        # 455 / (151,67 × 3) = 455 / 455,01 = 0,99997… → 1,00
        pytest.param(D(455), 3, D("1.00"), id="three_months"),
        pytest.param(D(0), 12, D("0.00"), id="no_hours"),
        pytest.param(D(10), 0, D("0.00"), id="no_month"),
    ],
)
def test_etp_consumed(hours: Decimal, months: int, expected: Decimal) -> None:
    assert rules.etp_consumed(hours, months) == expected


# --- CDDUA --------------------------------------------------------------------------------------

JAN, DEC = date(2025, 1, 1), date(2025, 12, 31)


def test_cddua_concluded_counts_first_contracts_of_the_year_only() -> None:
    first = contract(1, ContractKind.CDDUA, date(2025, 2, 3), date(2025, 8, 2), monthly="80")
    renewal = contract(
        2, ContractKind.CDDUA, date(2025, 8, 3), date(2026, 8, 2), renews=1, monthly="80"
    )
    other = contract(
        3, ContractKind.CDDUA, date(2025, 12, 31), date(2026, 6, 30), person=2, monthly="90"
    )
    before = contract(
        4, ContractKind.CDDUA, date(2024, 12, 31), date(2025, 6, 30), person=3, monthly="60"
    )
    cddu = contract(5, ContractKind.CDDU, date(2025, 3, 1), date(2025, 3, 20), person=4)
    contracts = [first, renewal, other, before, cddu]
    renewals = {c.renews_id: c for c in contracts if c.renews_id}
    figures = rules.cddua_figures(contracts, renewals, JAN, DEC)
    # Concluded: #1 and #3 (#2 renews #1, #4 started in 2024, #5 is a CDDU).
    # Hours: (80 + 90) / 2 = 85. Durations: #1 from 03/02/2025 to 02/08/2026 (its renewal's
    # end) = 18 months; #3 from 31/12/2025 to 30/06/2026 = 6 months.
    assert figures == rules.CdduaFigures(2, D("85.00"), 6, 18)


def test_no_cddua_gives_no_average() -> None:
    assert rules.cddua_figures([], {}, JAN, DEC) == rules.CdduaFigures(0, None, None, None)


def test_a_renewal_loop_does_not_hang() -> None:
    a = contract(1, ContractKind.CDDUA, date(2025, 1, 6), date(2025, 7, 5), renews=2)
    b = contract(2, ContractKind.CDDUA, date(2025, 7, 6), date(2025, 12, 5), renews=1)
    assert rules.chain_end(a, {2: a, 1: b}) in {a.planned_end, b.planned_end}


# --- Jobs created -------------------------------------------------------------------------------


def test_a_job_is_a_person_s_first_contract_with_the_entity() -> None:
    contracts = [
        # Person 1: CDDU in 2024, then a CDDUA in 2025: already employed, no job created.
        contract(1, ContractKind.CDDU, date(2024, 11, 4), date(2024, 11, 29)),
        contract(2, ContractKind.CDDUA, date(2025, 2, 3), date(2025, 8, 2), monthly="85"),
        # Person 2: a part-time CDI in 2025 at entity 1 — a job; and at entity 2 the same day.
        contract(3, ContractKind.CDI, date(2025, 5, 5), person=2, weekly="24"),
        contract(4, ContractKind.CDI, date(2025, 5, 5), person=2, entity=2, weekly="35"),
        # Person 3: a CDDI in 2025, then its renewal: one job.
        contract(5, ContractKind.CDDI, date(2025, 3, 3), date(2025, 9, 2), person=3, weekly="26"),
        contract(6, ContractKind.CDDI, date(2025, 9, 3), date(2026, 3, 2), person=3, renews=5),
        # Person 4: a CDI inclusion starting in 2026: not a job of 2025.
        contract(7, ContractKind.CDI_INCLUSION, date(2026, 1, 5), person=4, weekly="24"),
        # Person 5: a CDDU without hours.
        contract(8, ContractKind.CDDU, date(2025, 6, 2), date(2025, 6, 6), person=5),
    ]
    firsts = rules.first_contracts(contracts)
    assert sorted(c.pk for c in firsts) == [1, 3, 4, 5, 7, 8]
    jobs = rules.job_figures([c for c in firsts if c.entity_id == 1], JAN, DEC)
    # Entity 1 in 2025: #3 (CDI, 24 h), #5 (CDDI, 26 h), #8 (CDDU, no hours) = 3 jobs, one CDI;
    # part time: 2 of the 2 stating hours = 100 %.
    assert jobs == rules.JobFigures(3, {"CDDU": 1, "CDDI": 1, "CDI": 1}, 1, 2, D("100.0"))
    both = rules.job_figures(firsts, JAN, DEC)
    # Both entities: add #4 (CDI, 35 h, full time): 4 jobs, 2 CDI, part time 2 of 3 = 66,7 %.
    assert both == rules.JobFigures(4, {"CDDU": 1, "CDDI": 1, "CDI": 2}, 2, 2, D("66.7"))


def test_a_cdi_inclusion_is_an_open_ended_job() -> None:
    jobs = rules.job_figures(
        [contract(1, ContractKind.CDI_INCLUSION, date(2025, 4, 1), weekly="24")], JAN, DEC
    )
    assert jobs.open_ended == 1 and jobs.by_kind == {"CDI_INCLUSION": 1}


def test_kinds_count_in_the_order_of_the_enum() -> None:
    counts = rules.kinds_count([ContractKind.CDI, ContractKind.CDDU, ContractKind.CDI])
    assert list(counts.items()) == [("CDDU", 1), ("CDI", 2)]


# --- Long pathways ------------------------------------------------------------------------------

REFERENCE = date(2025, 12, 31)


@pytest.mark.parametrize(
    ("periods", "long"),
    [
        # 01/01/2024 → 31/12/2025 = 731 days: exactly two years, not more.
        pytest.param(((date(2024, 1, 1), None),), False, id="exactly_two_years"),
        pytest.param(((date(2023, 12, 31), None),), True, id="two_years_and_a_day"),
        # Two stays of 400 and 400 days, a break between: 800 days in all.
        pytest.param(
            (
                (date(2022, 1, 1), date(2023, 2, 4)),
                (date(2024, 11, 27), None),
            ),
            True,
            id="two_stays_adding_up",
        ),
        pytest.param(((date(2025, 6, 1), None),), False, id="recent"),
    ],
)
def test_long_pathway_boundary(periods: tuple[tuple[date, date | None], ...], long: bool) -> None:
    figures = rules.long_pathway_figures([PathwayFacts(date(1990, 1, 1), periods)], REFERENCE)
    assert figures.long == int(long)


def test_long_pathways_and_their_seniors() -> None:
    old = ((date(2022, 3, 1), None),)
    recent = ((date(2025, 3, 1), None),)
    people = [
        PathwayFacts(date(1975, 12, 31), old),  # 50 on 31/12/2025: senior
        PathwayFacts(date(1976, 1, 1), old),  # 49 on 31/12/2025: not yet
        PathwayFacts(date(1960, 5, 5), old),  # 65: senior
        *(PathwayFacts(date(1990, 1, 1), recent) for _ in range(7)),
    ]
    figures = rules.long_pathway_figures(people, REFERENCE)
    # 3 long pathways of 10 people = 30 %; 2 seniors of 3 = 66,7 %.
    assert figures == rules.LongPathwayFigures(10, 3, D("30.0"), 2, D("66.7"))


def test_nobody_in_pathway_gives_no_share() -> None:
    assert rules.long_pathway_figures([], REFERENCE) == rules.LongPathwayFigures(
        0, 0, None, 0, None
    )


# --- Exits --------------------------------------------------------------------------------------


def test_dynamic_exit_rate_leaves_out_uncounted_and_withdrawn_exits() -> None:
    figures = rules.exit_figures(
        [
            (ExitCategory.DURABLE_EMPLOYMENT, True),
            (ExitCategory.DURABLE_EMPLOYMENT, False),  # under 150 h: not counted
            (ExitCategory.TRANSITIONAL_EMPLOYMENT, True),
            (ExitCategory.POSITIVE_EXIT, True),
            (ExitCategory.OTHER_EXIT, True),
            (ExitCategory.OTHER_EXIT, True),
            (ExitCategory.WITHDRAWN, True),  # neutralised (ASP code 5)
        ]
    )
    # Counted: 6; in the rate: 5 (the withdrawn one left out); dynamic: 3 → 3 / 5 = 60 %.
    assert figures.total == 7 and figures.counted == 6
    assert figures.dynamic == 3 and figures.dynamic_exit_rate == D("60.0")
    assert figures.by_category["DURABLE_EMPLOYMENT"] == {"total": 2, "counted": 1}
    assert figures.by_category["WITHDRAWN"] == {"total": 1, "counted": 1}
    assert list(figures.by_category) == list(ExitCategory.values)


def test_only_withdrawn_exits_give_no_rate() -> None:
    assert rules.exit_figures([(ExitCategory.WITHDRAWN, True)]).dynamic_exit_rate is None


# --- Export lines -------------------------------------------------------------------------------


def test_export_rows_flatten_nested_counts_in_catalogue_order() -> None:
    rows = rules.export_rows(
        {
            "people_received": 4,
            "contracts_by_kind": {"CDDUA": 2, "CDI": 1},
            "exits_by_category": {"OTHER_EXIT": {"total": 3, "counted": 2}},
            "dynamic_exit_rate": D("60.0"),
        }
    )
    assert [(key, value) for key, _, _, value in rows] == [
        ("people_received", 4),
        ("contracts_by_kind.CDDUA", 2),
        ("contracts_by_kind.CDI", 1),
        ("exits_by_category.OTHER_EXIT.total", 3),
        ("exits_by_category.OTHER_EXIT.counted", 2),
        ("dynamic_exit_rate", D("60.0")),
    ]
    assert rows[1][1] == "Contrats en cours par type — CDD d'usage amélioré (CDDUA)"
    assert rows[-1][2] == "%"


def test_every_indicator_is_documented() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[3] / "docs" / "indicators.md").read_text()
    missing = [i.key for i in rules.INDICATORS if f"`{i.key}`" not in doc]
    assert not missing, f"Indicateurs absents de docs/indicators.md : {missing}"
