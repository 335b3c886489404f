"""Realism check: typical residents of the 54, and what the official rules say they can claim.

Each persona lists the benefits that MUST be "likely" (the rule and its source in a comment) and
those that must NOT be: either "not now" (a rule the answers break) or "to check" (a condition
no question asks: residence status, a court case, the other parent's maintenance...). Incomes
are net per month, CAF benefits excluded, asked by type (salary, pension...) for each adult, as
the income questions ask; a couple's income is split between the two adults.

Figures used below (see the catalogue entries for the details and their sources):
- RSA alone 651,69 € (2026-04-01), minus the forfait logement (78,20 € alone, 156,41 € for two,
  193,55 € for three or more) for people with a housing aid, housed free or owners, and minus the
  allocations familiales — https://www.service-public.fr/particuliers/vosdroits/N19775
- C2S: 10 339 € a year free, 13 957 € with a contribution, for one person, same deductions —
  https://www.service-public.fr/particuliers/vosdroits/F10027
- ASPA 1 043,60 € alone, 1 620,18 € couple — https://www.service-public.fr/particuliers/vosdroits/F16871
- Housing aids: https://www.caf.fr/allocataires/aides-et-demarches/droits-et-prestations/logement/les-aides-personnelles-au-logement
- Prime d'activité: https://www.service-public.fr/particuliers/vosdroits/F2882
- Chèque énergie, RFR per consumption unit <= 11 000 € —
  https://www.service-public.fr/particuliers/vosdroits/F35327

PERSONAS is also read by scripts/benchmarks/bench_engine.py (questions needed, after-8 coverage).
"""

from __future__ import annotations

import statistics

import pytest

from benefits import evaluate, load_catalogue, next_question, statuses
from benefits.household import grouped_answers

L, N, U = "likely", "not_now", "unknown"

# Answers to every question; "unknown" would be "je ne sais pas".
COMMON = {"disability": "none", "pregnant": False, "widowed": False, "needs_daily_help": False,
          "current_benefits": ["none"], "health_cover": "private", "scholarship": False}


def persona(**answers):
    # Written with the facts (pregnant, widowed...); the resident answers the grouped questions.
    facts = {**COMMON, **answers}
    return {**facts, **grouped_answers(facts)}


