"""Safe file handling for every workbook xlspv writes or reads.

- The output is written to a hidden temporary file beside it (``.NAME.xlspv-PID-N.tmp``), then linked
  to its name (``os.link``, which fails if the name exists) or, with ``force``, renamed over it
  (``os.replace``): a failure leaves no half-written file, a reader never sees one, and of two runs
  started together to one new output exactly one wins. SIGTERM and SIGINT remove the temporary file;
  one a SIGKILL left is removed by the next run to that output (its process id is gone).
- An existing output is never overwritten without ``force``, and the input is never the output.
- Sheets are checked against Excel's grid before saving (user text over 32,767 characters is cut,
  saying so in its cell, where it is written: ``style.write_text``).
- Untrusted workbooks are parsed with ``defusedxml`` installed (openpyxl uses it when present), and
  only after :func:`check_workbook_package` has refused macro-enabled and damaged packages.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import signal
import stat
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import InputLimitError, MacroWorkbookError, OutputError, SpvInputError
from .package import (
    check_grid,
    check_package_sizes,
    check_regular_file,
    check_xml_parts,
)

#: Workbook suffixes that announce macros; such files are refused before they are opened.
MACRO_SUFFIXES = (".xlsm", ".xltm", ".xlam")


def check_workbook_package(path: str | os.PathLike[str]) -> None:
    """Refuse, before openpyxl parses it, a file that is not an xlsx package or that carries macros.

    Refused: anything but a regular file (a device, a pipe); a file, or a package inflating, beyond
    :data:`xlspv.workbooks.package.LIMITS` (a zip bomb); a macro-enabled suffix (.xlsm, .xltm, .xlam);
    a file that is not a zip package or has no ``xl/workbook.xml``; a package holding
    ``vbaProject.bin``; a package whose ``[Content_Types].xml`` declares macro content (a renamed
    .xlsm). Every message names the file and the fix.
    """
    p = Path(path)
    check_regular_file(p)  # before zipfile opens it: a pipe or a device would never end
    suffix = p.suffix.lower()
    if suffix in MACRO_SUFFIXES:
        raise MacroWorkbookError(
            f"{p.name}: macro-enabled workbooks ({suffix}) are refused; save a copy as .xlsx "
            "(Excel Workbook) and give that."
        )
    if not zipfile.is_zipfile(p):
        raise SpvInputError(
            f"{p.name}: cannot be read as an .xlsx workbook (it is not an Office Open XML file); "
            "open it in Excel or LibreOffice and save it as .xlsx."
        )
    try:
        with zipfile.ZipFile(p) as package:
            check_package_sizes(package, p.name)  # before any part is inflated
            _refuse_macros(package, p.name)
            if "xl/workbook.xml" not in package.namelist():
                raise SpvInputError(
                    f"{p.name}: cannot be read as an .xlsx workbook (no xl/workbook.xml); save it as .xlsx."
                )
            check_xml_parts(package, p.name)  # well formed, no DTD: before openpyxl parses any part
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, zlib.error) as exc:
        if isinstance(exc, SpvInputError):
            raise
        raise SpvInputError(
            f"{p.name}: cannot be read as an .xlsx workbook ({_one_line(exc)}); save it again as .xlsx."
        ) from None


def _refuse_macros(package: zipfile.ZipFile, name: str) -> None:
    names = package.namelist()
    types = package.read("[Content_Types].xml").lower() if "[Content_Types].xml" in names else b""
    if any(part.lower().endswith("vbaproject.bin") for part in names):
        raise MacroWorkbookError(
            f"{name}: the workbook contains macros (vbaProject.bin) and is refused; save a copy as .xlsx "
            "(Excel Workbook, no macros) and give that."
        )
    if any(word in types for word in (b"macroenabled", b"vbaproject", b"macrosheet")):
        raise MacroWorkbookError(
            f"{name}: the workbook is macro-enabled ([Content_Types].xml declares macro content) and "
            "is refused; save a copy as .xlsx (Excel Workbook, no macros) and give that."
        )


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def sha256_of(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file's bytes (shown on each report's Cover next to the input's name)."""
    check_regular_file(path)
    digest = hashlib.sha256()
    # O_NONBLOCK: should the path have become a pipe since it was checked, opening it does not wait
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InputLimitError(f"{Path(path)}: is not a regular file and is not read; give a file.")
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_output(out: str | os.PathLike[str], *, force: bool, inputs: Sequence[Any] = ()) -> Path:
    """The output path, checked: not an input, not an existing file unless ``force``."""
    path = Path(out)
    for given in inputs:
        if given is not None and Path(given).resolve() == path.resolve():
            raise OutputError(f"{path}: the output would overwrite the input; choose another output path.")
    if path.exists() and not force:
        raise OutputError(_exists(path))
    if path.exists() and path.is_dir():
        raise OutputError(f"{path}: is a folder; give a file name ending in .xlsx.")
    if path.suffix.lower() != ".xlsx":
        raise OutputError(f"{path}: the output is an Excel workbook; give a file name ending in .xlsx.")
    try:  # now, before any work: a folder that cannot be made is better said at once
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"{path}: cannot create the folder {path.parent} ({exc.strerror}); choose another output path."
        ) from None
    if not os.access(path.parent, os.W_OK):
        raise OutputError(f"{path}: the folder {path.parent} is not writable; choose another output path.")
    return path


#: Temporary files are ``.NAME.xlspv-PID-N.tmp`` beside the output: hidden, and named after the process
#: that writes them, so a later run to the same output removes those whose process is gone (SIGKILL).
_TMP_INFIX = ".xlspv-"
_writing: set[str] = set()  # this process's temporary files being written now
_counter = iter(range(1, 1 << 62))


