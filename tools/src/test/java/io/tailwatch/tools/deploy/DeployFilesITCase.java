package io.tailwatch.tools.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.tailwatch.flink.TailwatchJob;
import io.tailwatch.flink.config.JobConfig;
import io.tailwatch.flink.config.TailwatchOptions;
import io.tailwatch.tools.TailwatchCli;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.FallbackKey;
import org.apache.flink.configuration.RestOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine;

/**
 * Docker is not available where this is built, so the deploy files are checked against the code
 * instead of run: the compose file, the Dockerfiles, the Kubernetes manifests and the runbook must
 * name images, ports, topics, CLI commands, job options and Flink options that exist, and the jars
 * the images copy must be the ones this Maven build produces. An ITCase because it reads the
 * packaged jars.
 */
class DeployFilesITCase {
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  static final Path COMPOSE = ROOT.resolve("docker-compose.yml");
  static final Path COMPOSE_GPU = ROOT.resolve("docker-compose.gpu.yml");
  static final Path DOCKERFILE = ROOT.resolve("deploy/docker/Dockerfile");
  static final Path DOCKERFILE_CUDA = ROOT.resolve("deploy/docker/Dockerfile.cuda");
  static final Path K8S = ROOT.resolve("deploy/k8s");
  static final Path RUNBOOK = ROOT.resolve("docs/operations.md");
  static final String CLI_JAR_IN_IMAGE = "/opt/tailwatch/tailwatch-cli.jar";
  static final String JOB_JAR_IN_IMAGE = "/opt/flink/usrlib/tailwatch-job.jar";
  static final String JOB_CONFIG_IN_IMAGE = "/etc/tailwatch/job.yaml";

  @TempDir Path tmp;

  // ---------------------------------------------------------------- compose

  @Test
  void composeStackHasEveryPartPinnedToTheBuildsVersions() throws Exception {
    Map<String, Object> compose = yaml(COMPOSE);
    Map<String, Object> services = map(compose.get("services"));
    assertThat(services)
        .containsKeys(
            "kafka",
            "kafka-topics",
            "bank-init",
            "jobmanager",
            "taskmanager",
            "simulator",
            "viewer",
            "prometheus",
            "grafana");
    for (Map.Entry<String, Object> s : services.entrySet()) {
      String image = (String) map(s.getValue()).get("image");
      assertThat(image).as("service %s names its image", s.getKey()).isNotBlank();
      assertThat(image)
          .as("service %s pins a tag", s.getKey())
          .matches("[^:]+:[^:]+")
          .doesNotEndWith(":latest");
    }
    assertThat(image(services, "kafka")).isEqualTo("apache/kafka:" + pomProperty("kafka.version"));
    assertThat(image(services, "kafka-topics")).isEqualTo(image(services, "kafka"));
    String release = projectVersion().replace("-SNAPSHOT", "");
    assertThat(image(services, "jobmanager")).isEqualTo("tailwatch/flink-job:" + release);
    assertThat(image(services, "taskmanager")).isEqualTo(image(services, "jobmanager"));
    for (String cli : List.of("bank-init", "simulator", "viewer")) {
      assertThat(image(services, cli)).isEqualTo("tailwatch/cli:" + release);
    }
    assertThat(map(map(services.get("jobmanager")).get("build")).get("target")).isEqualTo("job");
    assertThat(map(map(services.get("bank-init")).get("build")).get("target")).isEqualTo("cli");
    assertThat(dockerStages(DOCKERFILE)).contains("build", "cli", "job");

    // host paths mounted into containers exist in the repository
    for (Object service : services.values()) {
      for (Object volume : list(map(service).getOrDefault("volumes", List.of()))) {
        String v = (String) volume;
        if (v.startsWith("./")) {
          assertThat(ROOT.resolve(v.substring(2, v.indexOf(':')))).as(v).exists();
        }
      }
    }
  }

  @Test
  void composeCreatesExactlyTheJobsTopics() throws Exception {
    Map<String, Object> services = map(yaml(COMPOSE).get("services"));
    String script = String.join("\n", strings(map(services.get("kafka-topics")).get("command")));
    Matcher m = Pattern.compile("for topic in ([^;]+);").matcher(script);
    assertThat(m.find()).as("the topic loop in kafka-topics").isTrue();
    assertThat(Set.of(m.group(1).trim().split("\\s+"))).isEqualTo(jobTopics());
  }

