"""Plain-French reason sentences: why a benefit seems possible, why not now, what is missing.

Sentences come, in this order, from the condition's own `why:`/`why_not:`, from the question's
templates in questions.yml, and last from the generic sentences below.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from rapidfuzz import fuzz

from benefits import communes as _communes
from benefits.catalogue_loader import Benefit, Catalogue, CompiledQuestion, load_catalogue
from benefits.children import SCHOOL_PHRASES
from benefits.rules import (
    DERIVED_FACTS,
    INCOME_SOURCES,
    All,
    Any_,
    Leaf,
    Node,
    Not,
    compile_leaf,
    person_checks,
    table_value,
)

NBSP = "\u00a0"

# Sentences for derived facts (they have no question of their own).
DERIVED_WHY_NOT = {
    "income_taxable_yearly": {
        "max": "Les revenus de votre foyer ({value} par an, une fois déduits les 10 % de frais comme sur "
               "l'avis d'imposition) dépassent le plafond de cette aide ({max} par an).",
        "min": "Cette aide demande des revenus d'au moins {min} par an.",
    },
    "income_yearly": {
        "max": "Les revenus de votre foyer ({value} par an) dépassent le plafond de cette aide ({max} par an).",
        "min": "Cette aide demande des revenus d'au moins {min} par an.",
    },
    "children_under_3": {
        "min": "Cette aide est pour les familles avec un enfant de moins de 3 ans.",
        "max": "Cette aide n'est pas prévue quand il y a un enfant de moins de 3 ans.",
    },
    "children_under_20": {
        "min": "Cette aide est pour les familles avec au moins {min} enfant(s) de moins de 20 ans.",
        "max": "Cette aide est pour les familles avec {max} enfant(s) de moins de 20 ans au plus.",
    },
    "household_size": {
        "min": "Cette aide est pour les foyers d'au moins {min} personnes.",
        "max": "Cette aide est pour les foyers de {max} personne(s) au plus.",
    },
    # Read from "Êtes-vous dans une de ces situations ?" / "Qui a un handicap reconnu ?".
    "pregnant": {"equals": "Cette aide est liée à une grossesse en cours."},
    "widowed": {"equals": "Cette aide est pour les personnes veuves."},
    "needs_daily_help": {"equals": "Cette aide est pour les personnes qui ont besoin d'aide au quotidien."},
    "children_disabled": {"min": "Cette aide est pour les parents d'un enfant avec un handicap reconnu par la MDPH."},
}
# How a derived fact that holds reads in a reason ("vous attendez un bébé").
DERIVED_FACT_TEXT = {
    "pregnant": "vous attendez un bébé",
    "widowed": "vous êtes veuf ou veuve",
    "needs_daily_help": "vous avez besoin d'aide au quotidien",
    "children_disabled": "un de vos enfants a un handicap reconnu",
}
GENERIC_WHY_NOT = "Votre réponse sur {label} ne correspond pas aux règles de cette aide."


# --- formatting ------------------------------------------------------------------------------


def money(amount: float) -> str:
    """French money: 1 043,59 € / 720 € (non-breaking spaces so phones do not split it)."""
    cents = round(amount * 100)
    euros, rest = divmod(abs(cents), 100)
    text = f"{euros:,}".replace(",", NBSP)
    if rest:
        text += f",{rest:02d}"
    return ("-" if cents < 0 else "") + text + NBSP + "€"


def join_fr(items: list[str], last: str = "et") -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {last} " + items[-1]


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value).replace(".", ",")


def format_value(question: CompiledQuestion | None, value: Any) -> str:
    if question is None:
        return str(value)
    q = question.question
    if q.type == "amount":
        return money(float(value))
    if q.type == "ages_list":
        return join_fr([_number(a) for a in value])
    if q.type == "commune":
        return _communes.commune_name(value)
    if q.type == "school_levels":
        return join_fr(list(dict.fromkeys(SCHOOL_PHRASES.get(str(v), str(v)) for v in value)))
    if q.type in ("choice", "yes_no"):
        button = q.button_for(value)
        return (button.fact or button.phrase or button.title) if button else str(value)
    if q.type == "multi_choice":
        parts = []
        for item in value:
            button = q.button_for(item)
            parts.append((button.phrase or button.title) if button else str(item))
        return join_fr(parts)
    return _number(value) if isinstance(value, int | float) else str(value)


def benefit_label(benefit: Benefit) -> str:
    return benefit.entry.short_name or f"l'aide « {benefit.entry.name} »"


def seems_possible(label: str) -> str:
    """ "semble possible", or "semblent possibles" after a plural label ("les allocations familiales")."""
    return "semblent possibles" if label.startswith("les ") else "semble possible"


def is_not_possible(label: str) -> str:
    return "ne sont pas possibles" if label.startswith("les ") else "n'est pas possible"


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", "»")) else text + "."


# --- facts the person gave ---------------------------------------------------------------------


def fact_fragment(catalogue: Catalogue, question_id: str, facts: Mapping[str, Any]) -> str | None:
    """"vous avez 68 ans", from the question's `fact` (or the first matching variant)."""
    if question_id in DERIVED_FACT_TEXT:
        return DERIVED_FACT_TEXT[question_id] if facts.get(question_id) else None
    question = catalogue.questions_by_id.get(question_id)
    if question is None or question_id not in facts:
        return None
    template = question.question.fact
    for condition, text in question.fact_variants:
        if condition.eval(facts) is True:
            template = text
            break
    if not template:
        return None
    shown = format_value(question, facts[question_id])
    try:
        return template.format_map(_Template(facts, shown, question_id))
    except (ValueError, IndexError):
        return None


