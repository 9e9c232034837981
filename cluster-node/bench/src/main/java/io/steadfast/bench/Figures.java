package io.steadfast.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Locale;

/**
 * What the load generator prints. Standard output carries only results, one figure a line as
 * {@code BENCH <name> <value> <unit>} (and {@code SCHEDULE <text>} lines), also appended to the
 * results file if one is given; progress goes to standard error.
 */
final class Figures {
  private Figures() {}

  private static PrintStream results;

  /** Appends every result line to {@code file} as well. */
  static void alsoTo(Path file) throws IOException {
    results = new PrintStream(
        Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND), true, StandardCharsets.UTF_8);
  }

  static void figure(String name, double value, String unit) {
    String text = value == Math.rint(value) && Math.abs(value) < 1e15
        ? String.valueOf((long) value)
        : String.format(Locale.ROOT, "%.1f", value);
    result("BENCH " + name + " " + text + " " + unit);
  }

  static void scheduleLine(String text) {
    result("SCHEDULE " + text);
  }

  private static synchronized void result(String line) {
    System.out.println(line);
    System.out.flush();
    if (results != null) results.println(line);
  }

  static void progress(String format, Object... args) {
    System.err.println("bench: " + String.format(Locale.ROOT, format, args));
  }

  /** Nearest-rank percentile of {@code values} ({@code p} in 0..100); the array is sorted in place. */
  static long percentile(long[] values, double p) {
    if (values.length == 0) return 0;
    Arrays.sort(values);
    int rank = (int) Math.ceil(p / 100.0 * values.length);
    return values[Math.max(0, Math.min(values.length - 1, rank - 1))];
  }

  /** Non-2xx answers to submissions, all and by status (each was sent again). */
  static void refusals(String prefix, Api api) {
    figure(prefix + "_refused", api.refusalCount(), "answers");
    api.refusals().forEach((status, n) ->
        figure(prefix + "_refused_" + (status == Api.NO_ANSWER ? "no_answer" : status), n, "answers"));
  }

  /** p50, p95, p99 and max of {@code values}, as figures named {@code prefix_p50} and so on. */
  static void distribution(String prefix, long[] values, String unit) {
    figure(prefix + "_p50", percentile(values, 50), unit);
    figure(prefix + "_p95", percentile(values, 95), unit);
    figure(prefix + "_p99", percentile(values, 99), unit);
    figure(prefix + "_max", percentile(values, 100), unit);
  }
}
