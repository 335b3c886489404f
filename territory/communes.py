"""Communes of Meurthe-et-Moselle: loading, lookup as residents type them, distances.

Lookup order (first that answers wins):
  1. a postcode in the text ("54450", "57000");
  2. an exact name, alias or short name ("Vandœuvre" for Vandœuvre-lès-Nancy) in any span of words;
  3. an exact well-known place outside the 54 ("Metz");
  4. a fuzzy match (rapidfuzz) for typos and missing letters.
Names are normalised once at load time, so the common case is a few dict look-ups.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from rapidfuzz import fuzz, process

from territory.normalize import normalize_name

DATA_DIR = Path(__file__).resolve().parent / "data"
COMMUNES_CSV = DATA_DIR / "communes_54.csv"
ALIASES_YML = DATA_DIR / "aliases.yml"
OUTSIDE_YML = DATA_DIR / "outside_54.yml"

# Words that link the main part of a name to its complement: "Jarville-la-Malgrange" -> "jarville".
_LINKERS = {
    "les",
    "sur",
    "sous",
    "en",
    "aux",
    "au",
    "devant",
    "derriere",
    "de",
    "du",
    "des",
    "la",
    "le",
    "et",
}
# Words residents put around a commune name ("j'habite à", "la ville de", "merci").
_FILLERS = {
    "j",
    "je",
    "jai",
    "ai",
    "habite",
    "habites",
    "habitons",
    "habitez",
    "vis",
    "vit",
    "vivons",
    "reste",
    "suis",
    "sommes",
    "on",
    "nous",
    "moi",
    "c",
    "cest",
    "est",
    "ca",
    "a",
    "au",
    "aux",
    "en",
    "dans",
    "de",
    "du",
    "d",
    "la",
    "le",
    "l",
    "commune",
    "ville",
    "village",
    "pres",
    "vers",
    "cote",
    "bonjour",
    "salut",
    "euh",
    "ben",
    "bah",
    "alors",
    "ma",
    "mon",
    "secteur",
    "quartier",
    "actuellement",
    "maintenant",
    "depuis",
    "oui",
    "merci",
    "voila",
    "y",
    "il",
    "ya",
    "cp",
    "code",
    "postal",
    "et",
    "svp",
    "stp",
    "sur",
    "ici",
    "chez",
    "pas",
    "loin",
    "centre",
    "habitant",
    "habitante",
}
_POSTCODE = re.compile(r"(?<!\d)(\d{2}) ?(\d{3})(?!\d)")
_MAX_TEXT = 200
_FUZZY_MIN_SHORT = 85  # queries of 4 letters: few letters, so little room for error
_FUZZY_MIN = 80
_AMBIGUITY_GAP = 3  # fuzzy candidates this close to the best one are offered together


@dataclass(frozen=True)
class Commune:
    insee_code: str
    name: str
    postcodes: tuple[str, ...]
    population: int
    epci_code: str
    epci_name: str
    latitude: float
    longitude: float
    centroid_latitude: float
    centroid_longitude: float
    mairie_address: str
    mairie_phone: str
    mairie_hours: str

    @property
    def postcode(self) -> str:
        return self.postcodes[0] if self.postcodes else ""


@dataclass(frozen=True)
class OutsidePlace:
    name: str
    departement: str | None
    label: str  # "Moselle (57)", "le Luxembourg"...


@dataclass(frozen=True)
class CommuneMatch:
    """What a resident's text designates.

    status:
      "found"     -> `commune` is set;
      "ambiguous" -> `candidates` (best first) to offer as buttons;
      "outside"   -> `outside` says where the place is (not in the 54).
    """

    status: str
    commune: Commune | None = None
    candidates: tuple[Commune, ...] = ()
    outside: OutsidePlace | None = None
    method: str = ""  # postcode | name | alias | short_name | fuzzy
    score: float = 100.0

    @property
    def found(self) -> bool:
        return self.status == "found"

    @property
    def ambiguous(self) -> bool:
        return self.status == "ambiguous"

    @property
    def is_outside(self) -> bool:
        return self.status == "outside"


class _OutsideEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    departement: str | None = None
    country: str | None = None


class _OutsideFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    departements: dict[str, str]
    places: list[_OutsideEntry]


class _AliasesFile(BaseModel):
    aliases: dict[str, list[str]]

    @field_validator("aliases")
    @classmethod
    def _insee_codes(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for code in value:
            if not re.fullmatch(r"54\d{3}", code):
                raise ValueError(f"{code!r} is not an INSEE code of the 54")
        return value


class TerritoryDataError(ValueError):
    """A territory data file is malformed; the message names the file and the field."""


@dataclass(frozen=True)
class _Index:
    by_code: dict[str, Commune]
    exact: dict[str, tuple[str, str]]  # normalised name -> (insee, method)
    short: dict[str, tuple[str, ...]]  # short name -> insee codes (several: ambiguous)
    by_postcode: dict[str, tuple[str, ...]]
    outside: dict[str, OutsidePlace]
    departements: dict[str, str]
    fuzzy_keys: list[str]
    fuzzy_targets: list[tuple[str, tuple[str, ...] | OutsidePlace]]


def _float(row: dict[str, str], field: str, path: Path, line: int) -> float:
    try:
        return float(row[field])
    except (KeyError, ValueError) as exc:
        raise TerritoryDataError(f"{path.name} line {line}: field {field!r} must be a number") from exc


def _load_communes(path: Path = COMMUNES_CSV) -> list[Commune]:
    communes = []
    with path.open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            code = row.get("insee_code", "")
            if not re.fullmatch(r"54\d{3}", code or ""):
                raise TerritoryDataError(f"{path.name} line {line}: field 'insee_code' must be 54xxx")
            if not row.get("name"):
                raise TerritoryDataError(f"{path.name} line {line}: field 'name' is empty")
            postcodes = tuple((row.get("postcodes") or "").split())
            if not postcodes or not all(re.fullmatch(r"\d{5}", p) for p in postcodes):
                raise TerritoryDataError(f"{path.name} line {line}: field 'postcodes' must be 5-digit codes")
            communes.append(
                Commune(
                    insee_code=code,
                    name=row["name"],
                    postcodes=postcodes,
                    population=int(_float(row, "population", path, line)),
                    epci_code=row.get("epci_code", ""),
                    epci_name=row.get("epci_name", ""),
                    latitude=_float(row, "latitude", path, line),
                    longitude=_float(row, "longitude", path, line),
                    centroid_latitude=_float(row, "centroid_latitude", path, line),
                    centroid_longitude=_float(row, "centroid_longitude", path, line),
                    mairie_address=row.get("mairie_address", ""),
                    mairie_phone=row.get("mairie_phone", ""),
                    mairie_hours=row.get("mairie_hours", ""),
                )
            )
    return communes


def _load_yaml(path: Path, model: type[BaseModel], wrap: str | None = None) -> BaseModel:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    try:
        return model.model_validate({wrap: raw} if wrap else raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"] if p != wrap)
        raise TerritoryDataError(f"{path.name}: field {where!r}: {first['msg']}") from exc


def _short_name(normalised: str) -> str | None:
    """The part before the first linker word: "jarville la malgrange" -> "jarville"."""
    words = normalised.split()
    for i, word in enumerate(words[1:], start=1):
        if word in _LINKERS:
            short = " ".join(words[:i])
            return short if len(short) >= 4 else None
    return None


@lru_cache(maxsize=1)
def _index() -> _Index:
    communes = _load_communes()
    by_code = {c.insee_code: c for c in communes}
    exact: dict[str, tuple[str, str]] = {}
    for c in communes:
        exact[normalize_name(c.name)] = (c.insee_code, "name")

    aliases = _load_yaml(ALIASES_YML, _AliasesFile, wrap="aliases")
    for code, names in aliases.aliases.items():
        if code not in by_code:
            raise TerritoryDataError(f"{ALIASES_YML.name}: {code!r} is not in {COMMUNES_CSV.name}")
        for alias in names:
            exact.setdefault(normalize_name(alias), (code, "alias"))

    short: dict[str, list[str]] = {}
    for c in communes:
        key = _short_name(normalize_name(c.name))
        if key and key not in exact:
            short.setdefault(key, []).append(c.insee_code)

    by_postcode: dict[str, list[str]] = {}
    for c in sorted(communes, key=lambda c: -c.population):
        for pc in c.postcodes:
            by_postcode.setdefault(pc, []).append(c.insee_code)

    outside_file = _load_yaml(OUTSIDE_YML, _OutsideFile)
    outside: dict[str, OutsidePlace] = {}
    for entry in outside_file.places:
        key = normalize_name(entry.name)
        if key in exact or key in short:
            continue  # a commune of the 54 with the same name always wins
        if entry.departement:
            dep_name = outside_file.departements.get(entry.departement)
            label = f"{dep_name} ({entry.departement})" if dep_name else f"département {entry.departement}"
        else:
            label = entry.country or "hors de France"
        outside[key] = OutsidePlace(name=entry.name, departement=entry.departement, label=label)

    fuzzy_targets: list[tuple[str, tuple[str, ...] | OutsidePlace]] = []
    fuzzy_targets += [(k, (code,)) for k, (code, _m) in exact.items()]
    fuzzy_targets += [(k, tuple(codes)) for k, codes in short.items()]
    fuzzy_targets += [(k, place) for k, place in outside.items()]
    return _Index(
        by_code=by_code,
        exact=exact,
        short={k: tuple(v) for k, v in short.items()},
        by_postcode={k: tuple(v) for k, v in by_postcode.items()},
        outside=outside,
        departements=outside_file.departements,
        fuzzy_keys=[k for k, _t in fuzzy_targets],
        fuzzy_targets=fuzzy_targets,
    )


def all_communes() -> list[Commune]:
    return list(_index().by_code.values())


def commune_by_code(insee: str) -> Commune | None:
    return _index().by_code.get(str(insee).strip()) if insee is not None else None


def epci_of(insee: str) -> str | None:
    """SIREN code of the commune's EPCI (e.g. "245400676" for the Métropole du Grand Nancy)."""
    commune = commune_by_code(insee)
    return commune.epci_code if commune else None


