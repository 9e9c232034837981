package io.steadfast.stats;

import io.steadfast.storage.DatabaseKind;

/**
 * The read side's statements that are not the same on every store. Everything else the read side
 * runs is SQL that H2 and PostgreSQL both take as written.
 */
final class ReadSideSql {
  private static final String SUMMARY_COLUMNS = "\"task_id\", \"type\", \"status\", \"priority\", \"attempts\", "
      + "\"created_at\", \"updated_at\", \"first_attempt_at\", \"ended_at\"";

  private ReadSideSql() {}

  /**
   * Writes a task's whole row, replacing one already there (a group replayed after a crash
   * before its offset was stored). Parameters in {@link #SUMMARY_COLUMNS}' order.
   */
  static String upsertSummary(DatabaseKind kind) {
    return switch (kind) {
      case H2 -> "MERGE INTO \"task_summary\" (" + SUMMARY_COLUMNS + ") KEY(\"task_id\") "
          + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
      case POSTGRES -> "INSERT INTO \"task_summary\" (" + SUMMARY_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
          + "ON CONFLICT (\"task_id\") DO UPDATE SET \"type\" = EXCLUDED.\"type\", \"status\" = EXCLUDED.\"status\", "
          + "\"priority\" = EXCLUDED.\"priority\", \"attempts\" = EXCLUDED.\"attempts\", "
          + "\"created_at\" = EXCLUDED.\"created_at\", \"updated_at\" = EXCLUDED.\"updated_at\", "
          + "\"first_attempt_at\" = EXCLUDED.\"first_attempt_at\", \"ended_at\" = EXCLUDED.\"ended_at\"";
    };
  }
}
