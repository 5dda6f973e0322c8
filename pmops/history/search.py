"""SQLite FTS5 index of a repository's postmortems: incremental build, ranked search.

The index is a cache, never a source of truth: it lives in `<git dir>/pmops/search.sqlite3`
(untracked by construction) or, outside a git work tree, in
`$XDG_CACHE_HOME/pmops/<hash of the repository path>.sqlite3`. Each file is keyed by its git
blob id: a file git tracks unmodified is not even read when its blob id is the indexed one
(one `git ls-files` call answers for all), so an index restored into a fresh checkout (the
Action's `actions/cache` step, whose files all have new modification times) costs only the
files that changed since; other files are re-read when their size or modification time
changed, and re-indexed only when their content's blob id changed; removed files are dropped.
Ranking depends only on the indexed content, so a rebuild from scratch gives the same
results. A schema version change, a different repository root or an unreadable file rebuilds
it (with a note on stderr, never a traceback).

Columns and BM25 weights are in `WEIGHTS`; how error messages, paths and done action items
are found is in `pmops.history.search_fields`.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from pmops.config import load_config
from pmops.errors import InputError
from pmops.history.search_fields import Prepared, fts_terms, prepare_all, scan_postmortems
from pmops.model import Severity
from pmops.sources.gitcmd import blob_id, git_output, worktree_blobs
from pmops.times import format_time

SCHEMA_VERSION = 3  # 2: hand-written postmortems' fields; 3: `docs.hash` holds git blob ids
"""Bump when the schema or the extraction rules change: a mismatch rebuilds the cache."""

WEIGHTS: Mapping[str, float] = {
    "title": 8.0,  # a title names the incident: a hit there is the strongest signal
    "services": 4.0,  # "which incidents touched auth-service" is the most common question
    "root_cause": 4.0,  # the cause is what the next incident wants to recognise
    "errors": 3.0,  # exact log/alert strings are distinctive but also noisy
    "paths": 2.0,  # file paths of suspects: useful, but share generic directory names
    "body": 1.0,  # everything else
}
"""FTS5 columns in order, with the BM25 weight of each."""

SNIPPET_TOKENS = 16


@dataclass(frozen=True)
class Record:
    """What the index knows of one postmortem (its frontmatter facts and extracted fields)."""

    path: str
    id: int | str
    title: str
    status: str
    severity: str
    started_at: datetime
    resolved_at: datetime
    duration_minutes: int
    services: tuple[str, ...]
    paths: tuple[str, ...]
    errors: tuple[str, ...]
    actions_total: int
    actions_done: int


@dataclass(frozen=True)
class Hit:
    """One search result; `snippet` marks matched words with the highlight markers."""

    record: Record
    score: float
    snippet: str


@dataclass(frozen=True)
class UpdateReport:
    """What an update did; `skipped` holds one warning per file that failed to parse."""

    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: tuple[str, ...] = ()


def note(message: str) -> None:
    """A line on stderr for something the user may want to know but need not act on."""
    print(f"pmops: {message}", file=sys.stderr)


SKIPS_SHOWN = 3
"""Skipped files named in the one warning of an update; `pmops check` lists them all."""

SKIP_CHARS = 160
"""A skip reason is cut to this (a file can have a dozen schema problems)."""


def note_skipped(skipped: Sequence[str]) -> None:
    """One warning for every file an update could not read, naming the first few."""
    if not skipped:
        return
    shown = [m if len(m) <= SKIP_CHARS else m[: SKIP_CHARS - 1] + "…" for m in skipped]
    more = f"; and {len(skipped) - SKIPS_SHOWN} more" if len(skipped) > SKIPS_SHOWN else ""
    files = "1 file" if len(skipped) == 1 else f"{len(skipped)} files"
    note(
        f"warning: {files} skipped (a postmortem needs at least id, title, severity, "
        f"started_at and resolved_at or duration_minutes): {'; '.join(shown[:SKIPS_SHOWN])}"
        f"{more}. `pmops check` lists every problem"
    )


def cache_path(repo: Path) -> Path:
    """Where the index of `repo` is kept (see the module docstring)."""
    git_dir = repo / ".git"
    if not git_dir.is_dir():
        found = git_output(repo, "rev-parse", "--absolute-git-dir")
        git_dir = Path(found) if found else Path()
    if git_dir != Path() and git_dir.is_dir():
        return git_dir / "pmops" / "search.sqlite3"
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = hashlib.sha256(str(repo.resolve()).encode()).hexdigest()[:16]
    return base / "pmops" / f"{digest}.sqlite3"


_SCHEMA = f"""
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE docs(
  rowid INTEGER PRIMARY KEY, path TEXT UNIQUE NOT NULL, hash TEXT NOT NULL,
  size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, id TEXT NOT NULL, title TEXT NOT NULL,
  status TEXT NOT NULL, severity TEXT NOT NULL, started_at TEXT NOT NULL,
  resolved_at TEXT NOT NULL, duration_minutes INTEGER NOT NULL, services TEXT NOT NULL,
  paths TEXT NOT NULL, errors TEXT NOT NULL, actions_total INTEGER NOT NULL,
  actions_done INTEGER NOT NULL);
