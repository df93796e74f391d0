"""The partner's client-wide settings – the flow's texts, its visible accounts – put back as a run found them (RUN-2).

Flow texts (per locale) and visible accounts (per commerce platform) belong to
the partner's whole account, not to a company the run created: a run that
changes them must leave them as it found them, however it ends.  So
:class:`ClientSettings` watches every request of the run's clients
(:meth:`ClientSettings.before_request`, an httpx request hook): before the
first request that could change a setting goes out – a step's, a generated
one of the contract fuzz, a refused one the target might carry out all the
same – it reads the setting as it is and keeps that, and on a live target
writes it to a journal first.  :meth:`ClientSettings.restore` puts every
setting back when a scenario ends and once more when the run ends (after the
last scenario, Ctrl-C, SIGTERM), and deletes the journal once everything is
as found.  What a killed run left, ``sfc-conformance cleanup`` repairs from
its journal (:func:`repair`).

Putting back changes only what differs, and reads it back:

* texts: the keys that differ are first set to ``null`` (their default, which
  is what most keys show until a partner changes them); a key still not as
  found is then set to the text it showed;
* visible accounts: ``null`` first (every entry, the state of a platform
  nobody chose for); the entries found, if that is not what was found.

The journal is one small JSON file per run and target, in the user's cache
folder (``$XDG_CACHE_HOME/sfc-conformance/client-settings/``, else
``~/.cache/…``), written atomically (a new file renamed over the old) and
readable by its owner only::

    {"format": 1, "target": "https://api.example/", "run": "20260302101500-4f2a",
     "clientId": "…", "texts": [{"locale": "en-us", "texts": {"K": "text as found", …}}],
     "visibleAccounts": {"lqai": ["sales-accounts-sales", …]}}

Its name starts with a fingerprint of the base URL and the API key (PBKDF2,
from which neither can be read back), so ``cleanup`` with that key finds the
journals of that account only; it never holds the key.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote, urlsplit

import httpx

from sfc_conformance.core.account import TEXTS_PATH, VISIBLE_ACCOUNTS_PATH, RunId, SyncFlowApi
from sfc_conformance.core.errors import SfcError
from sfc_conformance.core.profile import client_id_of, read_texts, read_visible
from sfc_conformance.core.secrets import Secret, redact

FORMAT: Final = 1
FOLDER: Final = ("sfc-conformance", "client-settings")
START_PATH = ("config", "sync", "commerce")  # …/{commerce}/{accounting}/start: the flow URL names the client


def journal_folder() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache).joinpath(*FOLDER)


def fingerprint(base_url: str, api_key: Secret) -> str:
    """The account a journal belongs to: base URL and key, one way (neither can be read back from it)."""
    salt = b"sfc-conformance client settings " + base_url.rstrip("/").encode()
    return hashlib.pbkdf2_hmac("sha256", api_key.reveal().encode(), salt, 100_000).hex()[:24]


@dataclass
class Originals:
    """The settings as a run found them, before its first change to each."""

    target: str
    run: str
    client_id: str | None = None
    texts: dict[str | None, dict[str, str]] = field(default_factory=dict)  # locale as sent (None: none) -> texts
    visible: dict[str, list[str]] = field(default_factory=dict)  # platform key -> the entries offered

    def __bool__(self) -> bool:
        return bool(self.texts or self.visible)

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "target": self.target, "run": self.run, "clientId": self.client_id,
                "texts": [{"locale": locale, "texts": texts} for locale, texts in self.texts.items()],
                "visibleAccounts": self.visible}

    @classmethod
    def from_json(cls, body: Any) -> Originals:
        if not isinstance(body, dict) or body.get("format") != FORMAT:
            raise ValueError("not a journal of client-wide settings this version writes")
        texts = {item["locale"]: dict(item["texts"]) for item in body.get("texts") or []}
        return cls(str(body["target"]), str(body["run"]), body.get("clientId"), texts,
                   {key: list(entries) for key, entries in (body.get("visibleAccounts") or {}).items()})


class Journal:
    """One run's journal file on one target."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def for_run(cls, base_url: str, api_key: Secret, run: RunId) -> Journal:
        return cls(journal_folder() / f"{fingerprint(base_url, api_key)}-{run}.json")

    @staticmethod
    def of_account(base_url: str, api_key: Secret) -> list[Journal]:
        """Every journal of the account, the newest run first (putting back undoes the newest change first)."""
        found = journal_folder().glob(f"{fingerprint(base_url, api_key)}-*.json")
        return [Journal(path) for path in sorted(found, reverse=True)]

    @property
    def run(self) -> RunId | None:
        return RunId.parse(self.path.stem.split("-", 1)[1]) if "-" in self.path.stem else None

    def write(self, originals: Originals) -> None:
        """Atomically: the whole file or the one before, never half of one."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".journal-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump(originals.to_json(), file, indent=1)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, 0o600)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def read(self) -> Originals:
        return Originals.from_json(json.loads(self.path.read_text(encoding="utf-8")))

    def delete(self) -> None:
        self.path.unlink(missing_ok=True)


# -- putting back ------------------------------------------------------------------------------------------------


def _texts(api: SyncFlowApi, locale: str | None) -> dict[str, str]:
    answer = api.flow_texts(locale)
    if answer.status_code != 200:
        raise SfcError(f"reading the flow texts ({locale or 'no locale'}) answered {answer.status_code}")
    return read_texts(api.client.json(answer))[0]


def _visible(api: SyncFlowApi, client_id: str, platform: str) -> frozenset[str]:
    answer = api.visible_accounts(client_id, platform)
    entries = read_visible(api.client.json(answer)) if answer.status_code == 200 else None
    if entries is None:
        raise SfcError(f"reading the visible accounts of {platform} answered {answer.status_code}")
    return entries


def _accepted(answer: httpx.Response, what: str) -> None:
    if not 200 <= answer.status_code < 300:
        raise SfcError(f"{what} answered {answer.status_code}: {answer.text[:200]}")


def put_back_texts(api: SyncFlowApi, locale: str | None, found: dict[str, str]) -> int:
    """The texts of ``locale`` as ``found``; how many keys differed.  Raises :class:`SfcError` when it cannot."""
    differ = [key for key, text in _texts(api, locale).items() if key in found and text != found[key]]
    if not differ:
        return 0
    _accepted(api.change_flow_texts(locale, dict.fromkeys(differ)), "setting texts back to their defaults")
    now = _texts(api, locale)
    still = {key: found[key] for key in differ if now.get(key) != found[key]}
    if still:
        _accepted(api.change_flow_texts(locale, still), "setting texts back")
        now = _texts(api, locale)
    left = sorted(key for key in differ if now.get(key) != found[key])
    if left:
        raise SfcError(f"{len(left)} key(s) still differ after putting them back, e.g. {left[0]!r}")
    return len(differ)


def put_back_visible(api: SyncFlowApi, client_id: str, platform: str, found: list[str]) -> bool:
    """The visible accounts of ``platform`` as ``found``; whether they differed.  Raises :class:`SfcError`."""
    wanted = frozenset(found)
    if _visible(api, client_id, platform) == wanted:
        return False
    _accepted(api.set_visible_accounts(platform, {"visibleAccounts": None}), "showing every account again")
    if _visible(api, client_id, platform) != wanted:
        _accepted(api.set_visible_accounts(platform, {"visibleAccounts": sorted(wanted)}), "setting accounts back")
        if _visible(api, client_id, platform) != wanted:
            raise SfcError("the entries shown still differ after putting them back")
    return True


@dataclass
class PutBack:
    """What putting settings back did: one line per setting that had changed, and what could not be put back."""

    done: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)


def put_back(api: SyncFlowApi, originals: Originals, *, dry_run: bool = False) -> PutBack:
    """Every setting of ``originals`` as it was found (``dry_run``: only say which differ); the one kept last is
    put back first, so that where two name one setting (a locale in another case) the first original wins."""
    outcome = PutBack()
    for locale, found in reversed(originals.texts.items()):
        name = f"flow texts {locale or '(no locale)'}"
        try:
            if dry_run:
                differ = sum(1 for key, text in _texts(api, locale).items() if key in found and text != found[key])
                if differ:
                    outcome.done.append(f"would put back {name} ({differ} key(s) differ)")
                continue
            changed = put_back_texts(api, locale, found)
            if changed:
                outcome.done.append(f"put back {name} ({changed} key(s) had changed)")
        except SfcError as error:
            outcome.left.append(f"{name}: {error}")
    for platform, entries in reversed(originals.visible.items()):
        name = f"visible accounts {platform}"
        if originals.client_id is None:
            outcome.left.append(f"{name}: the client id is not known")
            continue
        try:
            if dry_run:
                if _visible(api, originals.client_id, platform) != frozenset(entries):
                    outcome.done.append(f"would put back {name}")
                continue
            if put_back_visible(api, originals.client_id, platform, entries):
                outcome.done.append(f"put back {name}")
        except SfcError as error:
            outcome.left.append(f"{name}: {error}")
    outcome.done = [redact(line) for line in outcome.done]
    outcome.left = [redact(line) for line in outcome.left]
    return outcome


# -- watching a run ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Change:
    """A request that may change a client-wide setting."""

    kind: str  # "texts" or "visible"
    which: str | None  # the locale as sent (None: none), or the platform key

    @property
    def name(self) -> str:
        return f"flow texts {self.which or '(no locale)'}" if self.kind == "texts" else f"visible accounts {self.which}"


class ClientSettings:
    """The run's watch over client-wide settings: originals kept before the first change, put back after.

    ``api`` reads and restores through a client of its own, which this object does not watch; ``journal`` is
    None on the embedded target, whose account ends with the run.
    """

    def __init__(self, api: SyncFlowApi, *, base_url: str, run: RunId, commerce_key: str, accounting_key: str,
                 journal: Journal | None = None) -> None:
        self.api = api
        self.journal = journal
        self._base_path = urlsplit(base_url).path.rstrip("/")
        self._keys = (commerce_key, accounting_key)
        self._originals = Originals(base_url, str(run))
        self._lock = threading.RLock()
        self.done: list[str] = []  # what was put back, over the run
        self.left: list[str] = []  # what could not be, when last tried
        self.unread: list[str] = []  # settings changed whose originals could not be read first

    @property
    def client_id(self) -> str | None:
        return self._originals.client_id

    def learn_client_id(self, flow_url: str) -> None:
        found = client_id_of(flow_url, *self._keys)
        if found:
            with self._lock:
                self._originals.client_id = self._originals.client_id or found

    def pending(self) -> bool:
        with self._lock:
            return bool(self._originals)

    # -- the hooks on the run's clients ------------------------------------------------------------------

    def before_request(self, request: httpx.Request) -> None:
        """An httpx request hook: a request that may change a setting waits until its original is kept."""
        change = self._change(request)
        if change is not None:
            try:
                self.keep_original(change)
            except httpx.InvalidURL:  # a generated request whose setting cannot even be named: nothing to keep
                return
            except SfcError as error:  # the setting cannot be read as it is: the request's own answer is judged
                self._not_kept(f"{change.name}: could not be read before a change ({redact(str(error))})")

    def after_response(self, response: httpx.Response) -> None:
        """An httpx response hook: a flow URL names the partner's client id (the visible accounts' reads need
        it)."""
        request = response.request
        segments = self._segments(request.url)
        if (request.method == "GET" and response.status_code == 200 and len(segments) == 6
                and tuple(segments[:3]) == START_PATH and segments[5] == "start"):
            response.read()
            try:
                body = json.loads(response.content)
            except ValueError:
                return
            if isinstance(body, dict) and isinstance(body.get("url"), str):
                self.learn_client_id(body["url"])

    def _segments(self, url: httpx.URL, *, decoded: bool = True) -> list[str]:
        """The path's segments after the base URL's, decoded or as sent (to send again as they were)."""
        path = url.raw_path.decode("ascii").split("?", 1)[0]
        if self._base_path and path.startswith(self._base_path):
            path = path[len(self._base_path):]
        return [unquote(segment) if decoded else segment for segment in path.strip("/").split("/")]

    def _change(self, request: httpx.Request) -> _Change | None:
        path = "/" + "/".join(self._segments(request.url))
        if request.method == "PATCH" and path == TEXTS_PATH:
            return _Change("texts", request.url.params.get("locale"))
        prefix = VISIBLE_ACCOUNTS_PATH
        if request.method == "POST" and path.startswith(prefix) and "/" not in path[len(prefix):]:
            return _Change("visible", self._segments(request.url, decoded=False)[-1])  # sent again as it was
        return None

    def keep_original(self, change: _Change) -> None:
        """Read the setting as it is now, unless already kept, and journal it before anything changes it."""
        with self._lock:
            if change.kind == "texts" and change.which not in self._originals.texts:
                answer = self.api.flow_texts(change.which)
                if answer.status_code != 200:
                    return  # no texts in such a locale to change (CUST-1 judges the answer)
                self._originals.texts[change.which] = read_texts(self.api.client.json(answer))[0]
            elif change.kind == "visible" and change.which is not None and change.which not in self._originals.visible:
                if self._originals.client_id is None:
                    self._not_kept(f"{change.name}: changed before the run knew its client id")
                    return
                answer = self.api.visible_accounts(self._originals.client_id, change.which)
                entries = read_visible(self.api.client.json(answer)) if answer.status_code == 200 else None
                if entries is None:
                    return  # a platform key the target does not read (CUST-3 judges that)
                self._originals.visible[change.which] = sorted(entries)
            else:
                return
            if self.journal is not None:
                self.journal.write(self._originals)

    def _not_kept(self, line: str) -> None:
        with self._lock:
            if line not in self.unread:
                self.unread.append(line)

    # -- putting back ------------------------------------------------------------------------------------

    def restore(self) -> list[str]:
        """Every setting kept back as it was found; what could not be put back (also kept for the end)."""
        with self._lock:
            if not self._originals:
                return []
            outcome = put_back(self.api, self._originals)
            self.done += outcome.done
            self.left = outcome.left
            if not outcome.left:
                self._originals = Originals(self._originals.target, self._originals.run, self._originals.client_id)
                if self.journal is not None:
                    self.journal.delete()
            return outcome.left

    def lines(self) -> list[str]:
        """The run's account of the client-wide settings, for the terminal and the report."""
        where = f"; `sfc-conformance cleanup` puts them back (journal {self.journal.path})" if self.journal else ""
        return [*_counted(self.done), *(f"left     {line}{where}" for line in self.left),
                *(f"unknown  {line}" for line in self.unread)]