  @Test
  void composeCommandsParseWithTheRealCliAndJob() throws Exception {
    Map<String, Object> services = map(yaml(COMPOSE).get("services"));
    List<List<String>> cli = new ArrayList<>();
    cli.add(strings(map(services.get("simulator")).get("command")));
    cli.add(strings(map(services.get("viewer")).get("command")));
    cli.addAll(
        cliInvocations(String.join("\n", strings(map(services.get("bank-init")).get("command")))));
    assertThat(cli).hasSize(4);
    cli.forEach(DeployFilesITCase::parsesWithCli);

    // the bank the init service writes is the bank the job reads; the job's topics are the ones
    // created
    Map<String, String> jobYaml = flat(yaml(ROOT.resolve("deploy/flink/job.yaml")));
    assertThat(String.join(" ", cli.get(3)))
        .contains("--out " + jobYaml.get(TailwatchOptions.BANK.key()));
    assertThat(
            Set.of(
                jobYaml.get("topics.frames"),
                jobYaml.get("topics.alerts"),
                jobYaml.get("topics.scores"),
                jobYaml.get("topics.dead-letters")))
        .isEqualTo(jobTopics());
    assertThat(cli.get(0)).containsSequence("--topic", jobYaml.get("topics.frames"));
    assertThat(cli.get(1)).containsSequence("--alerts-topic", jobYaml.get("topics.alerts"));

    // the JobManager runs the job class with the config file the image carries
    String command = (String) map(services.get("jobmanager")).get("command");
    jobArgsParse(command);
    String gpuCommand =
        (String) map(map(yaml(COMPOSE_GPU).get("services")).get("jobmanager")).get("command");
    jobArgsParse(gpuCommand);
    assertThat(gpuCommand).contains("--detector.device cuda");
    assertThat(Files.readString(DOCKERFILE))
        .contains("COPY deploy/flink/job.yaml " + JOB_CONFIG_IN_IMAGE);
  }

  @Test
  void flinkSettingsAreRealFlinkOptionsAndPortsLineUp() throws Exception {
    Map<String, Object> services = map(yaml(COMPOSE).get("services"));
    Set<String> known = flinkOptionKeys();
    for (String role : List.of("jobmanager", "taskmanager")) {
      Map<String, String> props = flinkProperties(map(map(services.get(role)).get("environment")));
      assertThat(props).containsKey("jobmanager.rpc.address");
      props.keySet().forEach(k -> assertFlinkOption(k, known));
      assertThat(props.get("metrics.reporter.prom.port")).isEqualTo("9249");
    }
    Map<String, Object> deployment = k8s("flinkdeployment.yaml").get(0);
    Map<String, Object> spec = map(deployment.get("spec"));
    map(spec.get("flinkConfiguration")).keySet().forEach(k -> assertFlinkOption(k, known));
    assertThat(
            String.valueOf(map(spec.get("flinkConfiguration")).get("metrics.reporter.prom.port")))
        .isEqualTo("9249");

    // Prometheus scrapes the reporter's port; the Flink UI port is Flink's default; the viewer's
    // port is published
    assertThat(Files.readString(ROOT.resolve("deploy/prometheus/prometheus.yml")))
        .contains("port: 9249");
    assertThat(list(map(services.get("jobmanager")).get("ports")))
        .contains(RestOptions.PORT.defaultValue() + ":" + RestOptions.PORT.defaultValue());
    List<String> viewer = strings(map(services.get("viewer")).get("command"));
    String viewerPort = viewer.get(viewer.indexOf("--port") + 1);
    assertThat(list(map(services.get("viewer")).get("ports")))
        .contains(viewerPort + ":" + viewerPort);
  }

  // ---------------------------------------------------------------- images

