"""Issue 15: the summary handed over in guide mode by a short link the volunteer can dictate
(/r/<8 characters>), encoded in the QR code; expired or mistyped -> a polite French page."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta, timezone

from test_guide_booking import choices, client, db_url, form  # noqa: F401 - fixtures

from privacy import shortlinks

SUMMARY = "/resume/" + "a" * 32


def test_codes_are_typeable_and_read_loosely(db_url):  # noqa: F811
    code = shortlinks.create(SUMMARY, url=db_url)
    assert len(code) == 8 and set(code) <= set(shortlinks.ALPHABET)
    assert not set("01ILOUV") & set(shortlinks.ALPHABET)
    spoken = f" {code[:4].lower()}-{code[4:]} "
    assert shortlinks.resolve(spoken, url=db_url) == SUMMARY
    assert shortlinks.resolve("ABCD", url=db_url) is None and shortlinks.resolve("O" * 8, url=db_url) is None


def test_a_copy_of_the_database_gives_neither_codes_nor_summaries(db_url):  # noqa: F811
    from core.db import session_scope

    code = shortlinks.create(SUMMARY, url=db_url)
    with session_scope(db_url) as s:
        row = s.get(shortlinks.ShortLink, shortlinks._digest(code))
        assert code not in row.id and "aaaa" not in row.target and SUMMARY.encode().hex() != row.target


def test_expired_code_is_refused_and_forgotten(db_url):  # noqa: F811
    long_ago = datetime.now(timezone.utc) - shortlinks.TTL - timedelta(minutes=1)
    code = shortlinks.create(SUMMARY, now=long_ago, url=db_url)
    assert shortlinks.resolve(code, url=db_url) is None
    assert shortlinks.resolve(code, now=long_ago + timedelta(days=1), url=db_url) is None, "deleted when seen expired"


def test_booking_page_shows_the_short_link_under_the_qr_code_and_it_opens_the_summary(client, db_url):  # noqa: F811
    page = client.get("/guide/rendez-vous").text
    done = client.post("/guide/rendez-vous", data=form(choices(page)[0]))
    text = html.unescape(done.text)
    reference = re.search(r'id="reference">([^<]+)<', text).group(1)
    shown = re.search(r'id="short-link"><span class="host">droits\.example\.org/r/</span><strong>(\w{4} \w{4})</strong>',
                      text).group(1)
    assert text.index('id="qr-code"') < text.index('id="short-link"'), "under the QR code"
    # The QR code encodes the short link (segno's SVG has no text; decode what it was made from).
    import segno  # noqa: PLC0415

    expected = segno.make(f"https://droits.example.org/r/{shown.replace(' ', '')}", error="l").svg_data_uri(scale=5, border=2)
    assert html.unescape(re.search(r'id="qr-code" src="([^"]+)"', done.text).group(1)) == expected
    # Typed as dictated (lower case, with the space): to the summary, which shows the reference.
    opened = client.get(f"/r/{shown.lower()}", follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"].startswith("/resume/")
    summary = client.get(opened.headers["location"])
    assert summary.status_code == 200 and reference in summary.text
    # The long summary link still works on its own.
    link = html.unescape(re.search(r'id="summary-link" href="([^"]+)"', done.text).group(1))
    assert client.get(link.replace("https://droits.example.org", "")).status_code == 200


def test_unknown_or_expired_short_link_is_a_polite_page(client, db_url):  # noqa: F811
    long_ago = datetime.now(timezone.utc) - timedelta(days=30)
    code = shortlinks.create(SUMMARY, now=long_ago, url=db_url)
    for path in (f"/r/{code}", "/r/ZZZZZZZZ", "/r/pas-un-code", "/r/" + "x" * 300):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 404, path
        assert "Ce code n'est plus valable" in html.unescape(response.text)


def test_the_retention_job_deletes_expired_short_links(db_url):  # noqa: F811
    from sqlalchemy import func, select

    from core.db import session_scope
    from privacy.retention import _purge_links_and_audit

    now = datetime.now(timezone.utc)
    shortlinks.create(SUMMARY, now=now - shortlinks.TTL - timedelta(hours=1), url=db_url)
    fresh = shortlinks.create(SUMMARY, now=now, url=db_url)
    _purge_links_and_audit(now, db_url)
    with session_scope(db_url) as s:
        assert s.scalar(select(func.count()).select_from(shortlinks.ShortLink)) == 1
    assert shortlinks.resolve(fresh, url=db_url) == SUMMARY