class _Template(dict):
    """Template values: {value} is the formatted answer; {other_id} is another raw fact."""

    def __init__(self, facts: Mapping[str, Any], shown: str, question_id: str):
        super().__init__()
        self.facts, self.shown, self.question_id = facts, shown, question_id

    def __missing__(self, key: str) -> str:
        if key in ("value", self.question_id):
            return self.shown
        return str(self.facts.get(key, ""))


def _questions_of(field: str) -> tuple[str, ...]:
    if field in ("income_monthly", "income_yearly", "income_taxable_yearly"):
        return ("income_monthly",)  # "les revenus de votre foyer sont de ...", given or summed
    if field == "children_school":
        return ("children_school",)  # "vos enfants sont au collège", given or read from the ages
    if field in DERIVED_FACT_TEXT:
        return (field,)              # "vous attendez un bébé", read from the situations ticked
    return DERIVED_FACTS[field][1] if field in DERIVED_FACTS else (field,)


def _true_parts(node: Node, facts: Mapping[str, Any], fields: list[str], whys: list[str]) -> None:
    """Collect the answers (and `why:` sentences) that make a True node hold."""
    if node.why:
        whys.append(_sentence(node.why))
        return
    if isinstance(node, All):
        for child in node.children:
            _true_parts(child, facts, fields, whys)
    elif isinstance(node, Any_):
        for child in node.children:
            if child.eval(facts) is True:
                _true_parts(child, facts, fields, whys)
                break
    elif isinstance(node, Leaf):
        wanted = list(_questions_of(node.field))
        if any(isinstance(bound, dict) for bound in node.tests.values()):
            # A ceiling by household: say who the household is (children only when there are some).
            wanted.append("household")
            if facts.get("children_count"):
                wanted.append("children_count")
        for question_id in wanted:
            if question_id not in fields:
                fields.append(question_id)


def _join_fragments(fragments: list[str]) -> str:
    # "vous avez 68 ans, vous vivez seul(e)" -> "vous avez 68 ans, vivez seul(e)"
    cleaned = []
    for index, fragment in enumerate(fragments):
        if index and fragment.startswith("vous ") and fragments[index - 1].startswith("vous "):
            fragment = fragment[len("vous "):]
        cleaned.append(fragment)
    return join_fr(cleaned)


def likely_reasons(catalogue: Catalogue, benefit: Benefit, facts: Mapping[str, Any], max_facts: int = 4) -> list[str]:
    fields: list[str] = []
    whys: list[str] = []
    _true_parts(benefit.rule, facts, fields, whys)
    order = catalogue.question_order
    fields.sort(key=lambda f: order.get(f, len(order)))
    fragments = [f for f in (fact_fragment(catalogue, q, facts) for q in fields) if f][:max_facts]
    label = benefit_label(benefit)
    if fragments:
        head = f"{_capitalise(_join_fragments(fragments))} : {label} {seems_possible(label)}."
    else:
        head = f"{_capitalise(label)} {seems_possible(label)} pour vous."
    return [head, *whys]


