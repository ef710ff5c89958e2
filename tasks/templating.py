"""The HTML the project writes (the report page, the e-mails to SCs) comes from the Jinja
templates beside this module: in an `.html.j2` template every value is escaped unless the
template marks it safe, and a name it was not given is an error, never an empty string."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

TEMPLATES = Environment(
    loader=PackageLoader("tasks", "templates"),
    autoescape=select_autoescape(
        enabled_extensions=("html.j2",), disabled_extensions=("txt.j2",), default=True
    ),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def render_template(name: str, **context: object) -> str:
    """The text of template `name` with `context`; pure (the loader reads the package's own files)."""
    return TEMPLATES.get_template(name).render(context)
