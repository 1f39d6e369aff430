"""Every portal page through the whole HTTP app: status, one title, one h1, labelled fields, masking, the
public view's rules (nothing expired, withdrawn or non-public), the language switch and its cookie."""

from __future__ import annotations

import hashlib
import hmac
import io
import random
from datetime import date
from typing import Any

import pytest
from portal_html import Page, read
from portal_samples import (
    DEFAULTER_NO,
    EXPIRED_NO,
    ORG_ID,
    ORG_NAME,
    OTHER_ID,
    OTHER_NAME,
    OTHER_PENALTY_NO,
    PENALTY_NO,
    PERSON_DEFAULTER_NO,
    PERSON_ID,
    PERSON_MASKED,
    REASON_ZH,
    RESTRICTION_NO,
    REVOKED_NO,
    MakeKey,
    Sample,
)
from pypdf import PdfReader

from xinyong.bootstrap import Services
from xinyong.catalog import default_catalog
from xinyong.due_process import Actor, objections
from xinyong.ids import resident_id

pytestmark = pytest.mark.integration
CAT = default_catalog()


def page(response: Any, status: int = 200) -> Page:
    """The page, after checking its status, that it is HTML, has one non-empty title and exactly one h1, and
    that every visible form field has a label."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    parsed = read(response.text)
    assert len(parsed.titles) == 1
    assert parsed.titles[0]
    assert len(parsed.h1) == 1
    assert parsed.h1[0]
    assert parsed.headings[0] == 1
    for earlier, later in zip(parsed.headings, parsed.headings[1:], strict=False):
        assert later <= earlier + 1, f"heading level jumps from h{earlier} to h{later}"
    assert set(parsed.controls) <= parsed.labels_for, "every form field has a label"
    return parsed


def sign_in(client: Any, key: str, next_page: str = "/me") -> Any:
    return client.post("/sign-in", data={"key": key, "next": next_page}, follow_redirects=False)


def csrf_token(key: str) -> str:
    """The token the portal derives from a session key (as `portal.identity.csrf_token` does)."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return hmac.new(digest, b"xinyong portal csrf v1", hashlib.sha256).hexdigest()[:40]


def csrf_of(client: Any, path: str) -> str:
    html = client.get(path).text
    marker = 'name="csrf" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


@pytest.mark.usefixtures("sample")
@pytest.mark.parametrize("path", ["/", "/search?q=腾育", "/search?q=", "/oversight", "/sign-in", "/?lang=en"])
def test_public_pages_answer_with_one_title_and_one_h1(client: Any, path: str) -> None:
    parsed = page(client.get(path))
    assert parsed.lang in ("zh-Hans", "en")


def test_subject_page_shows_the_public_view_with_dates_and_legal_basis(client: Any, sample: Sample) -> None:
    parsed = page(client.get(f"/subjects/{sample.org.key}"))
    assert parsed.h1 == [ORG_NAME]
    assert ORG_ID in parsed.text  # an organisation's code is public
    assert DEFAULTER_NO in parsed.text
    assert PENALTY_NO in parsed.text
    assert "2026-12-31" in parsed.text  # when the listing ends
    assert CAT.lists["defaulter"].label_zh in parsed.text
    assert CAT.legal_bases["spc.defaulter_list.art1"].title_zh in parsed.text
    assert REASON_ZH in parsed.text
    assert "/me?record=court.110105%3AD-ORG#object" in parsed.links
    assert f"/subjects/{sample.org.key}/report.pdf" in parsed.links
    # Expired and withdrawn items are absent.
    assert EXPIRED_NO not in parsed.text
    assert REVOKED_NO not in parsed.text


def test_subject_page_finds_the_same_subject_by_code_and_by_key(client: Any, sample: Sample) -> None:
    by_code = page(client.get(f"/subjects/{ORG_ID}"))
    by_key = page(client.get(f"/subjects/{sample.org.key.lower()}"))
    assert by_code.h1 == by_key.h1 == [ORG_NAME]


def test_a_person_is_shown_masked_and_only_with_public_records(client: Any, sample: Sample) -> None:
    response = client.get(f"/subjects/{sample.person.key}")
    parsed = page(response)
    assert PERSON_MASKED in parsed.text
    assert PERSON_ID not in response.text
    assert PERSON_DEFAULTER_NO in parsed.text
    assert RESTRICTION_NO not in parsed.text  # a consumption order on a person is shared, not published
    # A person with nothing public does not exist for the public, by key or by number alike.
    for ident in (sample.other.key, OTHER_ID):
        missing = client.get(f"/subjects/{ident}")
        gone = page(missing, 404)
        assert OTHER_NAME not in gone.text
        assert OTHER_PENALTY_NO not in missing.text


def test_an_invalid_identifier_is_a_page_naming_the_field(client: Any) -> None:
    parsed = page(client.get("/subjects/91110105MA01XXXXX0"), 422)
    assert "id:" in parsed.text


