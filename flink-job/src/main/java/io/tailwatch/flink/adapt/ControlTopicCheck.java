package io.tailwatch.flink.adapt;

import io.tailwatch.flink.config.InvalidConfigException;
import io.tailwatch.flink.config.TailwatchOptions;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Bank announcements must reach every scoring subtask in the order they were made (a rollback after
 * an update must not be applied before it), and Kafka orders records within a partition only: the
 * control topic must have exactly one partition. Checked once, when the job is built, with the
 * job's own Kafka client settings.
 */
public final class ControlTopicCheck {
  private ControlTopicCheck() {}

  /**
   * @throws InvalidConfigException naming topics.control when the topic is missing, has more than
   *     one partition, or cannot be described
   */
  public static void requireSinglePartition(
      String bootstrapServers, Properties client, String topic, long timeoutMs) {
    Properties p = new Properties();
    p.putAll(client);
    p.put("bootstrap.servers", bootstrapServers);
    p.put("default.api.timeout.ms", Long.toString(timeoutMs));
    p.put("request.timeout.ms", Long.toString(Math.min(timeoutMs, 30_000)));
    String key = TailwatchOptions.CONTROL_TOPIC.key();
    TopicDescription d;
    try (Admin admin = Admin.create(p)) {
      d =
          admin
              .describeTopics(List.of(topic))
              .allTopicNames()
              .get(timeoutMs, TimeUnit.MILLISECONDS)
              .get(topic);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        throw new InvalidConfigException(
            key,
            "topic '"
                + topic
                + "' does not exist; create it with exactly one partition (bank announcements"
                + " are only ordered within a partition)");
      }
      throw new InvalidConfigException(
          key, "cannot describe topic '" + topic + "' to check its partitions: " + e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InvalidConfigException(key, "interrupted while checking topic '" + topic + "'");
    } catch (java.util.concurrent.TimeoutException e) {
      throw new InvalidConfigException(
          key,
          "cannot describe topic '"
              + topic
              + "' within "
              + timeoutMs
              + " ms to check its partitions (is kafka.bootstrap-servers reachable?)");
    }
    int partitions = d.partitions().size();
    if (partitions != 1) {
      throw new InvalidConfigException(
          key,
          "topic '"
              + topic
              + "' has "
              + partitions
              + " partitions; bank announcements are only ordered within a partition, so it must"
              + " have exactly one");
    }
  }
}
