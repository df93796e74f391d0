"""Writing verdicts out as they come, one merchant at a time: nothing waits for the end but the summary.

* ``json``: ``{"merchants": [{"companyId", "name", "ready", "reasons", "conditions"}, ...], "summary": {...}}``,
  each merchant written as soon as it is judged.
* ``csv``: a header, then one row per merchant (``conditions`` and ``reasons`` joined with ``"; "``).
* ``table``: the merchants that are not ready, each with its reasons, then the summary; for a single
  merchant named on the command line, the doctor's own lines (``READY: …`` / ``NOT READY: …``).

Whatever the target said goes out with every secret masked.
"""

from __future__ import annotations

import csv
import json
from typing import Any, Protocol, TextIO

from sfc_conformance.audit.engine import REASON_KEYS, Summary, Verdict
from sfc_conformance.core.secrets import redact

FORMATS = ("table", "json", "csv")
CSV_COLUMNS = ("companyId", "name", "ready", "conditions", "reasons")


class Writer(Protocol):
    def row(self, verdict: Verdict) -> None: ...

    def finish(self, summary: Summary) -> None: ...


def merchant_json(verdict: Verdict) -> dict[str, Any]:
    return {"companyId": verdict.company_id, "name": verdict.name, "ready": verdict.ready,
            "reasons": verdict.reasons, "conditions": verdict.conditions}


class JsonWriter:
    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._first = True
        out.write('{"merchants": [')

    def row(self, verdict: Verdict) -> None:
        self._out.write(("\n  " if self._first else ",\n  ") + redact(json.dumps(merchant_json(verdict))))
        self._first = False

    def finish(self, summary: Summary) -> None:
        self._out.write(("" if self._first else "\n") + '], "summary": ' + json.dumps(summary.to_json()) + "}\n")


class CsvWriter:
    def __init__(self, out: TextIO) -> None:
        self._csv = csv.writer(out, lineterminator="\n")
        self._csv.writerow(CSV_COLUMNS)

    def row(self, verdict: Verdict) -> None:
        self._csv.writerow([verdict.company_id, redact(verdict.name or ""), "true" if verdict.ready else "false",
                            "; ".join(verdict.conditions), redact("; ".join(verdict.reasons))])

    def finish(self, summary: Summary) -> None:
        pass  # one row per merchant and nothing else: the summary is the rows' to count


class TableWriter:
    def __init__(self, out: TextIO, *, single: bool = False) -> None:
        self._out = out
        self._single = single

    def row(self, verdict: Verdict) -> None:
        if verdict.ready:
            if self._single:
                self._line(f"READY: company {verdict.company_id} has both connections Linked and its sync enabled "
                           "and configured")
            return
        if self._single and verdict.unreadable:
            self._line(f"NOT READY: company {verdict.company_id} {verdict.unreadable}")
            return
        named = "" if self._single or not verdict.name else f" ({verdict.name})"
        self._line(f"NOT READY: company {verdict.company_id}{named}")
        for reason in verdict.reasons:
            self._line(f"  - {reason}")

    def finish(self, summary: Summary) -> None:
        if self._single:
            return
        self._line(f"{summary.total} merchants: {summary.ready} ready, {summary.not_ready} not ready")
        width = max(len(key) for key in REASON_KEYS)
        for key in REASON_KEYS:
            if summary.by_reason[key]:
                self._line(f"  {key:<{width}}  {summary.by_reason[key]}")

    def _line(self, text: str) -> None:
        self._out.write(redact(text) + "\n")


def writer(kind: str, out: TextIO, *, single: bool = False) -> Writer:
    if kind == "json":
        return JsonWriter(out)
    if kind == "csv":
        return CsvWriter(out)
    return TableWriter(out, single=single)
