"""Load and check ``urgent/data/situations.yml`` (and the town-hall list it points to).

Stdlib + PyYAML only (the Rasa server imports this package), so the schema is checked by
hand. Any problem raises :class:`UrgentDataError` naming the file and the field, so that a
reviewer who edits the YAML sees at once what to fix.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from urgent.normalize import strip_accents
from urgent.typos import TypoCorrector

DATA_DIR = Path(__file__).parent / "data"
SITUATIONS_FILE = DATA_DIR / "situations.yml"

GAP = r"(?:[a-z0-9]+ ){0,3}"  # "~" in a pattern: up to three other words
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_WORD = re.compile(r"[a-z]+")
_ALLOWED_PATTERN_CHARS = re.compile(r"^[a-z0-9 ()|?!~{}_+\\\[\]]*$")


class UrgentDataError(ValueError):
    """The urgent-situations data is invalid; the message names the file and field."""


@dataclass(frozen=True)
class NumberInfo:
    key: str
    dial: str
    name: str
    what: str
    free: bool
    hours: str
    source: str
    checked: dt.date
    confidence: str = "high"
    cost: str | None = None  # e.g. "SMS gratuit"; default wording depends on `free`


@dataclass(frozen=True)
class LocalContact:
    key: str
    name: str
    what: str
    source: str
    checked: dt.date
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    address: str | None = None
    hours: str | None = None
    note: str | None = None
    confidence: str = "high"
    epci_in: tuple[str, ...] | None = None
    epci_not_in: tuple[str, ...] | None = None
    kind: str = "contact"  # or "advice": what to know or do, shown last

    def applies_to(self, epci: str | None) -> bool:
        """Whether this contact serves a commune of ``epci`` (unknown commune: yes)."""
        if epci is None:
            return True
        if self.epci_in is not None and epci not in self.epci_in:
            return False
        if self.epci_not_in is not None and epci in self.epci_not_in:
            return False
        return True


@dataclass(frozen=True)
class Mairie:
    insee: str
    name: str
    population: int
    epci: str
    address: str
    phone: str
    email: str
    hours: str


@dataclass(frozen=True)
class Pattern:
    source: str
    regex: re.Pattern[str]
    literal_words: frozenset[str]
    # The pattern without its "not followed by" parts: when only this one matches, the
    # rules saw the words and refused them ("à la rue Jeanne d'Arc"), a veto for the model.
    loose: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Situation:
    id: str
    label: str
    priority: int
    message: str
    numbers: tuple[str, ...]
    local: tuple[str, ...]
    patterns: tuple[Pattern, ...]
    excludes: tuple[Pattern, ...]
    closing: str | None = None  # replaces the general closing when this situation is first


@dataclass(frozen=True)
class UrgentData:
    closing: str
    fallback_message: str
    numbers: dict[str, NumberInfo]
    local_contacts: dict[str, LocalContact]
    mds_by_commune: dict[str, str]
    metropole_epci: str
    mairies: dict[str, Mairie]
    mairies_source: str
    mairies_note: str | None
    mairies_checked: dt.date
    ccas_min_population: int
    ccas_what: str
    mairie_what: str
    situations: tuple[Situation, ...]  # most serious first
    sms: dict[str, str]
    pattern_words: frozenset[str]  # every word written in a pattern
    corrector: TypoCorrector
    negation_before: frozenset[str]
    negation_inside_or_after: frozenset[str]
    plus_not_negation_before: frozenset[str]
    after_match_ignored_before: frozenset[str]
    clause_subjects: frozenset[str]
    long_ago: tuple[re.Pattern[str], ...]
    resolved: tuple[re.Pattern[str], ...]
    by_id: dict[str, Situation] = field(default_factory=dict)


class _Reader:
    """Field access that names the file and the path of the field in every error."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, where: str, problem: str) -> UrgentDataError:
        return UrgentDataError(f"{self.path.name}: {where}: {problem}")

    def mapping(self, value: Any, where: str) -> dict:
        if not isinstance(value, dict):
            raise self.fail(where, "should be a mapping (key: value)")
        return value

    def text(self, data: dict, key: str, where: str, required: bool = True) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                raise self.fail(f"{where}.{key}", "is missing")
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{where}.{key}", "should be a non-empty text")
        return " ".join(value.split())

    def texts(self, data: dict, key: str, where: str) -> list[str]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
            raise self.fail(f"{where}.{key}", "should be a list of texts")
        if any(isinstance(v, bool) for v in value):
            # YAML reads a bare on / off / yes / no as true or false.
            raise self.fail(f"{where}.{key}", 'has true/false: write words like "on" in quotes')
        return [str(v) for v in value]

    def date(self, data: dict, key: str, where: str) -> dt.date:
        value = data.get(key)
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        raise self.fail(f"{where}.{key}", "should be a date like 2026-11-26")

    def source(self, data: dict, where: str) -> str:
        url = self.text(data, "source", where)
        if not url.startswith(("http://", "https://")):
            raise self.fail(f"{where}.source", "should be a web address (http...)")
        return url


