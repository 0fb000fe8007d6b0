"""Messages the connectors say, kept translatable without importing anything of ours.

Connectors speak English, the catalogue's source language; a message is written
``_("zalo: the video is over Zalo's {limit} MB limit.", limit=200)``. It is a ``str`` (English, as
logs and ``str(exc)`` show it) that remembers its template and placeholders, so that the layer that
shows it to a person (``content_queue.i18n.say``) translates it into the campaign's language. Joining
two messages with ``+`` keeps both translatable.
"""
from __future__ import annotations

from typing import Any


class Text(str):
    template: str
    params: dict[str, Any]
    parts: tuple[Any, ...]

    def __new__(cls, template: str, params: dict[str, Any] | None = None, parts: tuple[Any, ...] = ()):
        english = "".join(str(p) for p in parts) if parts else (template.format(**params) if params else template)
        self = super().__new__(cls, english)
        self.template, self.params, self.parts = template, dict(params or {}), parts
        return self

    def __add__(self, other: object) -> "Text":
        if not isinstance(other, str):
            return NotImplemented
        return Text("", parts=(self, other))

    def __radd__(self, other: object) -> "Text":
        if not isinstance(other, str):
            return NotImplemented
        return Text("", parts=(other, self))

    def translated(self, gettext) -> str:
        """This message through ``gettext`` (a catalogue's), its placeholders translated the same way."""
        if self.parts:
            return "".join(str(translated(p, gettext)) for p in self.parts)
        text = gettext(self.template)
        if not self.params:
            return text
        return text.format(**{k: translated(v, gettext) for k, v in self.params.items()})


def translated(value: Any, gettext) -> Any:
    """``value`` through ``gettext`` if it is a message (or an error carrying one), else unchanged."""
    if isinstance(getattr(value, "text", None), Text):
        value = value.text
    return value.translated(gettext) if isinstance(value, Text) else value


def _(template: str, /, **params: Any) -> Text:
    """Mark a connector's message for the catalogue (translated where a person reads it)."""
    return Text(template, params)