  @Test
  void theImagesCopyTheJarsThisBuildProduces() throws Exception {
    String version = projectVersion();
    String jobJar = "flink-job/target/tailwatch-flink-job-" + version + "-job.jar";
    String cliJar = "tools/target/tailwatch-tools-" + version + "-cli.jar";
    for (Path dockerfile : List.of(DOCKERFILE, DOCKERFILE_CUDA)) {
      String text = Files.readString(dockerfile);
      assertThat(text)
          .as("%s builds with the wrapper CI uses", dockerfile)
          .containsPattern("RUN \\./mvnw -B -q -DskipTests( -Pgpu)? package -pl flink-job");
      assertThat(text).contains("COPY --from=build /src/" + jobJar + " " + JOB_JAR_IN_IMAGE);
      assertThat(text)
          .contains("ARG FLINK_IMAGE=flink:" + pomProperty("flink.version") + "-java17");
    }
    assertThat(Files.readString(DOCKERFILE_CUDA)).contains("-Pgpu");
    assertThat(Files.readString(ROOT.resolve("pom.xml"))).contains("<id>gpu</id>");
    assertThat(Files.readString(DOCKERFILE))
        .contains("COPY --from=build /src/" + cliJar + " " + CLI_JAR_IN_IMAGE);

    Path job = ROOT.resolve(jobJar);
    Path cli = ROOT.resolve(cliJar);
    if (!Files.isRegularFile(job) || !Files.isRegularFile(cli)) {
      fail(
          "the jars the images copy were not built: "
              + job
              + ", "
              + cli
              + " (run ./mvnw verify from the root)");
    }
    try (JarFile jar = new JarFile(job.toFile())) {
      assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class"))
          .isEqualTo(TailwatchJob.class.getName());
      assertThat(jar.getEntry(TailwatchJob.class.getName().replace('.', '/') + ".class"))
          .isNotNull();
      assertThat(jar.getEntry("org/apache/flink/connector/kafka/sink/KafkaSink.class")).isNotNull();
      assertThat(
              jar.getEntry(
                  "org/apache/flink/streaming/api/environment/StreamExecutionEnvironment.class"))
          .as("Flink itself comes from the image")
          .isNull();
    }
    try (JarFile jar = new JarFile(cli.toFile())) {
      assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class"))
          .isEqualTo(TailwatchCli.class.getName());
      assertThat(jar.getEntry("viewer/index.html")).isNotNull();
    }
  }

  // ---------------------------------------------------------------- Kubernetes

  @Test
  void kubernetesManifestsNameTheJobTheImageAndTheTopics() throws Exception {
    Map<String, Object> deployment = k8s("flinkdeployment.yaml").get(0);
    assertThat(deployment.get("apiVersion")).isEqualTo("flink.apache.org/v1beta1");
    assertThat(deployment.get("kind")).isEqualTo("FlinkDeployment");
    Map<String, Object> spec = map(deployment.get("spec"));
    String[] flink = pomProperty("flink.version").split("\\.");
    assertThat(spec.get("flinkVersion")).isEqualTo("v" + flink[0] + "_" + flink[1]);
    String release = projectVersion().replace("-SNAPSHOT", "");
    assertThat(spec.get("image")).isEqualTo("tailwatch/flink-job:" + release + "-cuda");
    Map<String, Object> job = map(spec.get("job"));
    assertThat(job.get("jarURI")).isEqualTo("local://" + JOB_JAR_IN_IMAGE);
    assertThat(job.get("entryClass")).isEqualTo(TailwatchJob.class.getName());
    assertThat(job.get("upgradeMode")).isEqualTo("savepoint");

    // the job's args with the ConfigMap's job.yaml: a complete, valid configuration
    List<String> args = new ArrayList<>(strings(job.get("args")));
    assertThat(args).containsSequence("--config", JOB_CONFIG_IN_IMAGE);
    Map<String, String> values = k8sJobConfig();
    for (int i = 0; i < args.size(); i += 2) {
      String key = args.get(i).substring(2);
      if (!key.equals("config")) {
        values.put(key, args.get(i + 1));
      }
    }
    assertValidJobConfig(values);
    assertThat(values.get("detector.device")).isEqualTo("cuda");
    // the ConfigMap is mounted where --config points
    String mounts = k8sText("flinkdeployment.yaml");
    assertThat(mounts)
        .contains("name: " + map(k8s("tailwatch-config.yaml").get(0).get("metadata")).get("name"))
        .contains("mountPath: " + Path.of(JOB_CONFIG_IN_IMAGE).getParent());

    // GPU: the TaskManagers ask for one
    Map<String, Object> tmPod =
        map(map(map(spec.get("taskManager")).get("podTemplate")).get("spec"));
    Map<String, Object> container = map(list(tmPod.get("containers")).get(0));
    assertThat(container.get("name")).isEqualTo("flink-main-container");
    assertThat(map(map(container.get("resources")).get("limits")))
        .containsEntry("nvidia.com/gpu", 1);

    // Strimzi topics: the job's four, on the cluster the bootstrap address names
    List<Map<String, Object>> topics = k8s("kafka-topics.yaml");
    Set<String> names = new TreeSet<>();
    for (Map<String, Object> t : topics) {
      assertThat(t.get("apiVersion")).isEqualTo("kafka.strimzi.io/v1beta2");
      assertThat(t.get("kind")).isEqualTo("KafkaTopic");
      String cluster = (String) map(map(t.get("metadata")).get("labels")).get("strimzi.io/cluster");
      assertThat(values.get("kafka.bootstrap-servers")).startsWith(cluster + "-kafka-bootstrap:");
      names.add((String) map(t.get("spec")).get("topicName"));
    }
    assertThat(names).isEqualTo(jobTopics());

    // CLI containers (viewer, bank build) run commands the CLI accepts, in the CLI image
    Map<String, Object> viewer = k8s("viewer.yaml").get(0);
    Map<String, Object> viewerContainer =
        map(
            list(map(map(map(viewer.get("spec")).get("template")).get("spec")).get("containers"))
                .get(0));
    assertThat(viewerContainer.get("image")).isEqualTo("tailwatch/cli:" + release);
    parsesWithCli(strings(viewerContainer.get("args")));
    Map<String, Object> bankJob = k8s("bank-build-job.yaml").get(0);
    Map<String, Object> fit =
        map(
            list(map(map(map(bankJob.get("spec")).get("template")).get("spec")).get("containers"))
                .get(0));
    parsesWithCli(strings(fit.get("args")));
    assertThat(String.join(" ", strings(fit.get("args"))))
        .contains("--out /var/lib/tailwatch/banks/");
  }

