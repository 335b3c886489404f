"""Real OpenFisca-France computations through the calculator process (one warm process per session)."""

import glob
import time

import pytest
import yaml

from calculator import client
from ops.stack import CALC_PYTHON
from tests.calculator_support import calculator_process  # noqa: F401 - session fixture

# Real OpenFisca computations (a minute or more): in `make test`, not in `make test-fast`.
pytestmark = pytest.mark.slow

PERIOD = "2026-12"
SINGLE = {"age": 35, "household": "alone", "children_count": 0, "income_monthly": 0, "income_kinds": ["none"],
          "work": "job_seeker", "disability": "none", "commune": "54395"}


def parameter(relative: str, period: str) -> float:
    """The value of an OpenFisca-France parameter in force on the first day of `period`."""
    site = CALC_PYTHON.parent.parent / "lib"
    path = glob.glob(str(site / "python3.10/site-packages/openfisca_france/parameters" / relative))[0]
    values = yaml.safe_load(open(path, encoding="utf-8"))["values"]
    day = f"{period}-01"
    return next(v["value"] for d, v in sorted(((str(d), v) for d, v in values.items()), reverse=True) if d <= day)


@pytest.fixture
def calculator(calculator_process, monkeypatch):  # noqa: F811
    monkeypatch.setenv("CALCULATOR_PORT", str(calculator_process))
    monkeypatch.delenv("CALCULATOR_URL", raising=False)
    return calculator_process


async def test_rsa_single_without_income_is_the_base_amount(calculator):
    # CASF L262-2: RSA = montant forfaitaire − ressources. Homeless: no forfait logement (R262-9).
    base = parameter("prestations_sociales/solidarite_insertion/minima_sociaux/rsa/rsa_m/montant_de_base_du_rsa.yaml",
                     PERIOD)
    national = await client.results({**SINGLE, "housing": "homeless"}, timeout=60, period=PERIOD)
    assert national["rsa"]["eligible"] is True
    assert national["rsa"]["monthly"] == pytest.approx(base, abs=0.01)
    assert national["prime_activite"]["eligible"] is False
    assert national["aspa"]["eligible"] is False


async def test_hosted_person_gets_rsa_less_the_forfait_logement(calculator):
    # Hosted free of charge: forfait logement of 12 % for one person (CASF R262-9 and R262-10).
    base = parameter("prestations_sociales/solidarite_insertion/minima_sociaux/rsa/rsa_m/montant_de_base_du_rsa.yaml",
                     PERIOD)
    national = await client.results({**SINGLE, "housing": "hosted"}, timeout=60, period=PERIOD)
    assert national["rsa"]["monthly"] == pytest.approx(base * 0.88, abs=0.02)


async def test_batch_of_households_and_cache(calculator):
    profiles = [{**SINGLE, "housing": "tenant", "rent": 300 + 10 * i} for i in range(4)]
    results = await client.results_many(profiles, timeout=60, period=PERIOD)
    assert all(r is not None and r["als"]["eligible"] for r in results)
    # A higher rent gives at least as much housing aid (up to the ceiling).
    amounts = [r["als"]["monthly"] for r in results]
    assert amounts == sorted(amounts)
    started = time.monotonic()
    again = await client.results(profiles[2], timeout=5, period=PERIOD)
    assert again == results[2] and time.monotonic() - started < 0.5   # cached


async def test_senior_with_small_pension_gets_aspa(calculator):
    national = await client.results({"age": 70, "household": "alone", "children_count": 0, "income_monthly": 700,
                                     "income_kinds": ["pension"], "housing": "owner", "work": "retired",
                                     "disability": "none", "commune": "54395"}, timeout=60, period=PERIOD)
    plafond = 1043.59
    assert national["aspa"]["eligible"] is True
    # ASPA counts the gross pension (≈ 700 / 0.909): differential amount well below the ceiling.
    assert 200 < national["aspa"]["monthly"] < plafond - 700 + 1


async def test_a_pregnancy_opens_the_prime_a_la_naissance_and_nothing_else_counts_the_baby(calculator):
    # CSS L531-2: the prime is paid in the 7th month of pregnancy, 2,2975 BMAF (less the CRDS),
    # under a ceiling (here a low salary). OpenFisca's paje_naissance, computed with the expected
    # baby in the family; the other benefits are computed without it.
    mother = {"age": 28, "household": "alone", "children_count": 0, "income_kinds": ["salary"],
              "income_salary": 1200, "housing": "tenant", "rent": 500, "commune": "54395"}
    expecting = await client.results({**mother, "situations": ["pregnant"]}, timeout=120, period=PERIOD)
    alone = await client.results({**mother, "situations": ["none"]}, timeout=120, period=PERIOD)
    bmaf = parameter("prestations_sociales/prestations_familiales/bmaf/bmaf.yaml", PERIOD)
    assert expecting["paje_prime_naissance"]["eligible"] is True
    assert expecting["paje_prime_naissance"]["yearly"] == pytest.approx(2.2975 * bmaf, rel=0.01)
    assert alone["paje_prime_naissance"]["eligible"] is False
    assert expecting["paje_allocation_base"]["eligible"] is False      # the baby is not born yet
    assert expecting["allocations_familiales"] == alone["allocations_familiales"]


async def test_the_css_with_participation_gives_what_the_household_pays(calculator):
    # CSS L861-1 and D861-3: 8 € a month per person under 30, 14 € from 30 to 49 (outside Alsace-Moselle).
    couple = {"age": 35, "household": "couple", "partner_age": 27, "children_count": 0, "income_kinds": ["salary"],
              "income_salary": 1500, "partner_income_kinds": ["none"], "housing": "social_tenant", "rent": 450,
              "situations": ["none"], "commune": "54395"}
    national = await client.results(couple, timeout=120, period=PERIOD)
    css = national["css_participative"]
    assert css["eligible"] is True and css["monthly"] is None
    assert css["cost"] == pytest.approx(14 + 8)
