"""Directory data (teams and places) and the choice of the nearest team."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from directory.loader import DATA_DIR, DirectoryError, load_directory
from directory.nearest import LocationError, find_teams, format_distance, nearest_team

PLACES_CSV = Path(__file__).resolve().parent.parent / "directory" / "data" / "sources" / "places_reference.csv"
FIVE_COMMUNES = {"54184", "54339", "54357", "54395", "54482"}


@pytest.fixture(scope="module")
def directory():
    return load_directory()


def test_outreach_team_matches_the_programme(directory):
    team = directory.team("avec-vous-saint-max")
    assert team.kind == "outreach"
    assert set(team.sector.communes) == FIVE_COMMUNES
    assert "Saint-Michel-Jéricho" in team.sector.neighbourhoods
    assert list(team.availability.weekly) == ["mercredi"]
    place = directory.meeting_place(team)
    assert place.insee_code == "54482" and place.latitude is None  # not geocoded: left empty, not invented
    assert team.bookable


def test_every_team_place_exists_and_sources_are_cited(directory):
    assert len(directory.teams) >= 35
    for team in directory.teams.values():
        assert team.sources, team.id
        for place in directory.places_of(team):
            assert place.source, place.id


def test_teams_cover_the_reference_rows(directory):
    kinds = [t.kind for t in directory.teams.values()]
    assert kinds.count("ccas") == 5
    assert {c for t in directory.teams.values() if t.kind == "ccas" for c in t.sector.communes} == FIVE_COMMUNES
    rows = list(csv.DictReader(PLACES_CSV.open(encoding="utf-8")))
    fs_rows = [r for r in rows if r["kind"] == "France Services"]
    assert kinds.count("france_services") == len(fs_rows) == 28
    open_mds = [r for r in rows if r["kind"] == "MDS" and "temporary" not in r["name"]]
    assert kinds.count("mds") == len(open_mds)
    # Coordinates are copied, not invented: every France services point equals the CSV one.
    by_name = {p.name: p for p in directory.places.values()}
    for r in fs_rows:
        assert by_name[r["name"]].latitude == float(r["latitude"])
        assert by_name[r["name"]].longitude == float(r["longitude"])


def test_mds_slots_are_45_minutes(directory):
    for team in directory.teams.values():
        if team.kind == "mds":
            assert team.availability.slot_minutes == 45


def _copy_data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def test_error_names_file_and_field(tmp_path):
    data = _copy_data(tmp_path)
    path = data / "teams" / "avec-vous-saint-max.yml"
    path.write_text(path.read_text(encoding="utf-8").replace('["09:00-12:00"]', '["9 heures"]'), encoding="utf-8")
    with pytest.raises(DirectoryError) as err:
        load_directory(data)
    assert "avec-vous-saint-max.yml" in str(err.value)
    assert "availability.weekly.mercredi" in str(err.value)


def test_bad_commune_code_and_unknown_place_are_reported(tmp_path):
    data = _copy_data(tmp_path)
    path = data / "teams" / "ccas-nancy.yml"
    path.write_text(path.read_text(encoding="utf-8").replace('["54395"]', '["Nancy"]'), encoding="utf-8")
    with pytest.raises(DirectoryError, match=r"ccas-nancy\.yml.*sector\.communes"):
        load_directory(data)
    path.write_text(
        path.read_text(encoding="utf-8").replace('["Nancy"]', '["54395"]').replace("[ccas-nancy]", "[ccas-nulle-part]"),
        encoding="utf-8",
    )
    with pytest.raises(DirectoryError, match=r"places\.0.*ccas-nulle-part"):
        load_directory(data)


def test_adding_a_territory_is_adding_files(tmp_path):
    data = _copy_data(tmp_path)
    (data / "places" / "marche-toul.yml").write_text(
        "id: marche-toul\nname: Marché de Toul\nkind: marche\nlabel: au marché de Toul\n"
        'insee_code: "54528"\nsource: test\n',
        encoding="utf-8",
    )
    (data / "teams" / "equipe-toul.yml").write_text(
        "id: equipe-toul\nname: Équipe de Toul\nkind: outreach\nplaces: [marche-toul]\n"
        'sector:\n  communes: ["54528"]\npriority: 10\n'
        'availability:\n  weekly:\n    samedi: ["09:00-12:00"]\nsources: [test]\n',
        encoding="utf-8",
    )
    directory = load_directory(data)
    match = nearest_team(commune="54528", directory=directory)
    assert match.team.id == "equipe-toul" and match.covered
    assert match.phrase == "dans votre commune, au marché de Toul le samedi matin"


def test_saint_max_resident_gets_the_outreach_team():
    match = nearest_team(commune="54482")
    assert match.team.id == "avec-vous-saint-max"
    assert match.covered
    assert match.phrase == "dans votre commune, au marché de Saint-Max le mercredi matin"


def test_nancy_postcode_gets_the_outreach_team_with_a_distance():
    match = nearest_team(postcode="54 000")
    assert match.team.id == "avec-vous-saint-max" and match.covered
    assert match.phrase == "à environ 2 km, au marché de Saint-Max le mercredi matin"


def test_kinds_filter_and_sector_priority():
    assert nearest_team(commune="54482", kinds=["mds"]).team.id == "mds-grand-nancy-nord-est"
    assert nearest_team(commune="54482", kinds=["ccas"]).team.id == "ccas-saint-max"
    # Vandœuvre is in no sector: the nearest team by distance.
    match = nearest_team(commune="54547", kinds=["mds"])
    assert not match.covered and match.team.id == "mds-lorraine-vandoeuvre"


def test_point_outside_sectors_picks_nearest_with_exact_distance():
    # A point about 1.2 km east of the Longwy France services site.
    match = nearest_team(lat=49.52435, lon=5.7783, bookable_only=True)
    assert match.team.id == "fs-pimms-mediation-grand-longwy"
    assert match.phrase.startswith("à 1,2 km, à l'espace France services de Longwy")


def test_rural_commune_without_team_gets_the_nearest_bookable():
    matches = find_teams(commune="54001", bookable_only=True)  # Abaucourt
    assert not matches[0].covered
    assert matches[0].team.id == "fs-nomeny"
    assert matches[0].distance_km < matches[1].distance_km


def test_unknown_location_gives_a_french_message():
    with pytest.raises(LocationError, match="Je ne trouve pas cette commune"):
        nearest_team(commune="75056")
    with pytest.raises(LocationError, match="code postal"):
        nearest_team(postcode="75001")
    with pytest.raises(LocationError, match="commune ou votre code postal"):
        nearest_team()


@pytest.mark.parametrize(
    ("km", "approx", "expected"),
    [(1.234, False, "à 1,2 km"), (0.74, False, "à 700 m"), (0.1, False, "tout près de chez vous"),
     (12.6, True, "à environ 13 km"), (3.0, False, "à 3 km")],
)
def test_format_distance(km, approx, expected):
    assert format_distance(km, approx) == expected
