"""A repository's own document template: `.github/pmops/templates/postmortem.md.j2`.

The override is repository content rendered in the Action, so it runs in jinja2's immutable
sandbox (no attribute tricks, no Python calls, no mutation) with StrictUndefined and limits on
what exhausts memory or time (`SAFE_FILTERS`, big repeats, powers, `range`, number arguments,
`%` and `format` on text), sees only the `.j2` files of its folder (includes too), gets plain
data (the frontmatter text and mapping, the title, the sections) and may not produce more than
`MAX_OUTPUT_CHARS`. What it renders must keep
pmops's contract: the file parses back to the same postmortem (lossless round trip) and
`pmops check` finds nothing in it that the standard template's output does not have; otherwise
the override is refused with a ConfigError naming the file and what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from pmops.errors import ConfigError, InputError
from pmops.times import format_clock, format_time

if TYPE_CHECKING:  # jinja2 loads when a repository has an override, not with every config
    from jinja2.sandbox import SandboxedEnvironment

TEMPLATE_DIR = ".github/pmops/templates"
"""Where a repository keeps its templates (on the default branch, for the Action)."""

DOCUMENT = "postmortem.md.j2"
"""The document template's name, in the override folder as in pmops's templates/."""

MAX_OUTPUT_CHARS = 2_000_000
"""A rendered postmortem is a few KB; a template that loops into megabytes is refused."""

MAX_RANGE = 1_000
"""`range()` inside an override: enough for any layout, too little to spin the runner."""

MAX_FILES = 50
"""Templates read from the folder; more is not a document template."""


@dataclass(frozen=True)
class DocumentTemplate:
    """The override's `.j2` files (name, text), `postmortem.md.j2` among them."""

    files: tuple[tuple[str, str], ...]

    @property
    def path(self) -> str:
        return f"{TEMPLATE_DIR}/{DOCUMENT}"


def _range(*args: int) -> Iterator[int]:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise ConfigError(f"range of {len(numbers)} items (at most {MAX_RANGE})")
    return iter(numbers)


SAFE_FILTERS = frozenset({
    "abs", "capitalize", "count", "d", "default", "dictsort", "e", "escape", "first", "float",
    "int", "items", "join", "last", "length", "list", "lower", "map", "max", "min", "reject",
    "rejectattr", "reverse", "round", "select", "selectattr", "sort", "string", "striptags",
    "sum", "title", "tojson", "trim", "truncate", "unique", "upper", "urlencode", "wordcount",
})  # fmt: skip
"""Filters an override may use: none that takes a size (center, indent, wordwrap, format,
batch, slice) or multiplies text (replace), so output grows only with the data."""

MAX_NUMBER_ARGUMENT = 10_000
"""A number passed to a method (`title.center(10**9)`) above this is refused."""


