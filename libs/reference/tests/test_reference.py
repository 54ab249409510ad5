"""The shipped nomenclatures: their counts, codes and labels checked in two sources, refusals, provenance."""

import csv
import hashlib
import json
from collections import Counter
from importlib import resources

import pytest

from certreg_reference import NOT_SHIPPED, SHIPPED, NotShipped, UnknownCode, nomenclature

DATA = resources.files("certreg_reference") / "data"


@pytest.mark.parametrize("name", SHIPPED)
def test_every_data_file_has_its_provenance(name):
    meta = json.loads((DATA / f"{name}.meta.json").read_text(encoding="utf-8"))
    for field in ("title", "publisher", "version", "source", "licence", "retrieved", "records", "sha256", "verification"):
        assert meta[field], f"{name}: {field} is empty"
    raw = (DATA / f"{name}.csv").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == meta["sha256"]
    assert len(raw.decode("utf-8").splitlines()) - 1 == meta["records"]
    n = nomenclature(name)
    assert n.name == name and n.version == meta["version"] and n.source == meta["source"] and n.licence == meta["licence"]


def test_loaded_once():
    assert nomenclature("rome") is nomenclature("rome")


def test_rome_4_has_the_1584_fiches_of_the_14_domains():
    rome = nomenclature("rome")
    assert len(rome) == 1584
    # Per-domain counts of ROME v4.60, as extracted independently from France Travail's fiche XML.
    expected = {"A": 87, "B": 49, "C": 32, "D": 115, "E": 70, "F": 104, "G": 108}
    expected |= {"H": 221, "I": 110, "J": 78, "K": 256, "L": 54, "M": 208, "N": 92}
    assert Counter(code[0] for code in rome) == expected
    assert rome.label("M1805") == "Développeur / Développeuse informatique"
    assert rome.label("M1810") == "Technicien / Technicienne d'exploitation informatique"
    assert rome.label("M1405") == "Data scientist"
    assert rome.label("I1403") == "Technicien / Technicienne Datacenter"


def test_rome_v3_has_its_532_fiches_and_every_one_lives_on_in_rome_4():
    v3, rome = nomenclature("rome-v3"), nomenclature("rome")
    assert len(v3) == 532
    assert {code[0] for code in v3} == set("ABCDEFGHIJKLMN")
    assert min(v3) == "A1101" and max(v3) == "N4403"
    assert v3.label("A1101") == "Conduite d'engins agricoles et forestiers"
    assert v3.label("M1805") == "Études et développement informatique"
    assert v3.label("F1702") == "Construction de routes et voies"
    assert v3.label("H2906") == "Conduite d'installation automatisée ou robotisée de fabrication mécanique"
    assert v3.label("N4403") == "Manoeuvre du réseau ferré"
    assert set(v3) <= set(rome)


def test_rome_v3_copy_lost_no_line():
    rows = list(csv.DictReader((DATA / "rome-v3.csv").read_text(encoding="utf-8").splitlines()))
    ogr = sorted(int(row["code_ogr"]) for row in rows)
    assert ogr == [i for i in range(6, 537) if i != 434] + [28964, 39022]


def test_nsf_has_the_decree_s_17_domains_and_93_groups():
    rows = list(csv.DictReader((DATA / "nsf.csv").read_text(encoding="utf-8").splitlines()))
    assert Counter(row["level"] for row in rows) == {"category": 4, "domain": 17, "group": 93, "letter": 17}
    nsf = nomenclature("nsf")
    groups = [code for code in nsf if len(code) == 3 and code.isdigit()]
    assert len(groups) == 93
    assert nsf.label("311") == "Transport, manutention, magasinage"
    assert nsf.label("326") == "Informatique, traitement de l'information, réseau de transmission des données"
    assert nsf.label("252") == "Moteurs et mécanique auto"
    assert nsf.label("31") == "Echanges et gestion"
    assert nsf.get("326") is not None and nsf.entry("326").parent == "32"


def test_nsf_fine_codes_cross_a_group_with_the_letters_of_its_domain():
    nsf = nomenclature("nsf")
    assert "311m" in nsf and "326t" in nsf and "252r" in nsf and "128d" in nsf and "413z" in nsf
    assert nsf.label("312w") == "Commerce, vente (Commercialisation)"
    assert nsf.entry("326n").parent == "326"
    # A letter belongs to one family of domains: functions for 2xx/3xx, fields for 1xx, z for 4xx.
    assert "311a" not in nsf and "128m" not in nsf and "326z" not in nsf and "413m" not in nsf
    assert len(nsf) == 17 + 93 + 26 * 7 + 58 * 9 + 9


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("rome", "Z9999"),
        ("rome", "A1100"),
        ("rome", "a1101"),
        ("rome", " A1101"),
        ("rome-v3", "M1811"),
        ("nsf", "999"),
        ("nsf", "311x"),
        ("nsf", "311M"),
        ("nsf", "1"),
        ("nsf", ""),
    ],
)
def test_unknown_codes_are_refused(name, code):
    n = nomenclature(name)
    assert code not in n
    assert n.get(code) is None
    with pytest.raises(UnknownCode) as raised:
        n.label(code)
    assert raised.value.code == code and raised.value.nomenclature == name


def test_unknown_names_the_codes_that_do_not_exist_in_order():
    assert nomenclature("rome").unknown(["M1805", "X0000", "K2111", "M9999"]) == ["X0000", "M9999"]
    assert 1101 not in nomenclature("rome")


def test_search_ignores_case_and_accents_and_puts_code_prefixes_first():
    rome = nomenclature("rome-v3")
    assert [e.code for e in rome.search("etudes developpement informatique")] == ["M1805"]
    assert rome.search("M18")[0].code == "M1801"
    assert nomenclature("nsf").search("COMMERCE vente", limit=3)[0].code == "312"
    assert nomenclature("rome").search("") == []
    assert len(nomenclature("rome").search("technicien", limit=5)) == 5


def test_formacode_is_not_shipped_and_says_why():
    assert "formacode" in NOT_SHIPPED
    with pytest.raises(NotShipped, match="licence"):
        nomenclature("formacode")