# --- why not now -------------------------------------------------------------------------------


def _choices_phrase(catalogue: Catalogue, field: str, values: list[Any], last: str = "ou") -> str:
    if field == "commune":
        return join_fr([_communes.commune_name(v) for v in values], last)
    if field == "epci":
        return join_fr([_communes.epci_name(v) for v in values], last)
    if field == "departement":
        return join_fr(["Meurthe-et-Moselle" if v == "54" else v for v in values], last)
    if field == "children_school":
        return join_fr([SCHOOL_PHRASES.get(str(v), str(v)) for v in values], last)
    question = catalogue.questions_by_id.get(field)
    phrases = []
    for value in values:
        button = question.question.button_for(value) if question else None
        phrases.append((button.phrase or button.title) if button else str(value))
    return join_fr(phrases, last)


def _bound_text(catalogue: Catalogue, field: str, bound: Any, facts: Mapping[str, Any]) -> str:
    if isinstance(bound, dict):
        household, children = facts.get("household"), facts.get("children_count")
        if household in ("alone", "couple") and isinstance(children, int):
            bound = table_value(bound, household, children)
        else:
            return "le plafond"
    question = catalogue.questions_by_id.get(field)
    is_money = field in ("income_yearly", "income_taxable_yearly") or (
        question is not None and question.question.type == "amount")
    return money(float(bound)) if is_money else _number(bound)


def _failed_test(leaf: Leaf, facts: Mapping[str, Any]) -> str | None:
    """Which of the leaf's tests fails for these facts ("between" for a failed min+max range)."""
    tests = leaf.tests
    if len(tests) == 1:
        return next(iter(tests))
    if "count_between" in tests:
        return "count_between"
    value = facts.get(leaf.field)
    low, high = tests.get("min"), tests.get("max")
    if isinstance(low, int | float) and isinstance(high, int | float) and isinstance(value, int | float):
        if not low <= value <= high:
            return "between"
    for key in tests:
        if compile_leaf(leaf.field, {key: tests[key]}, leaf.path, None).eval(facts) is False:
            return key
    return next(iter(tests), None)


def _leaf_why_not(catalogue: Catalogue, leaf: Leaf, facts: Mapping[str, Any], negated: bool = False) -> str:
    if negated:
        values = leaf.tests.get("in") or leaf.tests.get("includes_any") or leaf.tests.get("equals")
        if values is not None and not isinstance(values, list):
            values = [values]
        if values:
            return f"Cette aide n'est pas prévue pour {_choices_phrase(catalogue, leaf.field, values)}."
        return "Votre situation ne correspond pas aux règles de cette aide."
    key = _failed_test(leaf, facts)
    question = catalogue.questions_by_id.get(leaf.field)
    templates = dict(DERIVED_WHY_NOT.get(leaf.field, {}))
    if question is not None:
        templates.update(question.question.why_not)
    if key == "between" and "between" not in templates:
        value = facts.get(leaf.field)
        key = "min" if value is not None and value < leaf.tests["min"] else "max"
    if leaf.field in ("commune", "epci", "departement") and key == "in":
        return f"Cette aide est réservée aux habitants de : {_choices_phrase(catalogue, leaf.field, leaf.tests['in'], 'ou')}."
    template = templates.get(key or "")
    label = question.question.label if question else leaf.field
    if template is None:
        if key == "in" and leaf.field in catalogue.questions_by_id:
            return f"Cette aide est pour {_choices_phrase(catalogue, leaf.field, leaf.tests['in'])}."
        if key == "not_in" and leaf.field in catalogue.questions_by_id:
            return f"Cette aide n'est pas prévue pour {_choices_phrase(catalogue, leaf.field, leaf.tests['not_in'])}."
        return GENERIC_WHY_NOT.format(label=label)
    value = facts.get(leaf.field)
    arg = leaf.tests.get(key or "")
    low = high = ""
    if isinstance(arg, list) and len(arg) == 2 and all(isinstance(a, int | float) for a in arg):
        low, high = _number(arg[0]), _number(arg[1])
    values = {
        "value": format_value(question, value) if question and value is not None
        else (money(value) if leaf.field in ("income_yearly", "income_taxable_yearly") and value is not None
              else str(value)),
        "min": _bound_text(catalogue, leaf.field, leaf.tests["min"], facts) if "min" in leaf.tests else "",
        "max": _bound_text(catalogue, leaf.field, leaf.tests["max"], facts) if "max" in leaf.tests else "",
        "low": low,
        "high": high,
        "label": label,
        "choices": _choices_phrase(catalogue, leaf.field, arg if isinstance(arg, list) else [arg], "ou")
        if arg is not None and not isinstance(arg, dict) else "",
    }
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return GENERIC_WHY_NOT.format(label=label)