#: Ways people type the company's name or code: all of them must find it.
COMPANY_QUERIES = (
    "腾育",
    ORG_NAME,
    "北京腾育贸易有限责任公司",  # another spelling of the legal form
    "（北京）腾育贸易",  # full-width brackets, region moved
    "騰育貿易",  # traditional characters
    "tengyu",
    "Teng Yu Mao Yi",
    "ｔｅｎｇｙｕ",  # full-width Latin
    "tymy",  # pinyin initials
    ORG_ID,
    ORG_ID.lower(),
    "S00000001",
)


def test_search_finds_a_company_by_name_pinyin_or_code(client: Any, sample: Sample) -> None:
    for query in COMPANY_QUERIES:
        parsed = page(client.get("/search", params={"q": query}))
        assert f"/subjects/{sample.org.key}" in parsed.links, query
    nothing = page(client.get("/search", params={"q": "不存在的公司名称"}))
    assert not [link for link in nothing.links if link.startswith("/subjects/")]


def test_search_shows_people_only_with_something_public_and_masked(client: Any, sample: Sample) -> None:
    found = client.get("/search", params={"q": "ouyangming"})
    parsed = page(found)
    assert f"/subjects/{sample.person.key}" in parsed.links
    assert PERSON_MASKED in parsed.text
    assert PERSON_ID not in found.text
    for query in (OTHER_NAME, "lisi", OTHER_ID):
        hidden = page(client.get("/search", params={"q": query}))
        assert f"/subjects/{sample.other.key}" not in hidden.links, query


def test_language_switch_is_remembered_in_a_cookie(client: Any, sample: Sample) -> None:
    english = client.get(f"/subjects/{sample.org.key}", params={"lang": "en"})
    parsed = page(english)
    assert parsed.lang == "en"
    assert english.cookies.get("lang") == "en"
    assert CAT.lists["defaulter"].label_en in parsed.text
    assert "Public records" in parsed.text
    again = page(client.get("/oversight"))  # the client sends the cookie back
    assert again.lang == "en"
    assert again.titles[0].startswith("Oversight")
    chinese = page(client.get("/", params={"lang": "zh"}))
    assert chinese.lang == "zh-Hans"
    assert chinese.h1 == ["公共信用信息查询"]


def test_me_needs_a_subject_key_and_shows_the_full_file(client: Any, sample: Sample, make_key: MakeKey) -> None:
    redirect = client.get("/me", follow_redirects=False)
    assert redirect.status_code == 303
    assert redirect.headers["location"] == "/sign-in?next=%2Fme"
    refused = sign_in(client, "xy_00000000_" + "a" * 43)
    page(refused, 401)
    assert "xy_session" not in client.cookies

    signed = sign_in(client, make_key("subject", subject=PERSON_ID))
    assert signed.status_code == 303
    assert signed.headers["location"] == "/me"
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "samesite=strict" in cookie.lower()
    response = client.get("/me")
    parsed = page(response)
    assert PERSON_ID in parsed.text  # one's own number, unmasked
    assert RESTRICTION_NO in parsed.text  # and one's shared records
    assert "朝阳区市场监管局" in parsed.text  # the access log: who read the file, and why
    assert "inspection planning" in parsed.text
    assert response.headers["cache-control"] == "no-store"
    assert client.post("/sign-out", follow_redirects=False).status_code == 303
    assert client.get("/me", follow_redirects=False).status_code == 303


def test_me_for_someone_the_registry_knows_nothing_about(client: Any, sample: Sample, make_key: MakeKey) -> None:
    stranger = resident_id.generate(random.Random(7), "110101", date(1990, 3, 7), female=True)
    sign_in(client, make_key("subject", subject=stranger))
    parsed = page(client.get("/me"))
    assert "信用信息系统中没有关于您的记录" in parsed.text
    assert 'name="csrf"' not in client.get("/me").text  # no forms: there is nothing to object to
    # Even with the session's own token, someone else's record is not found (and not named).
    token = csrf_token(client.cookies["xy_session"])
    refused = client.post("/me/objections", data={"record": "samr.110000:P-2025", "grounds": "x", "csrf": token})
    assert "no subject" in page(refused, 404).text
    assert ORG_NAME not in refused.text


def test_filing_an_objection_lists_it_and_contests_the_record(client: Any, sample: Sample, make_key: MakeKey) -> None:
    sign_in(client, make_key("subject", subject=PERSON_ID))
    forged = client.post("/me/objections", data={"record": "court.110105:D-PERSON", "grounds": "x", "csrf": "forged"})
    page(forged, 403)
    token = csrf_of(client, "/me")
    empty = client.post("/me/objections", data={"record": "court.110105:D-PERSON", "grounds": " ", "csrf": token})
    assert "grounds: must not be empty" in page(empty, 422).text
    filed = client.post(
        "/me/objections",
        data={"record": "court.110105:D-PERSON", "grounds": "已于2025年5月全部履行", "csrf": token},
        follow_redirects=False,
    )
    assert filed.status_code == 303
    assert filed.headers["location"] == "/me?done=objection&key=O00000001#objections"
    mine = page(client.get(filed.headers["location"]))
    assert "O00000001" in mine.text
    assert "2025-06-16" in mine.text  # 15 calendar days for a defaulter record
    public = page(client.get(f"/subjects/{sample.person.key}"))
    assert "异议处理中" in public.text


