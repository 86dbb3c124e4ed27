"""The files that set a terminal up (config/systemd, config/udev, docs/deploy.md): the units
say what the kiosk needs, systemd accepts them, the udev rules are well formed and grant only
groups the service has, the session script passes the app's exit status on, and the guide
names every file."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SYSTEMD = ROOT / "config" / "systemd"
UDEV = ROOT / "config" / "udev"
GUIDE = ROOT / "docs" / "deploy.md"
KIOSK_UNIT = SYSTEMD / "tthc-kiosk.service"
BACKEND_UNIT = SYSTEMD / "tthc-kiosk-backend.service"
SESSION = SYSTEMD / "tthc-kiosk-session"
RULES = sorted(UDEV.glob("*.rules"))
INSTALL_DIR = "/opt/tthc-kiosk"

MAINTENANCE_EXIT = "3"  # the app's "staff chose exit for maintenance"
DEVICE_GROUPS = {"lp", "dialout", "video", "render", "plugdev"}


# -- systemd units -------------------------------------------------------------------

def parse_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """A unit file as {section: {key: [values in order]}}: systemd's own syntax, where a key
    may repeat (Environment=, SystemCallFilter=) and a line may continue with a backslash."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    pending = ""
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = pending + raw.strip()
        pending = ""
        if not line or line[0] in "#;":
            continue
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if line.startswith("["):
            assert line.endswith("]"), f"{path.name}:{number}: bad section header {raw!r}"
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"{path.name}:{number}: a setting before any [section]"
        key, equals, value = line.partition("=")
        assert equals and re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", key.strip()), \
            f"{path.name}:{number}: not KEY=VALUE: {raw!r}"
        current.setdefault(key.strip(), []).append(value.strip())
    assert not pending, f"{path.name}: ends in a continued line"
    return sections


def one(unit: dict, section: str, key: str) -> str:
    values = unit.get(section, {}).get(key, [])
    assert values, f"[{section}] {key}= is missing"
    return values[-1]


def words(unit: dict, section: str, key: str) -> list[str]:
    """A list setting, all its lines together; an empty assignment resets it, as in systemd."""
    result: list[str] = []
    for value in unit.get(section, {}).get(key, []):
        result = result + value.split() if value else []
    return result


def assignments(value: str) -> dict[str, str]:
    """One Environment= line as systemd reads it: space-separated NAME=VALUE items, each
    possibly quoted. An item without "=" is one systemd ignores with a warning."""
    result = {}
    for item in shlex.split(value):
        name, equals, setting = item.partition("=")
        assert equals and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name), \
            f"systemd would ignore {item!r} in Environment={value}: quote an assignment that has spaces"
        result[name] = setting
    return result


def environment(unit: dict) -> dict[str, str]:
    result = {}
    for value in unit["Service"].get("Environment", []):
        result.update(assignments(value))
    return result