def communes_with_postcode(postcode: str) -> list[Commune]:
    idx = _index()
    return [idx.by_code[c] for c in idx.by_postcode.get(postcode, ())]


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in kilometres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))


def nearest_commune(lat: float, lon: float) -> Commune:
    """The commune of the 54 whose town hall is closest to the point."""
    return min(all_communes(), key=lambda c: distance_km(lat, lon, c.latitude, c.longitude))


def _by_population(codes) -> tuple[Commune, ...]:
    idx = _index()
    return tuple(sorted((idx.by_code[c] for c in dict.fromkeys(codes)), key=lambda c: -c.population))


def _result(codes, method: str, score: float = 100.0) -> CommuneMatch:
    communes = _by_population(codes)
    if len(communes) == 1:
        return CommuneMatch("found", commune=communes[0], candidates=communes, method=method, score=score)
    return CommuneMatch("ambiguous", candidates=communes, method=method, score=score)


def _outside_departement(postcode: str) -> OutsidePlace:
    idx = _index()
    dep = postcode[:3] if postcode.startswith("97") else postcode[:2]
    name = idx.departements.get(dep)
    label = f"{name} ({dep})" if name else f"département {dep}"
    return OutsidePlace(name=postcode, departement=dep, label=label)


def _spans(words: list[str]):
    """Every run of consecutive words, longest first."""
    for length in range(len(words), 0, -1):
        for start in range(0, len(words) - length + 1):
            yield " ".join(words[start : start + length])


