"""The map on the architecture page holds: imports run one way, and moviepy is imported only
inside recap, only when a render runs."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The architecture page, exactly: connectors and sandbox import nothing of ours; content_queue may
# import connectors (platform facts); scheduler imports content_queue and connectors; recap imports
# content_queue only; loa imports everything, and nothing imports loa.
ALLOWED = {
    "connectors": set(),
    "sandbox": set(),
    "content_queue": {"connectors"},
    "scheduler": {"content_queue", "connectors"},
    "recap": {"content_queue"},
    "migrations": {"content_queue"},
}
OURS = {"connectors", "sandbox", "content_queue", "scheduler", "recap", "loa", "migrations"}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & OURS


def test_imports_run_one_way():
    wrong = []
    for package, allowed in ALLOWED.items():
        for f in (ROOT / package).rglob("*.py"):
            for name in imports_of(f) - allowed - {package}:
                wrong.append(f"{f.relative_to(ROOT)} imports {name}")
    assert wrong == []


def test_nothing_imports_loa():
    for package in ALLOWED:
        for f in (ROOT / package).rglob("*.py"):
            assert "loa" not in imports_of(f), f


def test_help_does_not_load_moviepy():
    code = "import sys; from loa.cli import cli; sys.argv=['loa','--help']\ntry: cli()\nexcept SystemExit: pass\n" \
           "print('moviepy' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT).stdout
    assert out.strip().splitlines()[-1] == "False False"


def test_moviepy_is_imported_only_while_a_render_runs(loa):
    """Every recap, clips, report and portal module can be imported, and every command short of a
    render can run, without moviepy (the render tests are the ones that load it)."""
    code = (
        "import sys, importlib\n"
        "for m in ('recap', 'recap.plan', 'recap.render', 'recap.service', 'recap.cards', 'content_queue.clips',\n"
        "          'loa.cli', 'loa.report', 'loa.portal.app', 'loa.demo', 'scheduler.engine'):\n"
        "    importlib.import_module(m)\n"
        "from loa.cli import cli\n"
        "for args in (['recap', '--help'], ['recap', 'render', '--help'], ['clips', 'list'], ['report']):\n"
        "    sys.argv = ['loa', *args]\n"
        "    try: cli()\n"
        "    except SystemExit: pass\n"
        "print('MOVIEPY', 'moviepy' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=loa.folder)
    assert out.stdout.strip().splitlines()[-1] == "MOVIEPY False", out.stdout[-2000:] + out.stderr[-2000:]


def test_platform_facts_live_on_the_connector_classes():
    """Outside connectors/ and sandbox/, no platform name is compared as a string literal, or used
    as a literal key or choice: what a platform is (credential keys, settings, variants, routes,
    budgets, names) is read from its connector class. (The demo's campaign data and the migrations'
    history may name platforms.)"""
    from connectors import PLATFORMS

    names = set(PLATFORMS)
    wrong = []
    for package in ("content_queue", "scheduler", "recap", "loa"):
        for f in (ROOT / package).rglob("*.py"):
            if f.name in ("demo.py", "demo_content.py"):
                continue
            tree = ast.parse(f.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                literals = []
                if isinstance(node, ast.Compare):
                    literals = [node.left, *node.comparators]
                elif isinstance(node, ast.Dict):
                    literals = [k for k in node.keys if k is not None]
                elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
                    literals = node.elts
                for lit in literals:
                    if isinstance(lit, ast.Constant) and lit.value in names:
                        wrong.append(f"{f.relative_to(ROOT)}:{node.lineno}: {lit.value!r}")
    assert wrong == []


def test_every_package_and_page_file_is_in_what_pip_installs():
    """A package (a folder with __init__.py) or a template or script not listed in pyproject.toml
    works from this checkout and is missing from a real install."""
    import tomllib

    conf = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(conf["packages"])
    found = {str(p.parent.relative_to(ROOT)).replace("/", ".")
             for top in ("loa", "content_queue", "connectors", "sandbox", "scheduler", "recap", "migrations")
             for p in (ROOT / top).rglob("__init__.py")}
    assert found <= listed, sorted(found - listed)
    data = conf["package-data"]
    for pkg, patterns in data.items():
        assert pkg in listed
    for f in (ROOT / "loa").rglob("*"):
        if f.suffix in (".html", ".js"):
            pkg_dir = f.parent
            while not (pkg_dir / "__init__.py").exists():
                pkg_dir = pkg_dir.parent
            pkg = str(pkg_dir.relative_to(ROOT)).replace("/", ".")
            rel = f.relative_to(pkg_dir)
            assert any(rel.match(p) for p in data.get(pkg, [])), f"{f.relative_to(ROOT)} is not package data"


# --- no circles ----------------------------------------------------------------------------------
# Every module of ours imports only modules "below" it: the import graph, with a package's
# __init__ as one more module, has no loop. A loop is a place where no file can be read, tested or
# changed alone; this test names the modules of any new one.
PACKAGES = ("connectors", "sandbox", "content_queue", "scheduler", "recap", "loa", "migrations")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _our_modules() -> dict[str, Path]:
    return {_module_name(f): f for top in PACKAGES for f in (ROOT / top).rglob("*.py")
            if "versions" not in f.parts}


def _edges(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the modules of ours it imports, at any depth of the file (an import inside a
    function is still a dependency), resolving relative imports and `from pkg import module`."""
    graph: dict[str, set[str]] = {}
    for name, f in modules.items():
        is_pkg = f.name == "__init__.py"
        here = name.split(".") if is_pkg else name.split(".")[:-1]
        out: set[str] = set()

        def add(target: str) -> None:
            # the deepest of our modules the dotted name reaches (a.b.c -> a.b.c, else a.b, else a)
            parts = target.split(".")
            while parts:
                cand = ".".join(parts)
                if cand in modules:
                    out.add(cand)
                    return
                parts.pop()

        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                for a in node.names:
                    add(a.name)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here[: len(here) - (node.level - 1)] if node.level > 1 else here
                    mod = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    mod = node.module or ""
                for a in node.names:
                    full = f"{mod}.{a.name}"
                    if full in modules:
                        out.add(full)
                    else:
                        add(mod)
        out.discard(name)
        graph[name] = out
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    import sys as _sys

    _sys.setrecursionlimit(max(_sys.getrecursionlimit(), 10000))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def layers(graph: dict[str, set[str]]) -> list[list[str]]:
    """The modules in layers: layer 0 imports none of ours, layer n only modules below n."""
    level: dict[str, int] = {}

    def depth(v: str) -> int:
        if v not in level:
            level[v] = 1 + max((depth(w) for w in graph[v]), default=-1)
        return level[v]

    for v in graph:
        depth(v)
    out: list[list[str]] = [[] for _ in range(max(level.values()) + 1)]
    for v, n in level.items():
        out[n].append(v)
    return [sorted(layer) for layer in out]


def test_the_circle_finder_finds_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _circles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_itself_through_others():
    assert _circles(_edges(_our_modules())) == []


def test_the_rules_a_move_runs_are_in_force_whoever_imports_the_lifecycle():
    """The lifecycle calls no rule above it; the answer-follows-its-quiz rule registers itself,
    and importing only the lifecycle (as the scheduler does) is enough for it to hold."""
    code = "import content_queue.lifecycle as L; print([f'{f.__module__}.{f.__name__}' for f in L.AFTER_PUBLISHED])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "['content_queue.answers.follow_quiz']", out.stderr[-2000:]


if __name__ == "__main__":  # python tests/test_architecture.py: the import graph's layers
    for n, layer in enumerate(layers(_edges(_our_modules()))):
        print(f"{n:2d}: {' '.join(layer)}")
