"""Report files: checked before the run, written whole or not at all, never carrying a secret.

A report is written to a temporary file beside its destination and renamed
over it, so a reader (or a CI artifact upload) never sees half a file.
:class:`ReportFiles` stages what pytest writes during ``sfc-conformance run``
in a private folder and publishes it only when rules ran: a run that stops
with exit code 2 before any rule leaves no report behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from sfc_conformance.core.errors import SfcError, UsageError
from sfc_conformance.core.secrets import redact

HTML_NAME = "report.html"
JUNIT_NAME = "junit.xml"


def atomic_write(path: Path, text: str) -> None:
    """``text`` (secrets masked) to ``path``, creating its folder; whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(redact(text))
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide the report from a CI uploader
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def check_writable(path: Path, option: str, *, make_folders: bool, folder: bool = False) -> None:
    """A one-line :class:`UsageError` now, rather than a lost report after a long run.

    ``path`` is a file to write, or with ``folder`` a folder to write into.
    ``make_folders``: missing folders on the way will be made, so the nearest
    existing one must take them; otherwise the folder must exist already.
    """
    if folder and path.exists() and not path.is_dir():
        raise UsageError(f"cannot write {option} {path}: it is a file, not a folder")
    if not folder and path.is_dir():
        raise UsageError(f"cannot write {option} {path}: it is a folder")
    existing = path if folder else path.parent
    while make_folders and not existing.exists():
        existing = existing.parent
    if not existing.exists():
        raise UsageError(f"cannot write {option} {path}: there is no folder {existing}")
    if not existing.is_dir():
        raise UsageError(f"cannot write {option} {path}: {existing} is a file, not a folder")
    try:  # os.access says yes to root even on a read-only file system: try for real
        handle, probe = tempfile.mkstemp(dir=existing, prefix=".sfc-conformance-probe.")
    except OSError as error:
        raise UsageError(f"cannot write {option} {path}: {existing} is not writable ({error.strerror})") from None
    os.close(handle)
    os.unlink(probe)


class ReportFiles:
    """Where ``sfc-conformance run`` puts its reports, and the staging pytest writes them to."""

    def __init__(self, report_dir: str | None, junitxml: str | None) -> None:
        self.html: list[Path] = []
        self.junit: list[Path] = []
        if report_dir:
            folder = Path(report_dir)
            check_writable(folder, "--report-dir", make_folders=True, folder=True)
            self.html.append(folder / HTML_NAME)
            self.junit.append(folder / JUNIT_NAME)
        if junitxml:
            check_writable(Path(junitxml), "--junitxml", make_folders=False)
            self.junit.append(Path(junitxml))
        self._staging: Path | None = None

    def pytest_arguments(self) -> list[str]:
        """Options that make pytest and the suite's plugin write into a fresh staging folder."""
        if not (self.html or self.junit):
            return []
        self._staging = Path(tempfile.mkdtemp(prefix="sfc-conformance-reports-"))
        arguments = []
        if self.junit:
            arguments += ["--junitxml", str(self._staging / JUNIT_NAME)]
        if self.html:  # the page is written by the report's own plugin
            arguments += ["-p", "sfc_conformance.report.plugin", "--sfc-html-report", str(self._staging / HTML_NAME)]
        return arguments

    def publish(self) -> None:
        """Every staged report to its destinations, atomically; then the staging goes."""
        if self._staging is None:
            return
        for name, destinations in ((JUNIT_NAME, self.junit), (HTML_NAME, self.html)):
            staged = self._staging / name
            if destinations and not staged.is_file():
                raise SfcError(f"the run wrote no {name}; no report was written")
            for destination in destinations:
                atomic_write(destination, staged.read_text(encoding="utf-8"))
        self.discard()

    def discard(self) -> None:
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None
