package io.steadfast.ratelimit;

import io.steadfast.protocol.CborSerializable;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * The rate limiter of one task type, for the whole cluster: a sharded entity (entity id = task
 * type) holding a {@link TokenBucket}, from which each node's {@link PermitPool} leases small
 * batches of permits. An attempt takes its permit from its node's pool; only a pool that runs dry
 * asks this actor, a few times a second at most.
 *
 * <p>Neither remembered nor persisted: its state is a function of time. Pools that have work ask
 * it continually, which starts it again on a surviving node soon after its node dies (meanwhile
 * each pool serves its share of the limit locally, see {@link PermitPool}); the new
 * incarnation starts with an empty bucket, so a failover never adds a burst to the permits its
 * predecessor had leased (those expire within {@link PermitPool#LEASE_TTL}).
 */
public final class RateLimiter {
  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "RateLimiter");

  private RateLimiter() {}

  public sealed interface Command extends CborSerializable {}

  /** A node's pool asks for up to {@code wanted} permits. */
  public record Lease(int wanted, ActorRef<Leased> replyTo) implements Command {}

  /**
   * @param retryInMs when a short lease's asker may find a full lease's worth
   * @param incarnation this run of the limiter (random): a pool tells a slow limiter from a new one by it
   */
  public record Leased(int granted, long retryInMs, long incarnation) implements CborSerializable {}

  public record Get(ActorRef<Status> replyTo) implements Command {}

  /**
   * @param hostedBy the node this limiter runs on
   * @param leased permits handed out since this incarnation started, at {@code since}
   */
  public record Status(String type, String hostedBy, long leased, Instant since) implements CborSerializable {}

  /** @param limits each limited type's limit; null for a type this node does not limit */
  public static void init(ActorSystem<?> system, Function<String, RateLimit> limits, String nodeName, Clock clock) {
    ClusterSharding.get(system)
        .init(Entity.of(ENTITY_KEY, entity -> create(entity.getEntityId(), limits.apply(entity.getEntityId()), nodeName, clock))
            .withSettings(ClusterShardingSettings.create(system).withRememberEntities(false)));
  }

  public static EntityRef<Command> ref(ActorSystem<?> system, String type) {
    return ClusterSharding.get(system).entityRefFor(ENTITY_KEY, type);
  }

  /** @param limit null: this node's configuration does not limit the type, so every lease is granted */
  static Behavior<Command> create(String type, RateLimit limit, String nodeName, Clock clock) {
    return Behaviors.setup(context -> {
      Instant since = clock.instant();
      long incarnation = ThreadLocalRandom.current().nextLong();
      TokenBucket[] bucket = {TokenBucket.emptyAt(since)};
      long[] leased = {0};
      return Behaviors.receive(Command.class)
          .onMessage(Lease.class, lease -> {
            if (limit == null) {
              lease.replyTo().tell(new Leased(lease.wanted(), 0, incarnation));
              return Behaviors.same();
            }
            TokenBucket.Lease taken = bucket[0].take(lease.wanted(), clock.instant(), limit);
            bucket[0] = taken.after();
            leased[0] += taken.granted();
            lease.replyTo().tell(new Leased(taken.granted(), taken.retryIn().toMillis(), incarnation));
            return Behaviors.same();
          })
          .onMessage(Get.class, get -> {
            get.replyTo().tell(new Status(type, nodeName, leased[0], since));
            return Behaviors.same();
          })
          .build();
    });
  }
}
