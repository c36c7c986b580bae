"""Templates: every kind in every language, escaping, a deployer's directory, and
variables that must be given."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import pytest

from authgate.core.errors import ConfigurationError
from authgate.mail.templates import KINDS, LANGUAGES, MailTemplateError, MailTemplates
from tests.mail.helpers import PUBLIC_URL, TOKEN, context

HANGUL = re.compile(r"[\uac00-\ud7a3]")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_in_every_language(kind: str, language: str) -> None:
    values = context(kind)
    rendered = MailTemplates().render(kind, language, **values)
    assert rendered.subject and "\n" not in rendered.subject and "\r" not in rendered.subject
    assert rendered.subject == rendered.subject.strip()
    for body in (rendered.text, rendered.html):
        assert "alice@example.com" in body and PUBLIC_URL in body
        assert "{{" not in body and "{%" not in body
    assert f'<html lang="{language}">' in rendered.html
    assert f"<title>{rendered.subject}</title>" in rendered.html
    assert bool(HANGUL.search(rendered.text)) == (language == "ko")
    assert bool(HANGUL.search(rendered.subject)) == (language == "ko")
    # every URL stands apart from the words around it (a mail client links it whole)
    urls = {url.rstrip(".,") for url in re.findall(r"https?://\S+", rendered.text)}
    assert urls == {PUBLIC_URL, *([values["link"]] if "link" in values else [])}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", ["verify", "reset", "email_change"])
def test_the_link_is_a_button_and_text_and_the_only_place_of_the_token(
    kind: str, language: str
) -> None:
    values = context(kind)
    link = values["link"]
    rendered = MailTemplates().render(kind, language, **values)
    assert rendered.text.count(link) == 1
    assert rendered.text.count(TOKEN) == 1
    assert rendered.html.count(f'href="{link}"') == 2  # the button and the text link
    assert rendered.html.count(f">{link}</a>") == 1
    assert rendered.html.count(TOKEN) == 3
    assert TOKEN not in rendered.subject
    number = values.get("hours") or values["minutes"]
    assert number in rendered.text and number in rendered.html


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_change_notice_names_the_new_address_and_has_no_link(language: str) -> None:
    rendered = MailTemplates().render("email_changed", language, **context("email_changed"))
    assert "new@example.com" in rendered.text and "new@example.com" in rendered.html
    assert "href=" not in rendered.html and "token" not in rendered.text


def test_html_is_escaped_and_text_and_subject_are_not(tmp_path: Path) -> None:
    values = context("verify", email="<script>@x.com")
    values["link"] = "https://auth.example.com/verify?token=a&next=b"
    rendered = MailTemplates().render("verify", "en", **values)
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;@x.com" in rendered.html
    assert "token=a&amp;next=b" in rendered.html
    assert "<script>@x.com" in rendered.text and "token=a&next=b" in rendered.text
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "test.subject.txt").write_text("Hello {{ email }}\n")
    custom = MailTemplates(tmp_path).render("test", "en", **context("test", "<b>@x.com"))
    assert custom.subject == "Hello <b>@x.com"
    assert "&lt;b&gt;@x.com" in custom.html


def test_a_deployer_directory_replaces_one_file_and_the_rest_fall_back(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "verify.txt").write_text("Custom: {{ link }} for {{ email }}\n")
    (tmp_path / "ko").mkdir()
    (tmp_path / "ko" / "reset.html").write_text("<p>{{ email }}</p>\n")
    packaged, custom = MailTemplates(), MailTemplates(tmp_path)
    values = context("verify")
    replaced = custom.render("verify", "en", **values)
    original = packaged.render("verify", "en", **values)
    assert replaced.text == f"Custom: {values['link']} for alice@example.com\n"
    assert replaced.subject == original.subject and replaced.html == original.html
    assert custom.render("verify", "ko", **values) == packaged.render("verify", "ko", **values)
    reset = custom.render("reset", "ko", **context("reset", "<i>@x.com"))
    assert reset.html == "<p>&lt;i&gt;@x.com</p>\n"
    assert reset.text == packaged.render("reset", "ko", **context("reset", "<i>@x.com")).text


def test_a_deployer_may_replace_the_shared_layout(tmp_path: Path) -> None:
    (tmp_path / "_layout.html").write_text("<main>{% block content %}{% endblock %}</main>")
    html = MailTemplates(tmp_path).render("test", "en", **context("test")).html
    assert html.startswith("<main>") and "alice@example.com" in html


def test_the_subject_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "test.subject.txt").write_text(
        "  Line one\r\nBcc: evil@example.com\n\u2028{{ email }}  \n"
    )
    subject = MailTemplates(tmp_path).render("test", "en", **context("test", "a\nb@x.com")).subject
    assert subject == "Line one Bcc: evil@example.com a b@x.com"


def test_a_missing_variable_fails_loudly(tmp_path: Path) -> None:
    values = context("verify")
    del values["link"]
    with pytest.raises(MailTemplateError, match="link"):
        MailTemplates().render("verify", "en", **values)
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "test.txt").write_text("{{ tokne }}\n")
    with pytest.raises(MailTemplateError, match="tokne"):
        MailTemplates(tmp_path).render("test", "en", **context("test"))


def test_a_template_that_does_not_parse_fails_as_a_template_error(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "test.html").write_text("<p>{% if email %}unclosed</p>\n")
    with pytest.raises(MailTemplateError, match="TemplateSyntaxError") as caught:
        MailTemplates(tmp_path).render("test", "en", **context("test"))
    assert isinstance(caught.value.__cause__, jinja2.TemplateSyntaxError)


def test_unknown_language_is_english_and_unknown_kind_is_refused() -> None:
    templates = MailTemplates()
    assert templates.render("test", "fr", **context("test")) == templates.render(
        "test", "en", **context("test")
    )
    with pytest.raises(ValueError, match="unknown kind"):
        templates.render("../../etc/passwd", "en", **context("test"))
    with pytest.raises(ValueError, match="unknown kind"):
        templates.render("_layout", "en")


def test_a_template_directory_that_is_not_one_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"AUTHGATE_MAIL_TEMPLATES: .* not a directory"):
        MailTemplates(tmp_path / "missing")
