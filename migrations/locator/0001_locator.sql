-- locator: pharmacies (where, when open, what they offer), the pharmacists who work at them and
-- the pharmacy each patient prefers. Nothing here is health data; who prefers which pharmacy
-- is personal, so only its owner (and the services acting for them) reads it.

-- One row per pharmacy. `cell` is its grid cell (locator::geo), and the table is clustered by
-- it (WITHOUT ROWID, keyed by cell then id): "what is near this point" is a few range scans of
-- the table itself on any SQLite (no R*Tree module needed), and the pharmacies of neighbouring
-- cells sit on neighbouring pages. Each request opens a fresh connection with a cold page
-- cache, so pages read is what a search costs: clustered, a circle's pharmacies are a few
-- pages, where a rowid table scattered them one page each (bench -- locator, docs/locator.md).
-- `search_name` is the name folded to lower case for `q`. `exceptions` is a JSON object keyed
-- by local date ("2026-12-24": {"kind": "closed", ...}), written with json_set/json_remove in
-- the same statement that moves `version`. `services` is a bit set (locator::pharmacy::Service).
-- `source_key` identifies an imported row ("osm:node/123"): importing the same file again
-- updates these rows instead of adding new ones.
CREATE TABLE loc_pharmacies (
    id            TEXT NOT NULL,
    source_key    TEXT UNIQUE,
    name          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    search_name   TEXT NOT NULL,
    address       TEXT NOT NULL CHECK (json_valid(address)),
    country       TEXT CHECK (country IS NULL OR (length(country) = 2 AND country = upper(country))),
    phone         TEXT,
    website       TEXT,
    lat           REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon           REAL NOT NULL CHECK (lon >= -180 AND lon < 180),
    cell          INTEGER NOT NULL CHECK (cell >= 0),
    time_zone     TEXT NOT NULL,
    opening_hours TEXT NOT NULL CHECK (length(opening_hours) BETWEEN 1 AND 255),
    exceptions    TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(exceptions)),
    services      INTEGER NOT NULL DEFAULT 0 CHECK (services >= 0),
    wheelchair    TEXT CHECK (wheelchair IN ('yes', 'limited', 'no')),
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed')),
    version       INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (cell, id)
) WITHOUT ROWID;

-- One pharmacy by its id (reads, edits, the pharmacists' and patients' references).
CREATE UNIQUE INDEX loc_pharmacies_by_id ON loc_pharmacies (id);
-- The directory without a point: by name, keyset-paged.
CREATE INDEX loc_pharmacies_by_name ON loc_pharmacies (search_name, id);

-- Which pharmacy a pharmacist account works at (prescriptions' dispense records name it).
CREATE TABLE loc_pharmacists (
    user_id      TEXT PRIMARY KEY,
    pharmacy_id  TEXT NOT NULL REFERENCES loc_pharmacies (id),
    assigned_by  TEXT NOT NULL,
    assigned_at  TEXT NOT NULL
);
CREATE INDEX loc_pharmacists_by_pharmacy ON loc_pharmacists (pharmacy_id, user_id);

-- The pharmacy a patient nominated (their prescription copies name it).
CREATE TABLE loc_preferred (
    patient_id   TEXT PRIMARY KEY,
    pharmacy_id  TEXT NOT NULL REFERENCES loc_pharmacies (id),
    chosen_at    TEXT NOT NULL
);

-- The holiday calendars `PH` and `SH` are evaluated against, by country, cached here: the
-- opening-hours crate ships every country's calendar in one compressed blob, and decompressing
-- it costs more than the rest of a search, on every request (each request is a fresh instance).
-- `key` names the country and the crate's data ("DE opening-hours 1.4"), so a newer crate's
-- calendars replace these. The blobs are compact_calendar's own serialisation.
CREATE TABLE loc_holidays (
    key       TEXT PRIMARY KEY,
    public    BLOB NOT NULL,
    school    BLOB NOT NULL,
    made_at   TEXT NOT NULL
);