PERSONAS: dict[str, dict] = {
    "retired_woman_alone_nancy": persona(
        age=74, household="alone", children_count=0, income_kinds=["pension"], income_pension=950,
        housing="social_tenant", rent=380, work="retired", commune="54395", widowed=True, health_cover="none"),
    "couple_3_children_one_low_salary_maxeville": persona(
        age=38, household="couple", children_count=3, children_ages=[2, 7, 12], income_kinds=["salary"],
        income_salary=1600, housing="social_tenant", rent=550, work="employed", commune="54357",
        partner_age=36, partner_work="other", partner_disability="none", partner_income_kinds=["none"]),
    "single_mother_rsa_private_tenant_saint_max": persona(
        age=28, household="alone", children_count=1, children_ages=[2], income_kinds=["benefits"], housing="tenant", rent=550, work="job_seeker", commune="54482",
        current_benefits=["rsa", "apl"], health_cover="css"),
    "student_20_nancy": persona(
        age=20, household="alone", children_count=0, income_kinds=["salary"], income_salary=300,
        housing="tenant", rent=420, work="student", commune="54395", health_cover="none"),
    "job_seeker_45_hosted_luneville": persona(
        age=45, household="alone", children_count=0, income_kinds=["none"],
        housing="hosted", work="job_seeker", commune="54329", health_cover="none"),
    "disabled_adult_80_percent_essey": persona(
        age=40, household="alone", children_count=0, income_kinds=["benefits"],
        housing="social_tenant", rent=350, work="unable", disability="rate_80_plus", commune="54184",
        needs_daily_help=True, current_benefits=["aah", "apl"], health_cover="none"),
    "young_worker_23_nancy": persona(
        age=23, household="alone", children_count=0, income_kinds=["salary"], income_salary=1300,
        housing="tenant", rent=500, work="employed", commune="54395"),
    "owner_couple_70_rural_vezelise": persona(
        age=70, household="couple", children_count=0, income_kinds=["pension"], income_pension=950,
        housing="owner", work="retired", commune="54563",
        partner_age=72, partner_work="retired", partner_disability="none", partner_income_kinds=["pension"],
        partner_income_pension=650),
    "homeless_man_35_nancy": persona(
        age=35, household="alone", children_count=0, income_kinds=["none"],
        housing="homeless", work="job_seeker", commune="54395", health_cover="none"),
    "couple_with_a_baby_vandoeuvre": persona(
        age=30, household="couple", children_count=1, children_ages=[0], income_kinds=["salary"],
        income_salary=1600, housing="tenant", rent=750, work="employed", commune="54547",
        partner_age=29, partner_work="employed", partner_disability="none", partner_income_kinds=["salary"],
        partner_income_salary=1200),
    "widow_58_working_malzeville": persona(
        age=58, household="alone", children_count=0, income_kinds=["salary"], income_salary=1100,
        housing="social_tenant", rent=420, work="employed", commune="54339", widowed=True),
    "retired_man_owner_toul": persona(
        age=67, household="alone", children_count=0, income_kinds=["pension"], income_pension=1400,
        housing="owner", work="retired", commune="54528"),
    "pregnant_woman_22_hosted_nancy": persona(
        age=22, household="alone", children_count=0, income_kinds=["none"],
        housing="hosted", work="other", commune="54395", pregnant=True, health_cover="none"),
    "single_father_two_children_nancy": persona(
        age=44, household="alone", children_count=2, children_ages=[8, 15], income_kinds=["salary"],
        income_salary=1500, housing="social_tenant", rent=500, work="employed", commune="54395"),
    "dependent_widow_85_nancy": persona(
        age=85, household="alone", children_count=0, income_kinds=["pension"], income_pension=1250,
        housing="tenant", rent=600, work="retired", commune="54395", widowed=True, needs_daily_help=True),
    "couple_partner_disabled_80_toul": persona(
        age=47, household="couple", children_count=0, income_kinds=["salary"], income_salary=1450,
        housing="social_tenant", rent=480, work="employed", commune="54528", partner_age=49,
        partner_work="unable", partner_disability="rate_80_plus", partner_income_kinds=["benefits"],
        current_benefits=["aah"]),
}