  // ---------------------------------------------------------------- runbook

  @Test
  void everyTailwatchCommandInTheRunbookParses() throws Exception {
    List<List<String>> commands = new ArrayList<>();
    boolean inCode = false;
    StringBuilder pending = new StringBuilder();
    for (String line : Files.readAllLines(RUNBOOK)) {
      if (line.startsWith("```")) {
        inCode = !inCode;
        continue;
      }
      if (!inCode) {
        continue;
      }
      String l = line.strip();
      if (pending.length() > 0 || l.startsWith("tailwatch ")) {
        pending.append(l.endsWith("\\") ? l.substring(0, l.length() - 1) : l).append(' ');
        if (!l.endsWith("\\")) {
          String cmd = pending.toString().replaceAll("\\s+#.*$", "").trim();
          commands.add(
              new ArrayList<>(List.of(cmd.substring("tailwatch ".length()).split("\\s+"))));
          pending.setLength(0);
        }
      }
    }
    assertThat(commands).as("tailwatch commands in %s", RUNBOOK).hasSizeGreaterThanOrEqualTo(5);
    commands.forEach(DeployFilesITCase::parsesWithCli);

    // job options the runbook tells operators to add exist
    Set<String> keys = new TreeSet<>();
    TailwatchOptions.all().forEach(o -> keys.add(o.key()));
    Matcher m =
        Pattern.compile("`--((?:detector|job|batch|kafka|topics|checkpoint)\\.[a-z.-]+)")
            .matcher(Files.readString(RUNBOOK));
    int found = 0;
    while (m.find()) {
      assertThat(keys).as("job option in the runbook").contains(m.group(1));
      found++;
    }
    assertThat(found).isPositive();
  }

  // ---------------------------------------------------------------- helpers

  private static void parsesWithCli(List<String> args) {
    try {
      CommandLine.ParseResult r = TailwatchCli.commandLine().parseArgs(args.toArray(String[]::new));
      assertThat(r.hasSubcommand()).as("%s names a subcommand", args).isTrue();
    } catch (CommandLine.ParameterException e) {
      fail("'tailwatch " + String.join(" ", args) + "' does not parse: " + e.getMessage());
    }
  }

