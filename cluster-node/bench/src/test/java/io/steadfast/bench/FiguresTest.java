package io.steadfast.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** The load generator's arithmetic: percentiles, and latencies read from a task view. */
class FiguresTest {

  @Test
  void percentilesAreNearestRank() {
    long[] values = {5, 1, 4, 2, 3, 10, 9, 8, 7, 6};
    assertEquals(5, Figures.percentile(values, 50));
    assertEquals(10, Figures.percentile(values, 95));
    assertEquals(10, Figures.percentile(values, 100));
    assertEquals(1, Figures.percentile(values, 1));
    assertEquals(0, Figures.percentile(new long[0], 99));
  }

  @Test
  void latencyRunsFromCreatedAtToTheLastAttemptsEnd() throws Exception {
    JsonNode view = Api.JSON.readTree("""
        {"status": "SUCCEEDED", "createdAt": "2026-11-22T06:30:59.243Z",
         "history": [
           {"attempt": 1, "startedAt": "2026-11-22T06:30:59.250Z", "endedAt": "2026-11-22T06:30:59.300Z"},
           {"attempt": 2, "startedAt": "2026-11-22T06:30:59.900Z", "endedAt": "2026-11-22T06:30:59.907Z"}]}
        """);
    assertEquals(664, Views.latencyMs(view));
    assertEquals(true, Views.isTerminal(view));
    // Split: 7 ms before the first attempt started, 7 ms in the last one.
    assertEquals(7, Views.waitedMs(view));
    assertEquals(7, Views.lastAttemptMs(view));
  }

  @Test
  void aTaskStartedAsItWasSubmittedWaitedNothing() throws Exception {
    JsonNode view = Api.JSON.readTree("""
        {"status": "SUCCEEDED", "createdAt": "2026-11-22T06:30:59.243Z",
         "history": [{"attempt": 1, "startedAt": "2026-11-22T06:30:59.243Z", "endedAt": "2026-11-22T06:30:59.281Z"}]}
        """);
    assertEquals(0, Views.waitedMs(view));
    assertEquals(38, Views.lastAttemptMs(view));
  }

  @Test
  void aTaskWhoseAttemptRunsHasNoLatencyYet() throws Exception {
    JsonNode view = Api.JSON.readTree("""
        {"status": "RUNNING", "createdAt": "2026-11-22T06:30:59.243Z",
         "history": [{"attempt": 1, "startedAt": "2026-11-22T06:30:59.250Z", "endedAt": null}]}
        """);
    assertEquals(-1, Views.latencyMs(view));
    assertEquals(-1, Views.lastAttemptMs(view));
    assertEquals(7, Views.waitedMs(view));
    assertEquals(false, Views.isTerminal(view));
  }
}