# persona -> {benefit: expected status}
EXPECTED: dict[str, dict[str, str]] = {
    "retired_woman_alone_nancy": {
        # ASPA: 65+, 950 € <= 1 043,60 € alone (F16871).
        "aspa": L,
        # C2S: a social tenant with APL alone: 10 339/12 − 78,20 = 783,38 € free, 1 084,88 € with
        # a contribution: 950 € -> contribution (F10027).
        "css_participative": L, "css_gratuite": N,
        # Housing aid in a social dwelling, small income (caf.fr aides personnelles au logement).
        "apl": L,
        # Pension de réversion: widowed, 55+, resources <= 24 710 € a year (F13552).
        "pension_reversion": L,
        # Chèque énergie: RFR ≈ 950 × 12 × 0,9 = 10 260 € <= 11 000 € per UC (F35327).
        "cheque_energie": L,
        # Stan free for 65+ in the Métropole since 2025-08-01 (reseau-stan.com).
        "stan_gratuite_65_plus": L,
        # AME: for foreigners without a residence permit (never "likely"), and 950 € is above its
        # ceiling, the free C2S one (861,58 €) (F3079).
        "ame": N,
        # RSA: from 65 the ASPA replaces it (N19775, subsidiarity).
        "rsa": N,
        # APA needs a loss of autonomy (she said she needs no help) (F10009).
        "apa_domicile": N, "aide_menagere_personnes_agees": N,
        # No earned income, no disability.
        "prime_activite": N, "aah": N,
    },
    "couple_3_children_one_low_salary_maxeville": {
        # Allocations familiales from 2 children under 20 (F13213).
        "allocations_familiales": L,
        # PAJE allocation de base: child under 3, income under 65 385 € for 3 children (F2552).
        "paje_allocation_base": L,
        # ARS: children 7 and 12, income under 42 321 € for 3 children (F1878).
        "ars": L,
        # Bourse de collège: child of 12, income under 26 497 € for 3 children (F984).
        "bourse_college": L,
        "prime_activite": L, "apl": L,
        # C2S free: 4 persons: 1 809,32 − 193,55 − 347,31 (AF) = 1 268,46; 5 persons 1 613,10 € (F10027).
        "css_gratuite": L,
        # RSA: 1 629,23 € − 193,55 (forfait logement) − 347,31 (AF) = 1 088,37 € < 1 600 € (N19775).
        "rsa": N,
        # Complément familial: 3 children aged 3 or more; here one is 2 (F13214).
        "complement_familial": N,
        # CMG needs a childminder; PreParE needs to stop work: to check. AEEH: no disability was
        # ticked in "Êtes-vous dans une de ces situations ?", so no disabled child.
        "cmg": U, "prepare": U, "aeeh": N,
        "ame": U, "ada": U,
    },
    "single_mother_rsa_private_tenant_saint_max": {
        # RSA majoré: alone with a child under 3: 1 115,80 − 156,41 = 959,39 € > 0 € (N19775).
        "rsa_majore": L, "rsa": L,
        # ALF: private tenant with a child, no income (caf.fr).
        "alf": L,
        "paje_allocation_base": L,
        # C2S free: RSA recipients get it (F10027).
        "css_gratuite": L,
        # Prime de Noël: paid to RSA recipients (service-public.fr F1843).
        "prime_noel": L,
        "cheque_energie": L,
        # ASF: depends on the other parent's maintenance, which no question asks (F815).
        "asf": U,
        # One child: no allocations familiales; a private flat: ALF, not APL; child of 2: no ARS.
        "allocations_familiales": N, "apl": N, "ars": N,
        # No salary: no prime d'activité.
        "prime_activite": N,
    },
    "student_20_nancy": {
        # ALS: students renting privately can claim it (caf.fr).
        "als": L,
        "repas_crous": L, "sante_psy_etudiant": L,
        # Bourse du Crous: depends on the parents' income: to check (etudiant.gouv.fr).
        "bourse_crous": U,
        # RSA: students excluded and under 25 (N19775).
        "rsa": N, "rsa_jeune_actif": N,
        # Prime d'activité: a student needs more than 78 % of the net SMIC (F2882).
        "prime_activite": N,
        # CEJ: for young people neither in work nor in training.
        "cej": N,
    },
    "job_seeker_45_hosted_luneville": {
        # RSA: housed free: 651,69 − 78,20 = 573,49 € > 0 € (N19775).
        "rsa": L,
        "css_gratuite": L,
        # ARE needs 6 months of work in the last 24; ASS 5 years in 10: to check (F14860, F12484).
        "are": U, "ass": U,
        # Hosted: no housing aid, no chèque énergie (sent to the household that pays the energy).
        "apl": N, "als": N, "cheque_energie": N,
        # Lunéville is outside the Métropole and the programme's five communes.
        "stan_gratuite_weekend": N, "avec_vous_pour_vos_droits_54": N,
        "prime_activite": N,
    },
    "disabled_adult_80_percent_essey": {
        # AAH: 80 %, no other income (F12242).
        "aah": L,
        # MVA: AAH, 80 %, own dwelling with a housing aid, no work income (F12903).
        "mva": L,
        # PCH: disability with a need for daily help, under 60 (F14202).
        "pch": L,
        # CMI "invalidité": 80 % (F34049).
        "cmi": L,
        "apl": L,
        # C2S: the AAH (1 041,59 €) counts and is above the free C2S ceiling (F10027).
        "css_participative": L, "css_gratuite": N,
        # RSA: the AAH counts as a resource and is higher (N19775).
        "rsa": N,
        # Prime de Noël: not for AAH recipients.
        "prime_noel": N,
        # ASI needs an invalidity pension: now asked (income_kinds), and she has none.
        "asi": N,
    },
    "young_worker_23_nancy": {
        # Prime d'activité: 1 300 € alone, well under the ceiling (F2882).
        "prime_activite": L,
        # ALS: about 80 € a month at 1 300 € with a rent at the ceiling (caf.fr simulation).
        "als": L,
        # RSA: under 25 without a child; RSA jeune actif: income far above (N19775).
        "rsa": N, "rsa_jeune_actif": N,
        # C2S: 1 300 € > 1 084,88 € (F10027).
        "css_gratuite": N, "css_participative": N,
        # Chèque énergie: RFR ≈ 1 300 × 12 × 0,92 = 14 352 € > 11 000 € (F35327).
        "cheque_energie": N,
        # Visale / Loca-Pass: only when moving into a new flat: to check.
        "visale": U, "avance_loca_pass": U,
        "cej": N,
    },
    "owner_couple_70_rural_vezelise": {
        # ASPA couple: 1 600 € <= 1 620,18 € (F16871).
        "aspa": L,
        # Chèque énergie: RFR ≈ 17 280 € / 1,5 UC = 11 520 € > 11 000 € (F35327).
        "cheque_energie": N,
        # C2S with contribution, couple owner: 1 744,63 − 156,41 = 1 588,22 € < 1 600 € (F10027).
        "css_participative": N, "css_gratuite": N,
        # Owners: no housing aid; outside the Métropole: no Stan.
        "apl": N, "als": N, "stan_gratuite_65_plus": N,
        # MaPrimeAdapt': only with a works project: to check.
        "ma_prime_adapt": U,
        "apa_domicile": N, "rsa": N,
    },
    "homeless_man_35_nancy": {
        # RSA: no forfait logement without a home: 651,69 € (N19775).
        "rsa": L,
        "css_gratuite": L,
        # Domiciliation: for people without a stable address (F17317).
        "domiciliation": L,
        "apl": N, "als": N, "alf": N, "cheque_energie": N,
        "ame": U,
    },
    "couple_with_a_baby_vandoeuvre": {
        # PAJE allocation de base: income 33 600 € < 49 054 € for one child (F2552).
        "paje_allocation_base": L,
        "prime_activite": L,
        # ALF: at 2 800 € for a couple with one child, the aid falls to zero (caf.fr).
        "alf": N,
        # One child: no allocations familiales (F13213).
        "allocations_familiales": N,
        "rsa": N, "css_gratuite": N,
        "cmg": U, "prepare": U,
    },
    "widow_58_working_malzeville": {
        # Réversion from 55, resources 13 200 € a year <= 24 710 € (F13552).
        "pension_reversion": L,
        "prime_activite": L, "apl": L,
        # Allocation veuvage: under 55 only.
        "allocation_veuvage": N,
        # C2S with contribution: 1 100 € > 1 084,88 € (F10027).
        "css_participative": N,
        # Chèque énergie: RFR ≈ 12 144 € > 11 000 € (F35327).
        "cheque_energie": N,
    },
    "retired_man_owner_toul": {
        # 1 400 € alone: above the ASPA (1 043,60 €) and C2S ceilings.
        "aspa": N, "css_gratuite": N, "css_participative": N, "cheque_energie": N,
        "apl": N, "rsa": N, "apa_domicile": N,
    },
    "pregnant_woman_22_hosted_nancy": {
        # RSA under 25 with a pregnancy (N19775); RSA majoré for an isolated pregnant woman:
        # 836,85 − 78,20 = 758,65 € > 0 €.
        "rsa": L, "rsa_majore": L,
        # Prime à la naissance: pregnancy, income under the ceiling (F2550).
        "paje_prime_naissance": L,
        "css_gratuite": L,
        "apl": N, "cheque_energie": N,
    },
    "single_father_two_children_nancy": {
        "allocations_familiales": L, "ars": L, "apl": L, "prime_activite": L,
        # C2S: 3 persons: 2 093,55 − 193,55 − 152,24 = 1 747,76 € with a contribution (F10027).
        "css_participative": L, "css_gratuite": N,
        # Pass'Sport: 14–17 in a family receiving the ARS (pass.sports.gouv.fr).
        "pass_sport": L,
        # Nancy school canteen priced by quotient familial (nancy.fr).
        "restauration_scolaire_nancy": L,
        # RSA: 1 173,04 − 193,55 − 152,24 = 827,25 € < 1 500 €.
        "rsa": N, "rsa_majore": N,
        # ASF depends on the other parent: to check (F815).
        "asf": U,
    },
    "dependent_widow_85_nancy": {
        # APA: 60+, needs help for daily life, at home (F10009).
        "apa_domicile": L,
        "pension_reversion": L,
        # ALS at 1 250 € of pension with a private rent (caf.fr).
        "als": L,
        "stan_gratuite_65_plus": L,
        # Aide ménagère: income above the ASPA ceiling; APA covers her.
        "aide_menagere_personnes_agees": N,
        "aspa": N, "cheque_energie": N,
        # APA en établissement: she lives at home: to check, never likely.
        "apa_etablissement": U,
    },
    "couple_partner_disabled_80_toul": {
        # AAH for the partner: 80 %; since 2023-10 the spouse's income no longer counts (F12242).
        "aah": L,
        # CMI invalidité for the partner: 80 % (F34049).
        "cmi": L,
        # MVA: the partner has the AAH at 80 %, a social dwelling with a housing aid, no earned
        # income of their own (F12903).
        "mva": L,
        # Prime d'activité: a salary of 1 450 € in a couple (F2882).
        "prime_activite": L,
        # Nobody is 65 or has an invalidity pension: no ASPA, no ASI.
        "aspa": N, "asi": N,
        # RSA: 1 450 € of salary is above the couple's RSA (N19775).
        "rsa": N,
    },
}


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def test_at_least_12_personas_with_expectations():
    assert len(PERSONAS) >= 12
    assert set(EXPECTED) == set(PERSONAS)
    assert all(any(s == L for s in e.values()) or name == "retired_man_owner_toul" for name, e in EXPECTED.items())


