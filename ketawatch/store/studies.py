"""Studies in the store: ingesting source records, merging them into one study, reading them.

A source record joins the study that holds any of its identifiers; when it holds identifiers of
several studies, those studies become one (the oldest id survives, the others become aliases).
The merged study is always recomputed from all of its source records and the marks put on it
(retractions, corrections), so the result does not depend on the order records arrived in.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from ketawatch.clock import now_iso
from ketawatch.errors import NotFoundError
from ketawatch.model import Study, merge_records
from ketawatch.store.base import dumps

#: comments/corrections that put a mark on the record they point at
MARKING_LINKS = {
    "RetractionOf": "retracted",
    "ErratumFor": "corrected",
    "ExpressionOfConcernFor": "expression_of_concern",
}
#: comments/corrections that say the record itself is marked
SELF_MARKS = {"RetractionIn": "retracted", "ErratumIn": "corrected"}
#: designs whose NCT mentions cite many trials: they never merge into a registration
_NO_TRIAL_LINK_DESIGNS = {"meta-analysis", "systematic-review", "review", "guideline"}


@dataclass
class IngestResult:
    """What one ingest did: counts of new, updated and unchanged source records."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    study_ids: set[int] = field(default_factory=set)
    events: int = 0

    def add(self, other: IngestResult) -> None:
        """Add another result's counts to this one."""
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.study_ids |= other.study_ids
        self.events += other.events


@dataclass
class StoredStudy:
    """A study as the store holds it: the merged record and where each part came from."""

    id: int
    study: Study
    provenance: dict[str, str]
    first_seen: str
    updated_at: str
    sources: list[dict[str, Any]] = field(default_factory=list)

    def to_export(self) -> dict[str, Any]:
        """The export shape of issue 2 (``export --format jsonl``)."""
        s = self.study
        return {
            "id": self.id, "pmid": s.pmid, "doi": s.doi, "pmcid": s.pmcid, "nct_ids": s.nct_ids,
            "preprint_dois": s.preprint_dois, "title": s.title, "abstract": s.abstract,
            "journal": s.journal, "pub_date": s.pub_date, "year": s.year, "authors": s.authors,
            "mesh": s.mesh, "publication_types": s.publication_types, "language": s.language,
            "conditions": s.conditions, "drugs": s.drugs, "routes": s.routes, "design": s.design,
            "human": s.human, "sample_size": s.sample_size, "preprint": s.preprint,
            "retracted": s.retracted, "corrected": s.corrected,
            "sources": [{"source": r["source"], "source_id": r["source_id"],
                         "first_seen": r["first_seen"], "fetched_at": r["fetched_at"]}
                        for r in self.sources],
            "first_seen": self.first_seen, "url": s.url,
        }


def trial_link_ids(study: Study) -> list[tuple[str, str]]:
    """The NCT numbers through which a publication joins its trial registration's study.

    Syntheses and reviews cite many trials, and a record naming more than two trials is not the
    report of one: neither joins a registration.
    """
    if study.source == "clinicaltrials" or study.design in _NO_TRIAL_LINK_DESIGNS:
        return []
    ids = study.link_identifiers()
    return ids if len(ids) <= 2 else []


#: most identifiers looked up in one statement (SQLite allows 500 terms in a compound select)
_LOOKUP_CHUNK = 100


def _lookup(conn: Any, select: str, keys: list[tuple[str, str]]) -> list[Any]:
    """The rows of ``select`` (one ``?`` pair) for each of ``keys``, in the order of the keys.

    One statement (a UNION ALL of the select per key) instead of one per key: a record has a
    few identifiers, and each statement costs more than the index lookup it makes.
    """
    rows: list[Any] = []
    for start in range(0, len(keys), _LOOKUP_CHUNK):
        chunk = keys[start:start + _LOOKUP_CHUNK]
        sql = " UNION ALL ".join([select] * len(chunk))
        rows += conn.execute(sql, [part for key in chunk for part in key]).fetchall()
    return rows