def _plain(text: str) -> str:
    return " ".join(strip_accents(text).split())


def _expand(source: str, words: dict[str, str], reader: _Reader, where: str) -> str:
    if not _ALLOWED_PATTERN_CHARS.match(source):
        raise reader.fail(where, f"pattern {source!r} has a character that is not allowed")

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in words:
            raise reader.fail(where, f"pattern {source!r} uses unknown word list {{{name}}}")
        return words[name]

    expanded = _PLACEHOLDER.sub(replace, source)
    return expanded.replace(" ~ ", " " + GAP).replace("~ ", GAP).replace(" ~", " " + GAP)


def _without_lookarounds(regex: str) -> str:
    """``regex`` minus its "(?!...)" / "(?=...)" parts: words there are not matched text."""
    out: list[str] = []
    index = depth = 0
    while index < len(regex):
        if depth == 0 and regex.startswith(("(?!", "(?=", "(?<!", "(?<="), index):
            depth = 1
            index += 3
            continue
        char = regex[index]
        if depth:
            if char == "\\":
                index += 2
                continue
            depth += {"(": 1, ")": -1}.get(char, 0)
        else:
            out.append(char)
        index += 1
    return "".join(out)


def _whole_words_in_lookaheads(regex: str) -> str:
    """End every "(?!...)" / "(?=...)" with a word boundary.

    Without it "mange pas(?! de)" would also refuse "mange pas depuis 2 jours": the
    lookahead saw "de" at the start of "depuis".
    """
    out: list[str] = []
    stack: list[bool] = []  # for each open group: is it a lookahead?
    index = 0
    while index < len(regex):
        char = regex[index]
        if char == "\\":
            out.append(regex[index:index + 2])
            index += 2
            continue
        if char == "(":
            stack.append(regex.startswith(("(?!", "(?="), index))
        elif char == ")" and stack and stack.pop():
            out.append("(?![a-z0-9])")
        out.append(char)
        index += 1
    return "".join(out)


# Residents write "é", "er", "ez", "ée" for one another ("il ma frapper", "du mal a
# respiré", "on va etre expulser"): a pattern word of 5+ letters ending in -e, -ee or -er
# also matches the other endings.
_E_WORD = re.compile(r"(?<![a-z\\])([a-z]{3,}?)(ee|er|e)(?![a-z?+*{])")
_E_ENDINGS = "(?:e|ee|er|es|ez|ees)"


def _loose_endings(regex: str) -> str:
    out, index, depth = [], 0, 0
    for match in _E_WORD.finditer(regex):
        # Leave character classes ("[a-z]") alone.
        depth = regex.count("[", 0, match.start()) - regex.count("]", 0, match.start())
        if depth:
            continue
        out.append(regex[index:match.start()] + match.group(1) + _E_ENDINGS)
        index = match.end()
    out.append(regex[index:])
    return "".join(out)


