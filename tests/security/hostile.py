"""1,000 hostile inputs, the same on every run: what residents, bots and attackers type."""

from __future__ import annotations

import json
import random

SEED = 12

_FIXED = [
    "", " ", "\n\n\t", "\x00", "\x00" * 50, "\x1b[31mrouge\x1b[0m", "\u202egnp.exe", "\ufeff", "\u200b" * 30,
    "a" * 10_000, "é" * 10_000, "😀" * 3000, "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>", "javascript:alert(1)", "{{7*7}}", "${7*7}", "'; DROP TABLE appointment_requests; --",
    "' OR '1'='1", "1; SELECT * FROM staff_users", "../../../../etc/passwd", "%00", "%s%s%s%n", "\\u0000",
    "مرحبا، أريد مساعدة في السكن", "我需要帮助", "Здравствуйте, мне нужна помощь", "Merhaba yardım istiyorum",
    "ﷺ" * 100, "🏳️‍🌈👨‍👩‍👧‍👦" * 50, "/", "//", "/restart", "/start", "/inform", "/inform{", "/inform{}", "/inform[]",
    "/inform{\"reference\": 5}", "/inform{\"reference\": null}", "/inform{\"reference\": [1,2]}",
    "/inform{\"reference\": {\"$gt\": \"\"}}", "/inform{\"phone\": 612345678}", "/inform{\"age\": -1}",
    "/inform{\"age\": 1e309}", "/inform{\"age\": \"NaN\"}", "/inform{\"children_ages\": \"abc\"}",
    "/inform{\"commune\": {\"code\": 1}}", "/inform{\"latitude\": \"x\", \"longitude\": []}",
    "/share_location{\"latitude\": 1e999, \"longitude\": -1e999}", "/share_contact{\"phone\": [\"+33\"]}",
    "/erase_data{\"sender\": \"web-other\"}", "/book_appointment{\"slot_choice\": 99999999999999999999}",
    "/inform" + "{" * 500 + "}" * 500, "/inform" + json.dumps({"x": "y" * 5000}),
    "/" + "a" * 300, "/nlu_fallback", "/action_erase_data", "/inform{\"requested_slot\": \"x\"}",
]

_INTENTS = ["inform", "affirm", "deny", "book_appointment", "cancel_appointment", "erase_data", "restart",
            "share_location", "share_contact", "benefit_details", "dont_know", "greet", "nope", "", "1"]
_ENTITIES = ["reference", "phone", "age", "income_monthly", "children_ages", "commune", "latitude", "longitude",
             "slot_choice", "choice", "benefit_id", "household", "housing", "disability", "requested_slot"]
_VALUES = [None, True, False, 0, -1, 5, 3.5, 1e308, -1e308, "", " ", "x" * 2000, [], [1, "a", None], {},
           {"a": {"b": []}}, "<b>gras</b>", "AV-7K3P", "av 7k3p", "+33612345678", "0612345678", "54395",
           "nancy", "\x00", "😀", "１２３", "٣٤"]


def _payload(rng: random.Random) -> str:
    intent = rng.choice(_INTENTS)
    entities = {rng.choice(_ENTITIES): rng.choice(_VALUES) for _ in range(rng.randint(0, 3))}
    body = json.dumps(entities, ensure_ascii=rng.random() < 0.5)
    if rng.random() < 0.2:  # broken JSON
        body = body[: rng.randint(0, len(body))]
    return f"/{intent}{body}"


def _text(rng: random.Random) -> str:
    alphabet = ("abcdefghijklmnopqrstuvwxyz éèàçù0123456789'\"<>&;{}[]/\\\n\t\x00\x07\x1b\u202e"
                "😀你好مرحبا")
    return "".join(rng.choice(alphabet) for _ in range(rng.choice([1, 5, 40, 300, 1200])))


def hostile_inputs(n: int = 1000) -> list[str]:
    rng = random.Random(SEED)
    out = list(_FIXED)
    while len(out) < n:
        out.append(_payload(rng) if rng.random() < 0.5 else _text(rng))
    return out[:n]


def hostile_entities(n: int = 1000) -> list[list[dict]]:
    """Entity lists as Rasa would pass them to actions from `/intent{json}` payloads."""
    rng = random.Random(SEED + 1)
    out = []
    for _ in range(n):
        out.append([{"entity": rng.choice(_ENTITIES), "value": rng.choice(_VALUES)}
                    for _ in range(rng.randint(0, 3))])
    return out
