package io.tailwatch.tools.viewer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ViewerHubTest {
  @Test
  void aLatePageGetsTheRecentEventsOldestFirstThenLiveOnes() throws Exception {
    ViewerHub hub = new ViewerHub(2, 3, 100);
    for (int i = 0; i < 5; i++) {
      hub.publish(ViewerEvents.SCORE, "s" + i);
      hub.publish(ViewerEvents.ALERT, "a" + i);
    }
    try (ViewerHub.Subscription page = hub.subscribe()) {
      hub.publish(ViewerEvents.ALERT, "live");
      assertThat(drain(page)).containsExactly("s2", "s3", "s4", "a3", "a4", "live");
      assertThat(hub.subscribers()).isEqualTo(1);
    }
    assertThat(hub.subscribers()).isZero();
  }

  @Test
  void aPageThatFallsBehindIsDroppedInsteadOfGrowingMemory() throws Exception {
    ViewerHub hub = new ViewerHub(1, 0, 3);
    ViewerHub.Subscription slow = hub.subscribe();
    ViewerHub.Subscription fast = hub.subscribe();
    for (int i = 0; i < 3; i++) {
      hub.publish(ViewerEvents.ALERT, "a" + i);
      assertThat(fast.next(0)).isNotNull();
    }
    assertThat(slow.overflowed()).isFalse();
    hub.publish(ViewerEvents.ALERT, "a3");
    assertThat(hub.subscribers()).isEqualTo(1);
    assertThat(drain(slow))
        .containsExactly("a0", "a1", "a2"); // what it had queued is still delivered, then it ends
    assertThat(slow.overflowed()).isTrue();
    assertThat(fast.next(0).json()).isEqualTo("a3");
  }

  @Test
  void refusesSizesBelowOne() {
    assertThatThrownBy(() -> new ViewerHub(0, 0, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ViewerHub(1, 0, 0)).isInstanceOf(IllegalArgumentException.class);
  }

  private static List<String> drain(ViewerHub.Subscription s) throws InterruptedException {
    List<String> out = new ArrayList<>();
    for (ViewerHub.Event e = s.next(0); e != null; e = s.next(0)) {
      out.add(e.json());
    }
    return out;
  }
}