def seconds(text: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(ms|s|sec|min)?", text)
    assert match, f"not a simple time span: {text!r}"
    return float(match[1]) * {"ms": 0.001, None: 1, "s": 1, "sec": 1, "min": 60}[match[2]]


@pytest.fixture(scope="module")
def kiosk_unit():
    return parse_unit(KIOSK_UNIT)


@pytest.fixture(scope="module")
def backend_unit():
    return parse_unit(BACKEND_UNIT)


def test_the_units_have_the_usual_sections():
    for path in (KIOSK_UNIT, BACKEND_UNIT):
        unit = parse_unit(path)
        assert set(unit) == {"Unit", "Service", "Install"}, f"{path.name}: {sorted(unit)}"
        assert one(unit, "Install", "WantedBy") == "multi-user.target", f"{path.name} must start at boot"


def test_the_kiosk_runs_kiosk_run_through_its_session_script(kiosk_unit):
    command = one(kiosk_unit, "Service", "ExecStart").split()
    assert command[0] == f"{INSTALL_DIR}/config/systemd/{SESSION.name}", command
    assert command[1:] == [f"{INSTALL_DIR}/.venv/bin/kiosk", "run"], command
    assert SESSION.stat().st_mode & stat.S_IXUSR, f"{SESSION.name} must be executable (git keeps the mode)"


def test_the_kiosk_restarts_unless_staff_left_for_maintenance(kiosk_unit):
    assert one(kiosk_unit, "Service", "Restart") == "always"
    assert seconds(one(kiosk_unit, "Service", "RestartSec")) <= 5
    assert words(kiosk_unit, "Service", "RestartPreventExitStatus") == [MAINTENANCE_EXIT]
    # Anything that would turn the maintenance exit into a success, or another ending
    # into "do not restart", would break the contract.
    assert not words(kiosk_unit, "Service", "SuccessExitStatus")
    # A crash loop must never stop for good: no start limit.
    assert one(kiosk_unit, "Unit", "StartLimitIntervalSec") == "0"
    assert one(kiosk_unit, "Unit", "OnFailure") == "getty@tty1.service"


def test_the_kiosk_is_an_unprivileged_user_on_the_screen(kiosk_unit):
    service = kiosk_unit["Service"]
    assert one(kiosk_unit, "Service", "User") == "kiosk"
    assert one(kiosk_unit, "Service", "PAMName") == "login"
    assert one(kiosk_unit, "Service", "TTYPath") == "/dev/tty1"
    assert one(kiosk_unit, "Service", "UtmpIdentifier") == "tty1"
    assert one(kiosk_unit, "Service", "StandardInput") == "tty-fail"
    assert "getty@tty1.service" in words(kiosk_unit, "Unit", "Conflicts")
    assert "AmbientCapabilities" not in service or not words(kiosk_unit, "Service", "AmbientCapabilities")


def test_the_kiosk_has_the_device_groups(kiosk_unit):
    groups = set(words(kiosk_unit, "Service", "SupplementaryGroups"))
    assert DEVICE_GROUPS <= groups, f"missing: {sorted(DEVICE_GROUPS - groups)}"
    assert "input" not in groups, (
        "the kiosk gets touch and keys through cage; with raw /dev/input access Kivy reads "
        "the touch screen itself too: every touch twice, and unrotated")


def test_the_kiosk_reads_its_configuration_from_etc(kiosk_unit):
    env = environment(kiosk_unit)
    assert env["KIOSK_CONFIG"] == "/etc/tthc-kiosk/kiosk.ini"
    assert env["SDL_VIDEODRIVER"] == "x11", "Kivy's SDL draws through cage's Xwayland"
    assert "KIOSK_CAGE_ARGS" in env, "the place for screen rotation (-r) must be there to override"


def test_the_kiosk_is_hardened_without_losing_its_devices(kiosk_unit):
    assert one(kiosk_unit, "Service", "NoNewPrivileges") == "yes"
    assert one(kiosk_unit, "Service", "ProtectSystem") == "strict"
    assert one(kiosk_unit, "Service", "PrivateTmp") == "yes"
    assert one(kiosk_unit, "Service", "ProtectHome") == "yes"
    assert one(kiosk_unit, "Service", "StateDirectory") == "tthc-kiosk"
    assert one(kiosk_unit, "Service", "RuntimeDirectory"), "cage's Wayland socket lives there"
    service = kiosk_unit["Service"]
    # Each of these takes away /dev/dri, /dev/tty1, USB or serial devices.
    for key in ("PrivateDevices", "DevicePolicy", "DeviceAllow", "ProtectClock", "PrivateNetwork"):
        assert key not in service or service[key][-1] in ("no", "false", ""), f"{key}= breaks the kiosk's devices"
    assert "AF_NETLINK" in words(kiosk_unit, "Service", "RestrictAddressFamilies"), "udev hotplug needs netlink"


def test_the_kiosk_may_save_its_settings_and_nothing_else_in_etc(kiosk_unit):
    """Staff mode rewrites kiosk.ini and the token file by writing beside them and renaming:
    their folder must be writable, and it must be the kiosk's own."""
    folder = str(Path(environment(kiosk_unit)["KIOSK_CONFIG"]).parent)
    writable = words(kiosk_unit, "Service", "ReadWritePaths")
    assert folder in writable, f"staff mode cannot save {folder}/kiosk.ini: not in ReadWritePaths"
    assert all(path.startswith("/etc/tthc-kiosk") and path.count("/") == 2 for path in writable), writable
    guide = GUIDE.read_text(encoding="utf-8")
    assert f"install -d -m 2770 -o root -g kiosk {folder}\n" in guide, \
        f"the guide must make {folder} writable for the kiosk group"


def test_the_backend_keeps_its_settings_out_of_the_kiosks_reach(kiosk_unit, backend_unit):
    writable = [Path(path) for path in words(kiosk_unit, "Service", "ReadWritePaths")]
    config = Path(environment(backend_unit)["KIOSK_CONFIG"])
    _, _, token = one(backend_unit, "Service", "LoadCredential").partition(":")
    guide = GUIDE.read_text(encoding="utf-8")
    for path in (config, Path(token)):
        assert path.is_absolute() and not any(folder in path.parents for folder in writable), \
            f"{path}: the kiosk app may write there"
        assert str(path) in guide, f"the guide never makes {path}"


def test_the_guide_gives_the_data_folder_the_service_may_write(kiosk_unit):
    folder = "/var/lib/" + one(kiosk_unit, "Service", "StateDirectory")
    assert re.search(rf"^data_dir = {re.escape(folder)}$", GUIDE.read_text(encoding="utf-8"), re.M), \
        f"docs/deploy.md must set data_dir = {folder}, the only folder the service may write"


def test_the_backend_runs_kiosk_backend_hardened(backend_unit):
    command = one(backend_unit, "Service", "ExecStart").split()
    assert command[:2] == [f"{INSTALL_DIR}/.venv/bin/kiosk", "backend"], command
    state = "/var/lib/" + one(backend_unit, "Service", "StateDirectory") + "/"
    database = command[command.index("--db") + 1]
    assert database.startswith(state), f"--db {database} is outside the service's StateDirectory {state}"
    assert "--admin-token-file" in command
    user = backend_unit["Service"].get("User", [""])[-1]
    assert user == "kiosk-backend" or one(backend_unit, "Service", "DynamicUser") == "yes"
    assert one(backend_unit, "Service", "Restart") in ("always", "on-failure")
    for key, value in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("PrivateTmp", "yes"),
                       ("PrivateDevices", "yes"), ("ProtectHome", "yes")):
        assert one(backend_unit, "Service", key) == value, f"{key}={value}"
    assert words(backend_unit, "Service", "CapabilityBoundingSet") == []