def _compile(source: str, words: dict[str, str], reader: _Reader, where: str) -> Pattern:
    source = _plain(source)
    plain_expanded = _expand(source, words, reader, where)
    expanded = _whole_words_in_lookaheads(_loose_endings(plain_expanded))
    try:
        regex = re.compile(r"(?<![a-z0-9])(?:" + expanded + r")(?![a-z0-9])")
    except re.error as error:
        raise reader.fail(where, f"pattern {source!r} is not valid: {error}") from None
    literal = frozenset(_WORD.findall(_without_lookarounds(plain_expanded.replace(GAP, " "))))
    loose = None
    if "(?!" in plain_expanded:
        loose_source = _whole_words_in_lookaheads(_loose_endings(_without_lookarounds(plain_expanded)))
        try:
            loose = re.compile(r"(?<![a-z0-9])(?:" + loose_source + r")(?![a-z0-9])")
        except re.error:
            loose = None
    return Pattern(source=source, regex=regex, literal_words=literal, loose=loose)


def _word_lists(raw: Any, reader: _Reader) -> dict[str, str]:
    lists = reader.mapping(raw, "words")
    result: dict[str, str] = {}
    for name, entries in lists.items():
        if not isinstance(entries, list) or not entries:
            raise reader.fail(f"words.{name}", "should be a non-empty list")
        alternatives = []
        for entry in entries:
            if isinstance(entry, bool):
                raise reader.fail(f"words.{name}", 'has true/false: write words like "on" in quotes')
            entry = _plain(str(entry))
            if "~" in entry:
                raise reader.fail(f"words.{name}", f"entry {entry!r} may not use ~")
            # An entry may use a list written above it ("des {blow}").
            for used in _PLACEHOLDER.findall(entry):
                if used not in result:
                    raise reader.fail(f"words.{name}",
                                      f"entry {entry!r} uses {{{used}}}, which is not a list above it")
            alternatives.append(_PLACEHOLDER.sub(lambda m: result[m.group(1)], entry))
        # Longest first, so that "beau pere" wins over "pere".
        alternatives.sort(key=len, reverse=True)
        result[name] = "(?:" + "|".join(alternatives) + ")"
    return result


def _numbers(raw: Any, reader: _Reader) -> dict[str, NumberInfo]:
    result = {}
    for key, entry in reader.mapping(raw, "numbers").items():
        key = str(key)
        where = f"numbers.{key}"
        entry = reader.mapping(entry, where)
        free = entry.get("free")
        if not isinstance(free, bool):
            raise reader.fail(f"{where}.free", "should be true or false")
        result[key] = NumberInfo(
            key=key,
            dial=reader.text(entry, "display", where, required=False) or key,
            name=reader.text(entry, "name", where),
            what=reader.text(entry, "what", where),
            free=free,
            hours=reader.text(entry, "hours", where),
            source=reader.source(entry, where),
            checked=reader.date(entry, "checked", where),
            confidence=reader.text(entry, "confidence", where, required=False) or "high",
            cost=reader.text(entry, "cost", where, required=False),
        )
    return result


def _local_contacts(raw: Any, reader: _Reader) -> dict[str, LocalContact]:
    result = {}
    for key, entry in reader.mapping(raw, "local_contacts").items():
        where = f"local_contacts.{key}"
        entry = reader.mapping(entry, where)
        applies = entry.get("applies_to") or {}
        applies = reader.mapping(applies, f"{where}.applies_to")
        unknown = set(applies) - {"epci_in", "epci_not_in"}
        if unknown:
            raise reader.fail(f"{where}.applies_to", f"unknown keys {sorted(unknown)}")
        kind = reader.text(entry, "kind", where, required=False) or "contact"
        if kind not in ("contact", "advice"):
            raise reader.fail(f"{where}.kind", "should be contact or advice")
        result[key] = LocalContact(
            key=key,
            name=reader.text(entry, "name", where),
            what=reader.text(entry, "what", where),
            source=reader.source(entry, where),
            checked=reader.date(entry, "checked", where),
            phone=reader.text(entry, "phone", where, required=False),
            email=reader.text(entry, "email", where, required=False),
            website=reader.text(entry, "website", where, required=False),
            address=reader.text(entry, "address", where, required=False),
            hours=reader.text(entry, "hours", where, required=False),
            note=reader.text(entry, "note", where, required=False),
            confidence=reader.text(entry, "confidence", where, required=False) or "high",
            epci_in=tuple(map(str, applies["epci_in"])) if "epci_in" in applies else None,
            epci_not_in=tuple(map(str, applies["epci_not_in"])) if "epci_not_in" in applies else None,
            kind=kind,
        )
    return result


