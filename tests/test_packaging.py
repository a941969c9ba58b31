"""requirements.txt, environment.yml, pyproject.toml, README and CI must agree."""
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _pins(lines):
    return {m.group(1).lower(): m.group(2) for m in (re.match(r"^\s*-?\s*([A-Za-z0-9_.\-]+)==(\S+)", l) for l in lines) if m}


def requirement_pins():
    return _pins(l for l in (ROOT / "requirements.txt").read_text().splitlines() if not l.startswith("#"))


def test_environment_yml_matches_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert _pins(pip_section) == requirement_pins()
    assert "-e ." in pip_section


def test_torch_is_pinned_to_the_cpu_wheel_on_disk():
    assert requirement_pins()["torch"] == "2.13.0"


def test_every_pyproject_dependency_is_pinned_in_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {re.split(r"[<>=!~\[ ]", d)[0].lower() for d in project["dependencies"] + project["optional-dependencies"]["test"]}
    assert names <= set(requirement_pins()), names - set(requirement_pins())


def test_readme_opens_with_the_two_commands_and_ci_runs_the_second():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.S)
    install_and_run, run_tests = blocks[0].strip(), blocks[1].strip()
    assert "pip install -r requirements.txt" in install_and_run and "course_lib run" in install_and_run
    ci = (ROOT / ".ci" / "run").read_text()
    assert run_tests.splitlines()[-1] in ci.splitlines()
    assert "pip install -q -r requirements.txt -e ." in ci