def _stand_in_install(folder: Path) -> Path:
    """Executables where the units expect them, so that systemd-analyze checks the units
    and not whether this machine has the kiosk installed."""
    for name in (f"config/systemd/{SESSION.name}", ".venv/bin/kiosk"):
        stub = folder / name
        stub.parent.mkdir(parents=True, exist_ok=True)
        stub.write_text("#!/bin/sh\nexit 0\n")
        stub.chmod(0o755)
    return folder


def test_systemd_accepts_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not on this machine: the units were checked only by "
                    "this file's own parser, not by systemd (`systemd-analyze verify` skipped)")
    install = _stand_in_install(tmp_path / "install")
    units = []
    for path in (KIOSK_UNIT, BACKEND_UNIT):
        copy = tmp_path / path.name
        copy.write_text(path.read_text(encoding="utf-8").replace(INSTALL_DIR, str(install)), encoding="utf-8")
        units.append(str(copy))
    result = subprocess.run([analyze, "verify", *units], capture_output=True, text=True, timeout=60)
    output = result.stdout + result.stderr
    # systemd-analyze warns about unknown keys and bad values, and still exits 0: read it.
    about_ours = [line for line in output.splitlines() if "tthc-kiosk" in line]
    assert result.returncode == 0 and not about_ours, output


# -- the session script --------------------------------------------------------------

def _fake_cage(folder: Path, behaviour: str) -> Path:
    """A stand-in for cage 0.1.4: `run` runs the application and exits 0 whatever it did;
    `fail` exits 1 without running it (no screen); `three` exits 3 without running it."""
    log = folder / "cage-args"
    script = folder / "cage"
    body = {
        "run": 'while [ "$1" != "--" ]; do shift; done; shift; "$@"; exit 0',
        "fail": "exit 1",
        "three": "exit 3",
    }[behaviour]
    script.write_text(f'#!/bin/sh\necho "$XDG_RUNTIME_DIR $*" > "{log}"\n{body}\n')
    script.chmod(0o755)
    return script


