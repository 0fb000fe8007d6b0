"""Babel's extraction of loa's messages: the Python extractor's (``_``, ``N_``, ``ngettext``), plus the
command line's help texts, which click takes from docstrings and ``help=`` arguments (translated
when shown, see ``loa/cli/language.py``). Used by ``pybabel extract -F babel.cfg`` and by
``tests/test_catalogue.py``; needs Babel (a test dependency), which loa itself never imports.
"""
from __future__ import annotations

import ast
import inspect
from typing import Any, Iterator

HELP_ARGS = {"help", "short_help", "epilog"}
COMMAND_DECORATORS = {"command", "group"}


def _name(node: ast.AST) -> str:
    node = node.func if isinstance(node, ast.Call) else node
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""


def help_texts(source: str) -> Iterator[tuple[int, str]]:
    """(line, text) of every click help text in ``source``, as click shows it (cleandoc'd)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and any(_name(d) in COMMAND_DECORATORS for d in node.decorator_list):
            doc = ast.get_docstring(node, clean=True)
            own_help = any(k.arg == "help" for d in node.decorator_list
                           if isinstance(d, ast.Call) and _name(d) in COMMAND_DECORATORS for k in d.keywords)
            if doc and not own_help:
                yield node.body[0].lineno, doc
        if isinstance(node, ast.Call) and _name(node) in {"option", "argument", "command", "group"}:
            for k in node.keywords:
                if k.arg in HELP_ARGS and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str):
                    yield k.value.lineno, inspect.cleandoc(k.value.value)


def extract(fileobj, keywords, comment_tags, options) -> Iterator[tuple[int, Any, Any, list[str]]]:
    from babel.messages.extract import extract_python

    yield from extract_python(fileobj, keywords, comment_tags, options)
    fileobj.seek(0)
    source = fileobj.read().decode(options.get("encoding", "utf-8"))
    for line, text in help_texts(source):
        yield line, None, text, []
