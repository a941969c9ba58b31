"""The shape of course_lib, read from its source (nothing is imported or run):

(a) no import cycle among its modules; (b) the layers: core below lessons below tools/exercises; (c) one training
loop: the only `.backward(` call is the engine's; (d) no private or internal API of the libraries it builds on,
in course_lib, the tests, the scripts or the lessons' code cells; (e) every folder of Python files is a package
that pyproject.toml ships; (f) every import of a course_lib name names something that exists.

This file names the forbidden things only by concatenation, so it does not trip its own checks.
"""
import ast
import functools
import json
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "course_lib"
LIBRARIES = ("torch", "transformers", "accelerate", "datasets", "huggingface_hub", "tokenizers")
INTERNAL_MODULES = tuple(library + "." + module for library, module in (
    ("transformers", "trainer_pt" + "_utils"), ("transformers", "masking" + "_utils"),
    ("transformers", "trainer" + "_callback"), ("datasets", "in" + "fo"), ("datasets", "ut" + "ils"),
    ("accelerate", "st" + "ate")))
PRIVATE_NAMES = tuple("_" + name for name in ("reset" + "_state", "shared" + "_state", "is_accelerate" + "_prepared",
                                              "original" + "_forward", "is_amx_tile" + "_supported"))
BACKWARD = "back" + "ward"


