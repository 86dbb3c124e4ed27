"""A normal install works: the wheel built from this tree, installed (not editable) into a
fresh virtual environment, runs by itself from a folder outside the checkout. It must hold
every file the package reads (kv files, fonts, pictures, keyboards, translations, sample
data, templates, the default kiosk.ini); a checkout hides a missing one, a kiosk does not.

The fresh environment gets the third-party libraries from this test run's own environment
through a .pth line (no download), but not its editable `kiosk`: a .pth path line does not
run the .pth files found there, so the editable install's finder never loads."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from support import demo_started

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "kiosk"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The wheel, built from a copy of what a build reads, so that the checkout gets no build/."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(PACKAGE, source / "kiosk", ignore=shutil.ignore_patterns("__pycache__"))
    # Without build isolation and without an index: the environment's own setuptools
    # (the [test] extra asks for one that builds wheels), nothing downloaded.
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                           "--quiet", "--wheel-dir", str(work / "dist"), str(source)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"the wheel did not build (scripts/setup.sh --test installs its tools):\n{done.stderr}"
    [wheel] = (work / "dist").glob("tthc_kiosk-*.whl")
    return wheel


@pytest.fixture(scope="module")
def venv(built, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel installed in it."""
    folder = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120)
    python = folder / "bin" / "python"
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                           "--quiet", str(built)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True, timeout=60).stdout.strip()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "test-dependencies.pth").write_text("".join(f"{path}\n" for path in sorted(ours)), encoding="utf-8")
    return folder


def run_env(tmp_path: Path) -> dict[str, str]:
    """No path into the checkout, no site configuration: the package's own default."""
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "KIOSK_CONFIG")}
    kivy_home = tmp_path / "kivy-home"
    kivy_home.mkdir(exist_ok=True)
    return {**env, "SDL_VIDEODRIVER": "offscreen", "KIVY_NO_ARGS": "1", "KIVY_HOME": str(kivy_home)}


def data_files(folder: Path) -> set[str]:
    return {path.relative_to(folder.parent).as_posix() for path in folder.rglob("*")
            if path.is_file() and "__pycache__" not in path.parts}


def test_the_wheel_holds_every_file_of_the_package(built):
    in_wheel = set(zipfile.ZipFile(built).namelist())
    built_from = built.parent.parent / "source" / "kiosk"  # the copy of kiosk/ the wheel was built from
    assert (built_from / "app.kv").is_file()
    missing = sorted(data_files(built_from) - in_wheel)
    assert not missing, f"not in the wheel: {missing}"
    assert "kiosk/kiosk.ini" in in_wheel and "kiosk/screens/home.kv" in in_wheel
    # Only the package and its metadata: no tests, scripts or deploy files inside the wheel.
    name, version = built.name.split("-")[:2]
    assert {path.split("/")[0] for path in in_wheel} == {"kiosk", f"{name}-{version}.dist-info"}


