package io.steadfast.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

/** steadfast.db.kind switches every store-specific setting at once, and refuses what it does not know. */
class DatabaseKindTest {
  private static final String SLICK_DB = "pekko-persistence-jdbc.shared-databases.slick.db";

  /** The shipped configuration (what ConfigFactory.load() gives a node) with {@code overrides} over it. */
  private static Config shipped(String overrides) {
    return ConfigFactory.parseString(overrides)
        .withFallback(ConfigFactory.parseResources("steadfast.conf"))
        .withFallback(ConfigFactory.parseResources("persistence.conf"))
        .resolve();
  }

  @Test
  void h2IsTheDefaultAndItsConfigurationIsLeftAsShipped() {
    Config loaded = shipped("");
    assertEquals(DatabaseKind.H2, DatabaseKind.of(loaded));
    assertSame(loaded, DatabaseKind.applyOverlay(loaded));
    assertEquals("SET WRITE_DELAY 0", loaded.getString(SLICK_DB + ".connectionInitSql"));
  }

  @Test
  void postgresSwitchesProfileDriverDialectAndDropsH2sInitSql() {
    Config config = DatabaseKind.applyOverlay(shipped(
        "steadfast.db { kind = postgres, url = \"jdbc:postgresql://127.0.0.1:5432/steadfast\", user = app }"));
    assertEquals(DatabaseKind.POSTGRES, DatabaseKind.of(config));
    assertEquals("slick.jdbc.PostgresProfile$", config.getString("pekko-persistence-jdbc.shared-databases.slick.profile"));
    assertEquals("org.postgresql.Driver", config.getString(SLICK_DB + ".driver"));
    assertEquals("postgres-dialect", config.getString("pekko.projection.jdbc.dialect"));
    assertFalse(config.hasPath(SLICK_DB + ".connectionInitSql"), "H2's SET WRITE_DELAY is no PostgreSQL statement");
    // The Slick pool still takes the node's URL and user, and keeps its sizes.
    assertEquals("jdbc:postgresql://127.0.0.1:5432/steadfast", config.getString(SLICK_DB + ".url"));
    assertEquals("app", config.getString(SLICK_DB + ".user"));
    assertEquals(8, config.getInt(SLICK_DB + ".maxConnections"));
  }

  @Test
  void theKindIsReadWithoutRegardToCase() {
    assertEquals(DatabaseKind.POSTGRES, DatabaseKind.of(shipped("steadfast.db.kind = PostgreS")));
  }

  @Test
  void anUnknownKindIsAConfigErrorNamingTheKey() {
    ConfigException error = assertThrows(ConfigException.class,
        () -> DatabaseKind.applyOverlay(shipped("steadfast.db.kind = mysql")));
    assertTrue(error.getMessage().contains("steadfast.db.kind"), error.getMessage());
    assertTrue(error.getMessage().contains("mysql"), error.getMessage());
    assertTrue(error.getMessage().contains("h2, postgres"), error.getMessage());
  }

  @Test
  void postgresWithTheDefaultH2UrlIsAConfigErrorNamingTheUrlKey() {
    ConfigException error = assertThrows(ConfigException.class,
        () -> DatabaseKind.applyOverlay(shipped("steadfast.db.kind = postgres")));
    assertTrue(error.getMessage().contains("steadfast.db.url"), error.getMessage());
    assertTrue(error.getMessage().contains("jdbc:postgresql:"), error.getMessage());
  }

  @Test
  void postgresSchemaIsIdempotentAndCreatedOneNodeAtATime() {
    List<String> statements = JournalSchema.statements(DatabaseKind.POSTGRES.schemaScript());
    assertTrue(statements.get(0).startsWith("SELECT pg_advisory_lock("), statements.get(0));
    assertTrue(statements.get(statements.size() - 1).startsWith("SELECT pg_advisory_unlock("));
    for (String statement : statements.subList(1, statements.size() - 1)) {
      // Creations that skip what exists, and inserts that skip a row already there.
      assertTrue(statement.matches("(?s)CREATE (UNIQUE )?(TABLE|INDEX) IF NOT EXISTS .*")
          || statement.matches("(?s)INSERT INTO .* ON CONFLICT \\([a-z_]+\\) DO NOTHING"), statement);
    }
    for (String table : List.of("event_journal", "event_tag", "snapshot", "task_summary", "task_counter",
        "pekko_projection_offset_store", "pekko_projection_management", "task_open", "task_open_backfill")) {
      assertTrue(statements.stream().anyMatch(s -> s.startsWith("CREATE TABLE IF NOT EXISTS public." + table + " ")),
          table);
    }
  }
}