def _false_reasons(catalogue: Catalogue, node: Node, facts: Mapping[str, Any], out: list[str]) -> None:
    if node.why_not:
        out.append(_sentence(node.why_not))
        return
    if isinstance(node, All):
        for child in node.children:
            if child.eval(facts) is False:
                _false_reasons(catalogue, child, facts, out)
    elif isinstance(node, Any_):
        parts: list[str] = []
        for child in node.children:
            _false_reasons(catalogue, child, facts, parts)
        if parts:
            alternatives = [p.rstrip(".") for p in parts]
            out.append("Aucune des conditions suivantes n'est remplie : "
                       + " ; ".join(a[:1].lower() + a[1:] for a in alternatives) + ".")
    elif isinstance(node, Not):
        inner = node.child
        if isinstance(inner, Leaf):
            out.append(_leaf_why_not(catalogue, inner, facts, negated=True))
        else:
            out.append("Votre situation ne correspond pas aux règles de cette aide.")
    elif isinstance(node, Leaf):
        out.append(_leaf_why_not(catalogue, node, facts))


def not_now_reasons(catalogue: Catalogue, benefit: Benefit, facts: Mapping[str, Any]) -> list[str]:
    reasons: list[str] = []
    _false_reasons(catalogue, benefit.rule, facts, reasons)
    unique = list(dict.fromkeys(reasons))
    return unique or ["Votre situation ne correspond pas aux règles de cette aide."]


# --- unknown -----------------------------------------------------------------------------------


# The amounts by type and the partner's income, replaced by the household's total once it is given.
_INCOME_PARTS = frozenset(INCOME_SOURCES) - {"household", "income_monthly"}


def missing_questions(catalogue: Catalogue, benefit: Benefit, facts: Mapping[str, Any],
                      profile: Mapping[str, Any] | None = None) -> list[str]:
    """Questions whose answer is still needed (not given, or answered "je ne sais pas"), among
    those that can be asked: a single person is never missing the partner's age."""
    wanted: set[str] = set()
    benefit.rule.missing(facts, facts.keys(), wanted)
    total_given = profile is not None and profile.get("income_monthly") is not None
    if total_given and wanted & _INCOME_PARTS:
        wanted = (wanted - _INCOME_PARTS) | {"income_monthly"}
    out: set[str] = set()
    for question_id in wanted:
        _add_askable(catalogue, question_id, facts, out, total_given, depth=0)
    order = catalogue.question_order
    return sorted(out, key=lambda q: order.get(q, len(order)))


def _add_askable(catalogue: Catalogue, question_id: str, facts: Mapping[str, Any], out: set[str],
                 total_given: bool, depth: int) -> None:
    """The question itself when it can be asked; the questions its `asked_when` needs when that
    is not known yet; nothing when it will never be asked."""
    question = catalogue.questions_by_id.get(question_id)
    if question is None or question.asked_when is None or (question_id == "income_monthly" and total_given):
        out.add(question_id)
        return
    holds = question.asked_when.eval(facts)
    if holds is True:
        out.add(question_id)
    elif holds is None and depth < 3:
        needed: set[str] = set()
        question.asked_when.missing(facts, facts.keys(), needed)
        for other in needed:
            _add_askable(catalogue, other, facts, out, total_given, depth + 1)


