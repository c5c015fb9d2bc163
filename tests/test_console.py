"""The ``xlspv`` console script (:func:`xlspv.cli.console`): main's output and status, then a fast exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from xlspv import cli

SCRIPT = Path(sys.executable).with_name("xlspv")


def _script(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def test_the_installed_script_is_the_console_entry() -> None:
    assert SCRIPT.is_file()
    assert "console" in SCRIPT.read_text()


def test_every_line_of_a_long_output_arrives_and_the_status_is_main_s() -> None:
    direct = subprocess.run(
        [sys.executable, "-c", "from xlspv.cli import main; main()", "summary"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    through_script = _script("summary")
    assert through_script.returncode == direct.returncode == 0
    assert through_script.stdout == direct.stdout  # flushed before the fast exit: nothing cut off
    assert through_script.stdout.count("\n") > 10


def test_an_input_error_keeps_its_one_line_and_status_2(tmp_path: Path) -> None:
    done = _script("report", "-q", str(tmp_path / "missing.xlsx"), "-o", str(tmp_path / "out.xlsx"))
    assert done.returncode == 2
    assert done.stderr.startswith("xlspv: error: ") and done.stderr.count("\n") == 1
    assert not (tmp_path / "out.xlsx").exists()


def test_a_written_report_is_complete(tmp_path: Path) -> None:
    out = tmp_path / "report.xlsx"
    done = _script("report", "-q", "-o", str(out))
    assert done.returncode == 0, done.stderr
    from openpyxl import load_workbook

    assert "Summary" in load_workbook(out, read_only=True).sheetnames


@pytest.mark.parametrize(
    ("raised", "status", "stderr"),
    [
        (None, 0, ""),
        (SystemExit(2), 2, ""),
        (SystemExit(None), 0, ""),
        (SystemExit("stopped"), 1, "stopped\n"),
    ],
)
def test_console_maps_main_s_ending_to_the_exit_status(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    raised: SystemExit | None,
    status: int,
    stderr: str,
) -> None:
    def fake_main() -> None:
        print("done")
        if raised is not None:
            raise raised

    exits: list[int] = []

    def record(code: int) -> None:
        exits.append(code)

    monkeypatch.setattr(cli, "main", fake_main)
    monkeypatch.setattr(cli.os, "_exit", record)
    cli.console()
    assert exits == [status]
    captured = capsys.readouterr()
    assert captured.out == "done\n" and captured.err == stderr


def test_the_script_lets_openmp_threads_sleep_unless_told_otherwise(tmp_path: Path) -> None:
    probe = "import os; print(os.environ.get('OMP_WAIT_POLICY'))"
    code = f"import xlspv.cli as c, sys; c.main = lambda: exec({probe!r}); c.console()"
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.stdout.strip() == "PASSIVE"
    told = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**env, "OMP_WAIT_POLICY": "ACTIVE"}
    )
    assert told.stdout.strip() == "ACTIVE"


def test_the_script_drops_numpy_s_huge_page_advice_unless_told_otherwise() -> None:
    # numpy's switch returns its previous state: what the script left it at when main runs
    switch = getattr(getattr(getattr(np, "_core", None), "multiarray", None), "_set_madvise_hugepage", None)
    if switch is None:
        pytest.skip("this numpy has no huge-page switch")
    probe = "import numpy as np; print(np._core.multiarray._set_madvise_hugepage(True))"
    code = f"import xlspv.cli as c, sys; c.main = lambda: exec({probe!r}); c.console()"
    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.stdout.strip() == "False", done.stderr
    told = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**env, "NUMPY_MADVISE_HUGEPAGE": "1"},
        timeout=120,
    )
    assert told.stdout.strip() == ("True" if sys.platform == "linux" else "False"), told.stderr


def test_exit_handlers_still_run_so_a_failed_save_leaves_no_temporary_file(tmp_path: Path) -> None:
    # openpyxl removes its sheets' temporary files in an exit handler (review: os._exit alone left them)
    import resource

    def small_files() -> None:  # a file-size limit: the save fails part way (SIGXFSZ ignored)
        import signal

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    temp = tmp_path / "temp"
    temp.mkdir()
    done = subprocess.run(
        [str(SCRIPT), "template", str(tmp_path / "t.xlsx")],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TMPDIR": str(temp)},
        preexec_fn=small_files,
    )
    assert done.returncode == 2, done.stderr
    assert list(temp.iterdir()) == []
    assert not (tmp_path / "t.xlsx").exists()


def test_output_that_cannot_be_written_is_one_line_and_status_2() -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [str(SCRIPT), "--version"], stdout=full, stderr=subprocess.PIPE, text=True, timeout=120
        )
    assert done.returncode == 2
    assert done.stderr == "xlspv: error: cannot write the output: [Errno 28] No space left on device\n"


def test_a_file_size_limit_names_the_file_and_the_fix(tmp_path: Path) -> None:
    # review: "[Errno 27] File too large" named neither the file nor the fix
    import resource

    def small_files() -> None:
        import signal

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    out = tmp_path / "t.xlsx"
    done = subprocess.run(
        [str(SCRIPT), "template", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=small_files,
    )
    assert done.returncode == 2
    assert done.stderr == (
        f"xlspv: error: {out}: cannot be written (File too large); free space on its disk (or raise the "
        "file-size limit) and run again, or choose another folder.\n"
    )
    assert list(tmp_path.iterdir()) == []
