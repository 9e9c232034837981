package io.steadfast.bench;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads a node's Prometheus text exposition ({@code GET /metrics}) for the counters the load needs. */
final class Metrics {
  private Metrics() {}

  private static final Pattern SAMPLE = Pattern.compile("^(\\w+)\\{([^}]*)\\} (\\S+)$", Pattern.MULTILINE);

  /** Attempts of {@code type} that succeeded plus its tasks dead-lettered: its ended tasks, as this node counted them. */
  static long ended(String exposition, String type) {
    long ended = 0;
    Matcher sample = SAMPLE.matcher(exposition);
    while (sample.find()) {
      String name = sample.group(1);
      String labels = sample.group(2);
      if (!labels.contains("type=\"" + type + "\"")) continue;
      boolean succeeded = name.equals("steadfast_attempts_total") && labels.contains("outcome=\"SUCCEEDED\"");
      if (succeeded || name.equals("steadfast_tasks_dead_lettered_total")) {
        ended += (long) Double.parseDouble(sample.group(3));
      }
    }
    return ended;
  }
}