def _hash(data: str) -> str:
    return hashlib.sha1(data.encode("utf-8")).hexdigest()


class StudiesMixin:
    """Ingesting and reading studies. Every write runs inside ``transaction()``."""

    # -- writing -------------------------------------------------------------------------------

    def ingest(self, records: list[tuple[Study, str | None]], *, now: str | None = None) -> IngestResult:
        """Store a batch of (tagged Study, raw record) pairs in one transaction.

        Re-ingesting an unchanged record changes nothing; a changed one updates its study and
        records the events the change means.
        """
        result = IngestResult()
        stamp = now or now_iso()
        with self.transaction():
            rev = self.next_rev()
            for study, raw in records:
                self._ingest_one(study, raw, stamp, rev, result)
        return result

    def _ingest_one(self, study: Study, raw: str | None, stamp: str, rev: int,
                    result: IngestResult) -> None:
        conn = self.conn
        data = dumps(study.fields_view())
        digest = _hash(data)
        old = conn.execute("SELECT study_id, content_hash, data, first_seen FROM source_records "
                           "WHERE source = ? AND source_id = ?",
                           (study.source, study.source_id)).fetchone()
        if old is not None and old["content_hash"] == digest:
            result.unchanged += 1
            return
        own_ids = study.identifiers()
        link_ids = trial_link_ids(study)
        candidates = {row[0] for row in _lookup(
            conn, "SELECT study_id FROM identifiers WHERE kind = ? AND value = ?",
            own_ids + link_ids)}
        if old is not None:
            candidates.add(old["study_id"])
        is_new_study = not candidates
        if is_new_study:
            sid = conn.execute(
                "INSERT INTO studies(data, first_seen, updated_at, rev) VALUES ('{}', ?, ?, ?)",
                (stamp, stamp, rev)).lastrowid
        else:
            sid = min(candidates)
            for other in sorted(candidates - {sid}):
                self._absorb(sid, other, rev)
        if old is None:
            conn.execute(
                "INSERT INTO source_records(source, source_id, study_id, data, raw, content_hash, "
                "first_seen, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (study.source, study.source_id, sid, data, raw, digest, stamp, stamp))
            result.new += 1
        else:
            conn.execute(
                "UPDATE source_records SET study_id = ?, data = ?, raw = ?, content_hash = ?, "
                "fetched_at = ? WHERE source = ? AND source_id = ?",
                (sid, data, raw, digest, stamp, study.source, study.source_id))
            result.updated += 1
        conn.executemany("INSERT OR IGNORE INTO identifiers(kind, value, study_id) VALUES (?, ?, ?)",
                         [(k, v, sid) for k, v in own_ids + link_ids])
        touched = {sid}
        for target in self._record_marks(study, stamp):
            touched.add(target)
        if study.trial:
            old_trial = Study.from_dict(json.loads(old["data"])).trial if old is not None else None
            self._record_trial_change(sid, study, old_trial, stamp, result)
        # a study this record just founded holds only it: no need to read it back
        fresh = (study, list(dict.fromkeys(own_ids + link_ids))) if is_new_study else None
        for target in sorted(touched):
            self._recompute(target, stamp, rev, result, new_study=is_new_study and target == sid,
                            fresh=fresh if target == sid else None)
        result.study_ids |= touched

    def _absorb(self, keep: int, other: int, rev: int) -> None:
        """Make study ``other`` part of study ``keep`` (they share an identifier)."""
        conn = self.conn
        conn.execute("UPDATE source_records SET study_id = ? WHERE study_id = ?", (keep, other))
        conn.execute("UPDATE identifiers SET study_id = ? WHERE study_id = ?", (keep, other))
        # the surviving study already announced itself: one new_study event per study
        conn.execute("DELETE FROM events WHERE study_id = ? AND kind = 'new_study'", (other,))
        conn.execute("UPDATE events SET study_id = ? WHERE study_id = ?", (keep, other))
        conn.execute("UPDATE delivered_items SET study_id = ? WHERE study_id = ?", (keep, other))
        conn.execute("UPDATE study_aliases SET new_id = ? WHERE new_id = ?", (keep, other))
        conn.execute("INSERT OR REPLACE INTO study_aliases(old_id, new_id, rev) VALUES (?, ?, ?)",
                     (other, keep, rev))
        conn.execute("UPDATE studies SET first_seen = min(first_seen, "
                     "(SELECT first_seen FROM studies WHERE id = ?)) WHERE id = ?", (other, keep))
        conn.execute("DELETE FROM studies WHERE id = ?", (other,))

    def _record_marks(self, study: Study, stamp: str) -> list[int]:
        """Store the marks this record puts on others; return the stored studies they hit."""
        targets: list[int] = []
        by = f"{study.source}:{study.source_id}"
        for link in study.comments_corrections:
            mark = MARKING_LINKS.get(link.get("type", ""))
            if not mark:
                continue
            for kind in ("pmid", "doi"):
                value = link.get(kind)
                if not value:
                    continue
                self.conn.execute(
                    "INSERT OR IGNORE INTO marks(kind, value, mark, by_source, detail, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (kind, value, mark, by, dumps({"notice": by, "text": link.get("text")}), stamp))
                row = self.conn.execute("SELECT study_id FROM identifiers WHERE kind = ? AND "
                                        "value = ?", (kind, value)).fetchone()
                if row:
                    targets.append(row[0])
        return targets

    def add_marks(self, marks: list[dict[str, Any]], *, now: str | None = None) -> IngestResult:
        """Store marks from outside the source records (Crossref's retractions and corrections).

        Each mark is ``{"kind": "doi", "value": ..., "mark": "retracted", "by_source": ...,
        "detail": {...}}``; the studies they hit are recomputed and their events recorded.
        """
        result = IngestResult()
        stamp = now or now_iso()
        with self.transaction():
            rev = self.next_rev()
            targets = set()
            for m in marks:
                cur = self.conn.execute(
                    "INSERT OR IGNORE INTO marks(kind, value, mark, by_source, detail, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (m["kind"], m["value"], m["mark"], m["by_source"], dumps(m.get("detail", {})),
                     stamp))
                if cur.rowcount:
                    row = self.conn.execute("SELECT study_id FROM identifiers WHERE kind = ? AND "
                                            "value = ?", (m["kind"], m["value"])).fetchone()
                    if row:
                        targets.add(row[0])
            for sid in sorted(targets):
                self._recompute(sid, stamp, rev, result, new_study=False)
            result.study_ids |= targets
        return result

    def _record_trial_change(self, sid: int, study: Study, old: dict[str, Any] | None,
                             stamp: str, result: IngestResult) -> None:
        """Keep the trial's snapshot and turn what changed since the last one into events."""
        new = study.trial or {}
        nct = study.source_id
        last = self.conn.execute("SELECT data FROM trial_snapshots WHERE nct = ? "
                                 "ORDER BY id DESC LIMIT 1", (nct,)).fetchone()
        if last is None or last[0] != dumps(new):
            self.conn.execute("INSERT INTO trial_snapshots(nct, taken_at, data) VALUES (?, ?, ?)",
                              (nct, stamp, dumps(new)))
        if not old:
            return
        changes = []
        if old.get("status") != new.get("status"):
            changes.append(("trial_status_changed", {"from": old.get("status"),
                                                     "to": new.get("status")}))
        if not old.get("has_results") and new.get("has_results"):
            changes.append(("results_posted", {}))
        if old.get("enrollment") != new.get("enrollment") and new.get("enrollment") is not None:
            changes.append(("enrollment_changed", {"from": old.get("enrollment"),
                                                   "to": new.get("enrollment")}))
        for kind, detail in changes:
            detail.update({"nct": nct, "last_update": new.get("last_update")})
            key = f"{kind}:{nct}:{dumps(detail)}"
            self._add_event(sid, kind, detail, key, stamp, result)

    def _add_event(self, sid: int, kind: str, detail: dict[str, Any], key: str, stamp: str,
                   result: IngestResult) -> None:
        cur = self.conn.execute("INSERT OR IGNORE INTO events(study_id, kind, created_at, data, "
                                "dedupe_key) VALUES (?, ?, ?, ?, ?)",
                                (sid, kind, stamp, dumps(detail), key))
        result.events += cur.rowcount

    def _recompute(self, sid: int, stamp: str, rev: int, result: IngestResult, *,
                   new_study: bool,
                   fresh: tuple[Study, list[tuple[str, str]]] | None = None) -> None:
        """Rebuild study ``sid`` from its source records and marks; record what changed.

        ``fresh``: the one record and the identifiers of a study just founded, which would
        otherwise be read back from the store (the record as stored: ``merge_records`` only
        reads it, and its JSON gives it back field for field).
        """
        conn = self.conn
        if fresh is None:
            datas = [r[0] for r in conn.execute("SELECT data FROM source_records WHERE "
                                                "study_id = ?", (sid,))]
            ids = conn.execute("SELECT kind, value FROM identifiers WHERE study_id = ?",
                               (sid,)).fetchall()
            records = [Study.from_dict(json.loads(d)) for d in datas]
        else:
            records, ids = [fresh[0]], fresh[1]
        merged, provenance = merge_records(records)
        marks = _lookup(conn, "SELECT mark, by_source FROM marks WHERE kind = ? AND value = ?",
                        ids)
        for mark, by in marks:
            if mark == "retracted":
                merged.retracted = True
                provenance["retracted"] = by
            elif mark == "corrected":
                merged.corrected = True
                provenance["corrected"] = by
        merged.nct_ids = sorted({v for k, v in ids if k == "nct"} | set(merged.nct_ids))
        prev = None
        if fresh is None:
            prev_row = conn.execute("SELECT data FROM studies WHERE id = ?", (sid,)).fetchone()
            prev = json.loads(prev_row[0]) if prev_row and prev_row[0] != "{}" else None
        conn.execute(
            "UPDATE studies SET data = ?, provenance = ?, design = ?, year = ?, retracted = ?, "
            "corrected = ?, preprint = ?, updated_at = ?, rev = ? WHERE id = ?",
            (dumps(merged.fields_view()), dumps(provenance), merged.design, merged.year,
             int(merged.retracted), int(merged.corrected), int(merged.preprint), stamp, rev, sid))
        if new_study or prev is None:
            self._add_event(sid, "new_study", {"title": merged.title}, f"new_study:{sid}", stamp,
                            result)
            return
        ident = merged.pmid or merged.doi or (merged.nct_ids[0] if merged.nct_ids else str(sid))
        if merged.retracted and not prev.get("retracted"):
            self._add_event(sid, "retracted", {"by": provenance.get("retracted")},
                            f"retracted:{ident}", stamp, result)
        if merged.corrected and not prev.get("corrected"):
            self._add_event(sid, "corrected", {"by": provenance.get("corrected")},
                            f"corrected:{ident}", stamp, result)
        now_extras, prev_extras = merged.extras, prev.get("extras", {})
        if (now_extras.get("has_preprint") and now_extras.get("published_known")
                and not prev_extras.get("published_known")):
            self._add_event(sid, "preprint_published",
                            {"doi": merged.doi or merged.published_doi, "journal": merged.journal},
                            f"preprint_published:{min(merged.preprint_dois, default=sid)}", stamp, result)

    # -- reading -------------------------------------------------------------------------------

    def resolve_id(self, study_id: int) -> int:
        """The surviving id of a study that may have been merged into another."""
        row = self.conn.execute("SELECT new_id FROM study_aliases WHERE old_id = ?",
                                (study_id,)).fetchone()
        return row[0] if row else study_id

    def get_study(self, study_id: int) -> StoredStudy:
        """One study with its sources; follows merges. Raises NotFoundError."""
        sid = self.resolve_id(int(study_id))
        row = self.conn.execute("SELECT id, data, provenance, first_seen, updated_at FROM studies "
                                "WHERE id = ?", (sid,)).fetchone()
        if row is None:
            raise NotFoundError(f"no study {study_id}")
        return self._stored(row, with_sources=True)

    def find_study(self, kind: str, value: str) -> StoredStudy | None:
        """The study holding an identifier (``pmid``, ``doi``, ``pmcid``, ``nct``), or None."""
        row = self.conn.execute("SELECT study_id FROM identifiers WHERE kind = ? AND value = ?",
                                (kind, value)).fetchone()
        return self.get_study(row[0]) if row else None

    def _stored(self, row: Any, *, with_sources: bool) -> StoredStudy:
        stored = StoredStudy(id=row["id"], study=Study.from_dict(json.loads(row["data"])),
                             provenance=json.loads(row["provenance"]),
                             first_seen=row["first_seen"], updated_at=row["updated_at"])
        if with_sources:
            stored.sources = [dict(r) for r in self.conn.execute(
                "SELECT source, source_id, first_seen, fetched_at FROM source_records "
                "WHERE study_id = ? ORDER BY source, source_id", (row["id"],))]
        return stored

    def iter_studies(self, *, since_rev: int = 0, with_sources: bool = False,
                     batch: int = 2000):
        """Every study changed after store revision ``since_rev`` (all of them by default)."""
        last_id = 0
        while True:
            rows = self.conn.execute(
                "SELECT id, data, provenance, first_seen, updated_at FROM studies "
                "WHERE rev > ? AND id > ? ORDER BY id LIMIT ?", (since_rev, last_id, batch)
            ).fetchall()
            if not rows:
                return
            for row in rows:
                yield self._stored(row, with_sources=with_sources)
            last_id = rows[-1]["id"]

    def get_studies(self, ids: list[int]) -> list[StoredStudy]:
        """Several studies by id, in the order asked, skipping ids that no longer exist."""
        out = []
        for sid in ids:
            row = self.conn.execute("SELECT id, data, provenance, first_seen, updated_at "
                                    "FROM studies WHERE id = ?", (self.resolve_id(sid),)).fetchone()
            if row is not None:
                out.append(self._stored(row, with_sources=True))
        return out

    def merged_away_since(self, rev: int) -> list[int]:
        """Study ids that were merged into others after revision ``rev`` (the index drops them)."""
        return [r[0] for r in self.conn.execute("SELECT old_id FROM study_aliases WHERE rev > ?",
                                                (rev,))]

    def count_studies(self) -> int:
        """How many studies the store holds."""
        return self.conn.execute("SELECT count(*) FROM studies").fetchone()[0]

    def source_counts(self) -> dict[str, int]:
        """How many source records each source contributed."""
        return {r[0]: r[1] for r in self.conn.execute(
            "SELECT source, count(*) FROM source_records GROUP BY source ORDER BY source")}

    def raw_record(self, source: str, source_id: str) -> str | None:
        """The raw text a source record was parsed from."""
        row = self.conn.execute("SELECT raw FROM source_records WHERE source = ? AND "
                                "source_id = ?", (source, source_id)).fetchone()
        return row[0] if row else None

    def dois(self) -> list[tuple[int, str]]:
        """Every (study id, DOI) pair the store holds (for the Crossref retraction check)."""
        return [(r[0], r[1]) for r in self.conn.execute(
            "SELECT study_id, value FROM identifiers WHERE kind = 'doi' ORDER BY value")]

    def trial_history(self, nct: str) -> list[dict[str, Any]]:
        """Every distinct state a trial registration was seen in, oldest first."""
        return [{"taken_at": r[0], **json.loads(r[1])} for r in self.conn.execute(
            "SELECT taken_at, data FROM trial_snapshots WHERE nct = ? ORDER BY id", (nct,))]
