"""Compose the help given when one or more urgent situations are detected.

``build_help(["violence", "homeless"], commune_insee="54395")`` returns the messages, the
national numbers and the local contacts, most serious situation first, in plain French,
each number and contact with its source. ``UrgentHelp.chat_messages()`` renders it as 3–4
short chat messages (what to do, whom to call, near you, good to know), every phone number
written plainly ("3114", "0 800 112 212", "par SMS au 114"): the web widget links French
numbers and short emergency numbers itself, Telegram shows them as they are, so no raw
``tel:`` token goes into the text (``HelpNumber.tel`` keeps the URL for structured data);
``UrgentHelp.text()``
is the same as one block; ``UrgentHelp.to_dict()`` gives JSON-ready data.
Bad input (unknown situation, unknown commune) never raises: it falls back to the
département-wide help.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from urgent.normalize import strip_accents
from urgent.situations import LocalContact, Mairie, UrgentData, get_data

FALLBACK_NUMBERS = ("112", "15", "17", "115")
_DIGITS = re.compile(r"\D")


def tel_link(number: str) -> str:
    """``tel:`` URL of a French number: "3114" -> "tel:3114", "03 83 94 54 54" -> "tel:+33383945454"."""
    digits = _DIGITS.sub("", number)
    if len(digits) == 10 and digits.startswith("0"):
        return "tel:+33" + digits[1:]
    return "tel:" + digits


def _first_sentence(text: str) -> str:
    head, dot, _ = text.partition(". ")
    return head + "." if dot else text


@dataclass(frozen=True)
class HelpNumber:
    dial: str
    name: str
    what: str
    free: bool
    hours: str
    source: str
    checked: str
    cost: str
    key: str = ""

    @property
    def line(self) -> str:
        """One plain line: number, name, what it is for, free and hours."""
        return f"{self.dial} – {self.name} : {self.what} {self.cost}, {self.hours}."

    @property
    def tel(self) -> str:
        """``tel:`` link, or ``sms:`` for a text-only number (the 114)."""
        link = tel_link(self.key or self.dial)
        return link.replace("tel:", "sms:", 1) if self.cost.startswith("SMS") else link

    @property
    def short_line(self) -> str:
        """Number first ("par SMS au 114" for a text-only one), what it is for in one
        sentence, cost and hours."""
        dial = f"Par SMS au {self.dial}" if self.cost.startswith("SMS") else self.dial
        return f"{dial} – {_first_sentence(self.what)} {self.cost}, {self.hours}."


@dataclass(frozen=True)
class HelpContact:
    key: str
    name: str
    what: str
    source: str
    checked: str
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    address: str | None = None
    hours: str | None = None
    note: str | None = None
    confidence: str = "high"
    kind: str = "contact"

    @property
    def short_line(self) -> str:
        """Name, what it does in one sentence, phone number, address."""
        if self.kind == "advice":
            return f"{self.name} : {self.what}"
        # With a phone number the first sentence is enough; without, the text is the help.
        parts = [f"{self.name} : {_first_sentence(self.what) if self.phone else self.what}"]
        if self.phone:
            parts.append(f"Tél. {self.phone}")
        if self.address:
            parts.append(self.address)
        return " – ".join(parts)

    @property
    def line(self) -> str:
        parts = [f"{self.name} : {self.what}"]
        if self.phone:
            parts.append(f"Téléphone : {self.phone}.")
        if self.address:
            parts.append(f"Adresse : {self.address}.")
        if self.hours:
            parts.append(f"Horaires : {self.hours}.")
        if self.email:
            parts.append(f"E-mail : {self.email}.")
        if self.website:
            parts.append(f"Site : {self.website}")
        return " ".join(parts)


@dataclass(frozen=True)
class UrgentHelp:
    situations: tuple[str, ...]
    labels: tuple[str, ...]
    messages: tuple[str, ...]
    numbers: tuple[HelpNumber, ...]
    local_contacts: tuple[HelpContact, ...]
    closing: str
    commune_insee: str | None = None
    commune_name: str | None = None

    def chat_messages(self) -> list[str]:
        """The help as 3–4 short chat messages, most urgent first; buttons go on the last."""
        out = ["\n\n".join(self.messages)]
        if self.numbers:
            out.append("Appelez :\n" + "\n".join(f"• {n.short_line}" for n in self.numbers))
        contacts = [c for c in self.local_contacts if c.kind != "advice"]
        advice = [c for c in self.local_contacts if c.kind == "advice"]
        if contacts:
            title = f"Près de chez vous ({self.commune_name}) :" if self.commune_name else "Près de chez vous :"
            out.append(title + "\n" + "\n".join(f"• {c.short_line}" for c in contacts))
        last = "\n".join(f"• {c.short_line}" for c in advice)
        out.append(("Bon à savoir :\n" + last + "\n\n" if advice else "") + self.closing)
        return out

    def text(self) -> str:
        """The whole help as one plain-French chat message."""
        return "\n\n".join(self.chat_messages())

    def to_dict(self) -> dict:
        data = asdict(self)
        data["numbers"] = [dict(asdict(n), line=n.line) for n in self.numbers]
        data["local_contacts"] = [dict(asdict(c), line=c.line) for c in self.local_contacts]
        data["text"] = self.text()
        data["chat_messages"] = self.chat_messages()
        return data


def _iso(day: dt.date) -> str:
    return day.isoformat()


def _number(data: UrgentData, key: str) -> HelpNumber:
    info = data.numbers[key]
    cost = info.cost or ("Appel gratuit" if info.free else "Appel payant")
    return HelpNumber(dial=info.dial, name=info.name, what=info.what, free=info.free,
                      hours=info.hours, source=info.source, checked=_iso(info.checked),
                      cost=cost, key=key)


def _contact(contact: LocalContact) -> HelpContact:
    return HelpContact(key=contact.key, name=contact.name, what=contact.what,
                       source=contact.source, checked=_iso(contact.checked),
                       phone=contact.phone, email=contact.email, website=contact.website,
                       address=contact.address, hours=contact.hours, note=contact.note,
                       confidence=contact.confidence, kind=contact.kind)


def _ccas(data: UrgentData, mairie: Mairie | None) -> HelpContact:
    if mairie is None:
        return _contact(data.local_contacts["ccas_generic"])
    has_ccas = mairie.population >= data.ccas_min_population
    return HelpContact(
        key=f"ccas_{mairie.insee}",
        name=(f"CCAS {_of(mairie.name)} (à la mairie)" if has_ccas else f"Mairie {_of(mairie.name)}"),
        what=data.ccas_what if has_ccas else data.mairie_what,
        source=data.mairies_source,
        checked=_iso(data.mairies_checked),
        phone=mairie.phone or None,
        email=mairie.email or None,
        address=mairie.address or None,
        hours=mairie.hours or None,
        note=data.mairies_note,
        confidence="medium",
    )


def _of(name: str) -> str:
    """French "de" before a commune name: "d'Essey-lès-Nancy", "du Val", "de Nancy"."""
    for article, contracted in (("Le ", "du "), ("Les ", "des ")):
        if name.startswith(article):
            return contracted + name[len(article):]
    plain = strip_accents(name[:1])
    return f"d'{name}" if plain in "aeiouyh" else f"de {name}"


def _commune(data: UrgentData, commune_insee: object) -> Mairie | None:
    if isinstance(commune_insee, int) and not isinstance(commune_insee, bool):
        commune_insee = str(commune_insee)
    if not isinstance(commune_insee, str):
        return None
    return data.mairies.get(commune_insee.strip().upper())


def _ordered_ids(data: UrgentData, situation_ids: Iterable[object]) -> list[str]:
    if isinstance(situation_ids, str):
        situation_ids = [situation_ids]
    try:
        wanted = {s for s in situation_ids if isinstance(s, str)}
    except TypeError:
        return []
    return [s.id for s in data.situations if s.id in wanted]


def build_help(situation_ids: Iterable[str], commune_insee: str | None = None,
               data: UrgentData | None = None) -> UrgentHelp:
    """Help for ``situation_ids`` (any order), most serious first.

    ``commune_insee`` (e.g. "54395") adds the CCAS or town hall and the MDS of that
    commune, and keeps only the FSL that serves it. Unknown ids are ignored; if none is
    known, the general emergency numbers are given.
    """
    data = data or get_data()
    ids = _ordered_ids(data, situation_ids)
    mairie = _commune(data, commune_insee)
    epci = mairie.epci if mairie else None

    messages: list[str] = []
    number_keys: list[str] = []
    contacts: list[HelpContact] = []
    seen_contacts: set[str] = set()

    def add_contact(contact: HelpContact) -> None:
        if contact.key not in seen_contacts:
            seen_contacts.add(contact.key)
            contacts.append(contact)

    for sid in ids:
        situation = data.by_id[sid]
        messages.append(situation.message)
        number_keys.extend(k for k in situation.numbers if k not in number_keys)
        for key in situation.local:
            if key == "ccas":
                add_contact(_ccas(data, mairie))
            elif key == "mds":
                mds_key = data.mds_by_commune.get(mairie.insee, "mds_departement") if mairie \
                    else "mds_departement"
                add_contact(_contact(data.local_contacts[mds_key]))
            elif data.local_contacts[key].applies_to(epci):
                add_contact(_contact(data.local_contacts[key]))

    if not ids:
        messages.append(data.fallback_message)
        number_keys.extend(k for k in FALLBACK_NUMBERS if k in data.numbers)

    return UrgentHelp(
        situations=tuple(ids),
        labels=tuple(data.by_id[s].label for s in ids),
        messages=tuple(messages),
        numbers=tuple(_number(data, k) for k in number_keys),
        local_contacts=tuple(contacts),
        closing=next((data.by_id[s].closing for s in ids if data.by_id[s].closing), data.closing),
        commune_insee=mairie.insee if mairie else None,
        commune_name=mairie.name if mairie else None,
    )