  /** The arguments of each {@code java -jar <cli jar> ...} line in a shell script. */
  private static List<List<String>> cliInvocations(String script) {
    List<List<String>> out = new ArrayList<>();
    for (String line : script.split("\n")) {
      int at = line.indexOf(CLI_JAR_IN_IMAGE);
      if (at >= 0) {
        out.add(List.of(line.substring(at + CLI_JAR_IN_IMAGE.length()).trim().split("\\s+")));
      }
    }
    return out;
  }

  /**
   * The compose command through Flink's own standalone-job entry-point parser, with the arguments
   * standalone-job.sh hands it ({@code --configDir <conf>} first), then the job's own parsing of
   * exactly the job arguments Flink passes on.
   */
  private void jobArgsParse(String command) throws Exception {
    List<String> tokens = List.of(command.trim().split("\\s+"));
    assertThat(tokens.get(0)).isEqualTo("standalone-job");
    List<String> entryPointArgs = new ArrayList<>(List.of("--configDir", "/opt/flink/conf"));
    entryPointArgs.addAll(tokens.subList(1, tokens.size()));
    org.apache.flink.runtime.entrypoint.ClusterConfiguration parsed =
        new org.apache.flink.runtime.entrypoint.parser.CommandLineParser<>(
                new org.apache.flink.container.entrypoint
                    .StandaloneApplicationClusterConfigurationParserFactory())
            .parse(entryPointArgs.toArray(String[]::new));
    assertThat(parsed.getConfigDir()).as("Flink's own config dir").isEqualTo("/opt/flink/conf");
    java.lang.reflect.Method jobClass = parsed.getClass().getDeclaredMethod("getJobClassName");
    jobClass.setAccessible(true);
    assertThat(jobClass.invoke(parsed)).isEqualTo(TailwatchJob.class.getName());
    List<String> jobArgs = List.of(parsed.getArgs());
    assertThat(jobArgs)
        .as("the job's arguments after Flink's parser")
        .containsSequence("--config", JOB_CONFIG_IN_IMAGE);
    Map<String, String> values = new LinkedHashMap<>();
    for (int i = 0; i < jobArgs.size(); i += 2) {
      String key = jobArgs.get(i).substring(2);
      if (key.equals("config")) {
        values.putAll(flat(yaml(ROOT.resolve("deploy/flink/job.yaml"))));
      } else {
        values.put(key, jobArgs.get(i + 1));
      }
    }
    assertValidJobConfig(values);
  }

  /** JobConfig's own validation, with model and bank paths pointed at files that exist here. */
  private void assertValidJobConfig(Map<String, String> values) throws IOException {
    Map<String, String> local = new HashMap<>(values);
    assertThat(local).containsKeys(TailwatchOptions.BACKBONE.key(), TailwatchOptions.BANK.key());
    local.put(
        TailwatchOptions.BACKBONE.key(),
        Files.writeString(tmp.resolve("backbone.onnx"), "x").toString());
    local.put(
        TailwatchOptions.BANK.key(), Files.writeString(tmp.resolve("bank.twb"), "x").toString());
    JobConfig.of(local); // throws InvalidConfigException naming the key on an unknown or bad option
  }

  private static Set<String> jobTopics() {
    return Set.of(
        TailwatchOptions.FRAMES_TOPIC.defaultValue(),
        TailwatchOptions.ALERTS_TOPIC.defaultValue(),
        TailwatchOptions.SCORES_TOPIC.defaultValue(),
        TailwatchOptions.DEAD_LETTERS_TOPIC.defaultValue());
  }

  private static void assertFlinkOption(String key, Set<String> known) {
    if (key.matches("metrics\\.reporter\\.[a-z]+\\.(factory\\.class|port)")) {
      return;
    }
    if (!known.contains(key)) {
      fail("'" + key + "' is not a Flink configuration option");
    }
  }

  /** Keys (and fallback keys) of the ConfigOptions in Flink's option classes. */
  static Set<String> flinkOptionKeys() throws Exception {
    Set<String> keys = new TreeSet<>();
    for (String name :
        List.of(
            "CoreOptions",
            "CheckpointingOptions",
            "JobManagerOptions",
            "TaskManagerOptions",
            "HighAvailabilityOptions",
            "RestartStrategyOptions",
            "MetricOptions",
            "RestOptions",
            "StateBackendOptions",
            "StateRecoveryOptions",
            "SecurityOptions",
            "PipelineOptions",
            "DeploymentOptions")) {
      Class<?> type = Class.forName("org.apache.flink.configuration." + name);
      for (Field f : type.getFields()) {
        if (Modifier.isStatic(f.getModifiers())
            && ConfigOption.class.isAssignableFrom(f.getType())) {
          ConfigOption<?> option = (ConfigOption<?>) f.get(null);
          keys.add(option.key());
          for (FallbackKey k : option.fallbackKeys()) {
            keys.add(k.getKey());
          }
        }
      }
    }
    assertThat(keys).hasSizeGreaterThan(100);
    return keys;
  }