def test_the_installed_package_is_the_wheel_and_reads_its_own_files(venv, tmp_path):
    python = venv / "bin" / "python"
    probe = (
        "import json, kiosk, kiosk.config\n"
        "from kiosk.i18n import Translator\n"
        "from kiosk.backend.server import OPENAPI_FILE\n"
        "from kiosk.client.search import load_synonyms\n"
        "config = kiosk.config.load_config()\n"
        "print(json.dumps({'package': kiosk.__file__, 'config': str(kiosk.config.config_path()),\n"
        "                  'backend_url': config['kiosk']['backend_url'],\n"
        "                  'vi': Translator()('Search by name: touch here to type', 'vi'),\n"
        "                  'openapi': json.loads(OPENAPI_FILE.read_text())['openapi'],\n"
        "                  'synonyms': len(load_synonyms())}))\n"
    )
    answer = subprocess.run([python, "-c", probe], cwd=tmp_path, env=run_env(tmp_path),
                            capture_output=True, text=True, timeout=120)
    assert answer.returncode == 0, answer.stderr
    found = json.loads(answer.stdout)
    assert Path(found["package"]).is_relative_to(venv), found["package"]
    assert Path(found["config"]) == Path(found["package"]).with_name("kiosk.ini")
    assert found["backend_url"].startswith("http")
    assert found["vi"] != "Search by name: touch here to type", "the Vietnamese catalogue (kiosk.mo) is not in the install"
    assert found["openapi"].startswith("3.") and found["synonyms"] > 0
    # docs/deploy.md copies the default to /etc with this line: it finds the same file.
    line = "from importlib.resources import files; print(files('kiosk') / 'kiosk.ini')"
    assert line in (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    where = subprocess.run([python, "-c", line], cwd=tmp_path, env=run_env(tmp_path),
                           capture_output=True, text=True, timeout=60)
    assert where.stdout.strip() == found["config"] and Path(found["config"]).is_file(), where.stderr
    # A site's own file, given as the systemd unit gives it, wins over the packaged default.
    site = tmp_path / "site.ini"
    site.write_text("[kiosk]\nbackend_url = https://motcua.example.gov.vn\n", encoding="utf-8")
    answer = subprocess.run([python, "-c", probe], cwd=tmp_path, env={**run_env(tmp_path), "KIOSK_CONFIG": str(site)},
                            capture_output=True, text=True, timeout=120)
    found = json.loads(answer.stdout)
    assert found["config"] == str(site) and found["backend_url"] == "https://motcua.example.gov.vn"


def test_kiosk_help_and_a_receipt_from_the_wheel(venv, tmp_path):
    kiosk = venv / "bin" / "kiosk"
    assert kiosk.read_text(encoding="utf-8").splitlines()[0] == f"#!{venv / 'bin' / 'python'}"
    helped = subprocess.run([kiosk, "--help"], cwd=tmp_path, env=run_env(tmp_path),
                            capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0 and "demo" in helped.stdout and "parse-scan" in helped.stdout, helped.stderr
    # The receipts are drawn with the packaged fonts.
    printed = subprocess.run([kiosk, "print-test", "--simulate", "receipts", "--json"], cwd=tmp_path,
                             env=run_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert printed.returncode == 0, printed.stderr
    assert json.loads(printed.stdout)["printed"] and list((tmp_path / "receipts").glob("*.png"))


def test_the_demo_runs_from_the_wheel_outside_the_checkout(venv, tmp_path):
    kiosk = venv / "bin" / "kiosk"
    env = run_env(tmp_path)
    out = tmp_path / "stdout.txt"
    with open(out, "w", encoding="utf-8") as printed:
        demo = subprocess.Popen([kiosk, "demo", "--windowed", "--port", "0"], cwd=tmp_path, env=env,
                                stdout=printed, stderr=subprocess.STDOUT)
        try:
            said = demo_started(demo, out)
            url, data = re.search(r"listening on (http://127\.0\.0\.1:\d+); data in (\S+)", said).groups()
            assert re.search(r"Sample dossier codes: \d{3}\.\d{2}\.\d{2}\.H\d{2}-\d{6}-\d{4}", said), said
            with urllib.request.urlopen(f"{url}/api/v1/openapi.json", timeout=10) as answer:
                assert json.load(answer)["openapi"].startswith("3.")
            with urllib.request.urlopen(f"{url}/admin/login", timeout=10) as answer:
                assert answer.status == 200 and b"<form" in answer.read()
            # The app is up (its kv files and fonts loaded) once its first heartbeat reached the backend.
            deadline = time.monotonic() + 120
            while True:
                listed = subprocess.run([kiosk, "terminal", "list", "--json", "--db", str(Path(data) / "backend.sqlite3")],
                                        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
                assert listed.returncode == 0, listed.stderr
                if json.loads(listed.stdout)[0]["last_seen"]:
                    break
                assert demo.poll() is None and time.monotonic() < deadline, out.read_text(encoding="utf-8")
                time.sleep(0.5)
            assert demo.poll() is None
        finally:
            demo.send_signal(signal.SIGINT)
            status = demo.wait(timeout=60)
    said = out.read_text(encoding="utf-8")
    assert status == 0 and "Demo stopped." in said, said
    assert "Traceback" not in said, said
    assert not Path(data).exists(), "the demo's temporary data is removed"


# -- scripts/setup.sh: what it installs where ---------------------------------------------

def setup_sh(checkout: Path, *args: str) -> subprocess.CompletedProcess:
    """scripts/setup.sh in a copy of the checkout whose .venv python only notes what it is
    asked to do, with every system package reported installed: what pip would be told."""
    (checkout / "scripts").mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "scripts" / "setup.sh", checkout / "scripts" / "setup.sh")
    shutil.copy2(ROOT / "setup.cfg", checkout / "setup.cfg")
    stubs = checkout.parent / "stubs"
    stubs.mkdir(exist_ok=True)
    (stubs / "dpkg-query").write_text("#!/bin/sh\nprintf 'install ok installed'\n", encoding="utf-8")
    python = checkout / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True, exist_ok=True)
    python.write_text('#!/bin/sh\necho "$*" >> "$(dirname "$0")/../../calls.txt"\n', encoding="utf-8")
    for script in (stubs / "dpkg-query", python):
        script.chmod(0o755)
    env = {**os.environ, "PATH": f"{stubs}:{os.environ['PATH']}"}
    return subprocess.run(["bash", str(checkout / "scripts" / "setup.sh"), *args], cwd=checkout.parent, env=env,
                          capture_output=True, text=True, timeout=60)


def pip_installs(checkout: Path) -> list[str]:
    calls = checkout / "calls.txt"
    lines = calls.read_text(encoding="utf-8").splitlines() if calls.exists() else []
    return [line for line in lines if line.startswith("-m pip install") and "--upgrade pip" not in line]


def test_setup_sh_puts_the_test_extras_only_where_tests_run(tmp_path):
    checkout = tmp_path / "checkout"
    assert setup_sh(checkout).returncode == 0
    assert pip_installs(checkout) == ["-m pip install --quiet -e ."]  # runtime only, editable for a developer
    assert setup_sh(checkout, "--test").returncode == 0
    assert pip_installs(checkout)[1:] == ["-m pip install --quiet -e .[test]"]
    assert setup_sh(checkout).returncode == 0  # scripts/demo afterwards: nothing taken away or redone
    assert len(pip_installs(checkout)) == 2
    # CI runs scripts/test, which asks for the extras.
    assert "scripts/setup.sh --test" in (ROOT / "scripts" / "test").read_text(encoding="utf-8")


def test_setup_sh_installs_a_kiosk_from_a_wheel_not_editable(tmp_path):
    checkout = tmp_path / "opt"
    wheel = tmp_path / "tthc_kiosk-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"")
    done = setup_sh(checkout, "--wheel", str(wheel))
    assert done.returncode == 0, done.stderr
    installs = pip_installs(checkout)
    assert installs == [f"-m pip install --quiet --no-deps --force-reinstall {wheel}", f"-m pip install --quiet {wheel}"]
    assert not any("-e" in line.split() or "[test]" in line for line in installs)
    missing = setup_sh(tmp_path / "other", "--wheel", str(tmp_path / "none.whl"))
    assert missing.returncode == 2 and missing.stderr == f"scripts/setup.sh: no such wheel: {tmp_path / 'none.whl'}\n"
    wrong = setup_sh(tmp_path / "other", "--tests")
    assert wrong.returncode == 2 and wrong.stderr.startswith("usage: scripts/setup.sh")
