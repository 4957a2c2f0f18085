"""The URSSAF "API Tiers de prestation" of the avance immédiate, behind an interface.

``UrssafGateway`` is what the actions need: a token, registering a household, its account
status, sending a payment request and reading the status of requests. ``HttpUrssafGateway``
speaks the published API (OAuth2 client credentials, JSON over HTTPS) with the standard library
only; ``fake_urssaf.FakeUrssaf`` is a local server that follows the same flow, for the tests
and for development. What the API contract confirms and what is assumed is written down in
``docs/algorithms/sap.md``.

The gateway is configured by ``URSSAF_API_URL``, ``URSSAF_CLIENT_ID`` and
``URSSAF_CLIENT_SECRET`` (settings, read from the environment); without them the feature is
shown as not configured.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

TOKEN_PATH = "/api/oauth/v1/token"
API_PATH = "/atp/v1/tiersPrestations"
SCOPE = "homeplus.tiersprestations"
TIMEOUT_SECONDS = 15
# A token is renewed this many seconds before it expires.
TOKEN_MARGIN_SECONDS = 30
# The API takes at most this many payment requests per call.
MAX_REQUESTS_PER_CALL = 10

NOT_CONFIGURED_MESSAGE = (
    "L'avance immédiate n'est pas configurée : l'adresse de l'API Tiers de prestation et les "
    "identifiants délivrés par l'URSSAF (URSSAF_API_URL, URSSAF_CLIENT_ID, "
    "URSSAF_CLIENT_SECRET) manquent. Demandez à l'administrateur de les renseigner."
)


class UrssafError(Exception):
    """URSSAF refused the call (a functional error: ``code`` is the API's error code)."""

    def __init__(self, code: str, message: str, description: str = "") -> None:
        super().__init__(f"{code} : {message}" + (f" ({description})" if description else ""))
        self.code = code
        self.message = message
        self.description = description


class UrssafUnavailable(UrssafError):
    """The API could not be reached or answered with a technical error: try again later."""


# --- What goes in and out ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PostalAddress:
    postal_code: str
    commune_code: str  # INSEE code of the commune, not the postal code
    commune_label: str
    street_number: str = ""
    street_letter: str = ""  # B (bis), T (ter), Q (quater), C (quinquies)
    street_type: str = ""  # INSEE street type code: R, AV, BD, CHE…
    street_name: str = ""
    complement: str = ""
    locality: str = ""  # lieu-dit
    country_code: str = "99100"


@dataclass(frozen=True, slots=True)
class Household:
    """A household to register (InputParticulierDTO)."""

    civility: str  # "1" Monsieur, "2" Madame
    birth_name: str
    first_names: str
    birth_date: date
    birth_country_code: str
    mobile: str
    email: str
    address: PostalAddress
    iban: str
    bic: str
    account_holder: str
    usual_name: str = ""
    birth_department: str = ""  # 3 characters, when born in France
    birth_commune_code: str = ""  # 3 characters, when born in France
    birth_commune_label: str = ""


@dataclass(frozen=True, slots=True)
class ClientAccount:
    """The state of a household's account (the particulier status call)."""

    urssaf_id: str
    code: str
    description: str
    active: bool


@dataclass(frozen=True, slots=True)
class ServiceLine:
    """One service of a payment request (InputPrestation)."""

    nature_code: str
    quantity: Decimal
    per_hour: bool
    unit_incl_tax: Decimal
    incl_tax: Decimal
    excl_tax: Decimal
    vat: Decimal
    first_day: date | None = None
    last_day: date | None = None
    complement1: str = ""
    complement2: str = ""


@dataclass(frozen=True, slots=True)
class PaymentRequestData:
    """One invoice sent as a payment request (InputDemandePaiement)."""

    client_id: str
    client_birth_date: date
    invoice_number: str
    invoice_date: date
    first_day: date
    last_day: date
    incl_tax: Decimal
    excl_tax: Decimal
    lines: tuple[ServiceLine, ...]
    billing_id: str = ""


@dataclass(frozen=True, slots=True)
class Submission:
    """URSSAF's answer to one payment request: its id and status, or the errors that reject
    it (``urssaf_id`` empty)."""

    invoice_number: str
    urssaf_id: str
    status_code: str
    errors: tuple[UrssafError, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """What URSSAF says of one payment request (InfoDemandePaiement)."""

    urssaf_id: str
    status_code: str
    status_label: str
    rejection_code: str = ""
    rejection_comment: str = ""
    transfer_amount: Decimal | None = None
    transfer_date: date | None = None


class UrssafGateway(Protocol):
    """The operations of the API Tiers de prestation the avance immédiate needs."""

    def token(self) -> str:
        """An OAuth2 access token (client credentials)."""
        ...

    def register_client(self, household: Household) -> str:
        """Register a household; return its URSSAF id (idClient). Raises ``UrssafError``."""
        ...

    def client_status(self, urssaf_id: str) -> ClientAccount: ...

    def submit_payment_request(self, request: PaymentRequestData) -> Submission: ...

    def payment_request_status(self, urssaf_ids: list[str]) -> list[RequestInfo]: ...


# --- JSON as the API writes it -------------------------------------------------------------


def api_datetime(day: date) -> str:
    """``date(2026, 3, 1)`` → ``"2026-03-01T00:00:00Z"``, the API's date format."""
    return f"{day.isoformat()}T00:00:00Z"


def parse_api_date(text: str | None) -> date | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).date()


def to_json(value: Any) -> str:
    """JSON text with ``Decimal`` written as exact JSON numbers (never through a float)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def household_payload(household: Household) -> dict[str, Any]:
    address = household.address
    postal: dict[str, Any] = {
        "codePays": address.country_code,
        "codePostal": address.postal_code,
        "codeCommune": address.commune_code,
        "libelleCommune": address.commune_label,
    }
    for key, value in (
        ("numeroVoie", address.street_number),
        ("lettreVoie", address.street_letter),
        ("codeTypeVoie", address.street_type),
        ("libelleVoie", address.street_name),
        ("complement", address.complement),
        ("lieuDit", address.locality),
    ):
        if value:
            postal[key] = value
    birth_place: dict[str, Any] = {"codePaysNaissance": household.birth_country_code}
    if household.birth_department:
        birth_place["departementNaissance"] = household.birth_department
        birth_place["communeNaissance"] = {"codeCommune": household.birth_commune_code}
        if household.birth_commune_label:
            birth_place["communeNaissance"]["libelleCommune"] = household.birth_commune_label
    payload: dict[str, Any] = {
        "civilite": household.civility,
        "nomNaissance": household.birth_name,
        "prenoms": household.first_names,
        "dateNaissance": api_datetime(household.birth_date),
        "lieuNaissance": birth_place,
        "numeroTelephonePortable": household.mobile,
        "adresseMail": household.email,
        "adressePostale": postal,
        "coordonneeBancaire": {
            "bic": household.bic,
            "iban": household.iban,
            "titulaire": household.account_holder,
        },
    }
    if household.usual_name:
        payload["nomUsage"] = household.usual_name
    return payload


def payment_request_payload(request: PaymentRequestData) -> dict[str, Any]:
    lines = []
    for line in request.lines:
        item: dict[str, Any] = {
            "codeNature": line.nature_code,
            "quantite": line.quantity,
            "unite": "HEURE" if line.per_hour else "FORFAIT",
            "mntUnitaireTTC": line.unit_incl_tax,
            "mntPrestationTTC": line.incl_tax,
            "mntPrestationHT": line.excl_tax,
            "mntPrestationTVA": line.vat,
        }
        if line.first_day:
            item["dateDebutEmploi"] = api_datetime(line.first_day)
        if line.last_day:
            item["dateFinEmploi"] = api_datetime(line.last_day)
        if line.complement1:
            item["complement1"] = line.complement1
        if line.complement2:
            item["complement2"] = line.complement2
        lines.append(item)
    return {
        # Required by the contract, not used by URSSAF to route the payment [?].
        "idTiersFacturation": request.billing_id or request.invoice_number,
        "idClient": request.client_id,
        "dateNaissanceClient": api_datetime(request.client_birth_date),
        "numFactureTiers": request.invoice_number,
        "dateFacture": api_datetime(request.invoice_date),
        "dateDebutEmploi": api_datetime(request.first_day),
        "dateFinEmploi": api_datetime(request.last_day),
        "mntFactureTTC": request.incl_tax,
        "mntFactureHT": request.excl_tax,
        "inputPrestations": lines,
    }


def _errors(items: Any) -> tuple[UrssafError, ...]:
    if isinstance(items, dict):
        items = items.get("errors") or [items]
    if not isinstance(items, list):
        return ()
    return tuple(
        UrssafError(
            str(e.get("code") or "ERREUR"),
            str(e.get("message") or ""),
            str(e.get("description") or ""),
        )
        for e in items
        if isinstance(e, dict)
    )


# --- The HTTP gateway ----------------------------------------------------------------------


class HttpUrssafGateway:
    """The API over HTTP(S), with ``urllib`` and ``json`` only."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        loopback = parsed.hostname in {"127.0.0.1", "localhost", "::1"}
        if parsed.scheme != "https" and not (parsed.scheme == "http" and loopback):
            raise ValueError(
                "L'adresse de l'API URSSAF doit commencer par https:// (http:// n'est admis que "
                "pour un serveur local de test)."
            )
        self.base_url = base_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._timeout = timeout
        self._token = ""
        self._token_expires = 0.0

    def token(self) -> str:
        if self._token and time.monotonic() < self._token_expires:
            return self._token
        credentials = base64.b64encode(f"{self._client_id}:{self._client_secret}".encode())
        body = urllib.parse.urlencode({"grant_type": "client_credentials", "scope": SCOPE})
        request = urllib.request.Request(
            self.base_url + TOKEN_PATH,
            data=body.encode(),
            method="POST",
            headers={
                "Authorization": f"Basic {credentials.decode()}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
        )
        status, answer = self._send(request)
        if status in {400, 401, 403}:
            raise UrssafUnavailable(
                "AUTHENTIFICATION",
                "L'URSSAF refuse les identifiants de l'API (URSSAF_CLIENT_ID, "
                "URSSAF_CLIENT_SECRET) : vérifiez-les.",
            )
        if status != 200 or not isinstance(answer, dict) or not answer.get("access_token"):
            raise UrssafUnavailable("JETON", "L'URSSAF n'a pas délivré de jeton d'accès.")
        self._token = str(answer["access_token"])
        lifetime = int(answer.get("expires_in") or 0)
        self._token_expires = time.monotonic() + max(0, lifetime - TOKEN_MARGIN_SECONDS)
        return self._token

    def register_client(self, household: Household) -> str:
        answer = self._call("POST", "/particulier", household_payload(household))
        if not isinstance(answer, dict) or not answer.get("idClient"):
            raise UrssafUnavailable("REPONSE", "L'URSSAF n'a pas renvoyé d'identifiant client.")
        return str(answer["idClient"])

    def client_status(self, urssaf_id: str) -> ClientAccount:
        query = urllib.parse.urlencode({"idClient": urssaf_id})
        answer = self._call("GET", f"/particulier?{query}", None)
        status = answer.get("statut") if isinstance(answer, dict) else None
        if not isinstance(status, dict):
            raise UrssafUnavailable("REPONSE", "L'URSSAF n'a pas renvoyé l'état du compte.")
        return ClientAccount(
            urssaf_id=str(answer.get("idClient") or urssaf_id),
            code=str(status.get("code") or ""),
            description=str(status.get("description") or ""),
            active=status.get("etat") == "OK",
        )

    def submit_payment_request(self, request: PaymentRequestData) -> Submission:
        answer = self._call("POST", "/demandePaiement", [payment_request_payload(request)])
        if not isinstance(answer, list) or not answer or not isinstance(answer[0], dict):
            raise UrssafUnavailable("REPONSE", "L'URSSAF n'a pas renvoyé le sort de la demande.")
        item = answer[0]
        return Submission(
            invoice_number=str(item.get("numFactureTiers") or request.invoice_number),
            urssaf_id=str(item.get("idDemandePaiement") or ""),
            status_code=str(item.get("statut") or ""),
            errors=_errors(item.get("errors") or []),
        )

    def payment_request_status(self, urssaf_ids: list[str]) -> list[RequestInfo]:
        answer = self._call(
            "POST", "/demandePaiement/rechercher", {"idDemandePaiements": list(urssaf_ids)}
        )
        items = answer.get("infoDemandePaiements") if isinstance(answer, dict) else None
        infos = []
        for item in items or []:
            status = item.get("statut") or {}
            rejection = item.get("infoRejet") or {}
            transfer = item.get("infoVirement") or {}
            amount = transfer.get("mntVirement")
            infos.append(
                RequestInfo(
                    urssaf_id=str(item.get("idDemandePaiement") or ""),
                    status_code=str(status.get("code") or ""),
                    status_label=str(status.get("libelle") or ""),
                    rejection_code=str(rejection.get("code") or ""),
                    rejection_comment=str(rejection.get("commentaire") or ""),
                    transfer_amount=None if amount is None else Decimal(str(amount)),
                    transfer_date=parse_api_date(transfer.get("dateVirement")),
                )
            )
        return infos

    # The API answers 400 with a list of errors for a functional refusal, 401 for a missing or
    # expired token (asked again once), 403/500/503 for refusals and technical errors.
    def _call(self, method: str, path: str, body: Any, *, retry: bool = True) -> Any:
        data = None if body is None else to_json(body).encode()
        request = urllib.request.Request(
            self.base_url + API_PATH + path,
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self.token()}",
                "Accept": "application/json",
                **({"Content-Type": "application/json"} if data is not None else {}),
            },
        )
        status, answer = self._send(request)
        if status == 401 and retry:
            self._token = ""
            return self._call(method, path, body, retry=False)
        if status == 400:
            errors = _errors(answer)
            raise errors[0] if errors else UrssafError("REQUETE", "Requête refusée par l'URSSAF.")
        if status == 200:
            return answer
        raise UrssafUnavailable(
            f"HTTP_{status}",
            "Le service de l'URSSAF est indisponible pour le moment : réessayez plus tard.",
        )

    def _send(self, request: urllib.request.Request) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                return response.status, _read_json(response.read())
        except urllib.error.HTTPError as exc:
            try:
                raw = exc.read() if exc.fp is not None else b""
            finally:
                exc.close()
            return exc.code, _read_json(raw)
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise UrssafUnavailable(
                "RESEAU", f"L'API de l'URSSAF ne répond pas ({exc}) : réessayez plus tard."
            ) from exc


def _read_json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw, parse_float=Decimal)
    except ValueError:
        return None


def configured_gateway() -> UrssafGateway | None:
    """The gateway of the settings, ``None`` when the avance immédiate is not configured
    (``ImproperlyConfigured`` when its address is not an HTTPS one)."""
    url = getattr(settings, "URSSAF_API_URL", "")
    client_id = getattr(settings, "URSSAF_CLIENT_ID", "")
    secret = getattr(settings, "URSSAF_CLIENT_SECRET", "")
    if not (url and client_id and secret):
        return None
    try:
        return HttpUrssafGateway(url, client_id, secret)
    except ValueError as exc:
        raise ImproperlyConfigured(str(exc)) from exc
