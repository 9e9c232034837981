package io.steadfast.task;

import io.steadfast.storage.JournalFailures;
import io.steadfast.storage.MintedIds;
import io.steadfast.task.TaskEntity.Command;
import io.steadfast.task.TaskEntity.FirstCommandOverdue;
import io.steadfast.task.TaskEntity.State;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.persistence.typed.javadsl.Recovery;

/**
 * Minted mode. A {@link TaskEntityBehavior} started on an id this node has just minted for a new
 * task ({@link MintedIds#claim}) recovers nothing: {@link Recovery#disabled()} skips the snapshot read,
 * and the journal answers its highest sequence number with 0 without a query ({@code
 * BatchedJournalDao}). Its empty state is right, unless a rare race made it wrong: the shard moved
 * to another node between minting and delivery, that node wrote the task, and the shard came back
 * while the claim still lived. So the empty state is trusted for one thing only, the Submit it was
 * started for:
 *
 * <ul>
 *   <li>a Submit that finds no event written (its {@code lastSequenceNumber} is 0) is accepted and
 *       persisted. Had another node written the task, the write of sequence number 1 breaks the
 *       journal's primary key ({@code persistence_id}, {@code sequence_number}) and fails: the
 *       existing task is not overwritten, and the entity restarts ({@link
 *       JournalFailures#restartWithBackoff});
 *   <li>Pekko restarts it with the recovery it chose at the start, disabled again, but the claim is
 *       spent, so the journal now answers the true highest sequence number. An entity in minted
 *       mode that finds events it has not read, whose first command is not a Submit, or that gets
 *       no command within {@link #FIRST_COMMAND_WITHIN}, must not act on its empty state: it
 *       stops without a word and without asking to passivate. A task written elsewhere is open
 *       in the wake-up index, and the waker starts the open tasks of its shards that are not
 *       running ({@link TaskWaker}); that incarnation (no claim left) recovers in full. It never
 *       answers NotFound for a task it has not read.
 * </ul>
 *
 * <p>The entity's command handler applies the first two rules (it alone can reply and stop); this
 * holds whether the mode is on, the recovery it chooses, and the deadline for the first command.
 */
final class MintedMode {
  /** In minted mode, the Submit is the first message the shard delivers: it comes at once. */
  static final Duration FIRST_COMMAND_WITHIN = Duration.ofSeconds(3);
  private static final String FIRST_COMMAND_TIMER = "first-command";

  private final boolean on;
  private final TimerScheduler<Command> timers;

  /** @param on the entity claimed its id as minted here ({@link MintedIds#claim}) */
  MintedMode(boolean on, TimerScheduler<Command> timers) {
    this.on = on;
    this.timers = timers;
  }

  boolean on() {
    return on;
  }

  /** None in minted mode: the snapshot is not read. */
  Recovery recovery(Recovery full) {
    return on ? Recovery.disabled() : full;
  }

  /**
   * After recovery, an entity in minted mode with no submission waits {@link
   * #FIRST_COMMAND_WITHIN} for its Submit, or not at all if the journal holds events it has not
   * read (a failed write): {@link FirstCommandOverdue} then stops it.
   */
  void recovered(State state, BooleanSupplier nothingWritten) {
    if (!on || state.isSubmitted()) return;
    Duration wait = nothingWritten.getAsBoolean() ? FIRST_COMMAND_WITHIN : Duration.ZERO;
    timers.startSingleTimer(FIRST_COMMAND_TIMER, FirstCommandOverdue.INSTANCE, wait);
  }
}