  private static Map<String, String> flinkProperties(Map<String, Object> environment) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : ((String) environment.get("FLINK_PROPERTIES")).split("\n")) {
      if (!line.isBlank()) {
        int colon = line.indexOf(':');
        out.put(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
      }
    }
    return out;
  }

  @Test
  void composeKafkaWritesIntoItsVolume() throws Exception {
    Map<String, Object> kafka = map(map(yaml(COMPOSE).get("services")).get("kafka"));
    String logDirs = (String) map(kafka.get("environment")).get("KAFKA_LOG_DIRS");
    assertThat(logDirs).as("KAFKA_LOG_DIRS (the image's default is under /tmp)").isNotNull();
    assertThat(strings(kafka.get("volumes")))
        .as("a volume mounted where the broker writes")
        .anyMatch(v -> v.endsWith(":" + logDirs));
  }

  /**
   * The Kubernetes quick start as a user runs it: every manifest applied, each resource before what
   * refers to it (namespace, service account, volume claim, ConfigMap), the bank-init Job's
   * commands parse with the real CLI and write the backbone and bank the FlinkDeployment reads.
   */
  @Test
  void theKubernetesQuickStartAppliesEverythingInAnOrderThatCanStart() throws Exception {
    List<String> applied = new ArrayList<>();
    String ops = Files.readString(RUNBOOK);
    Matcher apply = Pattern.compile("kubectl apply ((?:-f \\S+\\s*)+)").matcher(ops);
    while (apply.find()) {
      Matcher file = Pattern.compile("-f deploy/k8s/(\\S+)").matcher(apply.group(1));
      while (file.find()) {
        if (!applied.contains(file.group(1))) {
          applied.add(file.group(1));
        }
      }
    }
    List<String> manifests;
    try (var files = Files.list(K8S)) {
      manifests =
          files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".yaml")).toList();
    }
    assertThat(applied)
        .as("the quick start applies every manifest but the later bank builds")
        .containsExactlyInAnyOrderElementsOf(
            manifests.stream().filter(n -> !n.equals("bank-build-job.yaml")).toList());
    assertThat(applied.get(0)).isEqualTo("namespace.yaml");

    // what each applied file defines, in apply order; references must point backwards
    Map<String, Integer> definedAt = new HashMap<>();
    for (int i = 0; i < applied.size(); i++) {
      for (Map<String, Object> doc : k8s(applied.get(i))) {
        definedAt.putIfAbsent(doc.get("kind") + "/" + map(doc.get("metadata")).get("name"), i);
      }
    }
    Map<String, Object> deployment = k8s("flinkdeployment.yaml").get(0);
    int deploymentAt = applied.indexOf("flinkdeployment.yaml");
    Map<String, Object> spec = map(deployment.get("spec"));
    for (String needed :
        List.of(
            "Namespace/tailwatch",
            "ServiceAccount/" + spec.get("serviceAccount"),
            "PersistentVolumeClaim/tailwatch-data",
            "ConfigMap/tailwatch-job-config",
            "Job/tailwatch-bank-init")) {
      assertThat(definedAt).as("%s is applied", needed).containsKey(needed);
      assertThat(definedAt.get(needed))
          .as("%s before the FlinkDeployment", needed)
          .isLessThan(deploymentAt);
    }
    assertThat(ops.indexOf("wait --for=condition=complete job/tailwatch-bank-init"))
        .as("the quick start waits for the bank before starting the job")
        .isBetween(
            ops.indexOf("bank-init-job.yaml"), ops.indexOf("-f deploy/k8s/flinkdeployment.yaml"));

    // the bank-init Job writes what the job reads
    Map<String, Object> init = k8s("bank-init-job.yaml").get(0);
    Map<String, Object> container =
        map(
            ((List<?>)
                    map(map(map(init.get("spec")).get("template")).get("spec")).get("containers"))
                .get(0));
    List<List<String>> commands = cliInvocations(String.join("\n", strings(container.get("args"))));
    assertThat(commands).extracting(c -> c.get(0)).containsExactly("models", "simulate", "fit");
    commands.forEach(DeployFilesITCase::parsesWithCli);
    List<String> jobArgs = strings(map(spec.get("job")).get("args"));
    String bank = jobArgs.get(jobArgs.indexOf("--detector.bank") + 1);
    List<String> fit = commands.get(2);
    assertThat(fit.get(fit.indexOf("--out") + 1)).isEqualTo(bank);
    String modelDir = commands.get(0).get(commands.get(0).indexOf("--model-dir") + 1);
    assertThat(k8sJobConfig().get(TailwatchOptions.BACKBONE.key()))
        .isEqualTo(modelDir + "/" + io.tailwatch.detector.util.SharedDirs.DEFAULT_BACKBONE_FILE);
  }

  @Test
  void theJobImagesRunAsTheFlinkUserNotRoot() throws Exception {
    for (Path dockerfile : List.of(DOCKERFILE, DOCKERFILE_CUDA)) {
      String text = Files.readString(dockerfile);
      String jobStage = text.substring(text.lastIndexOf("FROM ", text.indexOf(" AS job")));
      jobStage =
          jobStage.contains("\nFROM ")
              ? jobStage.substring(0, jobStage.indexOf("\nFROM "))
              : jobStage;
      Matcher user = Pattern.compile("(?m)^USER (\\S+)").matcher(jobStage);
      String last = null;
      while (user.find()) {
        last = user.group(1);
      }
      assertThat(last).as("%s: the job stage's USER", dockerfile).isNotNull().isNotIn("root", "0");
    }
  }

  private static Set<String> dockerStages(Path dockerfile) throws IOException {
    Set<String> stages = new TreeSet<>();
    Matcher m = Pattern.compile("(?m)^FROM \\S+ AS (\\S+)").matcher(Files.readString(dockerfile));
    while (m.find()) {
      stages.add(m.group(1));
    }
    return stages;
  }

  private static String image(Map<String, Object> services, String name) {
    return (String) map(services.get(name)).get("image");
  }

  private static String pomProperty(String name) throws IOException {
    Matcher m =
        Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)<")
            .matcher(Files.readString(ROOT.resolve("pom.xml")));
    assertThat(m.find()).as("pom property %s", name).isTrue();
    return m.group(1);
  }

  private static String projectVersion() throws IOException {
    Matcher m =
        Pattern.compile("<artifactId>tailwatch-parent</artifactId>\\s*<version>([^<]+)<")
            .matcher(Files.readString(ROOT.resolve("pom.xml")));
    assertThat(m.find()).isTrue();
    return m.group(1);
  }

  private static List<Map<String, Object>> k8s(String file) throws IOException {
    List<Map<String, Object>> docs = new ArrayList<>();
    for (Object doc : new Yaml(new LoaderOptions()).loadAll(k8sText(file))) {
      docs.add(map(doc));
    }
    return docs;
  }

  /** The job.yaml the ConfigMap mounts, as flat keys. */
  private Map<String, String> k8sJobConfig() throws IOException {
    Map<String, Object> configMap = k8s("tailwatch-config.yaml").get(0);
    Path config =
        Files.writeString(
            tmp.resolve("job.yaml"), (String) map(configMap.get("data")).get("job.yaml"));
    return flat(yaml(config));
  }

  private static String k8sText(String file) throws IOException {
    return Files.readString(K8S.resolve(file));
  }

  private static Map<String, Object> yaml(Path file) throws IOException {
    return map(new Yaml(new LoaderOptions()).load(Files.readString(file)));
  }

  private static Map<String, String> flat(Map<String, Object> yaml) {
    Map<String, String> out = new LinkedHashMap<>();
    yaml.forEach((k, v) -> out.put(k, String.valueOf(v)));
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    assertThat(o).isInstanceOf(Map.class);
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object o) {
    assertThat(o).isInstanceOf(List.class);
    return (List<Object>) o;
  }

  private static List<String> strings(Object o) {
    if (o instanceof String s) {
      return List.of(s);
    }
    return list(o).stream().map(String::valueOf).toList();
  }
}
