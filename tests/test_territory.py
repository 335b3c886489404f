"""territory: communes of the 54 as residents type them, EPCI, distances."""

from __future__ import annotations

import time

import pytest

from territory import (
    all_communes,
    commune_by_code,
    communes_with_postcode,
    distance_km,
    epci_of,
    find_commune,
    nearest_commune,
    search_communes,
)
from territory.communes import TerritoryDataError, _load_communes
from territory.normalize import normalize_name

NANCY, VANDOEUVRE, LAXOU, PAM = "54395", "54547", "54304", "54431"


def test_all_communes_loaded_with_source():
    communes = all_communes()
    assert len(communes) == 591
    assert all(c.insee_code.startswith("54") for c in communes)
    nancy = commune_by_code(NANCY)
    assert nancy.name == "Nancy" and nancy.postcodes == ("54000", "54100") and nancy.population > 100_000


@pytest.mark.parametrize(
    "text, code",
    [
        ("Nancy", NANCY),
        ("nancy", NANCY),
        ("NANCY", NANCY),
        ("à Nancy", NANCY),
        ("j'habite à Nancy", NANCY),
        ("Vandœuvre-lès-Nancy", VANDOEUVRE),
        ("vandoeuvre les nancy", VANDOEUVRE),
        ("Vandoeuvre-lez-Nancy", VANDOEUVRE),
        ("vandoeuvre", VANDOEUVRE),
        ("j'habite a vandoeuvre", VANDOEUVRE),
        ("vandeuvre", VANDOEUVRE),  # missing letter
        ("vendoeuvre", VANDOEUVRE),  # typo
        ("54500", VANDOEUVRE),
        ("Laxou 54520", LAXOU),
        ("54 000", NANCY),
        ("st max", "54482"),
        ("St-Nicolas-de-Port", "54483"),
        ("saint nicolas", "54483"),
        ("ste genevieve", "54474"),
        ("pont a mouson", PAM),
        ("PAM", PAM),
        ("lunevile", "54329"),
        ("nanci", NANCY),
        ("nncy", NANCY),
        ("jarville", "54274"),
        ("briey", "54099"),  # commune déléguée of Val de Briey
        ("Les Baroches", "54048"),
        ("je vis vers tomblaine depuis 3 ans", "54526"),
        ("54450 blamont", "54077"),
    ],
)
def test_find_commune(text, code):
    match = find_commune(text)
    assert match is not None and match.found, (text, match)
    assert match.commune.insee_code == code


@pytest.mark.parametrize(
    "text, expected",
    [
        ("54450", {"54077", "54061", "54035"}),  # postcode shared by 30 communes
        ("saulxures", {"54495", "54496"}),  # -lès-Nancy / -lès-Vannes
        ("blenod", {"54079", "54080"}),
        ("Nancy 54500", {NANCY, VANDOEUVRE}),  # name and postcode disagree: offer both
    ],
)
def test_ambiguous_offers_candidates(text, expected):
    match = find_commune(text)
    assert match is not None and match.ambiguous
    assert expected <= {c.insee_code for c in match.candidates}
    assert match.commune is None


def test_postcode_candidates_biggest_first():
    match = find_commune("54450")
    populations = [c.population for c in match.candidates]
    assert populations == sorted(populations, reverse=True)
    assert len(match.candidates) == len(communes_with_postcode("54450")) == 30


@pytest.mark.parametrize(
    "text, departement",
    [
        ("Metz", "57"),
        ("j'habite à metz", "57"),
        ("57000", "57"),
        ("Épinal", "88"),
        ("verdun", "55"),
        ("75011", "75"),
    ],
)
def test_outside_54_is_refused_clearly(text, departement):
    match = find_commune(text)
    assert match is not None and match.is_outside and not match.found
    assert match.outside.departement == departement
    assert match.commune is None and match.candidates == ()


def test_outside_country():
    match = find_commune("Luxembourg")
    assert match.is_outside and match.outside.departement is None and match.outside.label == "Luxembourg"


@pytest.mark.parametrize("text", ["", "   ", "bonjour", "xxxx", "je sais pas", "mets", None, 42, "99999"])
def test_nothing_found(text):
    assert find_commune(text) is None


def test_search_communes_buttons():
    assert [c.insee_code for c in search_communes("Nancy")] == [NANCY]
    assert len(search_communes("54450", limit=3)) == 3
    assert search_communes("Metz") == []
    assert NANCY in {c.insee_code for c in search_communes("nanxyy", limit=3)}


def test_normalize_name():
    assert normalize_name("Vandœuvre-lès-Nancy") == "vandoeuvre les nancy"
    assert normalize_name("ST  Nicolas de Port") == "saint nicolas de port"
    assert normalize_name("Ste-Geneviève") == "sainte genevieve"


def test_epci():
    assert epci_of(NANCY) == "245400676"
    assert epci_of(VANDOEUVRE) == "245400676"
    assert epci_of(PAM) != "245400676"
    assert epci_of("57463") is None
    assert commune_by_code("00000") is None


def test_distance_km():
    assert distance_km(48.0, 6.0, 48.0, 6.0) == 0
    nancy, pam = commune_by_code(NANCY), commune_by_code(PAM)
    d = distance_km(nancy.latitude, nancy.longitude, pam.latitude, pam.longitude)
    assert 25 < d < 32  # about 28 km as the crow flies
    # one degree of latitude is about 111 km
    assert distance_km(48.0, 6.0, 49.0, 6.0) == pytest.approx(111.2, abs=0.5)


def test_nearest_commune():
    nancy = commune_by_code(NANCY)
    assert nearest_commune(nancy.latitude, nancy.longitude).insee_code == NANCY
    assert nearest_commune(48.6606, 6.1558).insee_code == VANDOEUVRE  # near Vandœuvre town hall


def test_lookup_is_fast():
    find_commune("Nancy")  # load once
    texts = ["Nancy", "j'habite a vandoeuvre", "54500", "St Nicolas", "Laxou", "Metz"]
    start = time.perf_counter()
    for _ in range(200):
        for text in texts:
            find_commune(text)
    per_lookup_ms = (time.perf_counter() - start) * 1000 / (200 * len(texts))
    assert per_lookup_ms < 1.0, per_lookup_ms


def test_bad_csv_names_file_and_field(tmp_path):
    bad = tmp_path / "communes.csv"
    bad.write_text(
        "insee_code,name,postcodes,population,epci_code,epci_name,latitude,longitude,centroid_latitude,"
        "centroid_longitude,mairie_address,mairie_phone,mairie_hours\n"
        "54395,Nancy,54000,abc,1,x,48.6,6.1,48.6,6.1,,,\n",
        encoding="utf-8",
    )
    with pytest.raises(TerritoryDataError, match=r"communes.csv line 2: field 'population'"):
        _load_communes(bad)
