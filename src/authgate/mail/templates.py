"""Mail templates: subject, text and HTML of each kind of mail, in English and Korean.

Packaged templates live in ``templates/{language}/{kind}.subject.txt``, ``{kind}.txt``
and ``{kind}.html``. A deployer's directory (``AUTHGATE_MAIL_TEMPLATES``) with the
same layout replaces any of those files; the others fall back to the packaged ones.
HTML is autoescaped, text and subject are not; a variable a template names but the
caller does not give fails (:class:`MailTemplateError`), as does a template with a
syntax error, when that mail is rendered.

Jinja2 (~2 MB of a process's memory) is imported by the first mail rendered, not at
start-up: a server that sends no mail does not carry it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from authgate.core.errors import ConfigurationError

if TYPE_CHECKING:
    import jinja2

KINDS = ("verify", "reset", "email_change", "email_changed", "test")
LANGUAGES = ("en", "ko")

PACKAGED = Path(__file__).with_name("templates")


@functools.cache
def _jinja2() -> ModuleType:
    """Jinja2, imported when the first mail is rendered."""
    import jinja2

    return jinja2


class MailTemplateError(Exception):
    """A template that cannot be rendered: a syntax error, or a variable it names that
    the caller does not give (Jinja2's message)."""


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
        self._search = [directory, PACKAGED] if directory is not None else [PACKAGED]

    @functools.cached_property
    def _env(self) -> jinja2.Environment:
        j2 = _jinja2()
        environment: jinja2.Environment = j2.Environment(
            loader=j2.FileSystemLoader(self._search),
            autoescape=j2.select_autoescape(
                enabled_extensions=("html",), default_for_string=False, default=False
            ),
            undefined=j2.StrictUndefined,
            keep_trailing_newline=True,
            auto_reload=False,
        )
        return environment

    def render(self, kind: str, language: str, **context: str) -> Rendered:
        """The mail ``kind`` in ``language`` (English if it is not one of LANGUAGES)."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind of mail {kind!r} (one of {', '.join(KINDS)})")
        if language not in LANGUAGES:
            language = "en"
        values = {**context, "language": language}
        try:
            subject = self._render(f"{language}/{kind}.subject.txt", values)
            values["subject"] = subject = " ".join(subject.split())  # one line: no CR, LF
            return Rendered(
                subject=subject,
                text=self._render(f"{language}/{kind}.txt", values),
                html=self._render(f"{language}/{kind}.html", values),
            )
        except _jinja2().TemplateError as exc:
            raise MailTemplateError(f"{type(exc).__name__}: {exc}") from exc

    def _render(self, name: str, values: dict[str, str]) -> str:
        return self._env.get_template(name).render(values)