@cache
def _limited() -> type:
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class Limited(ImmutableSandboxedEnvironment):
        """The sandbox, also refusing what exhausts memory or time: big repeats and powers,
        `%`/`format` on text, and methods given a big number."""

        intercepted_binops = frozenset({"*", "**", "%"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            if operator == "%" and isinstance(left, str):
                raise ConfigError("`%` formatting of text is not allowed")
            if operator == "**" and abs(right) > 64:
                raise ConfigError(f"power {right} is too big")
            if operator == "*":
                sizes = [len(x) for x in (left, right) if isinstance(x, str | list | tuple)]
                counts = [abs(x) for x in (left, right) if isinstance(x, int)]
                if sizes and counts and sizes[0] * counts[0] > MAX_OUTPUT_CHARS:
                    raise ConfigError("a repeat longer than the output limit")
            return super().call_binop(context, operator, left, right)

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
            if getattr(__obj, "__name__", "") in ("format", "format_map"):
                raise ConfigError("`format` is not allowed (use `{{ value }}`)")
            numbers = [a for a in (*args, *kwargs.values()) if isinstance(a, int)]
            if any(abs(n) > MAX_NUMBER_ARGUMENT for n in numbers):
                raise ConfigError(f"a number above {MAX_NUMBER_ARGUMENT} given to a call")
            return super().call(__context, __obj, *args, **kwargs)

    return Limited


def _environment(template: DocumentTemplate) -> SandboxedEnvironment:
    from jinja2 import DictLoader, StrictUndefined

    env: SandboxedEnvironment = _limited()(
        loader=DictLoader(dict(template.files)),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.globals = {"range": _range}  # no lipsum, cycler, joiner, namespace, dict
    env.filters = {k: v for k, v in env.filters.items() if k in SAFE_FILTERS}
    env.filters["utc"] = format_time
    env.filters["clock"] = format_clock
    return env


def parse_override(files: Mapping[str, str]) -> DocumentTemplate | None:
    """The override in a folder's `.j2` files (None without `postmortem.md.j2`); ConfigError
    naming the file and line of a syntax error."""
    from jinja2 import TemplateSyntaxError

    if DOCUMENT not in files:
        return None
    template = DocumentTemplate(tuple(sorted(files.items())))
    env = _environment(template)
    for name, text in template.files:
        try:
            env.parse(text, name)
        except TemplateSyntaxError as exc:
            raise ConfigError(
                f"{TEMPLATE_DIR}/{name}:{exc.lineno}: template syntax error: {exc.message}"
            ) from None
    return template


def render_override(template: DocumentTemplate, context: Mapping[str, Any]) -> str:
    """The override rendered with `context`; ConfigError on anything it is not allowed to do."""
    from jinja2 import TemplateError

    env = _environment(template)
    out: list[str] = []
    size = 0
    try:
        for chunk in env.get_template(DOCUMENT).generate(**context):
            size += len(chunk)
            if size > MAX_OUTPUT_CHARS:
                raise ConfigError(f"output longer than {MAX_OUTPUT_CHARS} characters")
            out.append(chunk)
    except ConfigError as exc:
        raise refused(template, str(exc)) from None
    except TemplateError as exc:  # SecurityError, UndefinedError, TemplateNotFound, ...
        raise refused(template, f"{type(exc).__name__}: {exc}") from None
    except (ArithmeticError, TypeError, ValueError, LookupError, RecursionError) as exc:
        raise refused(template, f"{type(exc).__name__}: {exc}") from None
    return "".join(out)


def refused(template: DocumentTemplate, why: str) -> ConfigError:
    """The error that refuses an override, naming its file."""
    return ConfigError(
        f"{template.path}: document template refused: {why} "
        f"(delete the file to use pmops's own template)"
    )


def read_local(repo: Path) -> DocumentTemplate | None:
    """The override in a working tree: regular `.j2` files directly in the folder."""
    folder = repo / TEMPLATE_DIR
    if not (folder / DOCUMENT).exists() and not (folder / DOCUMENT).is_symlink():
        return None
    files: dict[str, str] = {}
    for path in sorted(folder.iterdir())[:MAX_FILES]:
        if path.suffix != ".j2":
            continue
        if path.is_symlink() or not path.is_file():
            raise ConfigError(
                f"{TEMPLATE_DIR}/{path.name}: a template must be a regular file in the folder "
                "(no symbolic links)"
            )
        try:
            files[path.name] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{TEMPLATE_DIR}/{path.name}: unreadable: {exc}") from None
    return parse_override(files)


def read_tree(
    list_tree: Callable[[str], str], read: Callable[[str], str | None]
) -> DocumentTemplate | None:
    """The override at a git ref: `list_tree(folder)` is `git ls-tree -z` output for the folder,
    `read(path)` a blob's text. Symbolic links and subfolders are refused, as in a checkout."""
    files: dict[str, str] = {}
    for entry in list_tree(TEMPLATE_DIR + "/").split("\0")[: MAX_FILES * 4]:
        if not entry.strip():
            continue
        info, _, path = entry.partition("\t")
        mode, kind = info.split()[:2]
        name = PurePosixPath(path).name
        if not name.endswith(".j2"):
            continue
        if kind != "blob" or mode == "120000":
            raise ConfigError(
                f"{TEMPLATE_DIR}/{name}: a template must be a regular file in the folder "
                "(no symbolic links)"
            )
        text = read(path)
        if text is not None and len(files) < MAX_FILES:
            files[name] = text
    return parse_override(files)


def check_output(
    template: DocumentTemplate, text: str, standard: str, expected: Any, name: str
) -> None:
    """Refuse an override whose `text` breaks the round trip to `expected` (the normalized
    postmortem) or adds `pmops check` problems the `standard` rendering does not have."""
    from pmops.documents.check import check_text  # check imports render, which imports this module
    from pmops.documents.render import parse_postmortem

    try:
        back = parse_postmortem(text, template.path)
    except InputError as exc:
        raise refused(template, f"its output does not parse: {exc}") from None
    if back != expected:
        raise refused(
            template,
            "its output does not read back as the same postmortem "
            "(keep `{{ frontmatter }}` between `---` lines and every section under "
            "`## {{ heading }}` with its text)",
        )
    before = {p.message for p in check_text(standard, name)[0]}
    added = [p for p in check_text(text, name)[0] if p.message not in before]
    if added:
        raise refused(
            template, f"pmops check fails on its output: line {added[0].line}: {added[0].message}"
        )