def _exact(words: list[str], allowed: set[str] | None) -> CommuneMatch | None:
    idx = _index()
    for table, method in ((idx.exact, "name"), (idx.short, "short_name")):
        best_len, found = 0, []
        for span in _spans(words):
            if best_len and len(span.split()) < best_len:
                break
            hit = table.get(span)
            if hit is None:
                continue
            codes = (hit[0],) if method == "name" else hit
            codes = tuple(c for c in codes if allowed is None or c in allowed)
            if codes:
                best_len = len(span.split())
                found.extend(codes)
                if method == "name" and table[span][1] == "alias":
                    method = "alias"
        if found:
            return _result(found, method)
    return None


def _core(words: list[str]) -> list[str]:
    start, end = 0, len(words)
    while start < end and words[start] in _FILLERS:
        start += 1
    while end > start and words[end - 1] in _FILLERS:
        end -= 1
    return words[start:end]


def _fuzzy(words: list[str], allowed: set[str] | None, cutoff_bonus: float = 0.0):
    """Best fuzzy candidates: list of (score, target) with target a code tuple or an OutsidePlace."""
    idx = _index()
    core = _core(words)
    if not core:
        return []
    queries = [" ".join(core)]
    if len(core) > 1:  # "je vis vers vandeuvre depuis longtemps": try shorter runs of words too
        queries += [s for s in _spans(core) if s not in queries and len(s.split()) <= 4]
    scored: dict[int, float] = {}
    for query in queries:
        if len(query.replace(" ", "")) < 4:
            continue
        cutoff = (_FUZZY_MIN_SHORT if len(query) <= 4 else _FUZZY_MIN) - cutoff_bonus
        for _key, score, i in process.extract(
            query, idx.fuzzy_keys, scorer=fuzz.ratio, limit=8, score_cutoff=cutoff
        ):
            target = idx.fuzzy_targets[i][1]
            if allowed is not None and (
                isinstance(target, OutsidePlace) or not any(c in allowed for c in target)
            ):
                continue
            scored[i] = max(scored.get(i, 0.0), score)
    ranked = sorted(scored.items(), key=lambda item: -item[1])
    return [(score, idx.fuzzy_targets[i][1]) for i, score in ranked]