def _counted(done: list[str]) -> Iterator[str]:
    """Each setting put back, once, with how many times (a setting may be put back after several scenarios)."""
    seen: dict[str, int] = {}
    for line in done:
        name = line.split(" (", 1)[0]
        seen[name] = seen.get(name, 0) + 1
    for name, times in seen.items():
        yield f"{name} as found" + (f" ({times} times during the run)" if times > 1 else "")


def repair(api: SyncFlowApi, journals: list[Journal], *, dry_run: bool = False,
           keep: Callable[[Journal], str | None] = lambda journal: None) -> tuple[list[str], bool]:
    """``sfc-conformance cleanup``: put back what each journal's run left changed, newest run first, and delete
    each journal once its settings are as found.  ``keep(journal)`` says why to leave one alone (a run that may
    still be going).  The lines to print, and whether everything could be put back."""
    lines: list[str] = []
    complete = True
    for journal in journals:
        try:
            originals = journal.read()
        except (OSError, ValueError, KeyError, TypeError) as error:
            lines.append(f"left     client-wide settings of {journal.path.name}: the journal cannot be read ({error})")
            complete = False
            continue
        why = keep(journal)
        if why:
            lines.append(f"left     client-wide settings of run {originals.run}: {why}")
            continue
        outcome = put_back(api, originals, dry_run=dry_run)
        lines += [f"{line} (run {originals.run})" for line in outcome.done]
        lines += [f"left     {line} (run {originals.run})" for line in outcome.left]
        if outcome.left:
            complete = False
        elif not dry_run:
            journal.delete()
    return lines, complete
