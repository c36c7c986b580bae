"""The reference in docs/reference/ stays true to the code, and the docs stand alone.

- every route of the server is a heading of docs/reference/http-api.md, and every
  route heading there is a route of the server;
- every field of ``Settings`` is a row of docs/reference/settings.md, with its
  default, and every row there is a field;
- every error code is a row of docs/reference/errors.md, with its status and its
  English and Korean messages;
- every command of the ``authgate`` CLI is in docs/reference/cli.md (leaf commands
  as headings, with their options and arguments in their section);
- what docs/reference/README.md lists as not yet available is really not there;
- README.md and the docs link nothing outside the repository, and every relative
  link (and its #anchor) resolves.

Each failure names what is missing or wrong, and where it belongs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from authgate.core import errors
from authgate.core.i18n import MESSAGES
from authgate.core.settings import Settings, env_name

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "reference"
HTTP_API = REFERENCE / "http-api.md"
SETTINGS = REFERENCE / "settings.md"
ERRORS = REFERENCE / "errors.md"
CLI = REFERENCE / "cli.md"
INDEX = REFERENCE / "README.md"

#: FastAPI's own pages, not the API.
IGNORED_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/openapi.json", "/redoc"})
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")
ROUTE = re.compile(rf"\b({'|'.join(HTTP_METHODS)}) (/[^\s`|,;)]*)")


# -- reading markdown ------------------------------------------------------------------


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def prose_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) of the lines outside fenced code blocks."""
    fence: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip()
        marker = stripped[:3]
        if marker in ("```", "~~~"):
            if fence is None:
                fence = marker
            elif marker == fence:
                fence = None
            continue
        if fence is None:
            yield number, line


def headings(text: str) -> list[tuple[int, str]]:
    """(level, title) of every ATX heading outside code blocks."""
    found = []
    for _, line in prose_lines(text):
        match = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if match:
            found.append((len(match[1]), match[2]))
    return found


def section(text: str, title: str) -> str:
    """The text under the heading ``title``, up to the next heading of its level or
    higher (code blocks included)."""
    lines = text.splitlines()
    outside = {number for number, _ in prose_lines(text)}
    start = level = None
    for number, line in enumerate(lines, start=1):
        match = re.match(r"^(#{1,6})\s+(.*?)\s*$", line) if number in outside else None
        if match is None:
            continue
        if start is None and match[2] == title:
            start, level = number, len(match[1])
        elif start is not None and level is not None and len(match[1]) <= level:
            return "\n".join(lines[start : number - 1])
    if start is None:
        return ""
    return "\n".join(lines[start:])


def table_rows(text: str) -> list[list[str]]:
    """The cells of every table row outside code blocks (separator rows left out)."""
    rows = []
    for _, line in prose_lines(text):
        if line.startswith("|") and not re.match(r"^\|[\s:|-]+\|\s*$", line):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def mentions(pattern: str, text: str) -> bool:
    """``pattern`` (literal) in ``text``, not as part of a longer name."""
    return re.search(rf"(?<![\w-]){re.escape(pattern)}(?![\w-])", text) is not None


# -- (a) routes ------------------------------------------------------------------------