CREATE INDEX docs_started ON docs(started_at);
CREATE TABLE doc_services(service TEXT NOT NULL, doc INTEGER NOT NULL,
  PRIMARY KEY(service, doc)) WITHOUT ROWID;
CREATE VIRTUAL TABLE fts USING fts5({", ".join(WEIGHTS)},
  tokenize='porter unicode61 remove_diacritics 2');
INSERT INTO fts(fts, rank) VALUES('rank', 'bm25({", ".join(str(w) for w in WEIGHTS.values())})');
"""

_RECORD_COLUMNS = (
    "d.path, d.id, d.title, d.status, d.severity, d.started_at, d.resolved_at, "
    "d.duration_minutes, d.services, d.paths, d.errors, d.actions_total, d.actions_done"
)


def _tune(conn: sqlite3.Connection) -> sqlite3.Connection:
    """WAL and fewer fsyncs: a cache may lose its last update on power loss, never its shape."""
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def _record(row: Sequence[Any]) -> Record:
    path, key, title, status, severity, start, end, minutes, *lists, total, done = row[:13]
    services, paths, errors = (tuple(json.loads(v)) for v in lists)
    start, end = map(datetime.fromisoformat, (start, end))  # written by format_time: UTC, "Z"
    return Record(path, json.loads(key), title, status, severity, start, end, minutes,
                  services, paths, errors, total, done)  # fmt: skip


class SearchIndex:
    """The index of one repository's postmortems; open with `open_index`, use as a context."""

    def __init__(self, repo: Path, db_path: Path | None = None, folder: str | None = None):
        self.repo = repo.resolve()
        self.folder = folder if folder is not None else load_config(self.repo).postmortems_dir
        self.db_path = db_path or cache_path(self.repo)
        self.conn = self._open()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the database connection."""
        self.conn.close()

    def _open(self) -> sqlite3.Connection:
        try:
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.db_path, timeout=30)
        except (OSError, sqlite3.Error) as exc:
            note(f"cannot write the search index at {self.db_path} ({exc}); using memory")
            self.db_path = Path(":memory:")
            conn = sqlite3.connect(":memory:")
        try:
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.OperationalError as exc:
            if "no such table" not in str(exc):
                return self._recreate(conn, f"search index is unreadable ({exc}); rebuilding it")
            meta = {}
        except sqlite3.DatabaseError as exc:
            return self._recreate(conn, f"search index is unreadable ({exc}); rebuilding it")
        if meta.get("version") != str(SCHEMA_VERSION) or meta.get("root") != str(self.repo):
            return self._recreate(conn, "" if not meta else "search index is outdated; rebuilding")
        return _tune(conn)

    def _recreate(self, conn: sqlite3.Connection, message: str) -> sqlite3.Connection:
        conn.close()
        if message:
            note(message)
        if str(self.db_path) != ":memory:":
            for suffix in ("", "-journal", "-wal", "-shm"):
                Path(f"{self.db_path}{suffix}").unlink(missing_ok=True)
        conn = _tune(sqlite3.connect(self.db_path, timeout=30))
        with conn:
            conn.executescript(_SCHEMA)
            conn.executemany(
                "INSERT INTO meta VALUES (?, ?)",
                [("version", str(SCHEMA_VERSION)), ("root", str(self.repo))],
            )
        return conn

    def _retry(self, action: str) -> None:
        """After a DatabaseError mid-use: start over from an empty index, once."""
        self.conn = self._recreate(self.conn, f"search index failed to {action}; rebuilding it")
        self.update()

    def rebuild(self) -> UpdateReport:
        """Drop everything and index every postmortem again."""
        self.conn = self._recreate(self.conn, "")
        return self.update()

    def update(self, paths: Iterable[Path] | None = None) -> UpdateReport:
        """Bring the index up to date with the files (only `paths` when given)."""
        try:
            return self._update(paths)
        except sqlite3.DatabaseError as exc:
            self.conn = self._recreate(self.conn, f"search index failed ({exc}); rebuilding it")
            return self._update(None)

    def _update(self, paths: Iterable[Path] | None) -> UpdateReport:
        sql = "SELECT path, rowid, size, mtime_ns, hash FROM docs"
        blobs: dict[str, str] = {}
        if paths is None:
            files = scan_postmortems(self.repo, self.folder)
            known = {row[0]: row[1:] for row in self.conn.execute(sql)}
            gone = set(known) - set(files)
            blobs = worktree_blobs(self.repo, self.folder)
        else:
            files = {name: str(self.repo / name) for name in map(self._name, paths)}
            sql += " WHERE path IN (SELECT value FROM json_each(?))"
            known = {row[0]: row[1:] for row in self.conn.execute(sql, (json.dumps(list(files)),))}
            gone = {n for n, p in files.items() if not os.path.isfile(p) and n in known}
            files = {n: p for n, p in files.items() if n not in gone}
        counts = {"added": 0, "changed": 0, "removed": len(gone), "unchanged": 0}
        jobs: list[tuple[str, bytes]] = []
        stamps: dict[str, tuple[str, int, int]] = {}
        skipped: list[str] = []
        with self.conn:
            for name in sorted(gone):
                self._delete(known[name][0])
            for name, path in sorted(files.items()):
                try:
                    data, stamps[name] = self._changed(path, known.get(name), blobs.get(name))
                except OSError as exc:
                    skipped.append(f"{name}: cannot read: {exc.strerror or exc}")
                    continue
                if data is None:
                    counts["unchanged"] += 1
                else:
                    jobs.append((name, data))
            for name, _ in jobs:
                if name in known:
                    self._delete(known[name][0])
            for job, prepared in zip(jobs, prepare_all(jobs), strict=True):
                if isinstance(prepared, str):
                    skipped.append(prepared)
                else:
                    self._insert(prepared, stamps[job[0]])
                    counts["changed" if job[0] in known else "added"] += 1
        note_skipped(skipped)
        return UpdateReport(**counts, skipped=tuple(skipped))

    def _name(self, path: Path) -> str:
        path = (path if path.is_absolute() else self.repo / path).resolve()
        if not path.is_relative_to(self.repo):
            raise InputError(f"{path}: not inside the repository {self.repo}")
        return path.relative_to(self.repo).as_posix()

    def _changed(
        self, path: str, known: tuple[Any, ...] | None, blob: str | None
    ) -> tuple[bytes | None, tuple[str, int, int]]:
        """The file's bytes if its content changed (else None), and its (blob id, size,
        mtime). `blob` is git's id of the file when git knows the working copy matches it:
        then an unchanged file is not read."""
        stat = os.stat(path)
        if known and (known[1], known[2]) == (stat.st_size, stat.st_mtime_ns):
            return None, (known[3], stat.st_size, stat.st_mtime_ns)
        if known and blob is not None and known[3] == blob:
            data = None
        else:
            with open(path, "rb") as file:
                data = file.read()
        stamp = (blob or blob_id(data or b""), stat.st_size, stat.st_mtime_ns)
        if known and known[3] == stamp[0]:
            self.conn.execute(
                "UPDATE docs SET size = ?, mtime_ns = ? WHERE rowid = ?", (*stamp[1:], known[0])
            )
            return None, stamp
        return data, stamp

    def _delete(self, rowid: int) -> None:
        for table in ("docs", "fts"):
            self.conn.execute(f"DELETE FROM {table} WHERE rowid = ?", (rowid,))
        self.conn.execute("DELETE FROM doc_services WHERE doc = ?", (rowid,))

    def _insert(self, prepared: Prepared, stamp: tuple[str, int, int]) -> None:
        row = (prepared.name, *stamp, *prepared.values)
        cursor = self.conn.execute(f"INSERT INTO docs VALUES (NULL{', ?' * len(row)})", row)
        rowid = cursor.lastrowid
        self.conn.execute(
            f"INSERT INTO fts(rowid, {', '.join(WEIGHTS)}) VALUES (?{', ?' * len(WEIGHTS)})",
            (rowid, *prepared.columns),
        )
        self.conn.executemany(
            "INSERT OR IGNORE INTO doc_services VALUES (?, ?)",
            [(s.lower(), rowid) for s in prepared.services],
        )

    def records(
        self,
        *,
        services: Sequence[str] = (),
        since: datetime | None = None,
        until: datetime | None = None,
        latest: int = -1,
    ) -> list[Record]:
        """Indexed postmortems, oldest first: all (or the `latest` N) in a span or service."""
        filters, args = _filters(services=services, since=since, until=until)
        where = f"WHERE {' AND '.join(filters)}" if filters else ""
        sql = (
            f"SELECT {_RECORD_COLUMNS} FROM docs d {where} "
            "ORDER BY d.started_at DESC, d.path DESC LIMIT ?"
        )
        return [_record(row) for row in self.conn.execute(sql, [*args, latest])][::-1]

    def search(
        self,
        query: str,
        *,
        services: Sequence[str] = (),
        severity: Severity | None = None,
        since: datetime | None = None,
        limit: int = 10,
        highlight: tuple[str, str] = ("**", "**"),
    ) -> list[Hit]:
        """Best matches first: all terms if enough match, then any term (BM25, `WEIGHTS`)."""
        filters, args = _filters(services=services, severity=severity, since=since)
        terms = fts_terms(query)
        hits: dict[str, Hit] = {}
        for operator in ("AND", "OR"):
            if len(hits) >= limit or (operator == "OR" and len(terms) < 2):
                break
            match = " AND ".join(terms) if operator == "AND" else self._any_rare(terms)
            if not match:
                break
            try:
                found = self._match(match, filters, args, limit, highlight)
            except sqlite3.DatabaseError:
                self._retry("answer a query")
                found = self._match(match, filters, args, limit, highlight)
            for hit in found:
                hits.setdefault(hit.record.path, hit)
        return list(hits.values())[:limit]

    def _any_rare(self, terms: Sequence[str]) -> str:
        """Terms joined by OR, less those in half the documents or more.

        FTS5's BM25 gives such terms no weight (their IDF is floored), yet with OR they make
        nearly every document a match that has to be ranked: dropping them keeps the order
        and saves most of the time.
        """
        total = len(self)
        sql = "SELECT count(*) FROM (SELECT 1 FROM fts WHERE fts MATCH ? LIMIT ?)"
        counts = [self.conn.execute(sql, (t, total // 2 + 1)).fetchone()[0] for t in terms]
        return " OR ".join(t for t, n in zip(terms, counts, strict=True) if 2 * n < total)

    def _match(
        self,
        match: str,
        filters: list[str],
        args: list[Any],
        limit: int,
        highlight: tuple[str, str],
    ) -> list[Hit]:
        where = " AND ".join(["fts MATCH ?", *filters])
        sql = (
            f"SELECT {_RECORD_COLUMNS}, fts.rank, snippet(fts, -1, ?, ?, '…', {SNIPPET_TOKENS}) "
            f"FROM fts JOIN docs d ON d.rowid = fts.rowid WHERE {where} "
            "ORDER BY fts.rank, d.started_at DESC, d.path LIMIT ?"
        )
        rows = self.conn.execute(sql, [*highlight, match, *args, limit]).fetchall()
        return [Hit(_record(r), round(-r[13], 6), " ".join(r[14].split())) for r in rows]

    def ranked(self, match: str, limit: int) -> list[tuple[Record, float]]:
        """Records matching a raw (already safe) FTS5 expression, with their BM25 scores."""
        sql = (
            f"SELECT {_RECORD_COLUMNS}, fts.rank FROM fts JOIN docs d ON d.rowid = fts.rowid "
            "WHERE fts MATCH ? ORDER BY fts.rank, d.started_at DESC, d.path LIMIT ?"
        )
        return [(_record(r), -r[13]) for r in self.conn.execute(sql, (match, limit))]

    def count(self, match: str) -> int:
        """How many records match a raw (already safe) FTS5 expression."""
        row = self.conn.execute("SELECT count(*) FROM fts WHERE fts MATCH ?", (match,)).fetchone()
        return int(row[0])

    def matching(self, match: str, among: Iterable[str]) -> set[str]:
        """Which of the paths `among` match a raw (already safe) FTS5 expression."""
        sql = "SELECT rowid, path FROM docs WHERE path IN (SELECT value FROM json_each(?))"
        ids = dict(self.conn.execute(sql, (json.dumps(list(among)),)).fetchall())
        found = self.conn.execute("SELECT rowid FROM fts WHERE fts MATCH ?", (match,))
        return {ids[row[0]] for row in found if row[0] in ids}

    def texts(self, paths: Iterable[str]) -> dict[str, str]:
        """Title, root cause and error messages of indexed paths, by path."""
        sql = (
            "SELECT f.title, f.root_cause, f.errors FROM fts f JOIN docs d "
            "ON d.rowid = f.rowid WHERE d.path = ?"
        )
        result = {}
        for path in paths:
            row = self.conn.execute(sql, (path,)).fetchone()
            if row:
                result[path] = "\n".join(row)
        return result

    def __len__(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM docs").fetchone()[0])


def _filters(
    *,
    services: Sequence[str] = (),
    severity: Severity | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[list[str], list[Any]]:
    """SQL conditions on `docs d` and their arguments."""
    filters: list[str] = []
    args: list[Any] = []
    if severity is not None:
        filters.append("d.severity = ?")
        args.append(severity.value)
    if since is not None:
        filters.append("d.started_at >= ?")
        args.append(format_time(since))
    if until is not None:
        filters.append("d.started_at < ?")
        args.append(format_time(until))
    if services:
        marks = ", ".join("?" * len(services))
        filters.append(f"d.rowid IN (SELECT doc FROM doc_services WHERE service IN ({marks}))")
        args += [s.lower() for s in services]
    return filters, args


def open_index(repo: Path, *, update: bool = True, db_path: Path | None = None) -> SearchIndex:
    """Open the index of `repo` and, unless told not to, bring it up to date."""
    index = SearchIndex(repo, db_path)
    if update:
        index.update()
    return index
