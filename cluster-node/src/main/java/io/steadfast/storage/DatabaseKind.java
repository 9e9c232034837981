package io.steadfast.storage;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The store a node runs on, chosen by {@code steadfast.db.kind}: everything that differs between
 * them is decided here (the configuration overlay, the schema script) or asks this for its SQL
 * ({@code stats.ReadSideSql}), so that H2 and PostgreSQL never diverge elsewhere.
 */
public enum DatabaseKind {
  /** The default: an embedded file or one H2 TCP server, for one machine. */
  H2("h2", "jdbc:h2:", null, "/io/steadfast/storage/h2-schema.sql"),
  /** The production store. */
  POSTGRES("postgres", "jdbc:postgresql:", "postgres.conf", "/io/steadfast/storage/postgres-schema.sql");

  public static final String KIND_KEY = "steadfast.db.kind";
  public static final String URL_KEY = "steadfast.db.url";

  private final String configName;
  private final String urlPrefix;
  private final String overlayResource;
  private final String schemaScript;

  DatabaseKind(String configName, String urlPrefix, String overlayResource, String schemaScript) {
    this.configName = configName;
    this.urlPrefix = urlPrefix;
    this.overlayResource = overlayResource;
    this.schemaScript = schemaScript;
  }

  /** The kind that {@code config} names; a config error naming the key for anything else. */
  public static DatabaseKind of(Config config) {
    String name = config.getString(KIND_KEY).trim().toLowerCase(Locale.ROOT);
    for (DatabaseKind kind : values()) {
      if (kind.configName.equals(name)) return kind;
    }
    String known = Arrays.stream(values()).map(kind -> kind.configName).collect(Collectors.joining(", "));
    throw new ConfigException.BadValue(KIND_KEY,
        "unknown store '" + config.getString(KIND_KEY) + "' (env STEADFAST_DB); expected one of: " + known);
  }

  /** The store a Slick profile talks to: the journal's DAO is given the profile, not the config. */
  static DatabaseKind of(slick.jdbc.JdbcProfile profile) {
    if (profile instanceof slick.jdbc.PostgresProfile) return POSTGRES;
    if (profile instanceof slick.jdbc.H2Profile) return H2;
    throw new IllegalArgumentException("no Steadfast store runs on the Slick profile " + profile);
  }

  /**
   * {@code loaded} with this store's overlay over it (H2's settings are the shipped defaults, so
   * H2 gets it unchanged), after checking that the URL is one of this store's.
   */
  public static Config applyOverlay(Config loaded) {
    DatabaseKind kind = of(loaded);
    String url = loaded.getString(URL_KEY);
    if (!url.startsWith(kind.urlPrefix)) {
      throw new ConfigException.BadValue(URL_KEY, "steadfast.db.kind = " + kind.configName + " needs a URL starting with '"
          + kind.urlPrefix + "' (env STEADFAST_DB_URL), not '" + url + "'");
    }
    if (kind.overlayResource == null) return loaded;
    Config overlay = ConfigFactory.parseResources(kind.overlayResource);
    if (overlay.isEmpty()) throw new IllegalStateException("missing " + kind.overlayResource + " on the classpath");
    return overlay.withFallback(loaded).resolve();
  }

  public String configName() {
    return configName;
  }

  /** The classpath resource with this store's idempotent schema (also for operators to run by hand). */
  public String schemaScript() {
    return schemaScript;
  }
}
