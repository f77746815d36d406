"""Output safety: `--out` never destroys what is not petra's own output of the same command.

Reproducers of the audit's eight data-loss cases (issue 11): `--out .`, `--out runs`, `--out D` for
solve, calibrate and embodied, `--out data`, `--out notes.txt`; each must exit 2 naming the path and
leave every file as it was. Plus: petra's own output is replaced, another command's output is not,
and hidden temporary folders left by a killed writer (kill -9) are removed on the next run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from petra.atomic import OUTPUT_MARKER, atomic_output_dir, guard_output_dir, remove_leftovers
from petra.cli import app
from petra.errors import InputError

SMALL_RUN = """\
dataset: {dataset}
periods: [2010, 2020]
scenarios:
  ref: {{description: reference}}
"""


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (relative path -> bytes), to check that nothing was touched."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def clone(tmp_path, good_dataset_dir):
    """A folder laid out like a user's clone: README, data/<dataset>, runs/<file>.yaml, notes.txt."""
    root = tmp_path / "clone"
    (root / "data").mkdir(parents=True)
    shutil.copytree(good_dataset_dir, root / "data" / "ds")
    (root / "README.md").write_text("my notes\n")
    (root / "notes.txt").write_text("do not lose\n")
    (root / "runs").mkdir()
    (root / "runs" / "small.yaml").write_text(SMALL_RUN.format(dataset="../data/ds"))
    return root


def invoke_in(folder: Path, args: list[str]):
    old = Path.cwd()
    os.chdir(folder)
    try:
        return CliRunner().invoke(app, args)
    finally:
        os.chdir(old)


@pytest.mark.parametrize("args", [
    ["solve", "data/ds", "--out", "."],                       # the working directory
    ["run", "runs/small.yaml", "--out", ".", "--no-plots", "--no-embodied"],
    ["run", "runs/small.yaml", "--out", "runs", "--no-plots", "--no-embodied"],  # holds the input file
    ["solve", "data/ds", "--out", "data/ds"],                 # the input itself
    ["calibrate", "data/ds", "--out", "data/ds"],
    ["embodied", "data/ds", "--out", "data/ds"],
    ["solve", "data/ds", "--out", "data"],                    # a folder containing the input
    ["solve", "data/ds", "--out", "notes.txt"],               # a user's file
    ["solve", "data/ds", "--out", ".."],                      # a parent of the working directory
])
def test_out_that_is_not_petra_output_is_refused_and_nothing_touched(clone, args):
    before = snapshot(clone.parent)
    res = invoke_in(clone, args)
    assert res.exit_code == 2, res.output
    line = res.output.strip()
    assert line.startswith("petra: error:") and "\n" not in line and "--out" in line
    assert args[args.index("--out") + 1] in line  # names the path
    assert snapshot(clone.parent) == before
    assert not [p for p in clone.rglob(".*tmp-*")]


def test_user_folder_is_refused_but_own_output_replaced(clone):
    user = clone / "results"
    user.mkdir()
    (user / "thesis.tex").write_text("years of work")
    res = invoke_in(clone, ["solve", "data/ds", "--out", "results"])
    assert res.exit_code == 2 and "not a petra output" in res.output
    assert (user / "thesis.tex").read_text() == "years of work"

    assert invoke_in(clone, ["solve", "data/ds", "--out", "out"]).exit_code == 0
    assert (clone / "out" / OUTPUT_MARKER).is_file()
    (clone / "out" / "stale.csv").write_text("old")
    assert invoke_in(clone, ["solve", "data/ds", "--out", "out"]).exit_code == 0  # own output: replaced
    assert not (clone / "out" / "stale.csv").exists()

    res = invoke_in(clone, ["embodied", "data/ds", "--out", "out", "--no-plots"])  # another command's
    assert res.exit_code == 2 and "output of `petra solve`" in res.output
    assert (clone / "out" / "solve.json").is_file()


def test_empty_folder_is_accepted(clone):
    (clone / "empty").mkdir()
    assert invoke_in(clone, ["solve", "data/ds", "--out", "empty"]).exit_code == 0
    assert (clone / "empty" / "flows.csv").is_file()


def test_symlink_out_is_refused(clone, tmp_path):
    real = tmp_path / "elsewhere"
    real.mkdir()
    (real / "keep.txt").write_text("keep")
    (clone / "link").symlink_to(real)
    res = invoke_in(clone, ["solve", "data/ds", "--out", "link"])
    assert res.exit_code == 2 and "symbolic link" in res.output
    assert (real / "keep.txt").read_text() == "keep"


def test_guard_refuses_when_input_is_inside(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "scenario.yaml").write_text("x")
    with pytest.raises(InputError, match="contains the input"):
        guard_output_dir(tmp_path / "a", "run", [tmp_path / "a" / "b" / "scenario.yaml"])
    assert guard_output_dir(tmp_path / "new", "run", [tmp_path / "a"]) == (tmp_path / "new").resolve()


def test_leftovers_of_a_killed_writer_are_removed_on_the_next_run(tmp_path):
    # a writer killed with -9 mid-write: its pid is gone, its hidden temp folder remains
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    out = tmp_path / "out"
    stale_tmp = tmp_path / f".out.tmp-{dead.pid}-abc123"
    stale_old = tmp_path / f".out.old-{dead.pid}"
    live_tmp = tmp_path / f".out.tmp-{os.getppid()}-xyz"   # a live process's: left alone
    other = tmp_path / f".other.tmp-{dead.pid}-abc"        # another output's: left alone
    for p in (stale_tmp, stale_old, live_tmp, other):
        p.mkdir()
        (p / "partial.csv").write_text("1")
    with atomic_output_dir(out, "solve") as tmp:
        (tmp / "flows.csv").write_text("x")
    assert not stale_tmp.exists() and not stale_old.exists()
    assert live_tmp.exists() and other.exists()
    assert (out / "flows.csv").read_text() == "x"
    assert remove_leftovers(out) == []


