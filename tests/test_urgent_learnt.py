"""Issue 13: the learnt detector, its data, the combined alarm, the help and the policy."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter

import pytest
import yaml

import urgent.train as urgent_train
from bot.actions.urgent import ActionUrgentHelp
from tests.action_helpers import make_tracker, run_action
from urgent import build_help, detect
from urgent.detector import detect_rules
from urgent.evaluation import BLIND3_FILE, BLIND4_FILE, BLIND5_FILE, evaluate, load_eval_set
from urgent.help import tel_link
from urgent.learnt import MODEL_FILE, fingerprint, get_model
from urgent.policy import already_helped, person_first
from urgent.situations import DATA_DIR, UrgentDataError, get_data
from urgent.train import REPORTED_FILES, SETTINGS, TRAIN_FILES, _key, base_examples

# --- the data ----------------------------------------------------------------------------

def test_blind3_is_large_and_covers_what_was_missed():
    urgent, ordinary = load_eval_set(BLIND3_FILE)
    counts = Counter(s for case in urgent for s in case.expected)
    assert len(urgent) >= 150 and len(ordinary) >= 150
    assert counts["suicide"] >= 40
    assert set(counts) == {s.id for s in get_data().situations}
    assert "plus rien ne rentre" in ordinary


def test_blind4_is_large_and_refused_by_the_trainer():
    urgent, ordinary = load_eval_set(BLIND4_FILE)
    counts = Counter(s for case in urgent for s in case.expected)
    assert counts["suicide"] >= 60 and len(urgent) - counts["suicide"] >= 100
    assert len(ordinary) >= 200
    assert set(counts) == {s.id for s in get_data().situations}
    assert "blind4_set.yml" in REPORTED_FILES


def test_blind5_is_large_and_refused_by_the_trainer(monkeypatch, tmp_path):
    urgent, ordinary = load_eval_set(BLIND5_FILE)
    counts = Counter(s for case in urgent for s in case.expected)
    assert len(urgent) >= 240 and len(ordinary) >= 240
    assert counts["suicide"] >= 70 and counts["energy"] >= 30 and counts["violence"] >= 30
    assert min(counts.values()) >= 20
    assert set(counts) == {s.id for s in get_data().situations}
    assert "blind5_set.yml" in REPORTED_FILES
    # a blind5 text copied into a set written for training stops the trainer
    for name in TRAIN_FILES + REPORTED_FILES:
        shutil.copy(DATA_DIR / name, tmp_path / name)
    data = yaml.safe_load((tmp_path / "train_ordinary.yml").read_text(encoding="utf-8"))
    data["ordinary"].append(ordinary[0])
    (tmp_path / "train_ordinary.yml").write_text(yaml.safe_dump(data, allow_unicode=True),
                                                 encoding="utf-8")
    monkeypatch.setattr(urgent_train, "DATA_DIR", tmp_path)
    with pytest.raises(UrgentDataError, match="reported set"):
        urgent_train.base_examples()


def test_the_suicide_threshold_is_lower_than_the_general_one():
    """A safety bias chosen on the tuning split: a miss costs more than a kind message."""
    from urgent.learnt import get_model

    model = get_model()
    assert model.threshold_of("suicide") < model.threshold
    assert model.threshold_of("food") == model.threshold


@pytest.mark.parametrize("text", ["je n'ai jamais pensé au suicide", "jamais eu d'idées suicidaires",
                                  "je pense pas a me suicider", "nous ne sommes pas menacés d'expulsion",
                                  "je ne suis pas menacée d'expulsion", "je vais mourir d'ennui",
                                  "ils ont coupé l'eau pour réparer la canalisation"])
def test_clear_denials_and_ordinary_cuts_are_vetoed(text):
    assert detect(text) == []


@pytest.mark.parametrize("text, situation", [
    ("je n'ai jamais pensé au suicide avant mais là je veux mourir", "suicide"),
    ("je pense au suicide", "suicide"), ("je suis menacée d'expulsion", "eviction"),
    ("ils ont coupé l'eau pour une facture impayée", "energy")])
def test_vetoes_do_not_hide_a_real_alarm(text, situation):
    assert situation in [d.situation_id for d in detect(text)]


def test_reported_sets_are_kept_out_of_training():
    training = {_key(text) for text, _ in base_examples()}
    for name in REPORTED_FILES:
        urgent, ordinary = load_eval_set(DATA_DIR / name)
        leaked = [t for t in [c.text for c in urgent] + ordinary if _key(t) in training]
        assert not leaked, (name, leaked[:5])


def test_training_set_is_large_per_situation():
    counts = Counter(s for _, labels in base_examples() for s in labels)
    assert min(counts.values()) >= 60, counts  # then x4 with the spelling variants
    assert sum(1 for _, labels in base_examples() if not labels) >= 1000


def test_stored_weights_match_the_training_data():
    """Editing a training set without running `python -m urgent.train` fails here."""
    stored = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    assert stored["fingerprint"] == fingerprint(base_examples(), SETTINGS), \
        "urgent/data/learnt_model.json is stale: run .venv-rasa/bin/python -m urgent.train"
    assert stored["settings"] == SETTINGS
    assert set(TRAIN_FILES).isdisjoint(REPORTED_FILES)


def test_model_loads_without_numpy():
    code = ("import sys; sys.modules['numpy'] = None; sys.modules['sklearn'] = None\n"
            "from urgent.learnt import get_model; from urgent import detect\n"
            "assert get_model().weights and detect('je veux mourir')")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(DATA_DIR.parent.parent))


def test_threshold_was_chosen_on_the_tuning_split():
    stored = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    assert 0.3 <= stored["threshold"] <= 0.95
    # Round 3: the budget is for the false alarms the model adds to the rules' own.
    assert stored["tuning"]["tuning_false_alarms_added_by_model"] <= SETTINGS["max_model_false_alarms"]
    assert stored["tuning"]["tuning_false_alarms"] <= (
        stored["tuning"]["tuning_false_alarms_rules_only"] + SETTINGS["max_model_false_alarms"])


# --- the combined detector ---------------------------------------------------------------

@pytest.mark.parametrize("text, situation", [
    ("franchement je vois plus pourquoi je reste en vie", "suicide"),
    ("ma vie vaut plus rien du tout", "suicide"),
])
def test_the_model_catches_what_no_pattern_knows(text, situation):
    assert detect_rules(text)[0] == []
    assert [d.situation_id for d in detect(text)] == [situation]


@pytest.mark.parametrize("text", [
    "je suis à la rue Jeanne d'Arc",        # a street name: the rules refuse the words
    "je suis dehors, je fais les courses",
    "je vais crever de rire",                # an idiom of the suicide `exclude` list
    "quand j'étais petite on dormait dans la voiture",  # long ago
])
def test_rules_veto_the_models_known_false_alarms(text):
    assert detect(text) == []


@pytest.mark.parametrize("text", [
    "plus rien ne rentre", "on a plus rien", "je n'ai plus rien qui rentre",
    "j'ai plus un sou", "aucun, on n'a plus rien du tout",
])
def test_income_answers_are_not_hunger(text):
    assert "food" not in [d.situation_id for d in detect(text)]


def test_hunger_with_a_word_about_food_still_fires():
    assert [d.situation_id for d in detect("on a plus rien a manger")] == ["food"]
    assert "food" in [d.situation_id for d in detect("on a plus rien, le frigo est vide")]


def test_learnt_detection_has_a_score_below_or_at_one():
    found = detect("franchement je vois plus pourquoi je reste en vie")
    assert 0 < found[0].score <= 1 and found[0].phrase == ""


def test_figures_on_the_older_sets_stay_high():
    for name in ("eval_set.yml", "blind_set.yml", "tuning_set.yml"):
        report = evaluate(DATA_DIR / name)
        assert report.recall >= 0.99 and report.false_alarm_rate <= 0.01, (name, report.summary())


def test_blind3_figures_do_not_fall_below_the_reported_ones():
    """A guard, not a target: blind3 is never tuned on (docs/urgent_detection.md)."""
    combined, rules = evaluate(BLIND3_FILE), evaluate(BLIND3_FILE, learnt=False)
    assert combined.recall > rules.recall
    assert combined.recall >= 0.94 and combined.false_alarm_rate <= 0.06, combined.summary()


@pytest.mark.parametrize("name, recall, suicide, false_alarms", [
    # Guards from round 3's measured figures minus a margin (docs/urgent_detection.md):
    # blind4 93.6 %, 63/67, 2.0 %; holdout3 89.4 %, 30/36, 2.0 %.
    ("blind4_set.yml", 0.92, 0.90, 0.03),
    ("holdout3_set.yml", 0.87, 0.80, 0.03),
])
def test_round3_figures_do_not_fall(name, recall, suicide, false_alarms):
    report = evaluate(DATA_DIR / name)
    found, total = report.by_situation["suicide"]
    assert report.recall >= recall and report.false_alarm_rate <= false_alarms, report.summary()
    assert found / total >= suicide, report.summary()


# --- the help ----------------------------------------------------------------------------

def test_energy_help_gives_supplier_fsl_ccas_and_the_rules():
    text = build_help(["energy"], "54395").text()
    for words in ("facture", "FSL", "CCAS", "1er novembre", "31 mars", "eau", "toute l'année"):
        assert words in text, words
    assert "Métropole" in text  # Nancy: the Métropole's FSL
    assert "Métropole" not in build_help(["energy"], "54001").text()
    energy = get_data().by_id["energy"]
    assert "0800112212" in energy.numbers


def test_energy_cuts_are_detected_done_or_announced():
    for text in ("ils vont couper le gaz jeudi", "le courant a été coupé ce matin"):
        assert "energy" in [d.situation_id for d in detect(text)], text


@pytest.mark.parametrize("ids", [["suicide"], ["violence"], ["energy"], ["homeless"], ["medical"],
                                 ["suicide", "violence", "homeless", "food"]])
def test_help_is_three_or_four_short_messages(ids):
    messages = build_help(ids, "54395").chat_messages()
    assert 3 <= len(messages) <= 4
    limit = 850 if len(ids) == 1 else 1000
    assert all(len(m) <= limit for m in messages), [len(m) for m in messages]


def test_suicide_help_is_short_kind_and_3114_first():
    help_ = build_help(["suicide"])
    first = help_.chat_messages()[0]
    assert "3114" in first and len(first) <= 200
    assert help_.numbers[0].dial == "3114"
    assert help_.chat_messages()[1].startswith("Appelez :\n• 3114 – ")
    assert "personne" in help_.chat_messages()[-1]


def test_violence_help_says_how_to_leave_and_erase():
    text = build_help(["violence"]).text()
    assert "partir" in text and "effacez cette conversation" in text
    assert "par sms au 114" in text.lower()


@pytest.mark.parametrize("commune", [None, "54395", "54547", "54000", "99999"])
def test_no_help_message_carries_a_raw_tel_or_sms_token(commune):
    """The widget links numbers itself and Telegram shows plain numbers (issue 13)."""
    from urgent.situations import get_data

    ids = [s.id for s in get_data().situations]
    for group in [[sid] for sid in ids] + [ids]:
        help_ = build_help(group, commune)
        for message in [*help_.chat_messages(), help_.text()]:
            assert "tel:" not in message and "sms:" not in message, (group, message)


@pytest.mark.parametrize("number, link", [("3114", "tel:3114"), ("03 83 94 54 54", "tel:+33383945454"),
                                          ("0 805 16 00 75", "tel:+33805160075")])
def test_tel_links(number, link):
    assert tel_link(number) == link


# --- the action and the policy -----------------------------------------------------------

def _run(situation: str, slots: dict | None = None):
    tracker = make_tracker(slots or {"requested_slot": "income_monthly"}, "message",
                           intent="urgent_situation", entities={"situation": situation})
    return run_action(ActionUrgentHelp(), tracker)


@pytest.mark.parametrize("situation", ["suicide", "violence", "child_danger", "medical"])
def test_first_button_offers_a_person_never_continue(situation):
    _, dispatcher = _run(situation)
    buttons = [b for m in dispatcher.messages for b in m.get("buttons") or []]
    assert buttons[0]["title"] == "Parler à quelqu'un"
    assert buttons[-1]["title"] == "Continuer mes questions"


def test_help_is_sent_as_several_messages_buttons_on_the_last():
    _, dispatcher = _run("energy")
    assert 3 <= len(dispatcher.messages) <= 4
    assert all(not m.get("buttons") for m in dispatcher.messages[:-1])
    assert dispatcher.messages[-1]["buttons"][0]["title"] == "Prendre rendez-vous"


@pytest.mark.parametrize("now, helped, expected", [
    (["food"], ["food"], True),
    (["food"], ["homeless", "food"], True),
    (["food", "energy"], ["food"], False),
    (["food"], [], False),
    (["food"], None, False),
    ([], ["food"], False),
    (["suicide"], ["suicide"], False),  # always the 3114 again
    ("food", ["food"], True),
    (None, None, False),
])
def test_already_helped(now, helped, expected):
    assert already_helped(now, helped) is expected


def test_person_first():
    assert person_first(["suicide"]) and person_first(["food", "violence"])
    assert not person_first(["food"]) and not person_first(None)


def test_model_classes_are_the_situations():
    assert list(get_model().classes) == [s.id for s in get_data().situations]


def test_a_broken_weights_file_leaves_the_rules_working(monkeypatch, tmp_path):
    import urgent.detector as detector
    from urgent.learnt import load
    from urgent.situations import UrgentDataError

    broken = tmp_path / "learnt_model.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(UrgentDataError, match="learnt_model.json"):
        load(broken)
    monkeypatch.setattr(detector, "get_model", lambda: load(broken))
    assert [d.situation_id for d in detector.detect("je dors dehors")] == ["homeless"]


# --- round 3 -----------------------------------------------------------------------------

def test_round3_sets_are_in_place():
    assert "train_set3.yml" in TRAIN_FILES and "holdout3_set.yml" in REPORTED_FILES
    urgent, ordinary = load_eval_set(DATA_DIR / "train_set3.yml")
    counts = Counter(s for case in urgent for s in case.expected)
    assert counts["suicide"] >= 300 and min(counts.values()) >= 80, counts
    assert len(ordinary) >= 600


def test_negation_scope_features():
    from urgent.learnt import features

    found = features("je ne suis pas à la rue, je dors chez moi")
    assert {"n:suis", "n:a", "n:rue"} <= found
    assert "n:dors" not in found  # the comma ends the scope
    assert not any(f.startswith("n:") for f in features("je suis a la rue"))


def test_a_date_in_the_message_does_not_veto_suicidal_thoughts():
    """ "J'ai fait une tentative l'an dernier et j'y repense": the model may still raise it;
    a rule match cancelled as past ("idées noires il y a 10 ans") still vetoes it."""
    assert "suicide" not in detect_rules("j'ai fait une tentative l'an dernier et j'y repense")[1]
    assert "suicide" in detect_rules("mon père s'est suicidé il y a 20 ans")[1]
    assert "food" in detect_rules("j'ai eu faim il y a 3 ans")[1]


@pytest.mark.parametrize("text, situation", [
    ("je me fais du mal", "suicide"), ("je vais me pendre", "suicide"),
    ("j'ai peur de passer à l'acte ce soir", "suicide"), ("j'ai pris toutes mes pilules", "suicide"),
    ("je veux rejoindre mon mari au ciel", "suicide"), ("ils vont nous couper le gaz", "energy"),
])
def test_round3_rules(text, situation):
    assert situation in [d.situation_id for d in detect_rules(text)[0]]


@pytest.mark.parametrize("text", [
    "je me suis fait du mal au dos", "on a coupé le chauffage, il fait doux", "il a coupé du bois",
    "ils coupent l'eau demain matin pour changer les tuyaux de l'immeuble", "aucune expulsion en vue",
    "je ne risque pas d'etre mis dehors", "on a dormi dans la voiture pendant les vacances",
    "il me bat toujours aux cartes", "la crise nous a frappés comme tout le monde",
    "j'en ai marre de la vie chère", "j'aimerais disparaître de vos listes",
    "je pense pas du tout à en finir, c'est pour le dossier",
])
def test_round3_near_misses_are_not_rules_alarms(text):
    assert detect_rules(text)[0] == []
