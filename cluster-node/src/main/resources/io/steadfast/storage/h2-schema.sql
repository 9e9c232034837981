-- The pekko-persistence-jdbc journal, snapshot and tag tables for H2, made idempotent
-- (every statement may run at every start of every node).
CREATE TABLE IF NOT EXISTS PUBLIC."event_journal" (
    "ordering" BIGINT UNIQUE NOT NULL AUTO_INCREMENT,
    "deleted" BOOLEAN DEFAULT false NOT NULL,
    "persistence_id" VARCHAR(255) NOT NULL,
    "sequence_number" BIGINT NOT NULL,
    "writer" VARCHAR NOT NULL,
    "write_timestamp" BIGINT NOT NULL,
    "adapter_manifest" VARCHAR NOT NULL,
    "event_payload" BLOB NOT NULL,
    "event_ser_id" INTEGER NOT NULL,
    "event_ser_manifest" VARCHAR NOT NULL,
    "meta_payload" BLOB,
    "meta_ser_id" INTEGER,
    "meta_ser_manifest" VARCHAR,
    PRIMARY KEY("persistence_id","sequence_number")
);

-- "ordering" is UNIQUE already: a second unique index on it only doubled the B-tree each insert
-- rewrites. A database created before lost it here.
DROP INDEX IF EXISTS PUBLIC."event_journal_ordering_idx";

-- H2 hands out identity values from a cached range and, when the range runs out, commits its
-- catalog: with WRITE_DELAY=0 every such commit writes the store, and at 32 values a range that
-- was a sixth of the database's CPU under load. A crash loses at most the rest of a range: gaps
-- in "ordering", which the journal's readers already wait out.
ALTER TABLE PUBLIC."event_journal" ALTER COLUMN "ordering" SET CACHE 10000;

-- A task's Submitted event (its spec and payload) is a few hundred bytes: kept in its row rather
-- than in H2's separate LOB store (default limit 256 bytes), one B-tree write instead of three.
SET MAX_LENGTH_INPLACE_LOB 4096;

CREATE TABLE IF NOT EXISTS PUBLIC."event_tag" (
    "event_id" BIGINT NOT NULL,
    "tag" VARCHAR NOT NULL,
    PRIMARY KEY("event_id", "tag"),
    CONSTRAINT fk_event_journal
      FOREIGN KEY("event_id")
      REFERENCES "event_journal"("ordering")
      ON DELETE CASCADE
);

-- eventsByTag filters on the tag; the read side prunes the rows it has consumed.
CREATE INDEX IF NOT EXISTS "event_tag_tag_idx" ON PUBLIC."event_tag" ("tag", "event_id");

CREATE TABLE IF NOT EXISTS PUBLIC."snapshot" (
    "persistence_id" VARCHAR(255) NOT NULL,
    "sequence_number" BIGINT NOT NULL,
    "created" BIGINT NOT NULL,
    "snapshot_ser_id" INTEGER NOT NULL,
    "snapshot_ser_manifest" VARCHAR NOT NULL,
    "snapshot_payload" BLOB NOT NULL,
    "meta_ser_id" INTEGER,
    "meta_ser_manifest" VARCHAR,
    "meta_payload" BLOB,
    PRIMARY KEY("persistence_id","sequence_number")
);

-- The wake-up index (io.steadfast.storage.WakeIndex): one row per open task (submitted or
-- redriven, not yet succeeded, cancelled or filed as a dead letter), written by the journal's DAO
-- in the same transaction as the task's events. A node that starts hosting a shard starts that
-- shard's open tasks from here; it replaces sharding's remember-entities for tasks.
CREATE TABLE IF NOT EXISTS PUBLIC."task_open" (
    "persistence_id" VARCHAR(255) NOT NULL PRIMARY KEY,
    "shard" INTEGER NOT NULL
);

-- A shard's open tasks, and the first one of each shard, read from the index alone.
CREATE INDEX IF NOT EXISTS "task_open_shard_idx" ON PUBLIC."task_open" ("shard", "persistence_id");