def _fuzzy_match(words: list[str], allowed: set[str] | None) -> CommuneMatch | None:
    ranked = _fuzzy(words, allowed)
    if not ranked:
        return None
    best_score, best = ranked[0]
    if isinstance(best, OutsidePlace):
        return CommuneMatch("outside", outside=best, method="fuzzy", score=best_score)
    codes: list[str] = []
    for score, target in ranked:
        if best_score - score > _AMBIGUITY_GAP:
            break
        if not isinstance(target, OutsidePlace):
            codes.extend(c for c in target if allowed is None or c in allowed)
    return _result(codes, "fuzzy", best_score)


def find_commune(text: str) -> CommuneMatch | None:
    """Read a commune from what a resident typed; None when nothing looks like a commune."""
    if not isinstance(text, str) or not text.strip():
        return None
    text = text[:_MAX_TEXT]
    idx = _index()

    allowed: set[str] | None = None
    postcode_match = _POSTCODE.search(text)
    if postcode_match:
        postcode = postcode_match.group(1) + postcode_match.group(2)
        text = text[: postcode_match.start()] + " " + text[postcode_match.end() :]
        if not postcode.startswith("54"):
            if 1 <= int(postcode[:2]) <= 95 or postcode[:2] == "97":
                return CommuneMatch("outside", outside=_outside_departement(postcode), method="postcode")
            postcode = ""  # not a French postcode: read the rest of the text
        if postcode in idx.by_postcode:
            allowed = set(idx.by_postcode[postcode])

    words = normalize_name(text).split()
    words = [w for w in words if not w.isdigit()]
    if words:
        match = _exact(words, allowed)
        if match:
            return match
        if allowed is not None:
            # A known name with a postcode that does not fit it ("Nancy 54500"): offer both.
            unrestricted = _exact(words, None)
            if unrestricted:
                codes = [c.insee_code for c in unrestricted.candidates] + sorted(allowed)
                return CommuneMatch("ambiguous", candidates=_by_population(codes), method="postcode")
        if allowed is None:
            for span in _spans(words):
                if span in idx.outside:
                    return CommuneMatch("outside", outside=idx.outside[span], method="name")
        match = _fuzzy_match(words, allowed)
        if match:
            return match
    if allowed:
        return _result(allowed, "postcode")
    return None


def search_communes(text: str, limit: int = 3) -> list[Commune]:
    """Communes to offer as buttons, best first (empty for a place outside the 54)."""
    match = find_commune(text)
    if match is not None:
        return [match.commune] if match.found else list(match.candidates[:limit])
    if not isinstance(text, str):
        return []
    # Nothing sure: "did you mean" suggestions with a looser threshold.
    words = [w for w in normalize_name(text[:_MAX_TEXT]).split() if not w.isdigit()]
    codes: list[str] = []
    for _score, target in _fuzzy(words, None, cutoff_bonus=10):
        if not isinstance(target, OutsidePlace):
            codes.extend(c for c in target if c not in codes)
        if len(codes) >= limit:
            break
    idx = _index()
    return [idx.by_code[c] for c in codes[:limit]]