def test_write_failure_is_one_line_and_keeps_the_old_output(tmp_path):
    out = tmp_path / "out"
    with atomic_output_dir(out, "solve") as tmp:
        (tmp / "flows.csv").write_text("old")
    with pytest.raises(InputError, match="could not be written .*nothing was changed"):
        with atomic_output_dir(out, "solve") as tmp:
            raise OSError(28, "No space left on device")
    assert (out / "flows.csv").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_mount_point_is_refused_up_front(tmp_path, monkeypatch):
    # before: the final rename failed with "Device or resource busy" after the whole computation
    mount = tmp_path / "mnt"
    mount.mkdir()
    real = os.path.ismount
    monkeypatch.setattr(os.path, "ismount", lambda p: Path(p) == mount or real(p))
    with pytest.raises(InputError, match="mount point"):
        guard_output_dir(mount, "solve")
    assert list(tmp_path.iterdir()) == [mount] and not any(mount.iterdir())


def test_an_unwritable_parent_is_one_line_and_leaves_nothing(tmp_path, monkeypatch):
    # a read-only --out location (simulated: root can write anywhere): one line, nothing written
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    with pytest.raises(InputError, match=r"cannot be written \(Permission denied\)"):
        with atomic_output_dir(tmp_path / "out", "solve"):
            pass
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- issue 22 item 1: inputs inside --out
def petra_output(folder: Path, command: str) -> Path:
    """An earlier output of `petra <command>` (its marker) holding a user's file that is also an input."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / OUTPUT_MARKER).write_text(f'{{"petra_output": "{command}"}}\n')
    return folder


def assert_refused_naming(res, name: str, before: dict, root: Path) -> None:
    assert res.exit_code == 2, res.output
    line = res.output.strip()
    assert "\n" not in line and "--out contains the input" in line and name in line, line
    assert snapshot(root) == before   # nothing deleted, nothing written


UNCERTAIN_RUN = SMALL_RUN.format(dataset="data/ds") + ("uncertainty:\n  - {target: supply_elasticity, "
                                                       "distribution: normal, mean: 1, sd: 0.1}\n")


@pytest.mark.parametrize("command,inside,text,args", [
    # before: `petra run child.yaml --out prev` (prev an earlier run): exit 0, prev/base.yaml gone
    # (the parent's dataset path is relative to child.yaml, the file read)
    ("run", "base.yaml", SMALL_RUN.format(dataset="data/ds"),
     ["run", "child.yaml", "--out", "out", "--no-plots", "--no-embodied"]),
    # before: `petra run s.yaml --out prev --db prev/r.sqlite`: the existing database replaced by a new one
    ("run", "r.sqlite", "SQLite format 3\x00 years of results",
     ["run", "runs/small.yaml", "--out", "out", "--db", "out/r.sqlite", "-q", "--no-plots", "--no-embodied"]),
    # before: `petra calibrate ds --out cal --config cal/cfg.toml` (an earlier output): exit 0, config gone
    ("calibrate", "cfg.toml", "tolerance = 1e-6\n",
     ["calibrate", "data/ds", "--out", "out", "--config", "out/cfg.toml"]),
    ("hindcast", "policy.yaml", "scenarios: {ref: {drivers: {tariffs: [{scale: 0}]}}}\n",
     ["hindcast", "data/ds", "--base-year", "2010", "--eval", "2011", "--out", "out",
      "--policy", "child.yaml"]),
    ("ensemble", "base.yaml", UNCERTAIN_RUN,
     ["ensemble", "child.yaml", "--draws", "1", "--out", "out", "-q"]),
])
def test_an_input_inside_an_earlier_output_is_never_deleted(clone, command, inside, text, args):
    out = petra_output(clone / "out", command)
    (out / inside).write_text(text)
    (clone / "child.yaml").write_text(f"extends: out/{inside}\n")   # a file extending the one inside
    before = snapshot(clone)
    assert_refused_naming(invoke_in(clone, args), inside, before, clone)


def test_the_dataset_a_solve_folder_names_is_an_input_of_embodied(clone):
    emb = petra_output(clone / "emb", "embodied")
    shutil.move(clone / "data" / "ds", emb / "ds")
    (emb / "ds" / "dataset.toml").write_text("base_year = 2010\n")
    assert invoke_in(clone, ["solve", "emb/ds", "--out", "solved"]).exit_code == 0
    before = snapshot(clone)
    res = invoke_in(clone, ["embodied", "solved", "--out", "emb", "--no-plots", "--flow-unit", "kt"])
    assert_refused_naming(res, "ds", before, clone)


@pytest.mark.parametrize("args", [
    ["solve", "data/ds", "--out"],
    ["calibrate", "data/ds", "--out"],
    ["embodied", "data/ds", "--no-plots", "--out"],
    ["run", "runs/small.yaml", "-q", "--no-plots", "--no-embodied", "--out"],
    ["hindcast", "data/ds", "--base-year", "2010", "--eval", "2011", "--out"],
])
@pytest.mark.parametrize("length,message", [
    (300, "--out cannot be used (File name too long)"),        # before: OSError ENAMETOOLONG traceback
    (230, "--out's name is 230 bytes; petra takes names of at most"),   # fits, its temporary sibling not
])
def test_an_out_name_too_long_is_one_line(clone, args, length, message):
    before = snapshot(clone)
    res = invoke_in(clone, [*args, "a" * length])
    assert res.exit_code == 2, res.output
    line = res.output.strip()
    assert line.startswith("petra: error:") and "\n" not in line and message in line, line
    assert snapshot(clone) == before