@pytest.mark.parametrize("name", sorted(PERSONAS))
def test_persona_statuses(catalogue, name):
    got = statuses(PERSONAS[name], catalogue)
    expected = EXPECTED[name]
    unknown_ids = [b for b in expected if b not in got]
    assert not unknown_ids
    wrong = {b: (got[b], want) for b, want in expected.items() if got[b] != want}
    assert not wrong, f"{name}: (engine, rule) {wrong}"


@pytest.mark.parametrize("name", sorted(PERSONAS))
def test_needs_check_entries_are_never_likely(catalogue, name):
    got = statuses(PERSONAS[name], catalogue)
    likely_checked = [b for b, s in got.items() if s == L and catalogue.by_id[b].entry.needs_check]
    assert not likely_checked


@pytest.mark.parametrize("name", sorted(PERSONAS))
def test_money_comes_first_services_for_all_last(catalogue, name):
    likely = evaluate(PERSONAS[name], catalogue).likely
    impacts = [r.impact for r in likely if not r.open_to_all]
    assert impacts == sorted(impacts, reverse=True)
    open_positions = [i for i, r in enumerate(likely) if r.open_to_all]
    assert open_positions == list(range(len(likely) - len(open_positions), len(likely)))


@pytest.mark.parametrize("name", sorted(PERSONAS))
def test_rare_checks_come_last(catalogue, name):
    unknown = evaluate(PERSONAS[name], catalogue).unknown
    rare = [i for i, r in enumerate(unknown) if r.rare]
    assert rare == list(range(len(unknown) - len(rare), len(unknown)))