def unknown_reasons(catalogue: Catalogue, benefit: Benefit, facts: Mapping[str, Any],
                    profile: Mapping[str, Any]) -> list[str]:
    missing = missing_questions(catalogue, benefit, facts, profile)
    not_known = [q for q in missing if profile.get(q) is not None]
    not_asked = [q for q in missing if profile.get(q) is None]

    def labels(ids: list[str]) -> str:
        return join_fr([catalogue.questions_by_id[q].question.label if q in catalogue.questions_by_id else q
                        for q in ids])

    reasons = []
    if not_asked:
        reasons.append(f"Pour savoir, il nous manque : {labels(not_asked)}.")
    if not_known:
        reasons.append(f"Vous n'étiez pas sûr(e) pour : {labels(not_known)}. "
                       "Une personne peut vérifier cela avec vous.")
    checks: list[str] = []
    person_checks(benefit.rule, facts, checks)
    reasons.extend(_sentence(c) for c in checks)
    return reasons or ["Une personne doit vérifier votre situation pour cette aide."]


# --- "pourquoi pas ... ?" ----------------------------------------------------------------------


STOPWORDS = {"le", "la", "l", "les", "de", "d", "du", "des", "au", "aux", "a", "pour", "mon", "ma", "mes",
             "un", "une", "et", "en", "pas", "pourquoi", "aide"}


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def _tokens(text: str) -> list[str]:
    return [t for t in _normalise(text).split() if t not in STOPWORDS]


def find_benefit(catalogue: Catalogue, query: str, cutoff: float = 80) -> Benefit | None:
    """A benefit from its id or a name the person typed ("prime d'activité", "apl", "rsa").

    Every word of the query must look like a word of the name (typos allowed), so that
    "allocation licorne" finds nothing rather than the first "allocation ...".
    """
    if not isinstance(query, str) or not query.strip():
        return None
    if query in catalogue.by_id:
        return catalogue.by_id[query]
    wanted = _tokens(query) or _normalise(query).split()
    if not wanted:
        return None
    best: tuple[float, float] | None = None
    found: Benefit | None = None
    for benefit in catalogue.benefits:
        entry = benefit.entry
        names = [entry.id.replace("_", " "), entry.name, entry.short_name or "", *entry.aliases,
                 *re.findall(r"\(([^)]+)\)", entry.name)]
        for name in names:
            tokens = _tokens(name)
            if not tokens:
                continue
            if not all(max(fuzz.ratio(w, t) for t in tokens) >= cutoff for w in wanted):
                continue
            # Ties (one shared word) go to the name closest to the whole query, stopwords included.
            score = (fuzz.token_set_ratio(" ".join(wanted), " ".join(tokens)),
                     fuzz.ratio(_normalise(query), _normalise(name)))
            if best is None or score > best:
                best, found = score, benefit
    return found


def explain_why_not(profile: Mapping[str, Any], benefit: str, catalogue: Catalogue | None = None,
                    national: Mapping[str, Any] | None = None) -> str:
    """Answer "pourquoi pas <aide> ?" in plain French, whatever the benefit's status (with
    OpenFisca's verdicts when `national` is given, see engine.evaluate)."""
    from benefits.engine import evaluate_one, human_contacts  # engine imports this module

    catalogue = catalogue or load_catalogue()
    found = find_benefit(catalogue, benefit)
    contact = human_contacts(catalogue, profile)[0]
    contact_text = contact.name + (f" ({contact.phone})" if contact.phone else "")
    if found is None:
        return (f"Je ne trouve pas l'aide « {benefit.strip()} ». Pouvez-vous l'écrire autrement ? "
                f"Vous pouvez aussi poser la question à : {contact_text}.")
    result = evaluate_one(found, profile, catalogue, national)
    label = benefit_label(found)
    if result.status == "likely":
        return "Bonne nouvelle ! " + " ".join(result.reasons)
    if result.status == "unknown" and result.to_check:
        return (f"{_capitalise(label)} est peut-être possible pour vous, mais un point doit être vérifié avec "
                f"une personne. " + " ".join(result.reasons) + f" Vous pouvez en parler à : {contact_text}.")
    if result.status == "unknown":
        return f"Je ne peux pas encore le dire pour {label}. " + " ".join(result.reasons)
    return (f"{_capitalise(label)} ne semble pas possible pour l'instant. " + " ".join(result.reasons)
            + f" Si votre situation change, ou en cas de doute, une personne peut vérifier avec vous : {contact_text}.")
