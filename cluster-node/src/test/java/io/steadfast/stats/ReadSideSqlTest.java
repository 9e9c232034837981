package io.steadfast.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.steadfast.storage.DatabaseKind;
import org.junit.jupiter.api.Test;

/** Each store gets its own form of the summary upsert; both replace every column of a row. */
class ReadSideSqlTest {
  @Test
  void h2UsesMergeWithKey() {
    String sql = ReadSideSql.upsertSummary(DatabaseKind.H2);
    assertTrue(sql.startsWith("MERGE INTO \"task_summary\""), sql);
    assertTrue(sql.contains("KEY(\"task_id\")"), sql);
    assertEquals(9, sql.chars().filter(c -> c == '?').count());
  }

  @Test
  void postgresUsesInsertOnConflictUpdatingEveryColumnButTheKey() {
    String sql = ReadSideSql.upsertSummary(DatabaseKind.POSTGRES);
    assertTrue(sql.startsWith("INSERT INTO \"task_summary\""), sql);
    assertTrue(sql.contains("ON CONFLICT (\"task_id\") DO UPDATE SET"), sql);
    assertEquals(9, sql.chars().filter(c -> c == '?').count());
    for (String column : new String[] {"type", "status", "priority", "attempts", "created_at", "updated_at",
        "first_attempt_at", "ended_at"}) {
      assertTrue(sql.contains("\"" + column + "\" = EXCLUDED.\"" + column + "\""), column);
    }
  }
}