def module_name(path: Path) -> str:
    """course_lib/core/training.py -> 'course_lib.core.training'; a package's __init__.py -> the package."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def python_files(area: str) -> list[Path]:
    return sorted(p for p in (ROOT / area).rglob("*.py") if "__pycache__" not in p.parts)


def notebook_code(path: Path) -> str:
    """The code cells of a notebook, IPython magics and shell lines left out, as one Python source."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    lines = []
    for cell in cells:
        if cell["cell_type"] == "code":
            source = "".join(cell["source"])
            lines += [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    return "\n".join(lines) + "\n"


def sources(*areas: str) -> dict[str, str]:
    """Display name -> Python source, for the .py files of `areas` and the code cells of notebooks/*.ipynb."""
    found = {}
    for area in areas:
        if area == "notebooks":
            found.update({str(p.relative_to(ROOT)): notebook_code(p) for p in sorted((ROOT / area).glob("*.ipynb"))})
        else:
            found.update({str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in python_files(area)})
    return found


def source_of(name: str) -> str:
    """The Python source of one file of `sources()` by its display name (a notebook: its code cells)."""
    path = ROOT / name
    return notebook_code(path) if path.suffix == ".ipynb" else path.read_text(encoding="utf-8")


def absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module an ImportFrom reads from (relative imports resolved against `module`)."""
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def course_imports(name: str) -> list[tuple[str, int]]:
    """(imported course_lib module, line) for every import in module `name`, those inside functions included."""
    path = MODULES[name]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = absolute(node, name, path.name == "__init__.py")
            for alias in node.names:  # `from . import hub` imports the module course_lib.core.hub
                target = f"{source}.{alias.name}"
                found.append((target if target in MODULES else source, node.lineno))
    return [(target, line) for target, line in found if target in MODULES and target != name]


GRAPH = {name: sorted({target for target, _ in course_imports(name)}) for name in MODULES}


def find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None (depth-first search with colours)."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in graph.get(node, ()):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_import_graph_is_read_from_every_module():
    """Guards the checks below: relative, nested and in-function imports all land in the graph."""
    assert "course_lib.core.hub" in GRAPH["course_lib.core.profiles"]  # `from . import hub`
    assert "course_lib.core.device" in GRAPH["course_lib.core.profiles"]  # inside gpu_kind()
    assert "course_lib.core.training" in GRAPH["course_lib.lessons.finetune"]  # `from ..core.training import` in main()
    assert "course_lib.core.session" in GRAPH["course_lib"]
    assert find_cycle({"a": ["b"], "b": ["c"], "c": ["a"]}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": ["b"], "b": [], "c": ["a", "b"]}) is None


def test_a_no_import_cycle():
    cycle = find_cycle(GRAPH)
    assert cycle is None, " -> ".join(cycle)


@pytest.mark.parametrize("layer, forbidden", [
    ("course_lib.core", ("course_lib.lessons", "course_lib.exercises", "course_lib.tools")),
    ("course_lib.lessons", ("course_lib.tools", "course_lib.exercises")),
])
def test_b_each_layer_imports_only_from_below(layer, forbidden):
    wrong = [f"{MODULES[name].relative_to(ROOT)}:{line} imports {target}"
             for name in MODULES if name == layer or name.startswith(layer + ".")
             for target, line in course_imports(name) if target.startswith(forbidden)]
    assert not wrong, "\n".join(wrong)


def backward_calls(source: str) -> list[int]:
    tree = ast.parse(source)
    return [n.lineno for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == BACKWARD]


def test_c_one_training_loop_calls_backward():
    calls = {name: backward_calls(text) for name, text in sources("course_lib").items()}
    found = {name: lines for name, lines in calls.items() if lines}
    assert set(found) == {"course_lib/core/training.py"}, found


class PrivateUse(ast.NodeVisitor):
    """Finds uses of the libraries' private or internal API in one module."""

    def __init__(self):
        self.aliases = {}  # local name -> the library module it stands for
        self.found = []

    def flag(self, node, what: str) -> None:
        self.found.append(f"line {getattr(node, 'lineno', '?')}: {what}")

    def check_module(self, node, module: str) -> None:
        parts = module.split(".")
        if parts[0] not in LIBRARIES:
            return
        if any(part.startswith("_") and not part.startswith("__") for part in parts):
            self.flag(node, f"private module {module}")
        if module.startswith(INTERNAL_MODULES) and any(module == m or module.startswith(m + ".") for m in INTERNAL_MODULES):
            self.flag(node, f"internal module {module}")

    def visit_Import(self, node):
        for alias in node.names:
            self.check_module(node, alias.name)
            if alias.name.split(".")[0] in LIBRARIES:
                self.aliases[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        module = node.module or ""
        if node.level == 0 and module.split(".")[0] in LIBRARIES:
            self.check_module(node, module)
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    self.flag(node, f"private name {alias.name} from {module}")
                if not any(line.endswith(module) for line in self.found):  # `from transformers import <internal>`
                    self.check_module(node, f"{module}.{alias.name}")
                self.aliases[alias.asname or alias.name] = f"{module}.{alias.name}"
        self.generic_visit(node)

    def visit_Attribute(self, node):
        chain, base = [node.attr], node.value
        while isinstance(base, ast.Attribute):
            chain.insert(0, base.attr)
            base = base.value
        if isinstance(base, ast.Name) and base.id in self.aliases:
            path = f"{self.aliases[base.id]}.{'.'.join(chain)}"
            private = [part for part in chain if part.startswith("_") and not part.startswith("__")]
            if private:
                self.flag(node, f"private attribute {path}")
            self.check_module(node, path)
            # only the outermost attribute of a chain is judged, so the same use is not flagged once per dot
            return
        if node.attr in PRIVATE_NAMES:
            self.flag(node, f"private attribute .{node.attr}")
        self.generic_visit(node)

    def visit_Name(self, node):
        if node.id in PRIVATE_NAMES:
            self.flag(node, f"private name {node.id}")

    def visit_Constant(self, node):  # monkeypatch.setattr(obj, "<private name>") or vars(m)["<private name>"]
        if isinstance(node.value, str) and (node.value in PRIVATE_NAMES or node.value in INTERNAL_MODULES):
            self.flag(node, f"the string {node.value!r}")


def private_uses(source: str) -> list[str]:
    visitor = PrivateUse()
    visitor.visit(ast.parse(source))
    words = re.findall(r"[A-Za-z_][\w.]*", source)  # the grep: comments and strings count too
    visitor.found += [f"mentions {w}" for w in words if w in PRIVATE_NAMES or w.startswith(INTERNAL_MODULES)
                      and any(w == m or w.startswith(m + ".") for m in INTERNAL_MODULES)]
    return visitor.found


def test_the_private_api_check_catches_each_kind_of_use():
    """Guards test_d: each kind of forbidden use, written the way code writes it, is found."""
    mod = INTERNAL_MODULES[1].split(".", 1)[1]  # the masking module of transformers
    examples = [
        "from torch.cpu import _" + "helper\n",
        "import torch\ntorch.cpu._" + "helper()\n",
        "import torch.nn.functional as F\nF._" + "helper(1)\n",
        "from transformers import " + mod + "\n",
        "import " + INTERNAL_MODULES[5] + "\n",
        "from " + INTERNAL_MODULES[0] + " import thing\n",
        "import transformers\ntransformers." + mod + ".thing()\n",
        "model." + PRIVATE_NAMES[3] + " = None\n",
        "setattr(torch.cpu, '" + PRIVATE_NAMES[4] + "', f)\n",
        "# we used " + PRIVATE_NAMES[0] + " here once\n",
    ]
    for example in examples:
        assert private_uses(example), example
    fine = "import torch\nimport transformers\nprint(torch.__version__, transformers.__version__)\n" \
           "torch.cpu.get_capabilities()\nx._private_of_our_own = 1\nfrom course_lib.core import _x\n"
    assert private_uses(fine) == []


def per_file(areas, known: dict[str, str]) -> list:
    """One parameter per file of `areas`; a file with a known, reported problem is an expected failure until fixed."""
    names = [str(p.relative_to(ROOT)) for area in areas
             for p in (sorted((ROOT / area).glob("*.ipynb")) if area == "notebooks" else python_files(area))]
    return [pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=known[name])) if name in known else name
            for name in names]