def _mairies(path: Path) -> dict[str, Mairie]:
    if not path.is_file():
        raise UrgentDataError(f"{path.name}: file is missing (named in situations.yml mairies.file)")
    result = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                insee = row["insee_code"].strip()
                result[insee] = Mairie(
                    insee=insee,
                    name=row["name"].strip(),
                    population=int(row["population"] or 0),
                    epci=row["epci_code"].strip(),
                    address=row["mairie_address"].strip(),
                    phone=row["mairie_phone"].strip(),
                    email=row["mairie_email"].strip(),
                    hours=row["mairie_hours"].strip(),
                )
            except (KeyError, ValueError, AttributeError) as error:
                raise UrgentDataError(f"{path.name}: line {line}: {error}") from None
    return result


def _situations(raw: Any, reader: _Reader, words: dict[str, str], numbers: dict,
                contacts: dict) -> tuple[Situation, ...]:
    if not isinstance(raw, list) or not raw:
        raise reader.fail("situations", "should be a non-empty list")
    seen: set[str] = set()
    result = []
    for index, entry in enumerate(raw):
        entry = reader.mapping(entry, f"situations[{index}]")
        sid = reader.text(entry, "id", f"situations[{index}]")
        where = f"situations.{sid}"
        if sid in seen:
            raise reader.fail(where, "id is used twice")
        seen.add(sid)
        priority = entry.get("priority")
        if not isinstance(priority, int):
            raise reader.fail(f"{where}.priority", "should be a whole number")
        situation_numbers = tuple(reader.texts(entry, "numbers", where))
        for number in situation_numbers:
            if number not in numbers:
                raise reader.fail(f"{where}.numbers", f"{number!r} is not in `numbers`")
        local = tuple(reader.texts(entry, "local", where))
        for key in local:
            if key not in {"ccas", "mds"} and key not in contacts:
                raise reader.fail(f"{where}.local", f"{key!r} is not ccas, mds or a local_contacts key")
        sources = reader.texts(entry, "patterns", where)
        if not sources:
            raise reader.fail(f"{where}.patterns", "needs at least one pattern")
        result.append(Situation(
            id=sid,
            label=reader.text(entry, "label", where),
            priority=priority,
            message=reader.text(entry, "message", where),
            numbers=situation_numbers,
            local=local,
            patterns=tuple(_compile(s, words, reader, f"{where}.patterns") for s in sources),
            excludes=tuple(_compile(s, words, reader, f"{where}.exclude")
                           for s in reader.texts(entry, "exclude", where)),
            closing=reader.text(entry, "closing", where, required=False),
        ))
    return tuple(sorted(result, key=lambda s: s.priority))


def _regexes(raw: Any, reader: _Reader, where: str) -> tuple[re.Pattern[str], ...]:
    if not isinstance(raw, list):
        raise reader.fail(where, "should be a list of patterns")
    compiled = []
    for source in raw:
        try:
            compiled.append(re.compile(r"(?<![a-z0-9])(?:" + _plain(str(source)) + r")(?![a-z0-9])"))
        except re.error as error:
            raise reader.fail(where, f"pattern {source!r} is not valid: {error}") from None
    return tuple(compiled)


