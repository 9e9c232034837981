-- The tables of a Steadfast cluster on PostgreSQL, made idempotent: every node runs this at
-- every start (steadfast.db.create-schema), and operators who create schemas themselves can run
-- it by hand: psql -v ON_ERROR_STOP=1 -d steadfast -f postgres-schema.sql
-- The journal, tag and snapshot tables are pekko-persistence-jdbc's PostgreSQL schema; the
-- projection tables pekko-projection-jdbc's postgres-dialect ones. Names are lower-case, so
-- the quoted names of the read side's SQL and Slick's find them.

-- Nodes starting at the same moment would race in CREATE TABLE IF NOT EXISTS (PostgreSQL can
-- fail one of two concurrent creations of the same table): one at a time. The lock is the
-- session's; closing the connection releases it too.
SELECT pg_advisory_lock(1753921017);

CREATE TABLE IF NOT EXISTS public.event_journal (
  ordering BIGSERIAL,
  persistence_id VARCHAR(255) NOT NULL,
  sequence_number BIGINT NOT NULL,
  deleted BOOLEAN DEFAULT FALSE NOT NULL,
  writer VARCHAR(255) NOT NULL,
  write_timestamp BIGINT,
  adapter_manifest VARCHAR(255),
  event_ser_id INTEGER NOT NULL,
  event_ser_manifest VARCHAR(255) NOT NULL,
  event_payload BYTEA NOT NULL,
  meta_ser_id INTEGER,
  meta_ser_manifest VARCHAR(255),
  meta_payload BYTEA,
  PRIMARY KEY (persistence_id, sequence_number)
);

CREATE UNIQUE INDEX IF NOT EXISTS event_journal_ordering_idx ON public.event_journal (ordering);

CREATE TABLE IF NOT EXISTS public.event_tag (
  event_id BIGINT,
  tag VARCHAR(256),
  PRIMARY KEY (event_id, tag),
  CONSTRAINT fk_event_journal
    FOREIGN KEY (event_id)
    REFERENCES public.event_journal (ordering)
    ON DELETE CASCADE
);

-- eventsByTag filters on the tag; the read side prunes the rows it has consumed.
CREATE INDEX IF NOT EXISTS event_tag_tag_idx ON public.event_tag (tag, event_id);

CREATE TABLE IF NOT EXISTS public.snapshot (
  persistence_id VARCHAR(255) NOT NULL,
  sequence_number BIGINT NOT NULL,
  created BIGINT NOT NULL,
  snapshot_ser_id INTEGER NOT NULL,
  snapshot_ser_manifest VARCHAR(255) NOT NULL,
  snapshot_payload BYTEA NOT NULL,
  meta_ser_id INTEGER,
  meta_ser_manifest VARCHAR(255),
  meta_payload BYTEA,
  PRIMARY KEY (persistence_id, sequence_number)
);

-- The wake-up index (io.steadfast.storage.WakeIndex): one row per open task (submitted or
-- redriven, not yet succeeded, cancelled or filed as a dead letter), written by the journal's DAO
-- in the same transaction as the task's events. A node that starts hosting a shard starts that
-- shard's open tasks from here; it replaces sharding's remember-entities for tasks.
CREATE TABLE IF NOT EXISTS public.task_open (
  persistence_id VARCHAR(255) NOT NULL PRIMARY KEY,
  shard INTEGER NOT NULL
);

-- A shard's open tasks, and the first one of each shard, read from the index alone.
CREATE INDEX IF NOT EXISTS task_open_shard_idx ON public.task_open (shard, persistence_id);

-- Whether task_open was filled from the journal once (io.steadfast.storage.WakeIndexBackfill): a
-- journal written before the index existed has open tasks without rows. One marker row.
CREATE TABLE IF NOT EXISTS public.task_open_backfill (
  id INTEGER NOT NULL PRIMARY KEY,
  done BOOLEAN NOT NULL
);

INSERT INTO public.task_open_backfill (id, done) VALUES (1, FALSE) ON CONFLICT (id) DO NOTHING;

-- The read side: one row per task, kept by the task-summary projection (stats and listing).
-- Times are epoch milliseconds.
CREATE TABLE IF NOT EXISTS public.task_summary (
  task_id VARCHAR(64) NOT NULL PRIMARY KEY,
  type VARCHAR(64) NOT NULL,
  status VARCHAR(20) NOT NULL,
  priority INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  first_attempt_at BIGINT,
  ended_at BIGINT
);

CREATE INDEX IF NOT EXISTS task_summary_created_idx ON public.task_summary (created_at, task_id);
CREATE INDEX IF NOT EXISTS task_summary_status_idx ON public.task_summary (status, created_at);
CREATE INDEX IF NOT EXISTS task_summary_ended_idx ON public.task_summary (ended_at);
-- The listing filtered by type alone (the console's Tasks page), newest first.
CREATE INDEX IF NOT EXISTS task_summary_type_idx ON public.task_summary (type, created_at);

-- Running totals per task type, one set per projection slice (so slices never contend for a row).
CREATE TABLE IF NOT EXISTS public.task_counter (
  slice VARCHAR(32) NOT NULL,
  type VARCHAR(64) NOT NULL,
  name VARCHAR(160) NOT NULL,
  value BIGINT NOT NULL,
  PRIMARY KEY (slice, type, name)
);

-- The read side's workflow listing: one row per workflow (io.steadfast.stats.WorkflowSummaryHandler).
CREATE TABLE IF NOT EXISTS public.workflow_summary (
  workflow_id VARCHAR(64) NOT NULL PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  status VARCHAR(20) NOT NULL,
  steps INTEGER NOT NULL,
  steps_succeeded INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE INDEX IF NOT EXISTS workflow_summary_created_idx ON public.workflow_summary (created_at, workflow_id);
CREATE INDEX IF NOT EXISTS workflow_summary_status_idx ON public.workflow_summary (status, created_at);

-- The read side's offsets (pekko-projection-jdbc, postgres-dialect): created here, before any
-- node starts its actors, rather than by each node's projection at the same moment.
CREATE TABLE IF NOT EXISTS public.pekko_projection_offset_store (
  projection_name VARCHAR(255) NOT NULL,
  projection_key VARCHAR(255) NOT NULL,
  current_offset VARCHAR(255) NOT NULL,
  manifest VARCHAR(4) NOT NULL,
  mergeable BOOLEAN NOT NULL,
  last_updated BIGINT NOT NULL,
  PRIMARY KEY (projection_name, projection_key)
);

CREATE INDEX IF NOT EXISTS projection_name_index ON public.pekko_projection_offset_store (projection_name);

CREATE TABLE IF NOT EXISTS public.pekko_projection_management (
  projection_name VARCHAR(255) NOT NULL,
  projection_key VARCHAR(255) NOT NULL,
  paused BOOLEAN NOT NULL,
  last_updated BIGINT NOT NULL,
  PRIMARY KEY (projection_name, projection_key)
);

SELECT pg_advisory_unlock(1753921017);
