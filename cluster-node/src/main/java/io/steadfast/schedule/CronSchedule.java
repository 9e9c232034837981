package io.steadfast.schedule;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * When a schedule fires: a standard 5-field cron expression (minute hour day-of-month month
 * day-of-week, read by cron-utils in its time zone), or {@code @every <n><unit>} (s, m, h or d),
 * whose ticks are whole multiples of the interval since the epoch, so that every node computes the
 * same ticks ({@code @every 30s} fires at :00 and :30 of each minute).
 */
public abstract sealed class CronSchedule {
  private static final CronParser UNIX = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
  private static final Pattern EVERY = Pattern.compile("@every\\s+(\\d{1,9})(s|m|h|d)");
  static final Duration MIN_INTERVAL = Duration.ofSeconds(1);

  private CronSchedule() {}

  /**
   * @throws IllegalArgumentException naming what is wrong with {@code expression} or {@code zone}
   */
  public static CronSchedule parse(String expression, ZoneId zone) {
    String trimmed = expression.trim();
    if (trimmed.startsWith("@every")) return every(trimmed);
    if (trimmed.startsWith("@")) {
      throw new IllegalArgumentException("'" + expression + "' is not a cron expression: the only @ form is @every <n><s|m|h|d>");
    }
    if (trimmed.split("\\s+").length != 5) {
      throw new IllegalArgumentException("'" + expression + "' must have 5 fields (minute hour day-of-month month day-of-week)");
    }
    try {
      Cron cron = UNIX.parse(trimmed).validate();
      return new Standard(ExecutionTime.forCron(cron), zone);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + expression + "' is not a valid cron expression: " + e.getMessage());
    }
  }

  private static CronSchedule every(String expression) {
    Matcher matcher = EVERY.matcher(expression);
    if (!matcher.matches()) {
      throw new IllegalArgumentException("'" + expression + "' must read @every <n><unit>, unit s, m, h or d, e.g. @every 30s");
    }
    long n = Long.parseLong(matcher.group(1));
    Duration interval = switch (matcher.group(2)) {
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
    if (interval.compareTo(MIN_INTERVAL) < 0) {
      throw new IllegalArgumentException("'" + expression + "': the interval must be at least " + MIN_INTERVAL.toSeconds() + "s");
    }
    return new Every(interval);
  }

  /** The first tick strictly after {@code after}; empty if there is none (a date that never comes). */
  public abstract Optional<Instant> nextAfter(Instant after);

  /** The next {@code count} ticks after {@code after}. */
  public List<Instant> next(Instant after, int count) {
    List<Instant> ticks = new ArrayList<>(count);
    Instant from = after;
    for (int i = 0; i < count; i++) {
      Optional<Instant> tick = nextAfter(from);
      if (tick.isEmpty()) break;
      ticks.add(tick.get());
      from = tick.get();
    }
    return ticks;
  }

  private static final class Standard extends CronSchedule {
    private final ExecutionTime executions;
    private final ZoneId zone;

    Standard(ExecutionTime executions, ZoneId zone) {
      this.executions = executions;
      this.zone = zone;
    }

    @Override
    public Optional<Instant> nextAfter(Instant after) {
      return executions.nextExecution(ZonedDateTime.ofInstant(after, zone)).map(ZonedDateTime::toInstant);
    }
  }

  private static final class Every extends CronSchedule {
    private final long intervalMs;

    Every(Duration interval) {
      this.intervalMs = interval.toMillis();
    }

    @Override
    public Optional<Instant> nextAfter(Instant after) {
      long ms = after.toEpochMilli();
      return Optional.of(Instant.ofEpochMilli(Math.floorDiv(ms, intervalMs) * intervalMs + intervalMs));
    }
  }
}
