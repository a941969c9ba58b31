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


def test_the_tested_pins_ship_inside_the_package():
    from course_lib.environment import pins_text, tested_pins

    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "pins.txt" in package_data["course_lib"]
    shipped = (ROOT / "course_lib" / "pins.txt").read_text()
    assert shipped == pins_text(), "pins.txt is stale: run python -m course_lib.environment --write-pins"
    assert tested_pins() == requirement_pins() and tested_pins()["transformers"] == "5.23.0"


def test_environment_check_names_each_mismatch_in_plain_words(monkeypatch):
    from course_lib import environment

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
