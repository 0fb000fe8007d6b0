"""HTML through Jinja2 templates (loa/templates/), with autoescape: the report, the portal page
and (to come) the workspace share one base layout, its styles, its escaping and the message catalogue."""
from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


@lru_cache(maxsize=1)
def environment() -> Environment:
    from content_queue.i18n import _, current, ngettext

    env = Environment(loader=PackageLoader("loa", "templates"), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    # The one catalogue, in the language of the command or request rendering the page; what it returns
    # is text like any other value (escaped). Babel extracts these calls from the templates (babel.cfg).
    env.globals.update(_=_, ngettext=ngettext, current_language=current)
    return env


def render(name: str, **context) -> str:
    return environment().get_template(name).render(**context)
