package io.steadfast.dlq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.steadfast.protocol.api.DeadLetterPage;
import io.steadfast.protocol.api.DeadLetterStats;
import io.steadfast.protocol.api.DeadLetterView;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DeadLetterQueueTest {
  private static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");

  private final ActorTestKit testKit =
      ActorTestKit.create(
          EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.parseResources("serialization.conf")).resolve());
  private EventSourcedBehaviorTestKit<DeadLetterQueue.Command, DeadLetterQueue.Event, DeadLetterQueue.State> queue;

  @BeforeEach
  void emptyQueue() {
    queue = EventSourcedBehaviorTestKit.create(testKit.system(), DeadLetterQueue.create(type -> type.equals("small") ? 2 : 100, "127.0.0.1:2551"));
    queue.clear();
  }

  @AfterAll
  void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void filingTheSameDeadLetterTwiceKeepsOneEntry() {
    file(entry("t1", "email", "SMTP", 0));
    var again = queue.<StatusReply<Done>>runCommand(replyTo -> new DeadLetterQueue.File(entry("t1", "email", "SMTP", 0), replyTo));

    assertTrue(again.reply().isSuccess());
    assertTrue(again.hasNoEvents());
    assertEquals(1, queue.getState().entries().size());
  }

  @Test
  void eachTypeKeepsOnlyItsNewestEntries() {
    file(entry("a", "small", "E", 0));
    file(entry("b", "other", "E", 1));
    file(entry("c", "small", "E", 2));
    file(entry("d", "small", "E", 3));

    List<String> kept = queue.getState().entries().stream().map(DeadLetterQueue.Entry::taskId).toList();
    assertEquals(List.of("b", "c", "d"), kept, "the oldest 'small' entry went; 'other' was untouched");
  }

  @Test
  void listsNewestFirstInPagesAndByFilter() {
    for (int i = 1; i <= 5; i++) file(entry("t" + i, i % 2 == 0 ? "order" : "email", i <= 3 ? "TIMEOUT" : "HTTP_500", i));

    DeadLetterPage first = list(DeadLetterQueue.Filter.ALL, 2, null);
    assertEquals(List.of("t5", "t4"), ids(first));
    DeadLetterPage second = list(DeadLetterQueue.Filter.ALL, 2, first.nextCursor());
    assertEquals(List.of("t3", "t2"), ids(second));
    DeadLetterPage last = list(DeadLetterQueue.Filter.ALL, 2, second.nextCursor());
    assertEquals(List.of("t1"), ids(last));
    assertNull(last.nextCursor());

    assertEquals(List.of("t5", "t3", "t1"), ids(list(new DeadLetterQueue.Filter("email", null), 10, null)));
    assertEquals(List.of("t3", "t1"), ids(list(new DeadLetterQueue.Filter("email", "TIMEOUT"), 10, null)));
  }

  @Test
  void removesAnEntryAndSaysWhetherItWasThere() {
    file(entry("t1", "email", "E", 0));

    assertTrue(queue.<DeadLetterQueue.Removed>runCommand(r -> new DeadLetterQueue.Remove("t1", r)).reply().existed());
    assertEquals(false, queue.<DeadLetterQueue.Removed>runCommand(r -> new DeadLetterQueue.Remove("t1", r)).reply().existed());
    assertNull(queue.<DeadLetterQueue.Lookup>runCommand(r -> new DeadLetterQueue.Get("t1", r)).reply().entry());
  }

  @Test
  void purgesOnlyEntriesOlderThanTheGivenTimeOfTheGivenType() {
    file(entry("old-email", "email", "E", 0));
    file(entry("old-order", "order", "E", 1));
    file(entry("new-email", "email", "E", 100));

    var purged = queue.<DeadLetterQueue.Purged>runCommand(
        r -> new DeadLetterQueue.Purge(T0.plusSeconds(50), "email", r));

    assertEquals(1, purged.reply().count());
    assertEquals(List.of("old-order", "new-email"), queue.getState().entries().stream().map(DeadLetterQueue.Entry::taskId).toList());
  }

  @Test
  void countsByTypeAndByErrorType() {
    file(entry("a", "email", "SMTP", 0));
    file(entry("b", "email", "TIMEOUT", 1));
    file(entry("c", "order", "TIMEOUT", 2));

    DeadLetterStats stats = queue.<DeadLetterStats>runCommand(DeadLetterQueue.GetStats::new).reply();
    assertEquals(3, stats.total());
    assertEquals(Map.of("email", 2L, "order", 1L), stats.byType());
    assertEquals(Map.of("SMTP", 1L, "TIMEOUT", 2L), stats.byErrorType());
  }

  @Test
  void survivesARestart() {
    file(entry("a", "email", "SMTP", 0));
    file(entry("b", "order", "TIMEOUT", 1));

    DeadLetterQueue.State before = queue.getState();
    assertEquals(before, queue.restart().state());
  }

  private void file(DeadLetterQueue.Entry entry) {
    var result = queue.<StatusReply<Done>>runCommand(replyTo -> new DeadLetterQueue.File(entry, replyTo));
    assertTrue(result.reply().isSuccess());
  }

  private DeadLetterPage list(DeadLetterQueue.Filter filter, int limit, Long after) {
    return queue.<DeadLetterPage>runCommand(r -> new DeadLetterQueue.ListEntries(filter, limit, after, r)).reply();
  }

  private static List<String> ids(DeadLetterPage page) {
    return page.entries().stream().map(DeadLetterView::taskId).toList();
  }

  private static DeadLetterQueue.Entry entry(String taskId, String type, String errorType, int second) {
    Instant at = T0.plusSeconds(second);
    return new DeadLetterQueue.Entry(0, taskId, type, errorType, "failed", 3, at, at, at, "attempts exhausted (3 of 3)");
  }
}
