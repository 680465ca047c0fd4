"""The store's schema as an ordered list of migrations; ``PRAGMA user_version`` says which ran.

Append a migration to change the schema; never edit one that has shipped.
"""

from __future__ import annotations

import sqlite3

MIGRATIONS: list[str] = [
    # 1: everything the walking skeleton and the later issues need
    """
    CREATE TABLE studies (
        id          INTEGER PRIMARY KEY,
        data        TEXT NOT NULL,              -- merged Study as JSON
        provenance  TEXT NOT NULL DEFAULT '{}', -- field -> "source:source_id"
        design      TEXT NOT NULL DEFAULT 'other',
        year        INTEGER,
        retracted   INTEGER NOT NULL DEFAULT 0,
        corrected   INTEGER NOT NULL DEFAULT 0,
        preprint    INTEGER NOT NULL DEFAULT 0,
        first_seen  TEXT NOT NULL,              -- when KetaWatch first stored it (UTC ISO)
        updated_at  TEXT NOT NULL,
        rev         INTEGER NOT NULL            -- store revision of the last change (index sync)
    );
    CREATE INDEX studies_first_seen ON studies(first_seen);
    CREATE INDEX studies_rev ON studies(rev);

    -- a study is identified by any of these; (kind, value) is unique across studies
    CREATE TABLE identifiers (
        kind      TEXT NOT NULL,               -- pmid, doi, pmcid, nct
        value     TEXT NOT NULL,
        study_id  INTEGER NOT NULL REFERENCES studies(id),
        PRIMARY KEY (kind, value)
    ) WITHOUT ROWID;
    CREATE INDEX identifiers_study ON identifiers(study_id);

    -- one row per source record, with the parsed record and the raw bytes it came from
    CREATE TABLE source_records (
        source       TEXT NOT NULL,
        source_id    TEXT NOT NULL,
        study_id     INTEGER NOT NULL REFERENCES studies(id),
        data         TEXT NOT NULL,            -- the source's Study as JSON
        raw          TEXT,                     -- the source's own record (XML or JSON text)
        content_hash TEXT NOT NULL,
        first_seen   TEXT NOT NULL,
        fetched_at   TEXT NOT NULL,
        PRIMARY KEY (source, source_id)
    );
    CREATE INDEX source_records_study ON source_records(study_id);

    -- a study merged into another: old id -> surviving id (links keep working)
    CREATE TABLE study_aliases (
        old_id  INTEGER PRIMARY KEY,
        new_id  INTEGER NOT NULL,
        rev     INTEGER NOT NULL
    );

    -- marks that one record puts on another by identifier (a retraction notice on its article)
    CREATE TABLE marks (
        kind        TEXT NOT NULL,             -- pmid or doi of the marked study
        value       TEXT NOT NULL,
        mark        TEXT NOT NULL,             -- retracted, corrected, expression_of_concern
        by_source   TEXT NOT NULL,             -- "pubmed:123" or "crossref:10.x/notice"
        detail      TEXT NOT NULL DEFAULT '{}',
        created_at  TEXT NOT NULL,
        PRIMARY KEY (kind, value, mark, by_source)
    ) WITHOUT ROWID;

    CREATE TABLE events (
        id          INTEGER PRIMARY KEY,
        study_id    INTEGER NOT NULL,
        kind        TEXT NOT NULL,             -- new_study, trial_status_changed, results_posted,
                                               -- enrollment_changed, preprint_published,
                                               -- retracted, corrected
        created_at  TEXT NOT NULL,
        data        TEXT NOT NULL DEFAULT '{}',
        dedupe_key  TEXT NOT NULL UNIQUE       -- the same change never makes two events
    );
    CREATE INDEX events_created ON events(created_at);
    CREATE INDEX events_study ON events(study_id);

    -- every distinct state a trial registration was seen in (status, enrollment, dates, results)
    CREATE TABLE trial_snapshots (
        id         INTEGER PRIMARY KEY,
        nct        TEXT NOT NULL,
        taken_at   TEXT NOT NULL,
        data       TEXT NOT NULL
    );
    CREATE INDEX trial_snapshots_nct ON trial_snapshots(nct, id);

    CREATE TABLE crawl_state (
        source       TEXT PRIMARY KEY,
        last_until   TEXT,                     -- end of the last fully successful window
        cursor       TEXT,                     -- where an interrupted run resumes
        data         TEXT NOT NULL DEFAULT '{}',
        updated_at   TEXT NOT NULL
    );

    CREATE TABLE crawl_runs (
        id           INTEGER PRIMARY KEY,
        source       TEXT NOT NULL,
        started_at   TEXT NOT NULL,
        finished_at  TEXT,
        status       TEXT NOT NULL DEFAULT 'running',   -- running, ok, failed
        new          INTEGER NOT NULL DEFAULT 0,
        updated      INTEGER NOT NULL DEFAULT 0,
        unchanged    INTEGER NOT NULL DEFAULT 0,
        failed       INTEGER NOT NULL DEFAULT 0,
        message      TEXT NOT NULL DEFAULT ''
    );

    CREATE TABLE subscribers (
        id              INTEGER PRIMARY KEY,
        email           TEXT NOT NULL UNIQUE,
        name            TEXT NOT NULL DEFAULT '',
        status          TEXT NOT NULL DEFAULT 'pending',  -- pending, confirmed, unsubscribed
        prefs           TEXT NOT NULL DEFAULT '{}',
        created_at      TEXT NOT NULL,
        confirmed_at    TEXT,
        unsubscribed_at TEXT,
        token_version   INTEGER NOT NULL DEFAULT 1        -- bump to revoke every token
    );

    -- the delivery log: one row per subscriber and ISO week, written before and after sending
    CREATE TABLE deliveries (
        id             INTEGER PRIMARY KEY,
        subscriber_id  INTEGER NOT NULL REFERENCES subscribers(id),
        week           TEXT NOT NULL,                     -- 2026-W48
        status         TEXT NOT NULL,                     -- sending, sent, failed, empty
        message_id     TEXT,
        attempts       INTEGER NOT NULL DEFAULT 0,
        item_count     INTEGER NOT NULL DEFAULT 0,
        started_at     TEXT NOT NULL,
        finished_at    TEXT,
        error          TEXT NOT NULL DEFAULT '',
        UNIQUE (subscriber_id, week)
    );

    -- what each subscriber was sent, so nothing is sent twice and retractions can warn them
    CREATE TABLE delivered_items (
        subscriber_id  INTEGER NOT NULL,
        item_key       TEXT NOT NULL,          -- "study:12" or "event:34"
        study_id       INTEGER,
        delivery_id    INTEGER NOT NULL,
        PRIMARY KEY (subscriber_id, item_key)
    ) WITHOUT ROWID;
    CREATE INDEX delivered_items_study ON delivered_items(study_id);

    -- built digests, for the web archive
    CREATE TABLE digests (
        week        TEXT PRIMARY KEY,
        built_at    TEXT NOT NULL,
        item_count  INTEGER NOT NULL,
        html        TEXT NOT NULL,
        text        TEXT NOT NULL
    );

    CREATE TABLE meta (
        key    TEXT PRIMARY KEY,
        value  TEXT NOT NULL
    );
    INSERT INTO meta(key, value) VALUES ('rev', '0'), ('indexed_rev', '0');
    """,
    # 2: the digest's delivery log keeps a message's items and exact bytes until it is sent
    # (a crashed or refused send is retried with the same message and Message-ID); confirmation
    # mails are throttled per address
    """
    ALTER TABLE deliveries ADD COLUMN items TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE deliveries ADD COLUMN message BLOB;
    ALTER TABLE subscribers ADD COLUMN confirm_sent_at TEXT;
    CREATE INDEX deliveries_status ON deliveries(subscriber_id, status);
    """,
]


def migrate(conn: sqlite3.Connection) -> int:
    """Run every migration the database has not seen yet; return the schema version.

    Each migration runs in one transaction with its version bump, so a crash leaves the
    database at the previous version, never half-migrated.
    """
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise sqlite3.DatabaseError(
            f"store schema version {version} is newer than this KetaWatch ({len(MIGRATIONS)})")
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        try:
            conn.executescript(
                f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
        except sqlite3.Error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return len(MIGRATIONS)