def _temporary_path(target: Path) -> Path:
    return target.with_name(f".{target.name}{_TMP_INFIX}{os.getpid()}-{next(_counter)}.tmp")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: another user's process is running under that id
        return True
    return True


def remove_stale_temporaries(target: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files a killed run left beside ``target`` (their process is gone).

    Only files named ``.NAME.xlspv-PID-N.tmp`` for this output's NAME are considered, and only those
    whose PID is not running (or is this process's but not being written now). Returns what was removed.
    """
    target = Path(target)
    prefix = f".{target.name}{_TMP_INFIX}"
    removed: list[Path] = []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        pid_text = name[len(prefix) : -len(".tmp")].split("-")[0]
        if not pid_text.isdigit():
            continue
        pid = int(pid_text)
        busy = entry.path in _writing if pid == os.getpid() else _alive(pid)
        if not busy:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


@contextlib.contextmanager
def _removed_on_signal(tmp: Path) -> Iterator[None]:
    """While writing ``tmp``: on SIGTERM or SIGINT remove it, then let the signal do what it did before.

    Signal handlers can only be set from the main thread; elsewhere (a server's worker) the ``finally``
    of the writer and the next run's clean-up of stale files remain.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, Any] = {}

    def handler(signum: int, frame: Any) -> None:
        with contextlib.suppress(OSError):
            tmp.unlink()
        _restore(previous)
        signal.raise_signal(signum)  # now under the previous handler: SIGTERM ends the process

    for signum in (signal.SIGTERM, signal.SIGINT):
        before = signal.getsignal(signum)
        if before is signal.SIG_IGN:
            continue  # started with the signal ignored (nohup): keep ignoring it
        previous[signum] = signal.SIG_DFL if before is None else before
        signal.signal(signum, handler)
    try:
        yield
    finally:
        _restore(previous)


def _restore(previous: dict[int, Any]) -> None:
    for signum, before in previous.items():
        signal.signal(signum, before)


def _publish(tmp: Path, target: Path, *, force: bool) -> None:
    """Give the finished ``tmp`` the name ``target``: replacing only with ``force``, else never.

    Without ``force`` the file is hard-linked to its name, which fails when the name exists, so of two
    runs started together exactly one creates the output and the other is told it exists.
    """
    if force:
        os.replace(tmp, target)
        return
    try:
        os.link(tmp, target)
        return
    except FileExistsError:
        raise OutputError(_exists(target)) from None
    except OSError:  # a file system without hard links: reserve the name exclusively, then move
        pass
    try:
        os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    except FileExistsError:
        raise OutputError(_exists(target)) from None
    os.replace(tmp, target)


def _exists(path: Path) -> str:
    return f"{path}: the file exists; pass --force to replace it, or choose another output path."


#: A write that failed for want of room: a full disk, a disk quota, a file-size limit.
_NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def write_atomically(
    path: str | os.PathLike[str], write: Callable[[Path], None], *, force: bool = False
) -> Path:
    """Call ``write(tmp)`` to produce the file at a temporary path beside ``path``, then publish it.

    Parameters
    ----------
    path : path-like
        The file to create.
    write : callable
        Writes the whole file to the path it is given.
    force : bool, default False
        Replace ``path`` if it exists (atomically, ``os.replace``). Without it an existing ``path`` is
        never replaced, even one created by another run while this one was writing.

    Raises
    ------
    OutputError
        ``path`` exists and ``force`` is false, or the disk (or a quota or file-size limit) has no room
        for the file. Nothing is left behind: no output, no temporary file.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target)
    tmp = _temporary_path(target)
    _writing.add(str(tmp))
    try:
        with _removed_on_signal(tmp):
            try:
                write(tmp)
            except OSError as exc:
                if exc.errno not in _NO_ROOM:
                    raise
                raise OutputError(
                    f"{target}: cannot be written ({exc.strerror}); free space on its disk (or raise the "
                    "file-size limit) and run again, or choose another folder."
                ) from None
            os.chmod(tmp, 0o666 & ~_umask())  # give the file the usual permissions
            _publish(tmp, target, force=force)
    finally:
        _writing.discard(str(tmp))
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return target


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def fit_to_excel(wb: Any) -> None:
    """Refuse a workbook with a sheet past row 1,048,576 or column XFD: Excel would not open it.

    Texts need no check here: openpyxl cuts a text at 32,767 characters when it is assigned, without
    a word, so the writers put user text through :func:`~xlspv.workbooks.package.fit_cell_text`
    (``style.write_text``), which says in the cell that it was cut.
    """
    for ws in getattr(wb, "worksheets", ()):
        if getattr(ws, "_cells", None) is not None:  # a write-only sheet has no grid to measure
            check_grid(rows=ws.max_row, columns=ws.max_column, what=f"sheet {ws.title}")


def save_workbook(
    wb: Any,
    path: str | os.PathLike[str],
    *,
    force: bool = False,
    dynamic_arrays: Mapping[str, Sequence[str]] | None = None,
) -> Path:
    """Save an openpyxl workbook atomically; mark the listed array formulas as dynamic arrays.

    ``force`` replaces an existing file (see :func:`write_atomically`). Sheets past Excel's grid are
    refused before anything is written (:func:`fit_to_excel`).
    ``dynamic_arrays`` maps a sheet title to the anchor cells (``"A5"``) of its array formulas; the
    marking (the ``cm`` attribute and ``xl/metadata.xml``) is applied as the last step, because
    openpyxl drops it when it saves.
    """
    fit_to_excel(wb)

    def write(tmp: Path) -> None:
        wb.save(tmp)
        if dynamic_arrays:
            from .dynamic import mark_dynamic_arrays

            mark_dynamic_arrays(tmp, dynamic_arrays)

    return write_atomically(path, write, force=force)