def conversation(persona: dict, catalogue, stop_after: int = 8) -> tuple[list[str], dict, dict]:
    """(questions asked until nothing is left, profile after `stop_after` answers, full profile)."""
    profile: dict = {}
    asked: list[str] = []
    early: dict | None = None
    while True:
        if len(asked) == stop_after and early is None:
            early = dict(profile)
        question = next_question(profile, catalogue)
        if question is None or len(asked) > 40:
            return asked, dict(profile) if early is None else early, profile
        asked.append(question.id)
        profile[question.id] = persona.get(question.id, "unknown")


def money_ids(catalogue, ids):
    """Benefits with an amount (a value, an estimator or a typical yearly value)."""
    return {b for b in ids if (lambda a: a.value or a.estimator or a.typical_yearly)(catalogue.by_id[b].entry.amount)}


def test_after_8_answers_most_money_benefits_are_already_found(catalogue):
    coverages = []
    for persona in PERSONAS.values():
        asked, early, full = conversation(persona, catalogue)
        assert len(asked) <= 16
        final = money_ids(catalogue, [b for b, s in statuses(full, catalogue).items() if s == L])
        found = money_ids(catalogue, [b for b, s in statuses(early, catalogue).items() if s == L])
        assert found <= final  # a "likely" after 8 answers stays likely
        coverages.append(len(found) / len(final) if final else 1.0)
    assert statistics.mean(coverages) >= 0.85
    assert min(coverages) >= 0.5


def test_full_conversation_reaches_the_expected_statuses(catalogue):
    for name, persona in PERSONAS.items():
        _asked, _early, profile = conversation(persona, catalogue)
        got = statuses(profile, catalogue)
        for benefit_id, want in EXPECTED[name].items():
            if want == L:
                assert got[benefit_id] == L, (name, benefit_id)
