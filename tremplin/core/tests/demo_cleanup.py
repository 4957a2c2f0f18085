"""Removing demo rows in dependency order, for the tests that reload the demo from scratch."""

from __future__ import annotations

from tremplin.contracts.models import Contract, StaffLoan
from tremplin.missions.models import Placement
from tremplin.orders.models import ClientPrice, Intervention, Order, Quote, Service
from tremplin.timesheets.models import TimeEntry


def delete_operations() -> None:
    """Delete hours, interventions and orders: they protect contracts, people and clients."""
    TimeEntry.objects.all().delete()
    Intervention.objects.all().delete()
    Order.objects.all().delete()
    Quote.objects.all().delete()
    ClientPrice.objects.all().delete()
    Service.objects.all().delete()


def delete_contracts() -> None:
    """Delete operations, placements, loans and contracts (renewals protect what they renew)."""
    delete_operations()
    Placement.objects.all().delete()
    StaffLoan.objects.all().delete()
    while Contract.objects.exists():
        Contract.objects.filter(renewals=None).delete()