def _session(tmp_path: Path, behaviour: str, app: list[str], cage_args: str = "") -> subprocess.CompletedProcess:
    runtime = tmp_path / "run"
    runtime.mkdir(exist_ok=True)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "RUNTIME_DIRECTORY": str(runtime),
           "KIOSK_CAGE": str(_fake_cage(tmp_path, behaviour)), "KIOSK_CAGE_ARGS": cage_args,
           "XDG_RUNTIME_DIR": "/run/user/1000"}
    return subprocess.run([str(SESSION), *app], env=env, capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("status", [0, 1, 3, 7])
def test_the_session_exits_with_the_apps_status(tmp_path, status):
    result = _session(tmp_path, "run", [sys.executable, "-c", f"raise SystemExit({status})"])
    assert result.returncode == status, result.stderr


def test_the_session_reports_a_killed_app_as_a_shell_does(tmp_path):
    result = _session(tmp_path, "run", ["/bin/sh", "-c", "kill -TERM $$"])
    assert result.returncode == 128 + 15, result.stderr


@pytest.mark.parametrize("behaviour", ["fail", "three"])
def test_a_compositor_that_never_ran_the_app_is_restarted(tmp_path, behaviour):
    # Exit 3 from cage itself is not staff leaving for maintenance: it must be restarted.
    result = _session(tmp_path, behaviour, [sys.executable, "-c", "raise SystemExit(3)"])
    assert result.returncode not in (0, 3), result.returncode
    assert "without the app's exit status" in result.stderr


def test_the_session_passes_rotation_and_keeps_its_socket_private(tmp_path):
    result = _session(tmp_path, "run", ["/bin/true"], cage_args="-r -r")
    assert result.returncode == 0, result.stderr
    runtime, *args = (tmp_path / "cage-args").read_text().split()
    assert runtime == str(tmp_path / "run"), "cage's socket belongs in the unit's RuntimeDirectory"
    assert args[:3] == ["-r", "-r", "--"], args


def test_the_session_needs_a_command(tmp_path):
    assert _session(tmp_path, "run", []).returncode == 2


# -- udev rules ----------------------------------------------------------------------

MATCH_ONLY = {"ACTION", "DEVPATH", "KERNEL", "KERNELS", "SUBSYSTEM", "SUBSYSTEMS", "DRIVER", "DRIVERS",
              "ATTRS", "TAGS", "TEST", "PROGRAM", "RESULT", "CONST", "SYSCTL"}
ASSIGN_ONLY = {"OWNER", "GROUP", "MODE", "RUN", "LABEL", "GOTO", "IMPORT", "OPTIONS", "SECLABEL"}
EITHER = {"NAME", "SYMLINK", "TAG", "ENV", "ATTR"}
NEEDS_ATTRIBUTE = {"ATTR", "ATTRS", "ENV", "SYSCTL", "CONST", "SECLABEL"}
TOKEN = re.compile(r'\s*([A-Z_]+)(?:\{([^}]*)\})?\s*(==|!=|\+=|-=|:=|=)\s*"((?:[^"\\]|\\.)*)"\s*(,|$)')
HEX4 = re.compile(r"[0-9a-f]{4}")
PRODUCT_PATTERN = re.compile(r"[0-9a-f?*\[\]|-]{4,}")


def udev_rules(path: Path) -> list[tuple[int, str, bool]]:
    """(line number, rule, whether a comment line is right above it), continuations joined."""
    rules = []
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        start, text = index + 1, lines[index].strip()
        while text.endswith("\\"):
            index += 1
            text = text[:-1] + " " + lines[index].strip()
        if text and not text.startswith("#"):
            commented = start >= 2 and lines[start - 2].lstrip().startswith("#")
            rules.append((start, text, commented))
        index += 1
    return rules


def udev_tokens(path: Path, number: int, rule: str) -> list[tuple[str, str | None, str, str]]:
    tokens, position = [], 0
    while position < len(rule):
        match = TOKEN.match(rule, position)
        assert match, f"{path.name}:{number}: cannot read the rule from column {position + 1}: {rule[position:]!r}"
        key, attribute, operator, value, separator = match.groups()
        tokens.append((key, attribute, operator, value))
        position = match.end()
        assert separator or position == len(rule), f"{path.name}:{number}: a comma is missing"
    return tokens


def test_there_are_udev_rules():
    assert [path.name for path in RULES] == ["70-tthc-kiosk.rules"]
    number = int(RULES[0].name.split("-")[0])
    assert number < 73, "uaccess tags are acted on in 73-seat-late.rules: our rules must come before"


@pytest.mark.parametrize("path", RULES, ids=lambda p: p.name)
def test_every_udev_rule_is_well_formed(path):
    labels, gotos = set(), set()
    for number, rule, commented in udev_rules(path):
        where = f"{path.name}:{number}"
        tokens = udev_tokens(path, number, rule)
        assert tokens, where
        for key, attribute, operator, value in tokens:
            assert key in MATCH_ONLY | ASSIGN_ONLY | EITHER, f"{where}: unknown key {key}"
            if key in MATCH_ONLY:
                assert operator in ("==", "!="), f"{where}: {key} can only be matched, not {operator}"
            if key in ASSIGN_ONLY:
                assert operator in ("=", "+=", "-=", ":="), f"{where}: {key} can only be assigned, not {operator}"
            if key in NEEDS_ATTRIBUTE:
                assert attribute, f"{where}: {key} needs {{attribute}}"
            if key == "MODE":
                assert re.fullmatch(r"0?[0-7]{3}", value), f"{where}: MODE {value!r} is not octal"
            if key == "LABEL":
                labels.add(value)
            if key == "GOTO":
                gotos.add(value)
            if attribute == "idVendor":
                assert HEX4.fullmatch(value), f"{where}: vendor id {value!r}: four lower-case hex digits, as sysfs has it"
            if attribute == "idProduct":
                assert PRODUCT_PATTERN.fullmatch(value), f"{where}: product id {value!r}: lower-case hex (or a glob)"
                for alternative in value.split("|"):
                    assert len(re.sub(r"\[[^]]*\]", "x", alternative)) == 4, f"{where}: {alternative!r} is not 4 digits"
            if key == "SYMLINK":
                assert value.startswith("kiosk-"), f"{where}: our device names are /dev/kiosk-*"
        matched = [key for key, _, operator, _ in tokens if operator in ("==", "!=")]
        is_device_rule = any(attribute == "idVendor" for _, attribute, _, _ in tokens) or "SYMLINK" in {
            key for key, *_ in tokens}
        if is_device_rule:
            assert commented, f"{where}: say in a comment above which device this rule is for"
            assert matched, where
    assert gotos <= labels, f"GOTO without LABEL: {sorted(gotos - labels)}"


@pytest.mark.parametrize("path", RULES, ids=lambda p: p.name)
def test_udev_grants_only_groups_the_kiosk_has(path, kiosk_unit):
    groups = set(words(kiosk_unit, "Service", "SupplementaryGroups")) | {one(kiosk_unit, "Service", "Group")}
    used = {value for number, rule, _ in udev_rules(path) for key, _, _, value in udev_tokens(path, number, rule)
            if key == "GROUP"}
    assert used, "the rules give no group access at all"
    assert used <= groups, f"groups the kiosk service does not have: {sorted(used - groups)}"


def test_udev_itself_reads_the_rules_without_complaint(tmp_path):
    """udevadm reads every rules file when it tests an event: run it on a private copy of
    the rules folder, so that nothing on this machine changes."""
    udevadm, unshare = shutil.which("udevadm"), shutil.which("unshare")
    if udevadm is None or unshare is None or os.geteuid() != 0 or not Path("/sys/class/mem/null").exists():
        pytest.skip("needs root, udevadm and unshare: the rules were checked only by this file's own "
                    "parser, not by udev")
    script = (
        "mount -t tmpfs tmpfs /etc/udev/rules.d || exit 77\n"
        + "".join(f'cp "{path}" /etc/udev/rules.d/\n' for path in RULES)
        + f'exec "{udevadm}" test /sys/class/mem/null\n'
    )
    result = subprocess.run([unshare, "--mount", "/bin/sh", "-c", script], capture_output=True, text=True,
                            timeout=60)
    if result.returncode == 77 or "Operation not permitted" in result.stderr[:500]:
        pytest.skip("cannot make a private mount namespace here: the rules were not read by udev")
    read = [line for line in (result.stdout + result.stderr).splitlines() if "Reading rules file" in line]
    assert any(RULES[0].name in line for line in read), result.stdout + result.stderr
    complaints = [line for line in (result.stdout + result.stderr).splitlines()
                  if any(f"/etc/udev/rules.d/{path.name}:" in line for path in RULES)]
    assert not complaints, "\n".join(complaints)


# -- the guide -----------------------------------------------------------------------

def test_the_guide_names_every_deployment_file():
    guide = GUIDE.read_text(encoding="utf-8")
    files = sorted(path for folder in (SYSTEMD, UDEV) for path in folder.iterdir() if path.is_file())
    assert files
    missing = [str(path.relative_to(ROOT)) for path in files if str(path.relative_to(ROOT)) not in guide]
    assert not missing, f"docs/deploy.md does not mention {missing}"


def test_the_guide_uses_the_names_the_files_make():
    guide = GUIDE.read_text(encoding="utf-8")
    for path in RULES:
        for number, rule, _ in udev_rules(path):
            for key, _, _, value in udev_tokens(path, number, rule):
                if key == "SYMLINK":
                    assert f"/dev/{value}" in guide, f"docs/deploy.md never says how to use /dev/{value}"
    for group in DEVICE_GROUPS:
        assert re.search(rf"--groups [a-z,]*\b{group}\b", guide), f"the guide's useradd lacks the {group} group"
    assert f"exit status {MAINTENANCE_EXIT}" in guide


def test_the_guides_drop_in_settings_are_ones_systemd_reads_whole():
    """`-r -r -r` unquoted in Environment= would be three items, two of them ignored."""
    guide = GUIDE.read_text(encoding="utf-8")
    settings = re.findall(r"Environment=(\S.*?)(?:`|$)", guide, re.M)
    assert any("KIOSK_CAGE_ARGS" in setting for setting in settings)
    for setting in settings:
        assignments(setting)
