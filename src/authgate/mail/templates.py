"""Mail templates: subject, text and HTML of each kind of mail, in English and Korean.

Packaged templates live in ``templates/{language}/{kind}.subject.txt``, ``{kind}.txt``
and ``{kind}.html``. A deployer's directory (``AUTHGATE_MAIL_TEMPLATES``) with the
same layout replaces any of those files; the others fall back to the packaged ones.
HTML is autoescaped, text and subject are not; a variable a template names but the
caller does not give fails (``jinja2.UndefinedError``), as does a template with a
syntax error (``jinja2.TemplateSyntaxError``), when that mail is rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2

from authgate.core.errors import ConfigurationError

KINDS = ("verify", "reset", "email_change", "email_changed", "test")
LANGUAGES = ("en", "ko")

PACKAGED = Path(__file__).with_name("templates")


@dataclass(frozen=True, slots=True)
class Rendered:
    """One mail's subject (one line), plain text and HTML."""

    subject: str
    text: str
    html: str


class MailTemplates:
    """Renders a kind of mail in a language, from a deployer's directory first."""

    def __init__(self, directory: Path | None = None) -> None:
        if directory is not None and not directory.is_dir():
            raise ConfigurationError(f"AUTHGATE_MAIL_TEMPLATES: {directory} is not a directory")
        search = [directory, PACKAGED] if directory is not None else [PACKAGED]
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(search),
            autoescape=jinja2.select_autoescape(
                enabled_extensions=("html",), default_for_string=False, default=False
            ),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            auto_reload=False,
        )

    def render(self, kind: str, language: str, **context: str) -> Rendered:
        """The mail ``kind`` in ``language`` (English if it is not one of LANGUAGES)."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind of mail {kind!r} (one of {', '.join(KINDS)})")
        if language not in LANGUAGES:
            language = "en"
        values = {**context, "language": language}
        subject = self._env.get_template(f"{language}/{kind}.subject.txt").render(values)
        values["subject"] = subject = " ".join(subject.split())  # one line: no CR, LF
        return Rendered(
            subject=subject,
            text=self._env.get_template(f"{language}/{kind}.txt").render(values),
            html=self._env.get_template(f"{language}/{kind}.html").render(values),
        )