-- Whether task_open was filled from the journal once (io.steadfast.storage.WakeIndexBackfill): a
-- journal written before the index existed has open tasks without rows. One marker row.
CREATE TABLE IF NOT EXISTS PUBLIC."task_open_backfill" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "done" BOOLEAN NOT NULL
);

INSERT INTO PUBLIC."task_open_backfill" ("id", "done")
    SELECT 1, FALSE WHERE NOT EXISTS (SELECT 1 FROM PUBLIC."task_open_backfill" WHERE "id" = 1);

-- The read side: one row per task, kept by the task-summary projection (stats and listing).
-- Times are epoch milliseconds.
CREATE TABLE IF NOT EXISTS PUBLIC."task_summary" (
    "task_id" VARCHAR(64) NOT NULL PRIMARY KEY,
    "type" VARCHAR(64) NOT NULL,
    "status" VARCHAR(20) NOT NULL,
    "priority" INTEGER NOT NULL,
    "attempts" INTEGER NOT NULL,
    "created_at" BIGINT NOT NULL,
    "updated_at" BIGINT NOT NULL,
    "first_attempt_at" BIGINT,
    "ended_at" BIGINT
);

CREATE INDEX IF NOT EXISTS "task_summary_created_idx" ON PUBLIC."task_summary" ("created_at", "task_id");
CREATE INDEX IF NOT EXISTS "task_summary_status_idx" ON PUBLIC."task_summary" ("status", "created_at");
CREATE INDEX IF NOT EXISTS "task_summary_ended_idx" ON PUBLIC."task_summary" ("ended_at");
-- The listing filtered by type alone (the console's Tasks page), newest first.
CREATE INDEX IF NOT EXISTS "task_summary_type_idx" ON PUBLIC."task_summary" ("type", "created_at");

-- Running totals per task type, one set per projection slice (so slices never contend for a row).
CREATE TABLE IF NOT EXISTS PUBLIC."task_counter" (
    "slice" VARCHAR(32) NOT NULL,
    "type" VARCHAR(64) NOT NULL,
    "name" VARCHAR(160) NOT NULL,
    "value" BIGINT NOT NULL,
    PRIMARY KEY("slice", "type", "name")
);

-- The read side's workflow listing: one row per workflow (io.steadfast.stats.WorkflowSummaryHandler).
CREATE TABLE IF NOT EXISTS PUBLIC."workflow_summary" (
    "workflow_id" VARCHAR(64) NOT NULL PRIMARY KEY,
    "name" VARCHAR(200) NOT NULL,
    "status" VARCHAR(20) NOT NULL,
    "steps" INTEGER NOT NULL,
    "steps_succeeded" INTEGER NOT NULL,
    "created_at" BIGINT NOT NULL,
    "updated_at" BIGINT NOT NULL
);

CREATE INDEX IF NOT EXISTS "workflow_summary_created_idx" ON PUBLIC."workflow_summary" ("created_at", "workflow_id");
CREATE INDEX IF NOT EXISTS "workflow_summary_status_idx" ON PUBLIC."workflow_summary" ("status", "created_at");

-- The read side's offsets (pekko-projection-jdbc, H2 dialect): created here, before any node
-- starts its actors, rather than by each node's projection at the same moment.
CREATE TABLE IF NOT EXISTS PUBLIC."pekko_projection_offset_store" (
    "projection_name" VARCHAR(255) NOT NULL,
    "projection_key" VARCHAR(255) NOT NULL,
    "current_offset" VARCHAR(255) NOT NULL,
    "manifest" VARCHAR(4) NOT NULL,
    "mergeable" BOOLEAN NOT NULL,
    "last_updated" BIGINT NOT NULL,
    PRIMARY KEY("projection_name", "projection_key")
);

CREATE INDEX IF NOT EXISTS "projection_name_index" ON PUBLIC."pekko_projection_offset_store" ("projection_name");

CREATE TABLE IF NOT EXISTS PUBLIC."pekko_projection_management" (
    "projection_name" VARCHAR(255) NOT NULL,
    "projection_key" VARCHAR(255) NOT NULL,
    "paused" BOOLEAN NOT NULL,
    "last_updated" BIGINT NOT NULL,
    PRIMARY KEY("projection_name", "projection_key")
);
