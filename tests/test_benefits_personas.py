"""Personas on the real catalogue: profile -> expected status of key benefits.

Each case names the public rule and its source. Ceilings are tested at the ceiling and one euro
above (monthly income). Figures: /work/shared/reference/benefits_facts.csv (OpenFisca parameters,
service-public.fr, caf.fr) as copied into the catalogue entries.
"""

import pytest

from benefits import load_catalogue, statuses

L, N, U = "likely", "not_now", "unknown"

# A base resident: Nancy, alone, no children, tenant of a social dwelling, no disability.
BASE = {
    "household": "alone", "children_count": 0, "housing": "social_tenant", "rent": 400,
    "disability": "none", "commune": "54395", "pregnant": False, "widowed": False,
}


def p(**answers):
    return {**BASE, **answers}


PERSONAS = [
    # --- RSA: 25+ (or a child), not a student, resources under the "montant forfaitaire".
    # service-public.fr N19775; OpenFisca rsa/rsa_m/montant_de_base_du_rsa: 651,69 € alone, 2026-04-01.
    # The CAF also counts the forfait logement (12 % of it alone = 78,20 €, when one gets a housing
    # aid, is housed free or owns: OpenFisca rsa_fl) and the allocations familiales, which the income
    # question leaves out: a social tenant alone stops at 651,69 − 78,20 = 573,49 €.
    ("rsa_alone_at_ceiling", p(age=40, income_monthly=573.49, income_kinds=["none"], work="job_seeker"),
     {"rsa": L}),
    ("rsa_alone_one_euro_above", p(age=40, income_monthly=574.49, income_kinds=["none"], work="job_seeker"),
     {"rsa": N}),
    ("rsa_homeless_alone_at_ceiling",
     p(age=40, housing="homeless", income_monthly=651.69, income_kinds=["none"], work="job_seeker"),
     {"rsa": L}),
    ("rsa_homeless_alone_one_euro_above",
     p(age=40, housing="homeless", income_monthly=652.69, income_kinds=["none"], work="job_seeker"),
     {"rsa": N}),
    # Couple with 2 children: 651,69 × 2,1 = 1 368,55 € (rsa_maj), minus the forfait logement for
    # 3+ persons (16,5 % × 1 173,04 = 193,55 €) and the allocations familiales for 2 children
    # (32 % × BMAF 478,16 € × 0,995 = 152,24 €) = 1 022,76 € — service-public.fr N19775.
    ("rsa_couple_2_children_at_ceiling",
     p(age=35, household="couple", children_count=2, children_ages=[3, 6], income_monthly=1022.76,
       income_kinds=["salary"], work="employed"),
     {"rsa": L}),
    ("rsa_couple_2_children_one_euro_above",
     p(age=35, household="couple", children_count=2, children_ages=[3, 6], income_monthly=1023.76,
       income_kinds=["salary"], work="employed"),
     {"rsa": N}),
    # Under 25 without child: no RSA (rsa_cond age_min 25) — service-public.fr N19775.
    ("rsa_under_25_without_child", p(age=22, income_monthly=0, income_kinds=["none"], work="job_seeker"),
     {"rsa": N}),
    # Students are excluded from the RSA as a rule — service-public.fr N19775.
    ("rsa_student", p(age=30, income_monthly=0, income_kinds=["none"], work="student"), {"rsa": N}),
    # "Je ne sais pas" for the income never gives a "no" — DEVELOPERS.md profile contract.
    # The total is asked (and can be "je ne sais pas") only when an amount by type was not known.
    ("rsa_income_unknown", p(age=40, income_monthly="unknown", income_kinds=["unemployment"],
                             income_unemployment="unknown", work="job_seeker"),
     {"rsa": U}),

    # --- Prime d'activité: 18+, earned income — caf.fr "la prime d'activité"; OpenFisca ppa.
    ("prime_activite_part_time_worker",
     p(age=30, income_monthly=1200, income_kinds=["salary"], work="employed"), {"prime_activite": L}),
    ("prime_activite_no_earned_income",
     p(age=30, income_monthly=0, income_kinds=["none"], work="job_seeker"), {"prime_activite": N}),
    # One earner in a couple with 2 children at 4 500 €: (1 340,39 + 184,27 − 152,24 − 15) / 0,39
    # = 3 480,56 € is the sure bound; up to 4 537,11 € (two earners' bonuses) it depends on who
    # earns what: "to check"; above, "not now" — service-public.fr F2882 (forfait 638,28 €).
    ("prime_activite_couple_2_children_between_bounds",
     p(age=40, household="couple", children_count=2, children_ages=[4, 9], income_monthly=4500,
       income_kinds=["salary"], work="employed"),
     {"prime_activite": U}),
    ("prime_activite_couple_2_children_sure",
     p(age=40, household="couple", children_count=2, children_ages=[4, 9], income_monthly=3480,
       income_kinds=["salary"], work="employed"),
     {"prime_activite": L}),
    ("prime_activite_couple_2_children_above",
     p(age=40, household="couple", children_count=2, children_ages=[4, 9], income_monthly=4538,
       income_kinds=["salary"], work="employed"),
     {"prime_activite": N}),
    ("prime_activite_17_years_old",
     p(age=17, income_monthly=600, income_kinds=["salary"], work="apprentice"), {"prime_activite": N}),

    # --- ASPA: 65+, resources ≤ 1 043,60 €/month alone, 1 620,18 € couple (2026-01-01).
    # service-public.fr F16871; OpenFisca aspa.
    ("aspa_alone_at_ceiling", p(age=68, income_monthly=1043.60, income_kinds=["pension"], work="retired"),
     {"aspa": L}),
    ("aspa_alone_one_euro_above", p(age=68, income_monthly=1044.60, income_kinds=["pension"], work="retired"),
     {"aspa": N}),
    ("aspa_couple_at_ceiling",
     p(age=70, household="couple", income_monthly=1620.18, income_kinds=["pension"], work="retired"),
     {"aspa": L}),
    ("aspa_couple_one_euro_above",
     p(age=70, household="couple", income_monthly=1621.18, income_kinds=["pension"], work="retired"),
     {"aspa": N}),
    ("aspa_64_years_old", p(age=64, income_monthly=700, income_kinds=["pension"], work="retired"),
     {"aspa": N}),
    ("aspa_income_not_given_yet", {"age": 70, "commune": "54395"}, {"aspa": U}),

    # --- AAH: incapacity ≥ 80 % (or 50–79 %), 20+ (16+), ceiling 1 041,59 €/month alone.
    # service-public.fr F12242; OpenFisca aah.
    ("aah_80_percent_low_income",
     p(age=45, disability="rate_80_plus", income_monthly=300, income_kinds=["none"], work="unable"),
     {"aah": L}),
    ("aah_no_recognised_disability",
     p(age=45, disability="none", income_monthly=300, income_kinds=["none"], work="unable"),
     {"aah": N}),

    # --- Complémentaire santé solidaire: 10 339 €/year alone (861,58 €/month) for free C2S,
    # 13 957 €/year (1 163,08 €/month) with a contribution, 2025-04-01 → 2026-03-31.
    # service-public.fr F10027; efl.fr (C2S ceilings 2025-04). The CPAM counts the forfait
    # logement too (78,20 € alone with a housing aid): 783,38 € and 1 084,88 € for a tenant alone;
    # the full ceilings for a homeless person.
    ("css_gratuite_at_ceiling", p(age=40, income_monthly=783.38, income_kinds=["salary"], work="employed"),
     {"css_gratuite": L, "css_participative": N}),
    ("css_gratuite_one_euro_above", p(age=40, income_monthly=784.38, income_kinds=["salary"], work="employed"),
     {"css_gratuite": N, "css_participative": L}),
    ("css_gratuite_homeless_at_ceiling",
     p(age=40, housing="homeless", income_monthly=861.58, income_kinds=["salary"], work="employed"),
     {"css_gratuite": L, "css_participative": N}),
    ("css_participative_at_ceiling",
     p(age=40, income_monthly=1084.88, income_kinds=["salary"], work="employed"),
     {"css_participative": L}),
    ("css_participative_one_euro_above",
     p(age=40, income_monthly=1085.88, income_kinds=["salary"], work="employed"),
     {"css_participative": N, "css_gratuite": N}),
    ("css_participative_homeless_one_euro_above",
     p(age=40, housing="homeless", income_monthly=1164.08, income_kinds=["salary"], work="employed"),
     {"css_participative": N, "css_gratuite": N}),

    # --- Allocations familiales: from 2 dependent children under 20 — caf.fr; OpenFisca af.
    ("af_two_children",
     p(age=38, household="couple", children_count=2, children_ages=[5, 12], income_monthly=3000,
       income_kinds=["salary"], work="employed"),
     {"allocations_familiales": L}),
    ("af_one_child",
     p(age=38, household="couple", children_count=1, children_ages=[5], income_monthly=3000,
       income_kinds=["salary"], work="employed"),
     {"allocations_familiales": N}),

    # --- ARS: a child 6–18, ceiling 28 956 €/year for 1 child (22 274 × 1,3, 2026-01-01), on the
    # CAF's net taxable income (after the 10 % deduction): service-public.fr F1878; OpenFisca ars.
    # 2 681,11 €/month net × 12 × 0,9 = 28 955,99 € (the old 2 413 € compared net with taxable).
    ("ars_one_child_at_ceiling",
     p(age=36, children_count=1, children_ages=[8], income_monthly=2681.11, income_kinds=["salary"], work="employed"),
     {"ars": L}),
    ("ars_one_child_one_euro_above",
     p(age=36, children_count=1, children_ages=[8], income_monthly=2682.11, income_kinds=["salary"], work="employed"),
     {"ars": N}),
    ("ars_child_too_young",
     p(age=36, children_count=1, children_ages=[4], income_monthly=1000, income_kinds=["salary"], work="employed"),
     {"ars": N}),

    # --- Bourse de collège: a child of collège age, RFR ≤ 18 130 € for 1 child (rentrée 2026).
    # service-public.fr F984; arrêté 2016 coefficients × SMIC horaire.
    ("bourse_college_low_income",
     p(age=40, children_count=1, children_ages=[12], income_monthly=1200, income_kinds=["salary"],
       work="employed"),
     {"bourse_college": L}),
    ("bourse_college_high_income",
     p(age=40, children_count=1, children_ages=[12], income_monthly=2500, income_kinds=["salary"],
       work="employed"),
     {"bourse_college": N}),

    # --- Stan free fares in the Métropole du Grand Nancy: 65+ since 2025-08-01, under 18 since
    # 2022-03-01 — reseau-stan.com; France 3 Grand Est.
    ("stan_65_in_nancy", p(age=65, income_monthly=1500, income_kinds=["pension"], work="retired"),
     {"stan_gratuite_65_plus": L}),
    ("stan_64_in_nancy", p(age=64, income_monthly=1500, income_kinds=["pension"], work="retired"),
     {"stan_gratuite_65_plus": N}),
    ("stan_70_in_luneville",
     p(age=70, income_monthly=1500, income_kinds=["pension"], work="retired", commune="54329"),
     {"stan_gratuite_65_plus": N, "stan_gratuite_weekend": N}),
    ("stan_parent_of_a_teenager_in_malzeville",
     p(age=42, children_count=1, children_ages=[15], income_monthly=2000, income_kinds=["salary"],
       work="employed", commune="54339"),
     {"stan_gratuite_moins_18": L, "pass_culture": L}),

    # --- Chèque énergie: RFR per consumption unit under ~11 000 € (11 000 / 12 ≈ 916,67 €/month
    # alone) — service-public.fr F35327; OpenFisca cheque_energie (10 800 €), press 2025.
    ("cheque_energie_low_income_tenant",
     p(age=50, income_monthly=800, income_kinds=["unemployment"], work="job_seeker"), {"cheque_energie": L}),
    ("cheque_energie_hosted", p(age=50, housing="hosted", income_monthly=800, income_kinds=["unemployment"],
                                work="job_seeker"), {"cheque_energie": N}),

    # --- Pension de réversion: widowed, 55+, resources ≤ 24 710 €/year alone (2025).
    # service-public.fr F13552; lassuranceretraite.fr.
    ("reversion_widow_62",
     p(age=62, widowed=True, income_monthly=1200, income_kinds=["pension"], work="retired"),
     {"pension_reversion": L}),
    ("reversion_not_widowed",
     p(age=62, widowed=False, income_monthly=1200, income_kinds=["pension"], work="retired"),
     {"pension_reversion": N}),

    # --- Aide juridictionnelle: RFR ≤ 19 290 €/year alone for some help (25 %) in 2025; the RFR
    # is net income less the 10 % deduction: 19 290 / 0,9 / 12 = 1 786,11 € net a month —
    # service-public.fr F18074; justice.fr. It only serves someone with a court case, which no
    # question asks: under the ceiling it is "to check" (needs_check), never "likely"; above it,
    # "not now".
    ("aide_juridictionnelle_at_ceiling",
     p(age=45, income_monthly=1786.11, income_kinds=["salary"], work="employed"),
     {"aide_juridictionnelle": U}),
    ("aide_juridictionnelle_one_euro_above",
     p(age=45, income_monthly=1787.11, income_kinds=["salary"], work="employed"),
     {"aide_juridictionnelle": N}),

    # --- Mutuelle communale: residents of Nancy only — ici-c-nancy (convention 2025-09-22).
    ("mutuelle_communale_nancy_resident", p(age=45, income_monthly=1500, income_kinds=["salary"], work="employed"),
     {"mutuelle_communale_nancy": L}),
    ("mutuelle_communale_saint_max_resident",
     p(age=45, income_monthly=1500, income_kinds=["salary"], work="employed", commune="54482"),
     {"mutuelle_communale_nancy": N}),

    # --- FSL: the Métropole's FSL inside the Grand Nancy, the Département's outside it; resources
    # under RSA + 360 € — meurthe-et-moselle.fr / grandnancy.eu (règlement FSL). It pays a housing
    # need (deposit, rent or energy debts) that no question asks: "to check" under the ceiling.
    ("fsl_metropole_in_nancy", p(age=45, income_monthly=900, income_kinds=["none"], work="job_seeker"),
     {"fsl_metropole_grand_nancy": U, "fsl_departement_54": N}),
    ("fsl_departement_in_luneville",
     p(age=45, income_monthly=900, income_kinds=["none"], work="job_seeker", commune="54329"),
     {"fsl_departement_54": U, "fsl_metropole_grand_nancy": N}),
    ("fsl_over_the_ceiling",
     p(age=45, income_monthly=1012.69, income_kinds=["salary"], work="employed"),
     {"fsl_metropole_grand_nancy": N}),
]


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.mark.parametrize("name, profile, expected", PERSONAS, ids=[c[0] for c in PERSONAS])
def test_persona(catalogue, name, profile, expected):
    got = statuses(profile, catalogue)
    missing = [b for b in expected if b not in got]
    assert not missing, f"catalogue entries not written yet: {missing}"
    assert {b: got[b] for b in expected} == expected


def test_at_least_30_personas():
    assert len(PERSONAS) >= 30
