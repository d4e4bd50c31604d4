package io.tailwatch.flink.runtime;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.util.function.ThrowingRunnable;

/**
 * One daemon thread beside an operator's task thread: long work (a detector batch, a bank merge)
 * runs there, and its completion is handed back to the task thread through the operator's mailbox,
 * so the task thread keeps taking records, timers and checkpoint barriers meanwhile and every
 * output and state change still happens on it.
 */
public final class OperatorWorker implements AutoCloseable {
  private final ExecutorService thread;
  private final MailboxExecutor mailbox;

  private OperatorWorker(ExecutorService thread, MailboxExecutor mailbox) {
    this.thread = thread;
    this.mailbox = mailbox;
  }

  /** Call from the operator's {@code open()}. */
  public static OperatorWorker start(AbstractStreamOperator<?> operator, String threadName) {
    ExecutorService thread =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, threadName);
              t.setDaemon(true);
              return t;
            });
    MailboxExecutor mailbox =
        operator
            .getContainingTask()
            .getMailboxExecutorFactory()
            .createExecutor(operator.getOperatorConfig().getChainIndex());
    return new OperatorWorker(thread, mailbox);
  }

  /**
   * Runs {@code work} on the worker (in submission order) and, once it is done either way, {@code
   * onTaskThread} as a mail on the task thread.
   */
  public <T> CompletableFuture<T> submit(
      Supplier<T> work, ThrowingRunnable<? extends Exception> onTaskThread, String description) {
    CompletableFuture<T> f = CompletableFuture.supplyAsync(work, thread);
    f.whenComplete(
        (r, e) -> {
          try {
            mailbox.execute(onTaskThread, description);
          } catch (RejectedExecutionException closed) {
            // the task is closing: its state is the last checkpoint's, the work is redone from it
          }
        });
    return f;
  }

  /** Interrupts the work in progress; long work checks the interrupt at its progress steps. */
  @Override
  public void close() {
    thread.shutdownNow();
  }

  /** Waits until the thread has stopped after {@link #close()}. */
  public boolean awaitStopped(long ms) throws InterruptedException {
    return thread.awaitTermination(ms, TimeUnit.MILLISECONDS);
  }
}
