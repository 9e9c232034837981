package io.steadfast.storage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * What the wakers read from the wake-up index ({@link WakeIndex}). Blocking JDBC: call it from
 * threads meant for that, never an actor's.
 */
public final class WakeIndexReads {
  private static final String TABLE = '"' + WakeIndex.TABLE + '"';

  private final DataSource dataSource;

  public WakeIndexReads(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** The open persistence ids of {@code shards}, by shard; a shard with none is left out. */
  public Map<Integer, List<String>> openIn(Collection<Integer> shards) throws SQLException {
    Map<Integer, List<String>> open = new HashMap<>();
    if (shards.isEmpty()) return open;
    String sql = "SELECT \"shard\", \"persistence_id\" FROM " + TABLE + " WHERE \"shard\" IN ("
        + String.join(", ", java.util.Collections.nCopies(shards.size(), "?")) + ")";
    try (Connection connection = dataSource.getConnection();
        PreparedStatement query = connection.prepareStatement(sql)) {
      int i = 0;
      for (int shard : shards) query.setInt(++i, shard);
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) open.computeIfAbsent(rows.getInt(1), shard -> new ArrayList<>()).add(rows.getString(2));
      }
    }
    return open;
  }

  /** One open persistence id (the least) of every shard that has any. */
  public Map<Integer, String> onePerShard() throws SQLException {
    Map<Integer, String> first = new HashMap<>();
    try (Connection connection = dataSource.getConnection();
        PreparedStatement query = connection.prepareStatement(
            "SELECT \"shard\", MIN(\"persistence_id\") FROM " + TABLE + " GROUP BY \"shard\"");
        ResultSet rows = query.executeQuery()) {
      while (rows.next()) first.put(rows.getInt(1), rows.getString(2));
    }
    return first;
  }
}