def _walk_routes(routes: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(METHOD, path) of every route, through included routers and mounts."""
    from starlette.routing import Mount

    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:  # FastAPI includes routers lazily (_IncludedRouter)
            context = getattr(route, "include_context", None)
            yield from _walk_routes(included.routes, prefix + getattr(context, "prefix", ""))
            continue
        if isinstance(route, Mount):  # a mounted app: only its routes, if it has any
            yield from _walk_routes(route.routes or (), prefix + route.path)
            continue
        path, methods = getattr(route, "path", None), getattr(route, "methods", None)
        if path and methods:
            for method in set(methods) - {"HEAD"}:  # HEAD comes with every GET
                yield method, prefix + path


@pytest.fixture(scope="module")
def app_routes(tmp_path_factory: pytest.TempPathFactory) -> frozenset[tuple[str, str]]:
    """Every (METHOD, path) the complete server answers, from its routes and from its
    OpenAPI schema (either alone could miss one)."""
    from authgate.web.app import create_app
    from authgate.web.gate import AuthGate

    database = tmp_path_factory.mktemp("docs") / "authgate.db"
    settings = Settings(
        secret="docs-test-secret-0123456789-abcdefghijkl",
        database_url=f"sqlite+aiosqlite:///{database}",
    )
    app = create_app(gate=AuthGate(settings))  # construction does no I/O
    found = set(_walk_routes(app.routes))
    for path, operations in app.openapi().get("paths", {}).items():
        found |= {(m.upper(), path) for m in operations if m.upper() in HTTP_METHODS}
    routes = frozenset((m, p) for m, p in found if p not in IGNORED_PATHS)
    assert ("GET", "/healthz") in routes, f"the route walk found too little: {sorted(routes)}"
    return routes


def documented_routes() -> set[tuple[str, str]]:
    """The routes docs/reference/http-api.md gives a heading: ``### `METHOD /path` ``."""
    found = set()
    for _, title in headings(read(HTTP_API)):
        match = re.fullmatch(rf"`({'|'.join(HTTP_METHODS)}) (/\S*)`", title)
        if match:
            found.add((match[1], match[2]))
    return found


def test_every_route_is_in_the_http_reference(app_routes: frozenset[tuple[str, str]]) -> None:
    missing = sorted(app_routes - documented_routes())
    assert not missing, (
        f"routes of the app missing from {rel(HTTP_API)} (each needs a heading "
        f"'### `METHOD /path`' with its statuses and codes): "
        + ", ".join(f"{m} {p}" for m, p in missing)
    )


def test_every_documented_route_exists(app_routes: frozenset[tuple[str, str]]) -> None:
    extra = ", ".join(f"{m} {p}" for m, p in sorted(documented_routes() - app_routes))
    assert not extra, f"{rel(HTTP_API)} documents routes the app does not have: {extra}"


# -- (b) settings ----------------------------------------------------------------------


def settings_rows() -> dict[str, list[str]]:
    """The rows of the Variables table of docs/reference/settings.md, by variable."""
    rows = {}
    for cells in table_rows(section(read(SETTINGS), "Variables")):
        match = re.fullmatch(r"`(AUTHGATE_[A-Z0-9_]+)`", cells[0])
        if match:
            rows[match[1]] = cells
    return rows


def test_every_setting_is_in_the_settings_reference() -> None:
    expected = {env_name(field) for field in Settings.model_fields}
    missing = sorted(expected - settings_rows().keys())
    assert not missing, (
        f"settings missing from {rel(SETTINGS)} (each needs a row of the table): "
        + ", ".join(missing)
    )


def test_every_documented_setting_exists() -> None:
    expected = {env_name(field) for field in Settings.model_fields}
    extra = sorted(settings_rows().keys() - expected)
    assert not extra, f"{rel(SETTINGS)} documents variables Settings does not read: {extra}"


def test_the_settings_reference_gives_each_default() -> None:
    wrong = []
    for field, info in Settings.model_fields.items():
        cells = settings_rows().get(env_name(field))
        if cells is None:
            continue  # reported by the test above
        default = info.default
        cell = cells[1] if len(cells) > 1 else ""
        if default is None:
            if not cell.startswith(("unset", "from the profile")):
                wrong.append(f"{env_name(field)}: default is unset, the page says {cell!r}")
            continue
        shown = str(default).lower() if isinstance(default, bool) else str(default)
        if f"`{shown}`" not in cell:
            wrong.append(f"{env_name(field)}: default is `{shown}`, the page says {cell!r}")
    assert not wrong, f"wrong defaults in {rel(SETTINGS)}: " + "; ".join(wrong)


# -- (c) error codes -------------------------------------------------------------------


def error_classes(base: type[errors.AuthError] = errors.AuthError) -> list[type[errors.AuthError]]:
    """Every subclass of ``base``, at any depth."""
    found = []
    for cls in base.__subclasses__():
        found.append(cls)
        found.extend(error_classes(cls))
    return found


def error_rows(title: str) -> dict[str, list[str]]:
    """The rows of a table in a section of docs/reference/errors.md, by code."""
    rows = {}
    for cells in table_rows(section(read(ERRORS), title)):
        match = re.fullmatch(r"`([a-z_]+)`", cells[0])
        if match:
            rows[match[1]] = cells
    return rows


def all_codes() -> set[str]:
    """Every code the server answers with: the AuthError tree's and the web layer's
    (405, 413, 400, 500: each has its messages)."""
    return {cls.code for cls in error_classes()} | MESSAGES["en"].keys()


def test_every_error_code_is_in_the_errors_reference() -> None:
    documented = error_rows("Codes")
    missing = sorted({cls.code for cls in error_classes()} - documented.keys())
    assert not missing, (
        f"error codes (AuthError subclasses) missing from the Codes table of "
        f"{rel(ERRORS)}: {missing}"
    )
    missing = sorted(MESSAGES["en"].keys() - documented.keys())
    assert not missing, (
        f"error codes of the web layer (with messages in authgate.core.i18n) missing "
        f"from the Codes table of {rel(ERRORS)}: {missing}"
    )


def test_every_documented_error_code_exists() -> None:
    extra = sorted(error_rows("Codes").keys() - all_codes())
    assert not extra, f"{rel(ERRORS)} documents codes authgate never answers: {extra}"


def test_the_errors_reference_gives_each_status() -> None:
    """Each code's status cell lists the statuses its classes answer with (one, or
    several comma-separated: ``passkey_invalid`` is 401 at sign-in, 400 at
    registration)."""
    from authgate.web.errors import status_of

    documented = error_rows("Codes")
    statuses: dict[str, set[int]] = {}
    for cls in error_classes():
        # the status depends on the class alone
        statuses.setdefault(cls.code, set()).add(status_of(cls.__new__(cls)))
    wrong = []
    for code, expected in sorted(statuses.items()):
        cells = documented.get(code)
        if cells is None:
            continue
        listed = {int(part) for part in cells[1].split(",") if part.strip().isdigit()}
        if len(cells) < 2 or listed != expected:
            wrong.append(f"{code} is {sorted(expected)}, the page says {cells[1:2]}")
    assert not wrong, f"wrong statuses in {rel(ERRORS)}: " + "; ".join(wrong)


def test_the_errors_reference_gives_each_message() -> None:
    documented = error_rows("Messages")
    wrong = []
    for code in sorted(all_codes()):
        cells = documented.get(code)
        if cells is None:
            wrong.append(f"{code}: no row")
            continue
        for column, language in ((1, "en"), (2, "ko")):
            message = MESSAGES[language].get(code)
            if message is not None and (len(cells) <= column or cells[column] != message):
                wrong.append(f"{code} ({language}) is {message!r}")
    assert not wrong, f"the Messages table of {rel(ERRORS)} is wrong: " + "; ".join(wrong)


# -- (d) the command line --------------------------------------------------------------


def cli_commands() -> dict[str, Any]:
    """Every command of the ``authgate`` CLI by its full name (``authgate user create``),
    groups included."""
    import typer

    from authgate.cli import app

    found: dict[str, Any] = {}

    def walk(command: Any, name: str) -> None:
        found[name] = command
        for sub_name, sub in (getattr(command, "commands", None) or {}).items():
            walk(sub, f"{name} {sub_name}")

    walk(typer.main.get_command(app), "authgate")
    return found


def is_group(command: Any) -> bool:
    return bool(getattr(command, "commands", None))


def cli_headings() -> set[str]:
    """The commands docs/reference/cli.md gives a heading: ``## `authgate …` ``."""
    found = set()
    for _, title in headings(read(CLI)):
        match = re.fullmatch(r"`(authgate(?: [a-z][a-z-]*)*)`", title)
        if match:
            found.add(match[1])
    return found


def test_every_command_is_in_the_cli_reference() -> None:
    text = read(CLI)
    documented = cli_headings()
    missing = []
    for name, command in cli_commands().items():
        if is_group(command):
            if not mentions(name, text):
                missing.append(f"{name} (a group: mention it)")
        elif name not in documented:
            missing.append(f"{name} (needs a heading '## `{name}`')")
    assert not missing, f"commands missing from {rel(CLI)}: " + ", ".join(missing)


def test_every_documented_command_exists() -> None:
    leaves = {name for name, command in cli_commands().items() if not is_group(command)}
    extra = sorted(cli_headings() - leaves)
    assert not extra, f"{rel(CLI)} documents commands the CLI does not have: {extra}"


def test_every_option_and_argument_is_in_its_command_section() -> None:
    text = read(CLI)
    missing = []
    for name, command in cli_commands().items():
        if is_group(command):
            continue
        body = section(text, f"`{name}`")
        for param in command.params:
            if getattr(param, "hidden", False):
                continue
            if param.param_type_name == "argument":
                wanted = [str(param.name).upper()]
            else:
                wanted = [o for o in (*param.opts, *param.secondary_opts) if o.startswith("--")]
            missing += [f"{name} {word}" for word in wanted if not mentions(word, body)]
    assert not missing, (
        f"options and arguments missing from their command's section of {rel(CLI)}: "
        + ", ".join(missing)
    )


# -- what is not there yet -------------------------------------------------------------


def test_what_the_index_calls_not_yet_available_is_not_there(
    app_routes: frozenset[tuple[str, str]],
) -> None:
    """Once a planned route, variable or command exists, it belongs in its reference
    page, not in the list of what is missing."""
    not_yet = section(read(INDEX), "Not yet available")
    assert not_yet, f"{rel(INDEX)} has no 'Not yet available' section"
    there = []
    there += [f"{m} {p}" for m, p in ROUTE.findall(not_yet) if (m, p) in app_routes]
    fields = {env_name(field) for field in Settings.model_fields}
    there += [v for v in re.findall(r"AUTHGATE_[A-Z0-9_]+", not_yet) if v in fields]
    commands = cli_commands()
    there += [c for c in re.findall(r"`(authgate [a-z -]+)`", not_yet) if c.strip() in commands]
    assert not there, (
        f"{rel(INDEX)} lists as not yet available what exists now (document it in its "
        f"reference page instead): {there}"
    )


# -- (e) the docs stand alone ----------------------------------------------------------


def doc_files() -> list[Path]:
    """README.md and every page under docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def linking_files() -> list[Path]:
    """The docs, and benchmarks/README.md (which may name ../shared/bench: the bench
    tool's expected place, not a link)."""
    return [*doc_files(), *sorted(p for p in (ROOT / "benchmarks").glob("README*.md"))]


INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def links(text: str) -> Iterator[tuple[int, str]]:
    """(line, target) of every markdown link outside code (blocks and spans)."""
    for number, line in prose_lines(text):
        line = re.sub(r"(`+)(?:(?!\1).)+\1", "", line)  # inline code spans
        for inline in INLINE_LINK.finditer(line):
            yield number, inline[1]
        definition = REFERENCE_LINK.match(line)
        if definition:
            yield number, definition[1]


def slug(title: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to -."""
    title = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", title)  # a link: its text
    title = re.sub(r"<[^>]+>", "", title).strip().lower()
    return re.sub(r"[^\w\- ]", "", title).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    for _, title in headings(read(path)):
        base = anchor = slug(title)
        count = 0
        while anchor in found:
            count += 1
            anchor = f"{base}-{count}"
        found.add(anchor)
    return found


@pytest.mark.parametrize("path", doc_files(), ids=rel)
def test_the_docs_name_nothing_outside_the_repository(path: Path) -> None:
    text = read(path)
    outside = [n for n, line in enumerate(text.splitlines(), start=1) if "../shared" in line]
    assert not outside, (
        f"{rel(path)} mentions ../shared (not in the repository) on lines {outside}: "
        "point to docs/reference/ instead"
    )


@pytest.mark.parametrize("path", linking_files(), ids=rel)
def test_every_relative_link_resolves_inside_the_repository(path: Path) -> None:
    text = read(path)
    broken = []
    for number, target in links(text):
        if SCHEME.match(target):
            continue  # a web address or mail link, not a file
        target_path, _, anchor = target.partition("#")
        if target_path:
            base = ROOT if target_path.startswith("/") else path.parent
            resolved = (base / target_path.lstrip("/")).resolve()
            if not resolved.is_relative_to(ROOT):
                broken.append(f"line {number}: {target} leaves the repository")
                continue
            if not resolved.exists():
                broken.append(f"line {number}: {target} does not exist")
                continue
        else:
            resolved = path
        if anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"line {number}: {target}: no heading with anchor #{anchor}")
    assert not broken, f"broken links in {rel(path)}: " + "; ".join(broken)
