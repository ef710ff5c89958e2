"""The HTML of the report page and of the e-mails comes from autoescaped templates: a name
holding markup reads as text there, while the plain-text part of a letter keeps it as it is."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest
from jinja2 import UndefinedError

from schemas.enums import Channel
from tasks.notices import Letter, render
from tasks.report import GENERATOR_TAG
from tasks.templating import render_template
from tests.support import report_page

AS_OF = datetime(2026, 3, 12, 9, tzinfo=UTC)
HOSTILE = "Рога & Копыта <script>alert(1)</script>"
ESCAPED = "Рога &amp; Копыта &lt;script&gt;alert(1)&lt;/script&gt;"


def hostile_page(sc_name: str, product: str) -> str:
    return report_page(as_of=AS_OF, sc_name=sc_name, product=product)


def test_a_hostile_sc_or_product_name_is_text_in_the_report_page():
    page = hostile_page(HOSTILE, f"{HOSTILE} product")
    assert "<script>" not in page
    assert "& Копыта" not in page
    assert f"<title>sc-msk-1 {ESCAPED}</title>" in page  # the heat map's row, escaped once
    assert f"<td>{ESCAPED}</td>" in page  # the service centres table
    assert f"<td>{ESCAPED} product</td>" in page  # the conversion table
    assert page.count("<svg") == 7
    assert "&lt;svg" not in page


def test_the_page_names_its_generator_where_pp_report_looks_for_it():
    """`pp report` replaces a page only when its first 1024 bytes hold the generator tag."""
    assert GENERATOR_TAG.encode() in hostile_page("Moscow 1", "extern").encode()[:1024]


def letter(sc_name: str) -> Letter:
    return Letter(
        notification_id=7,
        kind=Channel.IMMEDIATE,
        sc_id="sc-ekb-1",
        sc_name=sc_name,
        timezone="Asia/Yekaterinburg",
        recipient="leads@ekb1-partner.ru",
        message_id="<7@potential-sales.local>",
        digest_day=None,
        mail_from="pp@potential-sales.local",
        base_url="https://pp.example.test/?a=1&b=2",
    )


def test_a_hostile_sc_or_product_name_is_text_in_the_e_mail_html():
    leads = pl.DataFrame(
        {
            "lead_id": [1],
            "cause": ["assigned"],
            "temperature": ["hot"],
            "accept_deadline": [AS_OF],
            "company_name": [HOSTILE],
            "inn": ["6663003127"],
            "kpp": [None],
            "product": ["extern"],
            "product_name": [f"{HOSTILE} product"],
            "lead_type": ["connection"],
        }
    )
    message = render(letter(f"СЦ {HOSTILE}"), leads, as_of=AS_OF)
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    plain = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "<script>" not in html
    assert "& Копыта" not in html
    assert f"<p>СЦ {ESCAPED} назначены горячие" in html  # the SC name in the introduction
    assert f"<td>{ESCAPED}<br>" in html  # the client
    assert f"<td>{ESCAPED} product</td>" in html
    assert 'href="https://pp.example.test/?a=1&amp;b=2/leads/1"' in html
    assert '<span style="color:#d32f2f">&#9679;</span> горячий' in html  # the letter's own markup
    assert f"1. {HOSTILE}, ИНН 6663003127" in plain
    assert f"Продукт: {HOSTILE} product" in plain
    assert "&amp;" not in plain
    assert "&lt;" not in plain


def test_a_template_refuses_a_value_it_was_not_given():
    with pytest.raises(UndefinedError):
        render_template("letter.html.j2", intro="Здравствуйте", leads=[])
