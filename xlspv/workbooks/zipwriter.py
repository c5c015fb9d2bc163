"""A zip package deflated on a second thread while the caller generates its next part.

Saving a large report is two kinds of work: generating each part's XML (Python, holding the
interpreter) and deflating it (zlib, which lets go of the interpreter while it compresses). Done one
after the other on one thread, the deflating (about 0.3 s of the 10,000-SPV portfolio report's 0.8 s
save) is pure waiting; on a second core it can run while the next sheet is generated.

:class:`BackgroundArchive` stands in for the :class:`zipfile.ZipFile` openpyxl's package writer is
given: every ``write`` (a part from a file) and ``writestr`` (a part from memory) is put on a bounded
FIFO queue and performed by one writer thread that owns the ``ZipFile``, strictly in the order it was
issued, with the archive's own compression (so the package holds the same parts, in the same order,
deflated at the same level, as the same calls made directly on a ``ZipFile`` with that compression).

The level is :data:`DEFLATE_LEVEL`, zlib's fastest, not its default (6): deflating is the one step of
a large save that the generating thread cannot hide, and level 6 spends about four times the time for
a fifth less size (the 10,000-SPV portfolio report: 21 MB of XML deflated in 0.10 s to 3.4 MB at
level 1, in 0.38 s to 2.7 MB at level 6; its whole save 0.49 s against 0.77 s, in turns).

A ``write`` may carry a clean-up to run on the writer thread after the part is stored (openpyxl's
sheet writer removes its temporary file only once the part has been read).

Errors: the first error on the writer thread is kept and raised again on the caller's thread at its
next call (``write``, ``writestr``, ``namelist``, ``close``), the same exception object; after it the
writer stores nothing more but still runs every queued clean-up. :meth:`BackgroundArchive.abort`
(after an error on the caller's side) stops the thread, runs the queued clean-ups and closes the file
without finishing it. Either way the thread has ended when ``close`` or ``abort`` returns.

Memory: the queue holds at most :data:`QUEUE_PARTS` parts (a sheet's part is a file on disk, only its
name is queued), and a part from a file is read and deflated :data:`BLOCK_BYTES` at a time.
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import threading
from collections.abc import Callable
from typing import IO, Any
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

#: Parts waiting for the writer thread at most: the caller waits when it is this far ahead. A sheet's
#: part waits as a file on disk (one temporary file each), most others are small (a table, a sheet's
#: relationships): a few parts would make the caller wait behind one large sheet.
QUEUE_PARTS = 32

#: Bytes of parts given from memory (``writestr``) waiting at most; one larger part may always wait.
QUEUE_BYTES = 32 << 20

#: A part from a file is deflated this many bytes at a time. Large, because each zlib call lets go of
#: the interpreter and the writer thread must win it back from the generating thread afterwards (up to
#: the interpreter's switch interval, 5 ms, per call): zipfile's own 8 KiB would starve the writer.
BLOCK_BYTES = 4 << 20

#: zlib's level for every part (1: fastest; 9: smallest; zipfile's and openpyxl's default is 6).
DEFLATE_LEVEL = 1

_STOP = object()


def _output(file: str | os.PathLike[str] | IO[bytes]) -> IO[bytes]:
    """The file the archive is written to (a path is opened as :class:`~zipfile.ZipFile` opens it)."""
    if isinstance(file, str | os.PathLike):
        return open(file, "w+b")  # noqa: SIM115 (closed by the archive)
    return file


class BackgroundArchive:
    """The write side of a :class:`zipfile.ZipFile`, performed in order on one writer thread.

    Parameters
    ----------
    file : path or binary file object
        Where the package is written (a path is created or truncated).
    compression : int, default ``zipfile.ZIP_DEFLATED``
        As for ``ZipFile``.
    compresslevel : int or None, default :data:`DEFLATE_LEVEL`
        As for ``ZipFile`` (``None``: zlib's default, the level openpyxl saves with).
    queue_parts : int, default :data:`QUEUE_PARTS`
        How far (in parts) the caller may run ahead of the writer thread.
    queue_bytes : int, default :data:`QUEUE_BYTES`
        How far (in bytes of parts given from memory) the caller may run ahead of the writer thread.
    """

    def __init__(
        self,
        file: str | os.PathLike[str] | IO[bytes],
        compression: int = ZIP_DEFLATED,
        *,
        compresslevel: int | None = DEFLATE_LEVEL,
        queue_parts: int = QUEUE_PARTS,
        queue_bytes: int = QUEUE_BYTES,
    ) -> None:
        self._owned = isinstance(file, str | os.PathLike)
        self._fp = _output(file)
        try:
            self._zip = ZipFile(self._fp, "w", compression, allowZip64=True, compresslevel=compresslevel)
        except BaseException:
            if self._owned:
                self._fp.close()
            raise
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=queue_parts)
        self._budget = queue_bytes
        self._waiting = 0  # bytes of queued parts given from memory
        self._waited = threading.Condition()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="xlspv-zip-writer", daemon=True)
        self._thread.start()

    # The caller's side: what openpyxl's ExcelWriter calls.

    def write(
        self, filename: str | os.PathLike[str], arcname: str, *, then: Callable[[], None] | None = None
    ) -> None:
        """Store the file ``filename`` as the part ``arcname`` (as ``ZipFile.write``); then call ``then``
        (on the writer thread; here, at once, if the part is refused because of an earlier error)."""
        try:
            self._put(("file", filename, arcname, then))
        except BaseException:
            if then is not None:
                with contextlib.suppress(Exception):
                    then()
            raise

    def writestr(self, arcname: str, data: str | bytes) -> None:
        """Store ``data`` as the part ``arcname`` (as ``ZipFile.writestr``)."""
        self._put(("data", arcname, data, None))

    def namelist(self) -> list[str]:
        """The parts stored so far: waits until every queued part is written."""
        self._raise()
        self._queue.join()
        self._raise()
        return self._zip.namelist()

    def close(self) -> None:
        """Wait for every queued part, end the thread, and finish the package (its central directory).

        Raises the writer thread's error, if any (the file is then closed unfinished).
        """
        self._stop()
        if self._error is not None:
            self._close_unfinished()
            self._raise()
        try:
            self._zip.close()
        except BaseException:
            self._close_unfinished()
            raise
        if self._owned:
            self._fp.close()

    def abort(self) -> None:
        """After an error on the caller's side: end the thread (its queued clean-ups run, no more parts
        are stored) and close the file unfinished. Never raises."""
        if self._error is None:
            self._error = _Aborted()
        self._stop()
        self._close_unfinished()

    @property
    def running(self) -> bool:
        """Whether the writer thread is alive."""
        return self._thread.is_alive()

    def _put(self, op: tuple[Any, ...]) -> None:
        self._raise()
        if not self._thread.is_alive():
            raise RuntimeError("the archive is closed")
        size = _size(op)
        with self._waited:
            self._waited.wait_for(lambda: self._waiting == 0 or self._waiting + size <= self._budget)
            self._waiting += size
        self._queue.put(op)

    def _raise(self) -> None:
        error = self._error
        if error is not None and not isinstance(error, _Aborted):
            raise error

    def _stop(self) -> None:
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()

    def _close_unfinished(self) -> None:
        """Close the file without writing more to it (after an error: the package is abandoned)."""
        self._zip.fp = None  # zipfile's close (also at garbage collection) now has nothing to finish
        if self._owned:
            with contextlib.suppress(OSError):
                self._fp.close()

    # The writer thread.

    def _run(self) -> None:
        while True:
            op = self._queue.get()
            try:
                if op is _STOP:
                    return
                self._perform(*op)
            finally:
                if op is not _STOP:
                    with self._waited:
                        self._waiting -= _size(op)
                        self._waited.notify()
                self._queue.task_done()

    def _perform(self, kind: str, a: Any, b: Any, then: Callable[[], None] | None) -> None:
        try:
            if self._error is None:
                if kind == "file":
                    self._store_file(a, b)
                else:
                    self._zip.writestr(a, b)
        except BaseException as exc:  # kept, and raised on the caller's thread
            self._error = exc
        if then is not None:
            try:
                then()
            except BaseException as exc:
                if self._error is None:
                    self._error = exc

    def _store_file(self, filename: str | os.PathLike[str], arcname: str) -> None:
        """``ZipFile.write(filename, arcname)``, read and deflated :data:`BLOCK_BYTES` at a time."""
        zinfo = ZipInfo.from_file(filename, arcname)
        zinfo.compress_type = self._zip.compression
        zinfo._compresslevel = self._zip.compresslevel  # type: ignore[attr-defined]  # as ZipFile.write sets it
        with open(filename, "rb") as src, self._zip.open(zinfo, "w") as dest:
            shutil.copyfileobj(src, dest, BLOCK_BYTES)


def _size(op: tuple[Any, ...]) -> int:
    """Bytes an operation holds in memory while it waits (a part given as a file: none)."""
    return len(op[2]) if op[0] == "data" else 0


class _Aborted(Exception):
    """Marks an archive abandoned by its caller (nothing to raise: the caller has its own error)."""
