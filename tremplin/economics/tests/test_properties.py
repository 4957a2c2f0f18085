"""Properties of the allocation and of the consolidation, for random pools, keys and flows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tremplin.contracts.rules import ContractKind
from tremplin.contracts.tests.factories import ContractFactory
from tremplin.economics import economic_model, queries, rules
from tremplin.economics.economic_model import (
    EntityInfo,
    ModelInputs,
    OtherLine,
    PoolInput,
    RevenueLine,
    StaffLine,
    WorkLine,
)
from tremplin.economics.rules import EntryKind, KeyMethod
from tremplin.economics.tests.factories import CostPoolFactory, TimeRecordFactory, issued_invoice
from tremplin.orders.rules import ServiceKind
from tremplin.organisations.tests.factories import EntityFactory, GroupFactory
from tremplin.people.tests.factories import PersonFactory
from tremplin.timesheets.models import EntryStatus
from tremplin.timesheets.tests.factories import TimeEntryFactory

cents = st.integers(min_value=-10_000_000, max_value=10_000_000).map(
    lambda c: Decimal(c).scaleb(-2)
)
positive_cents = st.integers(min_value=0, max_value=10_000_000).map(lambda c: Decimal(c).scaleb(-2))
weights = st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False)


@given(total=cents, key=st.lists(weights, min_size=1, max_size=8))
def test_allocated_amounts_sum_to_the_pool_to_the_cent(total: Decimal, key: list[Decimal]) -> None:
    named = {f"structure {i}": w for i, w in enumerate(key)}
    if not any(named.values()):
        with pytest.raises(ValueError):
            rules.largest_remainder(total, named)
        return
    shares = rules.largest_remainder(total, named)
    assert sum(shares.values()) == total
    assert all(s == s.quantize(Decimal("0.01")) for s in shares.values())
    weight_sum = sum(named.values())
    for name, weight in named.items():
        # Each part is within one cent of its exact quota, and a zero weight gets nothing.
        assert abs(shares[name] - total * weight / weight_sum) < Decimal("0.01")
        if not weight:
            assert shares[name] == 0


# --- Random groups, computed without the database ----------------------------------------------

MONTH = date(2026, 3, 1)


@st.composite
def model_inputs(draw: st.DrawFn) -> ModelInputs:
    count = draw(st.integers(min_value=1, max_value=4))
    ids = list(range(1, count + 1))
    entity = st.sampled_from(ids)
    revenue = [
        RevenueLine(
            draw(entity),
            draw(st.sampled_from([ServiceKind.PLACEMENT, ServiceKind.HOUSEWORK])),
            draw(cents),
            buyer_id=draw(st.one_of(st.none(), entity)),
        )
        for _ in range(draw(st.integers(0, 6)))
    ]
    work = []
    for person in range(draw(st.integers(0, 6))):
        employer, worked_at = draw(entity), draw(entity)
        work.append(
            WorkLine(
                employer_id=employer,
                worked_at_id=worked_at,
                person_id=person,
                month=MONTH,
                activity="",
                hours=Decimal(draw(st.integers(1, 20_000))).scaleb(-2),
                hourly_rate=Decimal(draw(st.integers(1000, 3000))).scaleb(-2),
                employer_rate=Decimal("0.10"),
                contract_kind=ContractKind.CDDUA,
                aid_kind=draw(st.sampled_from([None, "AI"])),
                loan_rate=(
                    Decimal(draw(st.integers(1000, 3000))).scaleb(-2)
                    if employer != worked_at and draw(st.booleans())
                    else None
                ),
            )
        )
    others = [
        OtherLine(draw(entity), draw(st.sampled_from(list(EntryKind))), draw(positive_cents))
        for _ in range(draw(st.integers(0, 4)))
    ]
    staff = [
        StaffLine(draw(entity), p, Decimal(draw(st.integers(0, 100))) / 100)
        for p in range(draw(st.integers(0, 5)))
    ]
    pools = []
    for pool_id in range(draw(st.integers(0, 3))):
        method = draw(st.sampled_from(list(KeyMethod)))
        pools.append(
            PoolInput(
                id=pool_id,
                name=f"Fonction {pool_id}",
                function="direction",
                holder_id=draw(entity),
                cost=draw(positive_cents),
                method=method,
                time_spent={i: Decimal(draw(st.integers(0, 100))) for i in ids},
                fixed_shares={i: Decimal(draw(st.integers(0, 100))) for i in ids},
            )
        )
    return ModelInputs(
        start=MONTH,
        end=date(2026, 3, 31),
        entities=tuple(EntityInfo(i, f"Structure {i}", f"s{i}") for i in ids),
        revenue=tuple(revenue),
        work=tuple(work),
        staff=tuple(staff),
        others=tuple(others),
        aid=tuple(economic_model.AidSetting(i, 2026, "AI", Decimal(1)) for i in ids),
        pools=tuple(pools),
    )


@given(inputs=model_inputs())
def test_eliminations_leave_the_sum_of_external_flows(inputs: ModelInputs) -> None:
    result = economic_model.compute(inputs)
    assert result.group_result == result.external_flows()
    pnl = economic_model.consolidated_pnl(result)
    assert pnl[-1].group == result.external_flows()
    # What one entity recharges, another is charged: the eliminations cancel out.
    assert pnl[-1].elimination == 0
    products = sum(e.intra_group_products for e in result.entities.values())
    charges = sum(e.intra_group_charges for e in result.entities.values())
    assert products == charges == sum(r.amount for r in result.recharges)
    for allocation in result.allocations:
        if not allocation.error:
            assert sum(allocation.amounts.values()) == allocation.cost


@given(inputs=model_inputs())
def test_scenario_inputs_survive_storage(inputs: ModelInputs) -> None:
    stored = economic_model.inputs_from_json(economic_model.inputs_to_json(inputs))
    assert stored == inputs


# --- Keys recomputed from the data they name, on small databases --------------------------------

small_counts = st.lists(st.integers(min_value=0, max_value=2), min_size=3, max_size=3)


@pytest.mark.django_db
@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(hours=small_counts, contracts=small_counts, sales=small_counts, spent=small_counts)
def test_each_key_is_recomputed_from_the_data_it_names(
    hours: list[int], contracts: list[int], sales: list[int], spent: list[int]
) -> None:
    group = GroupFactory()
    entities = [EntityFactory(group=group) for _ in range(3)]
    pool = CostPoolFactory(entity=entities[0])
    expected: dict[KeyMethod, dict[int, Decimal]] = {k: {} for k in KeyMethod}
    for entity, n_hours, n_contracts, n_sales, n_spent in zip(
        entities, hours, contracts, sales, spent, strict=True
    ):
        # n_hours validated entries of 2,5 h (and one declared entry that must not count).
        person = PersonFactory(entity=entity)
        for day in range(1, n_hours + 1):
            TimeEntryFactory(
                entity=entity,
                person=person,
                day=date(2026, 3, day),
                hours=Decimal("2.50"),
                status=EntryStatus.VALIDATED,
            )
        TimeEntryFactory(
            entity=entity,
            person=person,
            day=date(2026, 3, 20),
            hours=Decimal(1),
            status=EntryStatus.DECLARED,
        )
        # n_contracts people with a 35 h CDI running all March (headcount and ETP).
        for _ in range(n_contracts):
            ContractFactory(
                entity=entity, person=PersonFactory(entity=entity), cdi=True, start=date(2026, 1, 1)
            )
        # n_sales invoices of 100,00 to clients outside the group.
        for _ in range(n_sales):
            issued_invoice(entity, [(ServiceKind.OFFICE_CLEANING, Decimal("100.00"))])
        # n_spent records of 3 h of the pool's time for the entity.
        for _ in range(n_spent):
            TimeRecordFactory(pool=pool, beneficiary=entity, hours=Decimal(3))
        expected[KeyMethod.HOURS][entity.pk] = Decimal("2.50") * n_hours
        expected[KeyMethod.HEADCOUNT][entity.pk] = Decimal(n_contracts)
        expected[KeyMethod.ETP][entity.pk] = Decimal(n_contracts)
        expected[KeyMethod.REVENUE][entity.pk] = Decimal(100) * n_sales
        expected[KeyMethod.TIME_SPENT][entity.pk] = Decimal(3) * n_spent
    inputs = queries.model_inputs(group, date(2026, 3, 1), date(2026, 3, 31))
    pool_input = next(p for p in inputs.pools if p.id == pool.pk)
    for method in (
        KeyMethod.HOURS,
        KeyMethod.HEADCOUNT,
        KeyMethod.ETP,
        KeyMethod.REVENUE,
        KeyMethod.TIME_SPENT,
    ):
        assert economic_model.key_drivers(method, inputs, pool_input) == expected[method], method
