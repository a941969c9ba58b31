"""requirements.txt, environment.yml, pyproject.toml, README and CI must agree, and the package must ship whole."""
import ast
import re
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "course_lib"


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def distribution_name(requirement: str) -> str:
    """'torch>=2.2' -> 'torch'; names compared the way pip compares them (case, '-' and '_' alike)."""
    return re.split(r"[<>=!~\[ ;]", requirement.strip())[0].lower().replace("_", "-")


def _pins(lines):
    return {m.group(1).lower(): m.group(2) for m in (re.match(r"^\s*-?\s*([A-Za-z0-9_.\-]+)==(\S+)", l) for l in lines) if m}


def requirement_pins():
    return _pins(l for l in (ROOT / "requirements.txt").read_text().splitlines() if not l.startswith("#"))


def test_environment_yml_matches_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert _pins(pip_section) == requirement_pins()
    assert "-e ." in pip_section


def test_every_package_folder_is_listed_and_every_listed_package_exists():
    """setuptools installs only the packages pyproject lists: a subpackage left out is missing after `pip install`."""
    listed = set(pyproject()["tool"]["setuptools"]["packages"])
    folders = {".".join(init.parent.relative_to(ROOT).parts) for init in PACKAGE.rglob("__init__.py")}
    assert listed == folders, {"not listed": folders - listed, "listed but no __init__.py": listed - folders}


def test_package_data_globs_match_files_that_exist():
    """Each package-data pattern ships at least one file, and every non-Python file in a package is shipped by one."""
    package_data = pyproject()["tool"]["setuptools"]["package-data"]
    shipped = set()
    for package, patterns in package_data.items():
        folder = ROOT.joinpath(*package.split("."))
        assert (folder / "__init__.py").exists(), package
        for pattern in patterns:
            matches = [p for p in folder.glob(pattern) if p.is_file()]
            assert matches, f"{package}: {pattern!r} matches no file"
            shipped.update(matches)
    data_files = {p for p in PACKAGE.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")
                  and "__pycache__" not in p.parts}
    assert data_files <= shipped, sorted(str(p.relative_to(ROOT)) for p in data_files - shipped)


def imported_distributions() -> dict[str, set[str]]:
    """Third-party distribution -> the course_lib files that import it (from every import, inside functions too)."""
    owners = packages_distributions()
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top == "course_lib" or top in sys.stdlib_module_names:
                    continue
                for distribution in owners.get(top, [top]):
                    found.setdefault(distribution.lower().replace("_", "-"), set()).add(str(path.relative_to(ROOT)))
    return found


def declared_closure(names) -> set[str]:
    """The declared distributions and, from the installed metadata, everything they require in turn."""
    seen, todo = set(), [distribution_name(n) for n in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            todo += [distribution_name(r) for r in requires(name) or [] if "extra ==" not in r]
        except PackageNotFoundError:
            pass
    return seen


def test_every_library_course_lib_imports_is_a_declared_dependency():
    """`pip install course_lib` must bring every library it imports (directly declared, or required by one that is)."""
    declared = declared_closure(pyproject()["project"]["dependencies"])
    missing = {name: sorted(files) for name, files in imported_distributions().items() if name not in declared}
    assert not missing, missing


def test_every_pyproject_dependency_is_pinned_in_requirements():
    project = pyproject()["project"]
    names = {distribution_name(d) for d in project["dependencies"] + project["optional-dependencies"]["test"]}
    pinned = {distribution_name(name) for name in requirement_pins()}
    assert names <= pinned, names - pinned


def test_readme_opens_with_the_two_commands_and_ci_runs_the_second():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.S)
    install_and_run, run_tests = blocks[0].strip(), blocks[1].strip()
    assert "pip install -r requirements.txt" in install_and_run and "course_lib run" in install_and_run
    ci = (ROOT / ".ci" / "run").read_text()
    assert run_tests.splitlines()[-1] in ci.splitlines()
    assert "pip install -q -r requirements.txt -e ." in ci


def test_the_tested_pins_ship_inside_the_package():
    from course_lib.lessons.environment import pins_text, tested_pins

    package_data = pyproject()["tool"]["setuptools"]["package-data"]
    assert "pins.txt" in package_data["course_lib.lessons"]
    shipped = (PACKAGE / "lessons" / "pins.txt").read_text()
    assert shipped == pins_text(), "pins.txt is stale: run python -m course_lib.lessons.environment --write-pins"
    assert tested_pins() == requirement_pins() and tested_pins()["transformers"] == "5.23.0"


def test_environment_check_names_each_mismatch_in_plain_words(monkeypatch):
    from course_lib.lessons import environment

    installed = {"torch": "2.13.0+cu126", "transformers": "5.20.0", "accelerate": None}
    monkeypatch.setattr(environment, "installed_version", lambda name: installed[name])
    table = environment.check_environment(["torch", "transformers", "accelerate"])
    assert list(table["status"]) == ["ok", environment.DIFFERS, "missing"]  # a CUDA build of the tested torch is ok
    text = environment.describe_environment(["torch", "transformers", "accelerate"])
    assert "transformers 5.20.0 is installed; the course was tested with 5.23.0" in text
    assert "pip install transformers==5.23.0" in text and "accelerate is not installed" in text
    assert "torch" not in text
    monkeypatch.setattr(environment, "installed_version", lambda name: environment.tested_pins()[name])
    assert environment.describe_environment(["torch", "pandas"]) == "All 2 key packages are at the versions the course was tested with."
