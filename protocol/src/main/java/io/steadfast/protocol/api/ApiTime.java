package io.steadfast.protocol.api;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** The one time format of the API: ISO-8601, UTC, always with milliseconds. */
public final class ApiTime {
  private static final DateTimeFormatter FORMAT =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private ApiTime() {}

  /** Formats {@code instant}; null stays null. */
  public static String format(Instant instant) {
    return instant == null ? null : FORMAT.format(instant);
  }
}
