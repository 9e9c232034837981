package io.steadfast.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.typesafe.config.ConfigFactory;
import io.steadfast.protocol.RetryPolicy;
import io.steadfast.storage.MintedIds;
import java.util.UUID;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.sharding.typed.HashCodeMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Sharding's extractor for tasks places them as the hash-code extractor does, and records the id
 * of a minted submission as minted where it is unwrapped (on the node whose shard starts the
 * entity), and nothing else.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TaskMessageExtractorTest {
  private static final int SHARDS = 60;
  private static final TaskSpec SPEC = new TaskSpec(
      "noop", JsonNodeFactory.instance.objectNode(), null,
      new RetryPolicy(RetryPolicy.Strategy.FIXED, 0, 1.0, 0, RetryPolicy.Jitter.NONE, 0, 1), 1_000,
      TaskSpec.DEFAULT_PRIORITY, null);

  /** With the nodes' serialization bindings. */
  private final ActorTestKit testKit = ActorTestKit.create(
      ConfigFactory.parseResources("serialization.conf").withFallback(ConfigFactory.defaultReference()).resolve());
  private final MintedIds mintedIds = MintedIds.get(testKit.system());
  private final TaskMessageExtractor extractor = new TaskMessageExtractor(SHARDS, mintedIds);
  private final TestProbe<TaskEntity.SubmitReply> submitter = testKit.createTestProbe();

  @AfterAll
  void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void placesTasksAsTheHashCodeExtractor() {
    HashCodeMessageExtractor<TaskEntity.Command> hashCode = new HashCodeMessageExtractor<>(SHARDS);
    for (int i = 0; i < 200; i++) {
      String id = UUID.randomUUID().toString();
      assertEquals(id, extractor.entityId(new ShardingEnvelope<TaskEntity.Command>(id, TaskEntity.Wake.INSTANCE)));
      assertEquals(id, extractor.entityId(new TaskEntity.MintedSubmit(id, new TaskEntity.Submit(SPEC, submitter.ref()))));
      assertEquals(hashCode.shardId(id), extractor.shardId(id));
    }
    assertNull(extractor.entityId("not a task message"), "left unhandled");
  }

  @Test
  void unwrappingAMintedSubmissionRecordsItsIdAsMinted() {
    String id = UUID.randomUUID().toString();
    TaskEntity.Submit submit = new TaskEntity.Submit(SPEC, submitter.ref());

    assertSame(submit, extractor.unwrapMessage(new TaskEntity.MintedSubmit(id, submit)));
    assertTrue(mintedIds.claim(TaskEntity.persistenceId(id).id()), "recorded, so that its entity claims it");
  }

  @Test
  void nothingInAnEnvelopeIsRecorded() {
    String keyed = UUID.randomUUID().toString();
    TaskEntity.Submit submit = new TaskEntity.Submit(SPEC, submitter.ref());

    assertSame(submit, extractor.unwrapMessage(new ShardingEnvelope<>(keyed, submit)));
    assertFalse(mintedIds.claim(TaskEntity.persistenceId(keyed).id()), "a submission under an id not just minted");
  }

  @Test
  void aMintedSubmissionCrossesNodesAsCbor() {
    TaskEntity.MintedSubmit minted = new TaskEntity.MintedSubmit(UUID.randomUUID().toString(),
        new TaskEntity.Submit(SPEC, submitter.ref()));
    testKit.serializationTestKit().verifySerialization(minted, true);
  }
}