def test_a_repair_application_is_answered_at_once(client: Any, sample: Sample, make_key: MakeKey) -> None:
    sign_in(client, make_key("subject", subject=ORG_ID))
    token = csrf_of(client, "/me")
    applied = client.post(
        "/me/repairs", data={"record": "samr.110000:P-2025", "commitment": "", "csrf": token}, follow_redirects=False
    )
    assert applied.status_code == 303
    mine = page(client.get(applied.headers["location"]))
    assert "R00000001" in mine.text
    assert "不予受理" in mine.text  # a general penalty must stay published for at least 3 months


def test_operator_pages_need_an_operator_key(client: Any, sample: Sample, make_key: MakeKey) -> None:
    assert client.get("/operator/review", follow_redirects=False).headers["location"].startswith("/sign-in")
    sign_in(client, make_key("subject", subject=PERSON_ID))
    refused = page(client.get("/operator/review"), 403)
    assert "operator" in refused.text


def test_operator_pages_and_deciding_a_review_item(client: Any, sample: Sample, make_key: MakeKey) -> None:
    signed = sign_in(client, make_key("operator"), next_page="/me")
    assert signed.headers["location"] == "/operator"
    for path in ("/operator", "/operator/objections", "/operator/batches", "/operator/oversight"):
        page(client.get(path))
    queue = page(client.get("/operator/review"))
    assert sample.review_record in queue.text
    assert "same core name" in queue.text  # the per-field match weights
    assert "+6.50" in queue.text
    token = csrf_of(client, "/operator/review")
    no_reason = client.post(f"/operator/review/{sample.review_item}", data={"decision": "confirm", "csrf": token})
    assert "reason: must not be empty" in page(no_reason, 422).text
    decided = client.post(
        f"/operator/review/{sample.review_item}",
        data={"decision": "confirm", "reason": "同一企业，名称仅组织形式写法不同", "csrf": token},
        follow_redirects=False,
    )
    assert decided.status_code == 303
    after = page(client.get(decided.headers["location"]))
    assert sample.review_record not in after.text
    twice = client.post(
        f"/operator/review/{sample.review_item}", data={"decision": "reject", "reason": "again", "csrf": token}
    )
    page(twice, 409)
    # The confirmed record now belongs to the company and shows on its public page.
    assert "P-REVIEW" in client.get(f"/subjects/{sample.org.key}").text


def test_operator_batch_page_shows_the_quarantined_rows(client: Any, sample: Sample, make_key: MakeKey) -> None:
    sign_in(client, make_key("operator"))
    parsed = page(client.get(f"/operator/batches/{sample.batch}"))
    assert "date lies in the future: 2031-01-01" in parsed.text
    assert "北京某某公司" in parsed.text
    page(client.get("/operator/batches/999"), 404)


def test_public_oversight_withholds_small_counts_of_people(
    client: Any, sample: Sample, make_key: MakeKey, services: Services
) -> None:
    objections.file(
        services.store,
        services.catalog,
        services.clock,
        subject=PERSON_ID,
        record="court.110105:D-PERSON",
        grounds="paid",
        by=Actor("someone", "subject"),
    )
    public = client.get("/oversight")
    parsed = page(public)
    assert "&lt;5" in public.text
    assert "东方航空购票平台" in parsed.text
    assert "<svg" in public.text
    sign_in(client, make_key("operator"))
    detail = page(client.get("/operator/oversight"))
    assert "&lt;5" not in client.get("/operator/oversight").text
    assert CAT.agencies["court.110105"].name_zh in detail.text  # objections by agency
    assert "概率下限" in detail.text  # linkage bands


def test_pages_carry_security_headers_and_the_stylesheet_is_served(client: Any) -> None:
    home = client.get("/")
    assert "frame-ancestors 'none'" in home.headers["content-security-policy"]
    assert home.headers["x-content-type-options"] == "nosniff"
    css = client.get("/static/portal.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert client.get("/static/..%2Fpages.py").status_code == 404


def test_public_report_download_is_a_pdf(client: Any, sample: Sample) -> None:
    response = client.get(f"/subjects/{sample.org.key}/report.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert "attachment" in response.headers["content-disposition"]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert ORG_NAME in text
    assert DEFAULTER_NO in text
    assert EXPIRED_NO not in text
    # The same file under the same checkpoint is made once.
    assert client.get(f"/subjects/{sample.org.key}/report.pdf").content == response.content
    english = client.get(f"/subjects/{sample.org.key}/report.pdf", params={"lang": "en"})
    assert "Credit report" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(english.content)).pages)


def test_own_report_download_is_the_full_file(client: Any, sample: Sample, make_key: MakeKey) -> None:
    sign_in(client, make_key("subject", subject=PERSON_ID))
    response = client.get("/me/report.pdf")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert PERSON_ID in text  # one's own number, in full
    assert RESTRICTION_NO in text
