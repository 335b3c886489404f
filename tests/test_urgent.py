"""Urgent situations: detector figures on the labelled set, detector behaviour, help."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from urgent import build_help, detect
from urgent.detector import situation_ids
from urgent.evaluation import (
    BLIND_FILE,
    EVAL_FILE,
    HOLDOUT_FILE,
    TUNING_FILE,
    evaluate,
    load_eval_set,
)
from urgent.normalize import normalize
from urgent.situations import DATA_DIR, SITUATIONS_FILE, UrgentDataError, get_data, load

# --------------------------------------------------------------------------------------
# Evaluation set
# --------------------------------------------------------------------------------------


def test_eval_set_is_large_and_balanced():
    urgent, ordinary = load_eval_set()
    total = len(urgent) + len(ordinary)
    assert total >= 160
    assert 0.4 <= len(urgent) / total <= 0.6


# Second holdout, written before reading the patterns; its first-run figures are at its top.
HOLDOUT2_FILE = DATA_DIR / "holdout2_set.yml"

ALL_SETS = [(EVAL_FILE, "all"), (BLIND_FILE, "main"), (HOLDOUT_FILE, "main"), (TUNING_FILE, "main"),
            (HOLDOUT2_FILE, "main"), (DATA_DIR / "blind3_set.yml", "main")]


def _sentences(path, part):
    urgent, ordinary = load_eval_set(path, part)
    return {" ".join(normalize(c.text)) for c in urgent} | {" ".join(normalize(t)) for t in ordinary}


@pytest.mark.parametrize(("path", "part"), ALL_SETS, ids=lambda v: getattr(v, "name", v))
def test_eval_sentences_are_not_copied_into_patterns(path, part):
    sentences = _sentences(path, part)
    for situation in get_data().situations:
        for pattern in situation.patterns:
            assert pattern.source not in sentences, pattern.source


def test_blind_and_holdout_sets_are_balanced_and_apart():
    urgent, ordinary = load_eval_set(BLIND_FILE, "main")
    assert len(urgent) + len(ordinary) >= 160
    assert 0.4 <= len(urgent) / (len(urgent) + len(ordinary)) <= 0.6
    held_urgent, held_ordinary = load_eval_set(HOLDOUT_FILE, "main")
    assert (len(held_urgent), len(held_ordinary)) == (20, 20)
    assert not _sentences(BLIND_FILE, "main") & _sentences(HOLDOUT_FILE, "main")
    assert "BLIND FIGURES" in BLIND_FILE.read_text(encoding="utf-8")


def _report(title, path, part):
    report = evaluate(path, part)
    print(f"\n== {title} ({path.name}) ==")
    print(report.summary())
    return report


def test_eval_figures():
    report = _report("first author's set, tuned on", EVAL_FILE, "all")
    assert report.recall >= 0.98, report.summary()
    assert report.false_alarm_rate < 0.05, report.summary()
    assert report.situation_accuracy >= 0.95, report.summary()


def test_blind_set_figures():
    report = _report("blind set (tuned on after its first run)", BLIND_FILE, "main")
    assert report.recall >= 0.98, report.summary()
    assert report.false_alarm_rate < 0.05, report.summary()
    assert report.situation_accuracy >= 0.95, report.summary()


def test_holdout_figures():
    """Measured once (figures at its top); its two false alarms were then fixed generally."""
    report = _report("holdout set (measured once, then used)", HOLDOUT_FILE, "main")
    assert report.recall >= 0.9, report.summary()
    assert report.false_alarm_rate <= 0.1, report.summary()


def test_holdout2_set_is_balanced_and_apart():
    urgent, ordinary = load_eval_set(HOLDOUT2_FILE, "main")
    assert (len(urgent), len(ordinary)) == (30, 30)
    others = set().union(*(_sentences(path, part) for path, part in ALL_SETS
                           if path.name not in ("holdout2_set.yml", "blind3_set.yml")))
    assert not _sentences(HOLDOUT2_FILE, "main") & others
    assert "MEASURED ONCE" in HOLDOUT2_FILE.read_text(encoding="utf-8")


def test_holdout2_figures():
    """Second holdout: the honest first-run figure is recorded at the top of its file."""
    report = _report("second holdout (measured once, then used)", HOLDOUT2_FILE, "main")
    assert report.recall >= 0.9, report.summary()
    assert report.false_alarm_rate <= 0.1, report.summary()


def test_tuning_set_figures():
    report = _report("tuning batches (regression only)", TUNING_FILE, "main")
    assert report.recall >= 0.98, report.summary()
    assert report.false_alarm_rate < 0.05, report.summary()


def _nlu_examples():
    """(intent, text) of every example in bot/data/nlu/*.yml, entity markup removed."""
    markup = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")
    root = Path(__file__).resolve().parents[1] / "bot" / "data" / "nlu"
    for path in sorted(root.glob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            for line in (block.get("examples") or "").splitlines():
                line = line.strip()
                if block.get("intent") and line.startswith("- "):
                    yield block["intent"], markup.sub(r"\1", line[2:].strip())


def test_only_urgent_nlu_examples_fire():
    examples = list(_nlu_examples())
    assert len(examples) > 100
    wrong = [(intent, text, situation_ids(text)) for intent, text in examples
             if (intent == "urgent_situation") != bool(situation_ids(text))]
    assert not wrong, wrong


# --------------------------------------------------------------------------------------
# Detector behaviour
# --------------------------------------------------------------------------------------

BRIEF_URGENT = [
    ("jdors ds ma voiture", "homeless"),
    ("je dor dehors ce soir", "homeless"),
    ("je suis à la rue", "homeless"),
    ("il me tape", "violence"),
    ("mon mari me frappe", "violence"),
    ("j'en peux plus je veux en finir", "suicide"),
    ("envie de mourir", "suicide"),
    ("on va nous couper l'électricité", "energy"),
    ("coupure edf demain", "energy"),
    ("huissier vient lundi pour l'expulsion", "eviction"),
    ("j'ai rien a manger pour les petits", "food"),
    ("mon fils a du mal a respirer", "medical"),
]

BRIEF_ORDINARY = [
    "je suis hébergé chez ma sœur",
    "je suis locataire",
    "mon loyer est de 500",
    "j'ai 2 enfants",
    "je cherche du travail",
    "je suis au chômage",
    "pas de revenus",
    "je vais bien",
    "ma fille a 4 ans",
    "mon ex ne paie pas la pension",
    "j'ai été expulsé il y a 3 ans, maintenant ça va",
]


@pytest.mark.parametrize(("text", "situation"), BRIEF_URGENT)
def test_brief_urgent_examples(text, situation):
    assert situation in situation_ids(text)


@pytest.mark.parametrize("text", BRIEF_ORDINARY)
def test_brief_ordinary_examples(text):
    assert detect(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "je ne dors pas dehors",
        "je dors plus dehors depuis un an",
        "il ne me frappe plus",
        "personne ne me frappe",
        "il me tape sur les nerfs",
        "mon loyer est de 115 euros",
        "je veux en finir avec ce dossier",
        "il y a 2 ans j'ai dormi dans ma voiture",
        "j'habite dans la rue de la gare",
        "je vais me coucher",
        "je veux mourir de rire",
        "il fait froid dehors",
        "le compteur d'eau est dans la cave",
        "je suis dehors, je fais les courses",
        "ma fille est épanouie à l'école",
        "ça va couter cher l'électricité cet hiver",
    ],
)
def test_negation_past_and_idioms_do_not_fire(text):
    assert detect(text) == []


@pytest.mark.parametrize(
    ("text", "situation"),
    [
        ("je sais pas ou dormir ce soir", "homeless"),
        ("il me frappe de plus en plus fort", "violence"),
        ("je dors dans ma voiture, pas chez moi", "homeless"),
        ("il y a 2 ans j'ai perdu mon travail, et ce soir je dors dehors", "homeless"),
        ("on a plus rien a manger", "food"),
    ],
)
def test_urgent_despite_negation_words(text, situation):
    assert situation in situation_ids(text)


@pytest.mark.parametrize(
    ("text", "situation"),
    [("l'uissier passe demain", "eviction"), ("menace d'expultion", "eviction"),
     ("envie de mourrir", "suicide"), ("il me frape", "violence"),
     ("jarrive plus a payer ledf", "energy")],
)
def test_typos_and_glued_words(text, situation):
    found = detect(text)
    assert [d.situation_id for d in found] == [situation]
    assert 0 < found[0].score <= 1


def test_sms_forms_are_spelled_out():
    assert normalize("Jdors ds ma voiture 2main", get_data().sms) == ["je", "dors", "dans", "ma", "voiture", "demain"]
    assert normalize("c'est l'électricité", get_data().sms) == ["c", "est", "l", "electricite"]


def test_several_situations_most_serious_first():
    text = "on a plus rien a manger, mon mari me frappe et j'ai envie de mourir"
    assert situation_ids(text) == ["suicide", "violence", "food"]


@pytest.mark.parametrize("bad", [None, "", "   ", 42, ["il me frappe"], "🙂🙂"])
def test_bad_input_gives_nothing(bad):
    assert detect(bad) == []


@pytest.mark.parametrize(
    ("text", "situation"),
    [
        # -é / -er / -ée written for one another
        ("il ma frapper", "violence"),
        ("jai du mal a respiré", "medical"),
        ("on va etre expulser", "eviction"),
        # a negation in an earlier clause does not cancel the next one
        ("jpp jveux crever", "suicide"),
        ("on dort chez personne on est dehors", "homeless"),
        # a lookahead refuses whole words only ("pas de" but not "pas depuis")
        ("je mange pas depuis 2 jours", "food"),
        # a word written in a pattern is never "corrected" into another one
        ("je me fais cogner par mon mec", "violence"),
        ("il m'a mis une droite", "violence"),
        ("je suis à la rue depuis hier", "homeless"),
    ],
)
def test_general_forms(text, situation):
    assert situation in situation_ids(text)


@pytest.mark.parametrize(
    "text",
    [
        "je vais me tuer à la tâche",
        "ce formulaire me tue",
        "ils vont me tuer avec leurs papiers",
        "la coupure de courant d'hier est réparée",
        "avant j'étais sans domicile mais depuis 2021 j'ai un appart",
        "je suis à la rue Jeanne d'Arc",
        "la caf repond pas",
        "je voudrais changer les serrures de ma porte",
        "j'ai résilié mon contrat edf pour passer chez total",
        "je fais du bénévolat aux restos du coeur",
        "je veux en finir avec les dettes",
        "mon patron va me virer",
    ],
)
def test_near_misses_do_not_fire(text):
    assert detect(text) == []


# --------------------------------------------------------------------------------------
# Help composition
# --------------------------------------------------------------------------------------


def _dials(help_):
    return [n.dial for n in help_.numbers]


@pytest.mark.parametrize(
    ("situation", "numbers"),
    [("homeless", ["115"]), ("violence", ["17", "3919", "114"]), ("child_danger", ["119"]),
     ("suicide", ["3114", "15"]), ("medical", ["15", "112"]), ("eviction", ["0 805 16 00 75"])],
)
def test_help_gives_the_right_numbers(situation, numbers):
    help_ = build_help([situation])
    for number in numbers:
        assert number in _dials(help_)
        assert number in help_.text()


def test_every_number_line_says_free_and_hours():
    data = get_data()
    for sid in data.by_id:
        for number in build_help([sid]).numbers:
            assert "gratuit" in number.line
            assert number.hours in number.line
    assert "24h/24" in build_help(["homeless"]).numbers[0].line


def test_combined_help_is_ordered_and_deduplicated():
    help_ = build_help(["food", "homeless", "suicide", "violence"])
    assert help_.situations == ("suicide", "violence", "homeless", "food")
    assert help_.messages[0] == get_data().by_id["suicide"].message
    dials = _dials(help_)
    assert dials[0] == "3114"
    assert len(dials) == len(set(dials))
    assert help_.text().endswith(get_data().by_id["suicide"].closing)  # suicide first


def test_commune_specific_ccas_when_commune_known():
    help_ = build_help(["food"], commune_insee="54395")
    ccas = help_.local_contacts[0]
    assert ccas.name == "CCAS de Nancy (à la mairie)"
    assert ccas.phone == "03 83 85 31 92"
    assert help_.commune_name == "Nancy"
    assert "Nancy" in help_.text()


def test_small_commune_gets_its_town_hall():
    names = [c.name for c in build_help(["food"], commune_insee="54001").local_contacts]
    assert "Mairie d'Abaucourt" in names


def test_unknown_commune_gets_generic_help():
    for commune in (None, "99999", 54395.5, "n'importe quoi"):
        names = [c.key for c in build_help(["food"], commune_insee=commune).local_contacts]
        assert "ccas_generic" in names


def test_mds_and_fsl_follow_the_commune():
    vandoeuvre = [c.key for c in build_help(["energy"], "54547").local_contacts]
    assert "mds_lorraine_vandoeuvre" in vandoeuvre
    assert "fsl_metropole" in vandoeuvre and "fsl_departement" not in vandoeuvre
    rural = [c.key for c in build_help(["energy"], "54001").local_contacts]
    assert "mds_departement" in rural
    assert "fsl_departement" in rural and "fsl_metropole" not in rural
    unknown = [c.key for c in build_help(["energy"]).local_contacts]
    assert "fsl_departement" in unknown and "fsl_metropole" in unknown


def test_eviction_help_has_adil():
    keys = [c.key for c in build_help(["eviction"], "54395").local_contacts]
    assert "adil" in keys


def test_every_number_and_contact_has_a_source():
    data = get_data()
    help_ = build_help(list(data.by_id), commune_insee="54184")
    assert help_.numbers and help_.local_contacts
    for item in [*help_.numbers, *help_.local_contacts]:
        assert item.source.startswith(("http://", "https://")), item
        assert len(item.checked) == 10


def test_unknown_situations_fall_back_to_emergency_numbers():
    help_ = build_help(["nope", 3, None])
    assert help_.situations == ()
    assert "112" in _dials(help_)
    assert build_help("homeless").situations == ("homeless",)
    assert build_help(None).situations == ()


def test_help_is_json_ready():
    data = build_help(["violence", "homeless"], "54482").to_dict()
    json.dumps(data)
    assert data["text"].startswith("Ce que vous vivez")
    assert data["numbers"][0]["line"].startswith("17 –")


# --------------------------------------------------------------------------------------
# Data validation
# --------------------------------------------------------------------------------------


def _broken_copy(tmp_path, change):
    raw = yaml.safe_load(SITUATIONS_FILE.read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / "situations.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    shutil.copy(DATA_DIR / "mairies_54.csv", tmp_path / "mairies_54.csv")
    return path


def test_packaged_data_loads():
    assert load().situations[0].id == "suicide"


def test_missing_source_names_file_and_field(tmp_path):
    path = _broken_copy(tmp_path, lambda raw: raw["numbers"]["115"].pop("source"))
    with pytest.raises(UrgentDataError, match=r"situations\.yml: numbers\.115\.source"):
        load(path)


def test_bad_pattern_names_the_situation(tmp_path):
    path = _broken_copy(tmp_path, lambda raw: raw["situations"][0]["patterns"].append("(oops"))
    with pytest.raises(UrgentDataError, match=r"situations\.suicide\.patterns"):
        load(path)


def test_yaml_true_false_in_a_word_list_is_refused(tmp_path):
    # Unquoted `on` is read by YAML as true: it must not silently become the word "true".
    path = _broken_copy(tmp_path, lambda raw: raw["negation"]["clause_subjects"].append(True))
    with pytest.raises(UrgentDataError, match=r"negation\.clause_subjects"):
        load(path)


def test_word_list_may_only_use_a_list_above_it(tmp_path):
    def change(raw):
        raw["words"] = {"first": ["a {later}"], **raw["words"], "later": ["b"]}
    with pytest.raises(UrgentDataError, match=r"words\.first"):
        load(_broken_copy(tmp_path, change))


def test_unknown_number_in_situation(tmp_path):
    path = _broken_copy(tmp_path, lambda raw: raw["situations"][1]["numbers"].append("999"))
    with pytest.raises(UrgentDataError, match=r"situations\.medical\.numbers"):
        load(path)


# Figurative uses fixed after the holdouts' first runs: struggling with an administration,
# being "hit" by prices, eating thanks to food aid, hunger for knowledge; real cases stay.
@pytest.mark.parametrize(("text", "expected"), [
    ("je me bats depuis des mois contre la mds pour mon dossier", []),
    ("on s'est battues aupres de la prefecture pour avoir nos papiers", []),
    ("je me suis battue pour obtenir mon rsa", []),
    ("on a ete frappes de plein fouet par la crise", []),
    ("les enfants mangent a leur faim grace au secours populaire", []),
    ("les restos du coeur nous depannent bien cet hiver", []),
    ("j'ai faim d'apprendre le francais", []),
    ("il m'a frappee hier soir et je me suis battue pour m'enfuir", ["violence"]),
    ("il veut me battre", ["violence"]),
    ("on a plus rien a manger, meme le secours populaire est ferme", ["food"]),
    ("besoin de la banque alimentaire on a rien", ["food"]),
])
def test_figurative_uses_after_holdouts(text, expected):
    assert situation_ids(text) == expected
