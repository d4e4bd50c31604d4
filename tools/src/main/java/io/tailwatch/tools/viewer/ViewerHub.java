package io.tailwatch.tools.viewer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Fans viewer events out to connected pages and keeps the recent ones, so a page that opens (or
 * reconnects) late starts with the last alerts and score history. Each page has its own bounded
 * queue: a page that cannot keep up is disconnected (its browser reconnects and gets the replay)
 * instead of slowing the others or growing memory.
 */
public final class ViewerHub {
  /** One queued server-sent event. */
  public record Event(String name, String json) {}

  private final int keepAlerts;
  private final int keepScores;
  private final int clientQueue;
  private final Deque<Event> recentAlerts = new ArrayDeque<>();
  private final Deque<Event> recentOther = new ArrayDeque<>();
  private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();

  public ViewerHub(int keepAlerts, int keepScores, int clientQueue) {
    if (keepAlerts < 1 || keepScores < 0 || clientQueue < 1) {
      throw new IllegalArgumentException(
          "keepAlerts >= 1, keepScores >= 0 and clientQueue >= 1 required");
    }
    this.keepAlerts = keepAlerts;
    this.keepScores = keepScores;
    this.clientQueue = clientQueue;
  }

  public void publish(String name, String json) {
    Event e = new Event(name, json);
    synchronized (this) {
      boolean alert = name.equals(ViewerEvents.ALERT);
      Deque<Event> keep = alert ? recentAlerts : recentOther;
      keep.addLast(e);
      int cap = alert ? keepAlerts : keepScores;
      while (keep.size() > cap) {
        keep.removeFirst();
      }
      for (Subscription s : subscriptions) {
        if (!s.queue.offer(e)) {
          s.overflowed = true;
          subscriptions.remove(s);
        }
      }
    }
  }

  /** A new page: its queue starts with the replay of recent events, oldest first. */
  public synchronized Subscription subscribe() {
    List<Event> replay = new ArrayList<>(recentOther);
    replay.addAll(recentAlerts);
    // room for the replay plus clientQueue live events: a page is dropped only when it falls that
    // far behind
    Subscription s = new Subscription(new ArrayBlockingQueue<>(replay.size() + clientQueue));
    s.queue.addAll(replay);
    subscriptions.add(s);
    return s;
  }

  public int subscribers() {
    return subscriptions.size();
  }

  /** One page's queue of events. */
  public final class Subscription implements AutoCloseable {
    private final BlockingQueue<Event> queue;
    private volatile boolean overflowed;

    private Subscription(BlockingQueue<Event> queue) {
      this.queue = queue;
    }

    /** The next event, or null after {@code timeoutMs} without one (time for a keep-alive). */
    public Event next(long timeoutMs) throws InterruptedException {
      return queue.poll(timeoutMs, TimeUnit.MILLISECONDS);
    }

    /** True once this page fell {@code clientQueue} events behind and was dropped. */
    public boolean overflowed() {
      return overflowed && queue.isEmpty();
    }

    @Override
    public void close() {
      subscriptions.remove(this);
    }
  }
}