KNOWN_PRIVATE_USES = {}  # file -> reason: an expected failure until fixed


@pytest.mark.parametrize("name", per_file(["course_lib", "tests", "scripts", "notebooks"], KNOWN_PRIVATE_USES))
def test_d_no_private_or_internal_library_api(name):
    uses = private_uses(source_of(name))
    assert not uses, uses


def test_e_every_folder_of_python_files_is_a_shipped_package():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    folders = {p.parent for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts}
    problems = []
    for folder in sorted(folders):
        name = ".".join(folder.relative_to(ROOT).parts)
        if not (folder / "__init__.py").exists():
            problems.append(f"{name}: Python files but no __init__.py")
        if name not in listed:
            problems.append(f"{name}: not in pyproject.toml's packages, so pip would not install it")
    assert not problems, problems


@functools.cache
def top_level_names(name: str) -> set[str]:
    """What `from <module> import x` can take from a course_lib module: its definitions, imports and submodules."""
    names = {sub.rsplit(".", 1)[1] for sub in MODULES if sub.rsplit(".", 1)[0] == name and "." in sub}
    for node in ast.parse(MODULES[name].read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    return names


def stale_course_imports(source: str) -> list[str]:
    stale = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            stale += [f"line {node.lineno}: import {a.name}" for a in node.names
                      if a.name.split(".")[0] == "course_lib" and a.name not in MODULES]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "course_lib":
            if node.module not in MODULES:
                stale.append(f"line {node.lineno}: from {node.module} (no such module)")
                continue
            names = top_level_names(node.module)
            stale += [f"line {node.lineno}: from {node.module} import {a.name}" for a in node.names
                      if a.name != "*" and a.name not in names]
    return stale


KNOWN_STALE_IMPORTS = {}  # file -> reason: an expected failure until fixed


@pytest.mark.parametrize("name", per_file(["course_lib", "tests", "notebooks", "scripts", "benchmarks"],
                                          KNOWN_STALE_IMPORTS))
def test_f_every_course_lib_import_names_something_that_exists(name):
    stale = stale_course_imports(source_of(name))
    assert not stale, stale