def load(path: Path = SITUATIONS_FILE) -> UrgentData:
    """Read, check and compile the situations file at ``path``."""
    reader = _Reader(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise UrgentDataError(f"{path.name}: cannot be read: {error}") from None
    raw = reader.mapping(raw, "top level")

    words = _word_lists(raw.get("words", {}), reader)
    numbers = _numbers(raw.get("numbers"), reader)
    contacts = _local_contacts(raw.get("local_contacts"), reader)
    situations = _situations(raw.get("situations"), reader, words, numbers, contacts)

    mds_by_commune = {str(k): str(v) for k, v in
                      reader.mapping(raw.get("mds_by_commune", {}), "mds_by_commune").items()}
    for commune, key in mds_by_commune.items():
        if key not in contacts:
            raise reader.fail(f"mds_by_commune.{commune}", f"{key!r} is not a local_contacts key")
    if "mds_departement" not in contacts:
        raise reader.fail("local_contacts", "needs an entry mds_departement (default MDS)")
    if "ccas_generic" not in contacts:
        raise reader.fail("local_contacts", "needs an entry ccas_generic (commune not known)")

    mairies_raw = reader.mapping(raw.get("mairies"), "mairies")
    mairies_file = reader.text(mairies_raw, "file", "mairies")

    sms: dict[str, str] = {}
    for key, value in reader.mapping(raw.get("sms", {}), "sms").items():
        plain_key = _plain(str(key))
        if plain_key in sms:
            raise reader.fail(f"sms.{key}", f"same as another shortcut once accents are removed ({plain_key!r})")
        sms[plain_key] = _plain(str(value))

    pattern_words: set[str] = set()
    for situation in situations:
        for pattern in situation.patterns:
            pattern_words.update(pattern.literal_words)
    keywords = {_plain(str(w)) for w in raw.get("typo_keywords", [])}
    if keywords - pattern_words:
        raise reader.fail("typo_keywords", f"{sorted(keywords - pattern_words)} appear in no pattern")
    # A word written in a pattern is never "corrected" into another one ("cogner" is
    # not a typo for "cogne").
    protected = {_plain(str(w)) for w in raw.get("protected_words", [])} | pattern_words

    negation = reader.mapping(raw.get("negation"), "negation")
    past = reader.mapping(raw.get("past"), "past")
    data = UrgentData(
        closing=reader.text(raw, "closing", "top level"),
        fallback_message=reader.text(raw, "fallback_message", "top level"),
        numbers=numbers,
        local_contacts=contacts,
        mds_by_commune=mds_by_commune,
        metropole_epci=reader.text(raw, "metropole_epci", "top level"),
        mairies=_mairies(path.parent / mairies_file),
        mairies_source=reader.source(mairies_raw, "mairies"),
        mairies_note=reader.text(mairies_raw, "note", "mairies", required=False),
        mairies_checked=reader.date(mairies_raw, "checked", "mairies"),
        ccas_min_population=int(mairies_raw.get("ccas_min_population", 1500)),
        ccas_what=reader.text(mairies_raw, "ccas_what", "mairies"),
        mairie_what=reader.text(mairies_raw, "mairie_what", "mairies"),
        situations=situations,
        sms=sms,
        pattern_words=frozenset(w for w in pattern_words if len(w) >= 3),
        corrector=TypoCorrector(keywords, protected),
        negation_before=frozenset(map(_plain, reader.texts(negation, "before", "negation"))),
        negation_inside_or_after=frozenset(
            map(_plain, reader.texts(negation, "inside_or_after", "negation"))),
        plus_not_negation_before=frozenset(
            map(_plain, reader.texts(negation, "plus_not_negation_before", "negation"))),
        after_match_ignored_before=frozenset(
            map(_plain, reader.texts(negation, "after_match_ignored_before", "negation"))),
        clause_subjects=frozenset(map(_plain, reader.texts(negation, "clause_subjects", "negation"))),
        long_ago=_regexes(past.get("long_ago", []), reader, "past.long_ago"),
        resolved=_regexes(past.get("resolved", []), reader, "past.resolved"),
    )
    data.by_id.update({s.id: s for s in situations})
    return data


@lru_cache(maxsize=1)
def get_data() -> UrgentData:
    """The packaged situations data, loaded once."""
    return load()
