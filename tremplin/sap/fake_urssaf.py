"""A local stand-in for the URSSAF API Tiers de prestation: an ``http.server`` in a thread,
state in memory.

It follows the published flow (API contract 1.29.1 and URSSAF's FAQ, see
``docs/algorithms/sap.md``): an OAuth2 client-credentials token; registering a household, which
the tax administration must know, and which then activates its account on particulier.urssaf.fr;
payment requests checked and integrated (status 10), shown to the household (20), validated by
it or deemed validated 48 hours after they were sent (30), contested (40), debited from the
household (50) and paid to the provider (70); requests rejected at submission carry error codes.
The household's own actions (activating the account, validating, contesting) are methods of
:class:`FakeUrssaf`, called by the tests as the household would click on its URSSAF space.

The tests drive the real ``HttpUrssafGateway`` against it; ``manage.py fake_urssaf`` serves it
for development.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumError

from tremplin.sap.urssaf import API_PATH, SCOPE, TOKEN_PATH, to_json

# The server's own rules, written independently of the application's parameters.
VALIDATION_WINDOW = timedelta(hours=48)
DEBIT_DELAY = timedelta(days=2)  # the household is debited two days after validation [?]
TRANSFER_DELAY = timedelta(days=4)  # the provider is paid four days after validation [?]
TOKEN_LIFETIME = timedelta(hours=1)
MAX_REQUESTS_PER_CALL = 10
CENT = Decimal("0.01")

STATUS_LABELS = {
    "10": "Intégrée",
    "15": "Aides calculées",
    "20": "En attente de validation",
    "30": "Validée",
    "40": "Refusée",
    "50": "Prélevée",
    "60": "En refus de prélèvement",
    "70": "Payée",
    "110": "Annulée",
}

_NAME = re.compile(r"^[^\W\d_]+(?:[ '\-][^\W\d_]+|[^\W\d_])*$")
_PATTERNS = {
    "civilite": re.compile(r"^[12]$"),
    "codePaysNaissance": re.compile(r"^\d{5}$"),
    "departementNaissance": re.compile(r"^[09]\d[\dabAB]$"),
    "codeCommuneNaissance": re.compile(r"^\d{3}$"),
    "numeroTelephonePortable": re.compile(r"^(0|\+33)[67](\d{2}){4}$"),
    "adresseMail": re.compile(
        r"^[-A-Za-z0-9_]+(\.[-A-Za-z0-9_]+)*@[A-Za-z0-9]+((-|\.)[A-Za-z0-9]+)*\.[A-Za-z]+$"
    ),
    "codeCommune": re.compile(r"^\d[\dabAB]\d{3}$"),
    "codePostal": re.compile(r"^\d{5}$"),
    "codePays": re.compile(r"^\d{5}$"),
    "bic": re.compile(r"^[a-zA-Z]{6}[0-9a-zA-Z]{2}([0-9a-zA-Z]{3})?$"),
    "iban": re.compile(r"^[a-zA-Z]{2}\d{2}[a-zA-Z0-9]{4}\d{7}([a-zA-Z0-9]?){0,16}$"),
}


class ApiError(Exception):
    def __init__(self, code: str, message: str, description: str = "") -> None:
        super().__init__(code)
        self.body = {"code": code, "message": message, "description": description}


def _now() -> datetime:
    return datetime.now(UTC)


def _key(*parts: str) -> str:
    text = " ".join(parts)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"\s+", " ", text).strip().casefold()


def _date(value: Any, name: str) -> date:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).date()
    except ValueError as exc:
        raise ApiError(
            "PARAM_INVALIDE", "Requête incorrecte", f"Le format du champ {name} est incorrect"
        ) from exc


def _amount(value: Any, name: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise ApiError(
            "PARAM_INVALIDE", "Requête incorrecte", f"Le champ {name} n'est pas un nombre"
        ) from exc
    if amount < 0:
        raise ApiError("ERR_VALEUR_NEGATIVE", "Valeur négative", f"Le champ {name} est négatif")
    return amount


@dataclass
class Particulier:
    urssaf_id: str
    identity: str
    birth_date: date
    birth_name: str
    usual_name: str
    first_names: str
    registered_at: datetime
    status: str = "APPAREILLAGE_EC"
    activated_at: datetime | None = None


@dataclass
class PaymentRequest:
    urssaf_id: str
    client_id: str
    invoice_number: str
    payload: dict[str, Any]
    incl_tax: Decimal
    created_at: datetime
    status: str = "10"
    validated_at: datetime | None = None
    rejection: dict[str, str] = field(default_factory=dict)


class FakeUrssaf:
    """The API in memory. ``known_taxpayers_only``: registrations need an identity added with
    :meth:`add_taxpayer` (the tax administration's check); ``auto_activate``: households
    activate their account at once (development)."""

    def __init__(
        self,
        *,
        client_id: str = "tremplin-essai",
        client_secret: str = "secret-essai",
        known_taxpayers_only: bool = True,
        auto_activate: bool = False,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.known_taxpayers_only = known_taxpayers_only
        self.auto_activate = auto_activate
        self.taxpayers: set[str] = set()
        self.particuliers: dict[str, Particulier] = {}
        self.payment_requests: dict[str, PaymentRequest] = {}
        self.tokens: dict[str, datetime] = {}
        self.calls: list[tuple[str, str]] = []
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- Serving ---------------------------------------------------------------------------

    def start(self, port: int = 0) -> str:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the fake server first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeUrssaf:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- What the tax administration and the household do ----------------------------------

    def add_taxpayer(self, birth_name: str, first_names: str, birth_date: date) -> None:
        """Make an identity known to the tax administration (it filed a tax return)."""
        with self._lock:
            self.taxpayers.add(_key(birth_name, first_names.split()[0], birth_date.isoformat()))

    def activate(self, urssaf_id: str) -> None:
        """The household activates its account through the link URSSAF e-mailed to it."""
        with self._lock:
            particulier = self.particuliers[urssaf_id]
            particulier.status = "APPAREILLAGE_VALIDE"
            particulier.activated_at = _now()

    def block(self, urssaf_id: str) -> None:
        """URSSAF blocks the account (a debit of the household was refused)."""
        with self._lock:
            self.particuliers[urssaf_id].status = "PARTICULIER_BLOQUE"

    def validate(self, request_id: str) -> None:
        """The household validates a payment request on its URSSAF space."""
        with self._lock:
            request = self._advanced(request_id)
            if request.status != "20":
                raise ValueError(f"request {request_id} is {request.status}, not awaiting")
            request.status = "30"
            request.validated_at = _now()

    def contest(self, request_id: str, code: str = "CONTEST_ERR_FACT", comment: str = "") -> None:
        """The household answers "je ne peux pas valider la prestation", with a reason."""
        with self._lock:
            request = self._advanced(request_id)
            if request.status != "20":
                raise ValueError(f"request {request_id} is {request.status}, not awaiting")
            request.status = "40"
            request.rejection = {"code": code, "commentaire": comment}

    def cancel(self, request_id: str, code: str = "ANNUL_ERR_MNT") -> None:
        """URSSAF cancels a request (at the provider's demand or after a check)."""
        with self._lock:
            request = self._advanced(request_id)
            request.status = "110"
            request.rejection = {"code": code, "commentaire": ""}

    # --- The API ---------------------------------------------------------------------------

    def issue_token(self, authorization: str, form: dict[str, list[str]]) -> dict[str, Any]:
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if (
            authorization != f"Basic {expected}"
            or form.get("grant_type") != ["client_credentials"]
            or SCOPE not in " ".join(form.get("scope", []))
        ):
            raise PermissionError
        token = secrets.token_urlsafe(24)
        with self._lock:
            self.tokens[token] = _now() + TOKEN_LIFETIME
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": int(TOKEN_LIFETIME.total_seconds()),
            "scope": SCOPE,
        }

    def authorised(self, authorization: str) -> bool:
        token = authorization.removeprefix("Bearer ").strip()
        with self._lock:
            expires = self.tokens.get(token)
        return expires is not None and _now() < expires

    def register(self, body: Any) -> dict[str, Any]:
        data = _check_particulier(body)
        identity = _key(
            data["nomNaissance"], data["prenoms"].split()[0], data["dateNaissance"].isoformat()
        )
        with self._lock:
            if self.known_taxpayers_only and identity not in self.taxpayers:
                raise ApiError(
                    "ERR_DGFIP_R2P_INCONNU",
                    "Identification DGFiP échouée",
                    "Aucun SPI ne correspond à la personne, vérifier l'état civil communiqué.",
                )
            for particulier in self.particuliers.values():
                if particulier.identity == identity:
                    # Already known: URSSAF asks the household to accept the new provider.
                    return {"idClient": particulier.urssaf_id}
            particulier = Particulier(
                urssaf_id=str(uuid.uuid4()),
                identity=identity,
                birth_date=data["dateNaissance"],
                birth_name=data["nomNaissance"],
                usual_name=data.get("nomUsage", ""),
                first_names=data["prenoms"],
                registered_at=_now(),
            )
            self.particuliers[particulier.urssaf_id] = particulier
            if self.auto_activate:
                particulier.status = "APPAREILLAGE_VALIDE"
                particulier.activated_at = particulier.registered_at
        return {"idClient": particulier.urssaf_id}

    def particulier(self, urssaf_id: str) -> dict[str, Any]:
        with self._lock:
            particulier = self.particuliers.get(urssaf_id)
        if particulier is None:
            raise ApiError("ERR_PARTICULIER_INCONNU", "Particulier inconnu")
        description, state = {
            "APPAREILLAGE_EC": (
                "Transmission DP impossible, appareillage en cours de traitement",
                "KO",
            ),
            "APPAREILLAGE_VALIDE": (
                "Compte activé le "
                + (particulier.activated_at or particulier.registered_at).strftime("%d/%m/%Y"),
                "OK",
            ),
            "PARTICULIER_BLOQUE": ("Compte bloqué", "KO"),
        }[particulier.status]
        return {
            "idClient": particulier.urssaf_id,
            "nomNaissance": particulier.birth_name,
            "nomUsage": particulier.usual_name,
            "prenoms": particulier.first_names,
            "statut": {"code": particulier.status, "description": description, "etat": state},
        }

    def submit(self, body: Any) -> list[dict[str, Any]]:
        if not isinstance(body, list) or not body:
            raise ApiError("PARAM_INVALIDE", "Requête incorrecte", "Une liste est attendue")
        if len(body) > MAX_REQUESTS_PER_CALL:
            raise ApiError(
                "ERR_NBRE_PREST_MAX",
                "Nombre maximum de factures dépassé",
                f"{MAX_REQUESTS_PER_CALL} demandes de paiement au plus par appel.",
            )
        answers = []
        for item in body:
            item = item if isinstance(item, dict) else {}
            base = {k: item.get(k) for k in ("idClient", "numFactureTiers")}
            try:
                request = self._integrate(item)
            except ApiError as exc:
                answers.append(base | {"errors": [exc.body]})
            else:
                answers.append(base | {"idDemandePaiement": request.urssaf_id, "statut": "10"})
        return answers

    def search(self, body: Any) -> dict[str, Any]:
        body = body if isinstance(body, dict) else {}
        ids = body.get("idDemandePaiements") or []
        start, end = body.get("dateDebut"), body.get("dateFin")
        if not ids and not (start and end):
            raise ApiError(
                "ERR_CRITERE_RECHERCHE_VIDE",
                "Critère de recherche vide",
                "Au minimum un critère de recherche doit être renseigné.",
            )
        with self._lock:
            if ids:
                found = [self._advanced(i) for i in ids if i in self.payment_requests]
            else:
                first, last = _date(start, "dateDebut"), _date(end, "dateFin")
                found = [
                    self._advanced(r.urssaf_id)
                    for r in self.payment_requests.values()
                    if first <= _date(r.payload["dateFacture"], "dateFacture") <= last
                ]
            infos = [_info(r) for r in found]
        answer: dict[str, Any] = {"infoDemandePaiements": infos}
        if not infos:
            answer["errors"] = [
                {
                    "code": "ERR_RECHERCHE_VIDE",
                    "message": "Aucun résultat",
                    "description": "Aucune demande de paiement ne correspond aux critères.",
                }
            ]
        return answer

    # --- Internals -------------------------------------------------------------------------

    def _integrate(self, item: dict[str, Any]) -> PaymentRequest:
        for name in (
            "idTiersFacturation",
            "idClient",
            "dateNaissanceClient",
            "numFactureTiers",
            "dateFacture",
            "dateDebutEmploi",
            "dateFinEmploi",
            "mntFactureTTC",
            "mntFactureHT",
            "inputPrestations",
        ):
            if item.get(name) in (None, "", []):
                raise ApiError(
                    "PARAM_INVALIDE", "Requête incorrecte", f"Le champ {name} est obligatoire"
                )
        first = _date(item["dateDebutEmploi"], "dateDebutEmploi")
        last = _date(item["dateFinEmploi"], "dateFinEmploi")
        if (first.year, first.month) != (last.year, last.month) or last < first:
            raise ApiError(
                "ERR_PERIODE_EMPLOI_MOIS_NON_UNIQUE",
                "Période d'emploi sur plusieurs mois",
                "Les dates de début et de fin doivent être dans le même mois calendaire.",
            )
        if last > _now().date():
            raise ApiError("ERR_DATE_FUTUR", "Date dans le futur")
        total_incl = _amount(item["mntFactureTTC"], "mntFactureTTC")
        total_excl = _amount(item["mntFactureHT"], "mntFactureHT")
        _check_lines(item["inputPrestations"], total_incl, total_excl)
        with self._lock:
            particulier = self.particuliers.get(str(item["idClient"]))
            birth = _date(item["dateNaissanceClient"], "dateNaissanceClient")
            if particulier is None or particulier.birth_date != birth:
                raise ApiError(
                    "ERR_PARTICULIER_INCONNU",
                    "Particulier inconnu",
                    "L'identifiant du particulier n'est pas reconnu ou la date de naissance ne "
                    "correspond pas.",
                )
            if particulier.status == "PARTICULIER_BLOQUE":
                raise ApiError("ERR_CMPT_BLOQUE", "Compte du particulier bloqué")
            if (
                particulier.status != "APPAREILLAGE_VALIDE"
                or particulier.registered_at.date() > first
            ):
                raise ApiError(
                    "ERR_LIEN_PARTICULIER_PRESTATAIRE",
                    "Aucun lien Particulier/Prestataire",
                    "Vérifiez que le particulier a activé son compte et que la date d'emploi "
                    "est valide.",
                )
            number = str(item["numFactureTiers"])
            if any(r.invoice_number == number for r in self.payment_requests.values()):
                raise ApiError(
                    "ERR_FACTURE_DOUBLON",
                    "Facture en doublon",
                    "La référence de la facture est déjà existante.",
                )
            request = PaymentRequest(
                urssaf_id=uuid.uuid4().hex,
                client_id=particulier.urssaf_id,
                invoice_number=number,
                payload=item,
                incl_tax=total_incl,
                created_at=_now(),
            )
            self.payment_requests[request.urssaf_id] = request
        return request

    def _advanced(self, request_id: str) -> PaymentRequest:
        """The request as it stands now: shown to the household once integrated, deemed
        validated after the window, debited then paid after the delays."""
        request = self.payment_requests[request_id]
        now = _now()
        if request.status == "10":
            request.status = "20"
        if request.status == "20" and now >= request.created_at + VALIDATION_WINDOW:
            request.status = "30"
            request.validated_at = request.created_at + VALIDATION_WINDOW
        validated = request.validated_at
        if request.status == "30" and validated and now >= validated + DEBIT_DELAY:
            request.status = "50"
        if request.status == "50" and validated and now >= validated + TRANSFER_DELAY:
            request.status = "70"
        return request


def _info(request: PaymentRequest) -> dict[str, Any]:
    info: dict[str, Any] = {
        "idDemandePaiement": request.urssaf_id,
        "demandePaiement": request.payload,
        "statut": {"code": request.status, "libelle": STATUS_LABELS.get(request.status, "")},
    }
    if request.rejection:
        info["infoRejet"] = dict(request.rejection)
    if request.status == "70" and request.validated_at is not None:
        info["infoVirement"] = {
            "mntVirement": request.incl_tax,
            "dateVirement": (request.validated_at + TRANSFER_DELAY).strftime("%Y-%m-%dT00:00:00Z"),
        }
    return info


def _invalid(name: str) -> ApiError:
    return ApiError(
        "PARAM_INVALIDE", "Requête incorrecte", f"Le format du champ {name} est incorrect"
    )


def _check(value: Any, name: str, pattern: str | None = None) -> str:
    text = "" if value is None else str(value)
    regex = _PATTERNS.get(pattern or name)
    if not text or (regex is not None and not regex.fullmatch(text)):
        raise _invalid(name)
    return text


def _check_particulier(body: Any) -> dict[str, Any]:
    """The checks of InputParticulierDTO (patterns of the API contract)."""
    if not isinstance(body, dict):
        raise _invalid("InputParticulierDTO")
    data: dict[str, Any] = {"civilite": _check(body.get("civilite"), "civilite")}
    for name in ("nomNaissance", "prenoms"):
        value = str(body.get(name) or "")
        if not _NAME.fullmatch(value):
            raise _invalid(name)
        data[name] = value
    if body.get("nomUsage"):
        if not _NAME.fullmatch(str(body["nomUsage"])):
            raise _invalid("nomUsage")
        data["nomUsage"] = str(body["nomUsage"])
    data["dateNaissance"] = _date(body.get("dateNaissance"), "dateNaissance")
    place = body.get("lieuNaissance") or {}
    country = _check(place.get("codePaysNaissance"), "codePaysNaissance")
    if country == "99100":
        _check(place.get("departementNaissance"), "departementNaissance")
        commune = place.get("communeNaissance") or {}
        _check(commune.get("codeCommune"), "communeNaissance.codeCommune", "codeCommuneNaissance")
    _check(body.get("numeroTelephonePortable"), "numeroTelephonePortable")
    _check(body.get("adresseMail"), "adresseMail")
    address = body.get("adressePostale") or {}
    for name in ("codeCommune", "codePostal", "codePays"):
        _check(address.get(name), f"adressePostale.{name}", name)
    label = str(address.get("libelleCommune") or "")
    if not 1 <= len(label) <= 50:
        raise _invalid("adressePostale.libelleCommune")
    if len(str(address.get("libelleVoie") or "")) > 28:
        raise _invalid("adressePostale.libelleVoie")
    bank = body.get("coordonneeBancaire") or {}
    _check(bank.get("bic"), "coordonneeBancaire.bic", "bic")
    iban = _check(bank.get("iban"), "coordonneeBancaire.iban", "iban")
    if not 1 <= len(str(bank.get("titulaire") or "")) <= 100:
        raise _invalid("coordonneeBancaire.titulaire")
    try:
        stdnum_iban.validate(iban)
    except StdnumError as exc:
        raise ApiError("ERR_APPEL_BACB", "Le BIC ou l'IBAN est invalide.") from exc
    return data


def _check_lines(lines: Any, total_incl: Decimal, total_excl: Decimal) -> None:
    """Each line: unit price × quantity = amount incl. VAT, excl. VAT + VAT = incl. VAT; the
    lines add up to the invoice's totals (ERR_MONTANT_INCOHERENT is this server's code [?])."""
    if not isinstance(lines, list) or not lines:
        raise _invalid("inputPrestations")
    sum_incl = sum_excl = Decimal(0)
    for line in lines:
        if not isinstance(line, dict):
            raise _invalid("inputPrestations")
        if not line.get("codeNature"):
            raise ApiError(
                "PARAM_INVALIDE", "Requête incorrecte", "Le champ codeNature est obligatoire"
            )
        if line.get("unite") not in {"HEURE", "FORFAIT"}:
            raise _invalid("unite")
        quantity = _amount(line.get("quantite"), "quantite")
        unit = _amount(line.get("mntUnitaireTTC"), "mntUnitaireTTC")
        incl = _amount(line.get("mntPrestationTTC"), "mntPrestationTTC")
        excl = _amount(line.get("mntPrestationHT"), "mntPrestationHT")
        vat = _amount(line.get("mntPrestationTVA"), "mntPrestationTVA")
        if (unit * quantity).quantize(CENT, rounding=ROUND_HALF_UP) != incl or excl + vat != incl:
            raise ApiError(
                "ERR_MONTANT_INCOHERENT",
                "Montants incohérents",
                "mntUnitaireTTC × quantite ou mntPrestationHT + mntPrestationTVA ne donne pas "
                "mntPrestationTTC.",
            )
        sum_incl += incl
        sum_excl += excl
    if sum_incl != total_incl or sum_excl != total_excl:
        raise ApiError(
            "ERR_MONTANT_INCOHERENT",
            "Montants incohérents",
            "Le total des prestations ne correspond pas au montant de la facture.",
        )


class _Handler(BaseHTTPRequestHandler):
    fake: FakeUrssaf
    server_version = "FakeUrssaf/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # silence the test output
        pass

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_GET(self) -> None:
        self._dispatch("GET")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        self.fake.calls.append((method, url.path))
        authorization = self.headers.get("Authorization", "")
        try:
            if method == "POST" and url.path == TOKEN_PATH:
                form = parse_qs(raw.decode())
                try:
                    self._reply(200, self.fake.issue_token(authorization, form))
                except PermissionError:
                    self._reply(401, {"error": "invalid_client"})
                return
            if not url.path.startswith(API_PATH):
                self._reply(404, {"error": "not_found"})
                return
            if not self.fake.authorised(authorization):
                self._reply(401, {"error": "invalid_token"})
                return
            route = url.path.removeprefix(API_PATH)
            body = json.loads(raw, parse_float=Decimal) if raw else None
            if method == "POST" and route == "/particulier":
                self._reply(200, self.fake.register(body))
            elif method == "GET" and route == "/particulier":
                ids = parse_qs(url.query).get("idClient", [""])
                self._reply(200, self.fake.particulier(ids[0]))
            elif method == "POST" and route == "/demandePaiement":
                self._reply(200, self.fake.submit(body))
            elif method == "POST" and route == "/demandePaiement/rechercher":
                self._reply(200, self.fake.search(body))
            else:
                self._reply(404, {"error": "not_found"})
        except ApiError as exc:
            self._reply(400, [exc.body])
        except ValueError:
            self._reply(400, [_invalid("corps de la requête").body])

    def _reply(self, status: int, body: Any) -> None:
        data = to_json(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
