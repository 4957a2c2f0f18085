"""Rules of the mises à disposition (MAD) of an association intermédiaire. Pure functions.

The 480 h cap itself (windows, proposal states, messages) is ``contracts.rules.mad_cap_status``
and ``mad_windows``, explained in ``docs/algorithms/mad-cap.md``. This module adds what the
placement screens need around it: who may do what, which contracts carry a placement, the
mission-order numbering, the decision taken on a proposal, and the ledger's counters.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import models

from tremplin.accounts.rules import Role
from tremplin.contracts import rules as contract_rules
from tremplin.contracts.rules import (
    MAD_WARNING_SHARE,
    ContractKind,
    MadCapState,
    MadCapStatus,
    MadWindow,
    format_decimal,
)
from tremplin.core import dates
from tremplin.core.parameters import DatedParameter, Period

# Who may place a worker, who reads the ledger, who records préfet derogations.
PLACEMENT_WRITE_ROLES = frozenset({Role.PLANNER, Role.DIRECTION, Role.HR})
LEDGER_READ_ROLES = PLACEMENT_WRITE_ROLES | {Role.CIP, Role.ACCOUNTANT}
DEROGATION_ROLES = frozenset({Role.DIRECTION})

# Code du travail, art. L5132-7 and L5132-8: the AI hires its salariés to place them; in
# Tremplin a MAD is a mission order under a CDD d'usage (one CDDU per MAD) or a CDDUA (several
# mission orders under one contract, domain §2.1 and §2.2).
PLACEMENT_CONTRACT_KINDS = frozenset({ContractKind.CDDU, ContractKind.CDDUA})
SINGLE_PLACEMENT_KINDS = frozenset({ContractKind.CDDU})

_CT = "Code du travail"

MAX_DAILY_HOURS: DatedParameter[Decimal] = DatedParameter(
    "max_daily_work_hours",
    "Durée quotidienne maximale de travail effectif",
    (
        # 10 h by default (art. L3121-18), up to 12 h by collective agreement (art. L3121-19):
        # the higher bound is kept so that no lawful placement is refused.
        Period(
            Decimal(12),
            contract_rules.RECORDED_FROM,
            None,
            f"{_CT}, art. L3121-18 et L3121-19",
        ),
    ),
)


def _day(value: date) -> str:
    return dates.format_date(value)


def placement_contract_errors(
    *, contract_kind: ContractKind, entity_is_ai: bool, placements_on_contract: int
) -> list[str]:
    """Return the French messages of why a contract cannot carry one more placement.

    Code du travail, art. L5132-7: only an association intermédiaire places its salariés with
    clients; its contract is a CDDU (one per MAD) or a CDDUA (mission orders under it).
    """
    errors: list[str] = []
    if not entity_is_ai:
        errors.append(
            "Contrat : la mise à disposition est réservée aux salariés d'une association "
            f"intermédiaire (art. L5132-7 du {_CT}) ; l'employeur de ce contrat n'a pas de "
            "convention d'association intermédiaire."
        )
    if contract_kind not in PLACEMENT_CONTRACT_KINDS:
        errors.append(
            "Contrat : une mise à disposition se rattache à un CDDU ou à un CDDUA "
            f"(art. L5132-7 du {_CT}) ; ce contrat est un {contract_kind.label}."
        )
    elif contract_kind in SINGLE_PLACEMENT_KINDS and placements_on_contract > 0:
        errors.append(
            "Contrat : un CDDU couvre une seule mise à disposition et celui-ci en porte déjà "
            "une ; établissez un nouveau CDDU ou un CDDUA avec ordres de mission."
        )
    return errors


def placement_errors(
    *,
    contract_kind: ContractKind,
    entity_is_ai: bool,
    placements_on_contract: int,
    contract_start: date,
    contract_end: date | None,
    start: date,
    end: date,
    hours: Decimal,
) -> dict[str, list[str]]:
    """Return the French messages, by form field (``__all__`` for the contract), of a placement.

    Besides :func:`placement_contract_errors`: the placement lies within its contract, ends on
    or after its start, and plans no more than the legal daily maximum on each of its days
    (art. L3121-18 and L3121-19). The cap and the economic-dismissal ban are checked when saving
    (``contracts.rules.mad_cap_status``), against all the salarié's placements.
    """
    errors: dict[str, list[str]] = {}
    if contract_messages := placement_contract_errors(
        contract_kind=contract_kind,
        entity_is_ai=entity_is_ai,
        placements_on_contract=placements_on_contract,
    ):
        errors["__all__"] = contract_messages
    if start < contract_start:
        errors.setdefault("start", []).append(
            f"La mise à disposition ne peut pas commencer avant le début du contrat "
            f"({_day(contract_start)})."
        )
    if end < start:
        errors.setdefault("end", []).append(
            f"La fin de la mise à disposition ne peut pas précéder son début ({_day(start)})."
        )
    elif contract_end is not None and end > contract_end:
        errors.setdefault("end", []).append(
            f"La mise à disposition ne peut pas se terminer après la fin du contrat "
            f"({_day(contract_end)})."
        )
    if end >= start:
        days = (end - start).days + 1
        daily = MAX_DAILY_HOURS.on(start)
        if hours > daily * days:
            errors.setdefault("hours", []).append(
                f"{format_decimal(hours)} h sur {days} jour{'s' if days > 1 else ''} dépassent "
                f"la durée quotidienne maximale de travail ({format_decimal(daily)} h par jour, "
                f"art. L3121-18 et L3121-19 du {_CT}) : {format_decimal(daily * days)} h au plus."
            )
    return errors


def next_mission_order_number(numbers: Iterable[str]) -> str:
    """Return the next mission-order number of a contract: one more than the highest number.

    Numbers are free text; only those made of digits count for the sequence, so the result
    (above every numeric one) never repeats an existing number.

    >>> next_mission_order_number([]), next_mission_order_number(["1", "2", "OM-7"])
    ('1', '3')
    """
    numeric = [int(n) for n in (n.strip() for n in numbers) if n.isdigit()]
    return str(max(numeric, default=0) + 1)


class PlacementDecision(models.TextChoices):
    ACCEPTED = "ACCEPTED", "Acceptée"
    TO_CONFIRM = "TO_CONFIRM", "À confirmer (seuil d'alerte)"
    REFUSED = "REFUSED", "Refusée"


@dataclass(frozen=True, slots=True)
class PlacementCheck:
    """What happens to a proposed placement, with the cap status it was decided on.

    ``field`` names the form field the message is about: ``client`` when the client's economic
    dismissal bars it, ``hours`` for the cap.
    """

    decision: PlacementDecision
    status: MadCapStatus
    field: str


def check_placement(
    existing: Iterable[contract_rules.Placement],
    *,
    proposed: contract_rules.Placement,
    derogations: Sequence[tuple[date, date]] = (),
    today: date,
    warning_acknowledged: bool,
) -> PlacementCheck:
    """Decide on a proposed placement from the cap status of all the salarié's placements.

    Code du travail, art. L5132-9, R5132-18 2° and D5132-18-1 (``mad_cap_status``): REFUSED
    placements are never saved; at the warning threshold (80 % of the cap, a management choice)
    the planner confirms having read the warning before the placement is saved.
    """
    status = contract_rules.mad_cap_status(
        existing, proposed=proposed, derogations=derogations, today=today
    )
    dismissal_on = proposed.client_economic_dismissal_on
    field = (
        "client"
        if dismissal_on is not None
        and contract_rules.economic_dismissal_blocks(dismissal_on, proposed.day)
        else "hours"
    )
    if status.state == MadCapState.REFUSED:
        decision = PlacementDecision.REFUSED
    elif status.state == MadCapState.WARNING and not warning_acknowledged:
        decision = PlacementDecision.TO_CONFIRM
    else:
        decision = PlacementDecision.ACCEPTED
    return PlacementCheck(decision=decision, status=status, field=field)


class LedgerState(models.TextChoices):
    NONE = "NONE", "Aucune période en cours"
    OK = "OK", "Dans la limite"
    WARNING = "WARNING", "Seuil d'alerte atteint"
    FULL = "FULL", "Plafond atteint"
    OVER = "OVER", "Plafond dépassé"


@dataclass(frozen=True, slots=True)
class MadLedger:
    """The cap counters of one salarié in one AI on ``today``.

    ``current`` is the window holding ``today`` (None when the salarié has no company placement
    in the last 24 months or planned); ``windows`` are all the windows, oldest first.
    """

    windows: tuple[MadWindow, ...]
    current: MadWindow | None
    hours_used: Decimal
    hours_left: Decimal
    cap: Decimal
    percent: Decimal
    warning_percent: Decimal
    state: LedgerState

    @property
    def meter_value(self) -> Decimal:
        """The hours to show on a bar that cannot go past the cap."""
        return min(self.hours_used, self.cap)

    @property
    def warning_hours(self) -> Decimal:
        """The hours at which the warning threshold is reached."""
        return self.cap * self.warning_percent / 100

    @property
    def excess(self) -> Decimal:
        """Hours beyond the cap in the current window (placed under a derogation, or imported)."""
        return max(self.hours_used - self.cap, Decimal(0))

    @property
    def reopens_on(self) -> date | None:
        """The first day of the next window: company placements count afresh from then."""
        return self.current.end + timedelta(days=1) if self.current is not None else None


def mad_ledger(placements: Iterable[contract_rules.Placement], *, today: date) -> MadLedger:
    """Count the company hours of the current 24-month window (art. R5132-18 2°).

    Uses the anchored windows of ``contracts.rules.mad_windows``; the warning threshold is the
    one of ``mad_cap_status`` (80 % of the cap, read on ``today``).
    """
    windows = tuple(contract_rules.mad_windows(placements))
    current = next((w for w in windows if w.start <= today <= w.end), None)
    warning_share = MAD_WARNING_SHARE.on(today)
    cap = current.cap if current is not None else contract_rules.MAD_CAP_HOURS.on(today)
    used = current.hours if current is not None else Decimal(0)
    percent = (used * 100 / cap).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if current is None:
        state = LedgerState.NONE
    elif used > cap:
        state = LedgerState.OVER
    elif used == cap:
        state = LedgerState.FULL
    elif used >= cap * warning_share:
        state = LedgerState.WARNING
    else:
        state = LedgerState.OK
    return MadLedger(
        windows=windows,
        current=current,
        hours_used=used,
        hours_left=max(cap - used, Decimal(0)),
        cap=cap,
        percent=percent,
        warning_percent=warning_share * 100,
        state=state,
    )


def derogation_in_force(derogations: Iterable[tuple[date, date]], day: date) -> bool:
    """Say whether a préfet derogation (inclusive range, art. D5132-18-1) covers ``day``."""
    return any(valid_from <= day <= valid_to for valid_from, valid_to in derogations)


def derogation_overlap_errors(
    valid_from: date, valid_to: date, existing: Iterable[tuple[date, date]]
) -> list[str]:
    """Return the French messages of the recorded derogations a new one would overlap.

    Art. D5132-18-1: a derogation lasts at most 3 years and is renewed by a new decision, which
    starts after the previous one ends; two decisions never cover the same day.
    """
    return [
        f"Début de la dérogation : la période chevauche la dérogation du {_day(start)} au "
        f"{_day(end)} ; un renouvellement commence au plus tôt le {_day(end + timedelta(days=1))}."
        for start, end in sorted(existing)
        if valid_from <= end and start <= valid_to
    ]
