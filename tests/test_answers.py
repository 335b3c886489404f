"""answers: French free-text parsers for the questionnaire (value, failure with hint, unknown)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from answers import (
    PARSER_TYPES,
    UNKNOWN,
    detect_corrections,
    parse,
    parse_age,
    parse_amount,
    parse_children_ages,
    parse_children_count,
    parse_choice,
    parse_commune,
    parse_multi_choice,
    parse_school_levels,
    parse_yes_no,
)
from answers.normalize import fold, normalize, squeeze
from answers.vocabulary import HINT_KEYS, VocabularyError, hints, vocabulary

FAIL = object()  # expected: a failure with a French hint
THIS_YEAR = date.today().year


def check(result, expected):
    if expected is FAIL:
        assert not result.ok and result.value is None
        assert result.hint and result.hint[0].isupper(), result  # a real French sentence
    elif expected == UNKNOWN:
        assert result.ok and result.is_unknown and result.value == UNKNOWN
    else:
        assert result.ok and not result.is_unknown, result
        assert result.value == expected


# --- age ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("68", 68),
        ("j'ai 68 ans", 68),
        ("soixante-huit ans", 68),
        ("68ans", 68),
        ("jai 68 ans", 68),
        ("g 45 ans", 45),
        ("quatre-vingt-dix", 90),
        ("vingt et un ans", 21),
        ("né en 1957", THIS_YEAR - 1957),
        ("Née en mille neuf cent soixante", THIS_YEAR - 1960),
        ("j'ai 45 ans et 3 enfants", 45),
        ("0", FAIL),
        ("150", FAIL),
        ("-5", FAIL),
        ("blabla", FAIL),
        ("jsp", UNKNOWN),
        ("je sais plus", UNKNOWN),
    ],
)
def test_age(text, expected):
    check(parse("age", text), expected)


def test_age_from_full_birth_date():
    today = date(2026, 11, 26)
    assert parse_age("née le 12/03/1957", today=today).value == 69
    assert parse_age("né le 30 novembre 1957", today=today).value == 68  # birthday not yet passed
    assert parse_age("né en 1957", today=today).extras == {"approximate": True}


# --- count of children --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("2", 2),
        ("deux", 2),
        ("j'ai 2 gosses", 2),
        ("Jai 3 enfant", 3),
        ("trois gosses", 3),
        ("deux gosses", 2),
        ("ma fille", 1),
        ("nous sommes 4 personnes avec mon fils et ma fille", 2),
        ("j sais pas", UNKNOWN),
        ("un garçon et une fille", 2),
        ("2 filles et un garçon", 3),
        ("j'ai des jumeaux", 2),
        ("un", 1),
        ("aucun", 0),
        ("pas d'enfant", 0),
        ("non", 0),
        ("0", 0),
        ("zéro", 0),
        ("on est 3 avec ma fille de 4 ans", 1),
        ("mes enfants ont 3 et 5 ans", 2),
        ("le grand a 15 ans le petit 2", 2),
        ("j'ai 2 enfants, ma fille a 3 ans et mon fils 5 ans", 2),
        ("50", FAIL),
        ("beaucoup", FAIL),
        ("jsp", UNKNOWN),
        ("aucune idée", UNKNOWN),
    ],
)
def test_children_count(text, expected):
    check(parse("count", text), expected)


def test_children_count_bonus_ages():
    result = parse("count", "on est 3 avec ma fille de 4 ans")
    assert result.extras["children_ages"] == [4]
    assert result.extras["household_size"] == 3
    assert parse("count", "trois enfants de 2, 5 et 8 ans").extras["children_ages"] == [2, 5, 8]
    assert "children_ages" not in parse("count", "3 enfants").extras


# --- ages of children -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("3 et 7 ans", [3, 7]),
        ("3, 7", [3, 7]),
        ("3,7", [3, 7]),
        ("une fille de 4 ans et un garçon de 10 ans", [4, 10]),
        ("le grand a 15 ans le petit 2", [15, 2]),
        ("bébé de 6 mois", [0]),
        ("18 mois et quatre ans", [1, 4]),
        ("deux ans et cinq ans", [2, 5]),
        ("des jumeaux de 5 ans", [5, 5]),
        ("mes 2 enfants ont 3 et 5 ans", [3, 5]),
        ("40 ans", FAIL),
        ("j'ai deux enfants", FAIL),
        ("je sais pas", UNKNOWN),
    ],
)
def test_children_ages(text, expected):
    check(parse("ages_list", text), expected)


def test_children_ages_birth_year_and_count_mismatch():
    assert parse_children_ages("né en 2019", today=date(2026, 1, 1)).value == [7]
    result = parse("ages_list", "3 ans", {"count": 2})
    assert result.ok and result.extras == {"count_mismatch": True, "expected_count": 2}


# --- amounts ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("1200", 1200),
        ("1 200 €", 1200),
        ("1\u202f200\u00a0€", 1200),
        ("1200e", 1200),
        ("1200 euros", 1200),
        ("mille deux cents euros", 1200),
        ("1200 balles", 1200),
        ("1,2k", 1200),
        ("1200,50", 1200.5),
        ("1.200", 1200),
        ("900 par mois", 900),
        ("12000 par an", 1000),
        ("12 000 € / an", 1000),
        ("12000 à l'année", 1000),
        ("1200 annuel", 100),
        ("200 par semaine", 866.67),
        ("entre 800 et 900", 850),
        ("800-900", 850),
        ("moi 1200 et mon mari 1500", 2700),
        ("environ 1200 pour 2 personnes", 1200),
        ("rien", 0),
        ("0", 0),
        ("pas de revenus", 0),
        ("je touche rien", 0),
        ("-200", FAIL),
        ("100000", FAIL),
        ("blabla", FAIL),
        ("j'en sais rien", UNKNOWN),
        ("aucune idée", UNKNOWN),
    ],
)
def test_amount(text, expected):
    check(parse("amount", text), expected)


def test_amount_ceiling_option():
    assert not parse("amount", "3000", {"max": 2000}).ok
    assert parse("amount", "1500", {"max": 2000}).value == 1500


# --- yes / no ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("oui", True),
        ("Ouiii", True),
        ("ouais", True),
        ("ouai", True),
        ("wi", True),
        ("yes", True),
        ("ok", True),
        ("d'accord", True),
        ("bien sûr", True),
        ("exact", True),
        ("carrément", True),
        ("carement", True),
        ("oui oui c'est ça", True),
        ("non", False),
        ("NON", False),
        ("nan", False),
        ("nope", False),
        ("pas du tout", False),
        ("jamais", False),
        ("pas d'accord", False),
        ("jsp", UNKNOWN),
        ("je sais pas si c'est le cas", UNKNOWN),
        ("chais pas", UNKNOWN),
        ("bof", FAIL),
        ("", FAIL),
    ],
)
def test_yes_no(text, expected):
    check(parse("yes_no", text), expected)


# --- single choices ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "table, text, expected",
    [
        ("housing", "locataire", "tenant"),
        ("housing", "je loue", "tenant"),
        ("housing", "locatère", "tenant"),
        ("housing", "HLM", "social_tenant"),
        ("housing", "logement social", "social_tenant"),
        ("housing", "OPH", "social_tenant"),
        ("housing", "je suis locataire en HLM", "social_tenant"),
        ("housing", "proprio", "owner"),
        ("housing", "propriétère", "owner"),
        ("housing", "hébergé chez ma sœur", "hosted"),
        ("housing", "chez mes parents", "hosted"),
        ("housing", "à la rue", "homeless"),
        ("housing", "sdf", "homeless"),
        ("housing", "dans ma voiture", "homeless"),
        ("housing", "pas de logement", "homeless"),
        ("housing", "je ne suis pas propriétaire je loue", "tenant"),
        ("housing", "locataire, pas proprio", "tenant"),
        ("housing", "social_tenant", "social_tenant"),  # button payload
        ("housing", "je suis pas proprio", FAIL),
        ("housing", "blabla", FAIL),
        ("housing", "jsp", UNKNOWN),
        ("work", "chui au chomage", "job_seeker"),
        ("work", "chômeur", "job_seeker"),
        ("work", "pôle emploi", "job_seeker"),
        ("work", "france travail", "job_seeker"),
        ("work", "je cherche du travail", "job_seeker"),
        ("work", "je bosse", "employed"),
        ("work", "jbosse en intérim", "employed"),
        ("work", "salarié", "employed"),
        ("work", "CDI", "employed"),
        ("work", "étudiant", "student"),
        ("work", "à la fac", "student"),
        ("work", "apprenti", "apprentice"),
        ("work", "étudiante en alternance", "apprentice"),
        ("work", "retraité", "retired"),
        ("work", "à la retraite", "retired"),
        ("work", "retraiter", "retired"),
        ("work", "en invalidité", "unable"),
        ("work", "arrêt longue maladie", "unable"),
        ("work", "je peux pas travailler", "unable"),
        ("work", "je ne suis plus salarié, je suis au chômage", "job_seeker"),
        ("work", "je travaille pas", FAIL),
        ("household", "seul", "alone"),
        ("household", "célibataire", "alone"),
        ("household", "celibatair", "alone"),
        ("household", "veuf", "alone"),
        ("household", "divorcée", "alone"),
        ("household", "seule avec mes enfants", "alone"),
        ("household", "en couple", "couple"),
        ("household", "marié", "couple"),
        ("household", "pacsé", "couple"),
        ("household", "avec mon mari", "couple"),
        ("household", "concubinage", "couple"),
        ("household", "pas seule je suis avec mon copain", "couple"),
        ("disability", "non", "none"),
        ("disability", "pas de handicap", "none"),
        ("disability", "oui 80%", "rate_80_plus"),
        ("disability", "taux de 80", "rate_80_plus"),
        ("disability", "quatre-vingts pour cent", "rate_80_plus"),
        ("disability", "50 %", "rate_50_79"),
        ("disability", "entre 50 et 79", "rate_50_79"),
        ("disability", "moins de 50", "recognised_other"),
        ("disability", "rqth", "recognised_other"),
        ("disability", "invalidité", "recognised_other"),
        ("disability", "oui", FAIL),  # yes, but which rate: ask again with buttons
        ("disability", "aucune idée", UNKNOWN),
    ],
)
def test_choice(table, text, expected):
    check(parse("choice", text, table), expected)


def test_choice_failure_offers_buttons():
    result = parse("choice", "blabla", "housing")
    assert ("social_tenant", "Locataire HLM") in result.candidates
    assert "Locataire" in result.hint


def test_choice_with_options_from_the_bot():
    options = {"yes_cmu": ["complémentaire santé solidaire", "css", "cmu"], "mutuelle": ["mutuelle"]}
    check(parse("choice", "j'ai la CMU", options), "yes_cmu")
    check(parse("choice", "une mutuel", options), "mutuelle")
    check(parse("choice", "mutuelle", ["mutuelle", "aucune"]), "mutuelle")
    labelled = {"css": {"label": "Complémentaire santé solidaire", "synonyms": ["cmu"]}, "none": ["rien"]}
    check(parse("choice", "la complementaire sante solidaire", labelled), "css")
    assert ("css", "Complémentaire santé solidaire") in parse("choice", "blabla", labelled).candidates


# --- multiple choices -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("salaire et chômage", ["salary", "unemployment"]),
        ("retraite", ["pension"]),
        ("rsa", ["benefits"]),
        ("la CAF", ["benefits"]),
        ("aah", ["benefits"]),
        ("rien", ["none"]),
        ("salaire + rsa", ["salary", "benefits"]),
        ("je touche le chomage et les allocs", ["unemployment", "benefits"]),
        ("rien d'autre que le rsa", ["benefits"]),
        ("pas de salaire juste le rsa", ["benefits"]),
        ("salair", ["salary"]),
        ("auto entrepreneur", ["self_employed"]),
        ("jsp", UNKNOWN),
        ("blabla", FAIL),
    ],
)
def test_multi_choice(text, expected):
    check(parse("multi_choice", text, "income_kinds"), expected)


# --- commune ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("Nancy", "54395"),
        ("j'habite a vandoeuvre", "54547"),
        ("à Nancy", "54395"),
        ("54500", "54547"),
        ("St Max", "54482"),
        ("Metz", FAIL),
        ("54450", FAIL),
        ("blabla", FAIL),
        ("je sais pas", UNKNOWN),
    ],
)
def test_commune(text, expected):
    check(parse("commune", text), expected)


def test_commune_details():
    assert parse("commune", "Nancy").extras == {"commune_name": "Nancy", "epci": "245400676"}
    outside = parse("commune", "Metz")
    assert outside.extras["outside"] is True and "Meurthe-et-Moselle" in outside.hint
    several = parse("commune", "54450")
    assert len(several.candidates) == 5 and several.candidates[0] == ("54077", "Blâmont (54450)")


# --- corrections ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("en fait j'ai 3 enfants", {"children_count": 3}),
        ("non j'ai 67 ans", {"age": 67}),
        ("je me suis trompé, on est en couple", {"household": "couple"}),
        ("en fait je suis locataire", {"housing": "tenant"}),
        ("enfaite chui au chomage", {"work": "job_seeker"}),
        ("en fait je n'ai pas d'enfant", {"children_count": 0}),
        ("en fait j'habite à Laxou", {"commune": "54304"}),
        ("en fait mon loyer est de 450", {"rent": 450.0}),
        ("pardon, je gagne 1200 euros et mon loyer c'est 450", {"income_monthly": 1200.0, "rent": 450.0}),
        ("j'ai 3 enfants", {}),  # no correction marker: an ordinary answer
        ("non", {}),
        ("en fait ma fille a 5 ans", {}),
    ],
)
def test_detect_corrections(text, expected):
    assert detect_corrections(text) == expected


# --- normalizer -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("Jai 2 gosses", "j'ai 2 gosses"),
        ("chui au chomage", "je suis au chomage"),
        ("chuis  seule", "je suis seule"),
        ("ya pas de souci", "il y a pas de souci"),
        ("g 3 enfants", "j'ai 3 enfants"),
        ("c'est bon", "c'est bon"),
        ("jbosse", "je bosse"),
    ],
)
def test_normalize(text, expected):
    assert normalize(text) == expected


def test_fold_and_squeeze():
    assert fold("Vandœuvre-lès-Nancy, 68ans") == "vandoeuvre les nancy, 68 ans"
    assert squeeze("ouiii nooon") == "oui non"


# --- robustness -------------------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=80), parser_type=st.sampled_from(PARSER_TYPES))
def test_parsers_never_raise_on_random_text(text, parser_type):
    options = (
        "housing" if parser_type == "choice" else "income_kinds" if parser_type == "multi_choice" else None
    )
    direct = {
        "age": lambda: parse_age(text),
        "count": lambda: parse_children_count(text),
        "ages_list": lambda: parse_children_ages(text),
        "amount": lambda: parse_amount(text),
        "choice": lambda: parse_choice(text, options),
        "multi_choice": lambda: parse_multi_choice(text, options),
        "yes_no": lambda: parse_yes_no(text),
        "commune": lambda: parse_commune(text),
        "school_levels": lambda: parse_school_levels(text, {"ages": [11, 7]}),
    }[parser_type]
    result = direct()  # the parser itself, not the safety net in parse()
    assert result.ok or result.hint
    detect_corrections(text)


@settings(max_examples=100, deadline=None)
@given(
    text=st.lists(
        st.sampled_from(
            [
                "j'ai",
                "2",
                "ans",
                "enfants",
                "non",
                "oui",
                "-",
                "€",
                "par an",
                "entre",
                "et",
                "1 200",
                "k",
                "mois",
                "né en",
                "1957",
                "54",
                "000",
                "nancy",
                "pas",
                "de",
                "jsp",
                "0",
                ",",
                "9999999",
            ]
        ),
        max_size=12,
    ).map(" ".join)
)
def test_parsers_never_raise_on_answer_like_text(text):
    for parser_type in PARSER_TYPES:
        options = {"choice": "housing", "multi_choice": "income_kinds"}.get(parser_type)
        result = parse(parser_type, text, options)
        assert result.ok or result.hint
        if parser_type == "age" and result.ok and not result.is_unknown:
            assert 1 <= result.value <= 120


@pytest.mark.parametrize("value", [None, 42, 3.5, ["oui"], {"a": 1}])
def test_non_text_input_is_a_polite_failure(value):
    for parser_type in PARSER_TYPES:
        options = {"choice": "housing", "multi_choice": "income_kinds"}.get(parser_type)
        result = parse(parser_type, value, options)
        assert not result.ok and result.hint


def test_programming_errors_raise():
    with pytest.raises(ValueError, match="unknown parser type"):
        parse("colour", "bleu")
    with pytest.raises(ValueError, match="needs options"):
        parse("choice", "locataire")


# --- data files -------------------------------------------------------------------------------
def test_data_files_are_complete():
    vocab = vocabulary()
    assert set(vocab.tables) >= {"housing", "work", "household", "income_kinds", "disability"}
    assert set(HINT_KEYS) <= set(hints())
    assert vocab.tables["income_kinds"].multi


def test_bad_synonyms_file_names_the_field(tmp_path, monkeypatch):
    import answers.vocabulary as vocabulary_module

    bad = tmp_path / "synonyms.yml"
    bad.write_text(
        "unknown: [jsp]\nyes_no: {'yes': [oui], 'no': [non]}\ncount_zero: []\nchild_words: []\n"
        "twins_words: {}\namount_zero: []\ncorrection_markers: []\ncorrection_ignore: []\n"
        "tables: {housing: {values: {tenant: {label: Locataire, synonyms: [115]}}}}\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(vocabulary_module, "SYNONYMS_YML", bad)
    vocabulary_module.vocabulary.cache_clear()
    try:
        with pytest.raises(
            VocabularyError, match=r"synonyms.yml: field 'tables.housing.values.tenant.synonyms.0'"
        ):
            vocabulary_module.vocabulary()
    finally:
        vocabulary_module.vocabulary.cache_clear()


# --- children's school levels (asked only for ages that leave a doubt) ------------------------
@pytest.mark.parametrize("text, ages, expected", [
    ("CM2 et 3e", [11, 15], ["primaire", "college"]),
    ("il est en seconde et elle en CM1", [15, 9], ["lycee", "primaire"]),
    ("1ère et terminale", [16, 18], ["lycee", "lycee"]),
    # Only the child of 11 leaves a doubt: the child of 7 is read from the age.
    ("en sixième", [11, 7], ["college", "primaire"]),
    ("la fac", [19], ["superieur"]),
    ("il ne va plus à l'école", [18], ["none"]),
])
def test_school_levels_aligned_with_the_ages(text, ages, expected):
    result = parse_school_levels(text, {"ages": ages})
    assert result.ok and result.value == expected


def test_school_levels_unknown_and_unclear():
    assert parse_school_levels("je sais pas", {"ages": [11]}).is_unknown
    unclear = parse_school_levels("bof", {"ages": [11]})
    assert not unclear.ok and "CM2" in unclear.hint
    # One class for two children whose age leaves a doubt: asked again, never guessed.
    assert not parse_school_levels("6e", {"ages": [11, 15]}).ok


def test_invalidity_pension_is_its_own_kind_of_income():
    assert parse_multi_choice("pension d'invalidité et un petit salaire", "income_kinds").value == [
        "salary", "invalidity"]
    assert parse_multi_choice("ma retraite", "partner_income_kinds").value == ["pension"]
