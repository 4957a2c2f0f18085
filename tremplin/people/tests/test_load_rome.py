from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tremplin.people.management.commands.load_rome import DEFAULT_PATH, read_rome_csv
from tremplin.people.models import RomeJob

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("load_rome", *args, stdout=out)
    return out.getvalue()


def test_the_shipped_file_is_well_formed() -> None:
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    rows, errors = read_rome_csv(text)
    assert errors == []
    assert 60 <= len(rows) <= 80
    first = next(line for line in text.splitlines() if not line.startswith("#"))
    assert first == "code;libelle"
    codes = dict(rows)
    # The group's trades: cleaning, household services, laundry, green spaces, vehicles,
    # data entry, reception, warehousing, catering, building maintenance, childcare, driving.
    for code in ["K2204", "K1304", "K2201", "A1203", "I1604", "M1606", "M1601", "N1103"]:
        assert code in codes
    for code in ["G1603", "I1203", "K1303", "K1302", "N4105", "M1602"]:
        assert code in codes
    assert codes["K2204"] == "Nettoyage de locaux"


def test_load_is_idempotent_with_a_progress_line() -> None:
    first = run()
    total = RomeJob.objects.count()
    assert total == len(read_rome_csv(DEFAULT_PATH.read_text(encoding="utf-8"))[0])
    assert f"Métiers ROME : {total}/{total}" in first
    assert f"{total} métiers ROME lus : {total} créés, 0 mis à jour, 0 inchangés." in first
    second = run()
    assert RomeJob.objects.count() == total
    assert f"0 créés, 0 mis à jour, {total} inchangés." in second


def test_a_changed_label_is_updated(tmp_path: Path) -> None:
    RomeJob.objects.create(code="K2204", label="Ancien intitulé")
    path = tmp_path / "rome.csv"
    path.write_text(
        "# extrait\ncode;libelle\nK2204;Nettoyage de locaux\nK2202;Lavage de vitres\n",
        encoding="utf-8",
    )
    out = run("--fichier", str(path))
    assert "2 métiers ROME lus : 1 créés, 1 mis à jour, 0 inchangés." in out
    assert RomeJob.objects.get(code="K2204").label == "Nettoyage de locaux"


@pytest.mark.parametrize(
    ("content", "error"),
    [
        pytest.param(
            "# commentaire\ncode;libelle\nK2204;Nettoyage de locaux\nK22O4;Faute de frappe\n",
            "Ligne 4 : code ROME « K22O4 » invalide",
            id="bad_code",
        ),
        pytest.param(
            "code;libelle\nK2204;Nettoyage;de locaux\n",
            "Ligne 2 : 2 colonnes attendues, 3 trouvées.",
            id="extra_column",
        ),
        pytest.param(
            "code;libelle\n\nK2204;\n", "Ligne 3 : l'intitulé du métier K2204 est vide.", id="empty"
        ),
        pytest.param(
            "code;libelle\nK2204;Nettoyage\nK2204;Nettoyage\n",
            "Ligne 3 : le code K2204 figure déjà ligne 2.",
            id="duplicate",
        ),
        pytest.param(
            "K2204;Nettoyage de locaux\n",
            "Ligne 1 : en-tête « code;libelle » attendu",
            id="no_header",
        ),
    ],
)
def test_a_bad_line_is_reported_with_its_number_and_nothing_is_loaded(
    tmp_path: Path, content: str, error: str
) -> None:
    path = tmp_path / "rome.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError) as raised:
        run("--fichier", str(path))
    assert error in str(raised.value)
    assert "rien n'a été chargé" in str(raised.value)
    assert not RomeJob.objects.exists()


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rome.csv"
    path.write_bytes("code;libelle\nK2204;Activité\n".encode("latin-1"))
    with pytest.raises(CommandError, match=re.escape("encodage UTF-8 attendu")):
        run("--fichier", str(path))


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Fichier introuvable"):
        run("--fichier", str(tmp_path / "absent.csv"))
