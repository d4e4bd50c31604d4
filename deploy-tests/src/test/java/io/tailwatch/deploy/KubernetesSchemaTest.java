package io.tailwatch.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every manifest under deploy/k8s checked against the schema of its kind, as {@code kubectl apply
 * --validate=strict} would on a cluster: a misspelt or misplaced field, a wrong type or an unknown
 * kind is an error naming the file, the document and the path.
 *
 * <ul>
 *   <li>Kubernetes kinds, the Prometheus operator's PodMonitor and Strimzi's KafkaTopic: bound to
 *       the fabric8 (Kubernetes' OpenAPI, generated) and Strimzi model classes with unknown
 *       properties refused. Both libraries keep unknown fields in {@code additionalProperties}
 *       instead of failing, so the check walks every bound object and requires those maps to be
 *       empty.
 *   <li>FlinkDeployment: the Flink Kubernetes operator's own CRD schema (the openAPIV3Schema of
 *       v1beta1 in flink-kubernetes-operator-api), as JSON Schema, with {@code
 *       additionalProperties: false} on every object that lists its properties (the API server's
 *       strict field validation). The newest operator API served to this build is 1.10.0, whose
 *       FlinkVersion ends at v1_20; the one change made to its schema is to admit the Flink 2
 *       versions (v2_0 to v2_2) that later operator releases list. Everything else in the
 *       deployment is checked as 1.10.0 defines it.
 * </ul>
 */
class KubernetesSchemaTest {
  static final Path K8S = Path.of("..", "deploy", "k8s");
  static final String FLINK_CRD = "META-INF/fabric8/flinkdeployments.flink.apache.org-v1.yml";
  static final List<String> FLINK_2_VERSIONS = List.of("v2_0", "v2_1", "v2_2");

  static final Map<String, Class<?>> MODELS =
      Map.ofEntries(
          Map.entry("v1/Namespace", Namespace.class),
          Map.entry("v1/ServiceAccount", ServiceAccount.class),
          Map.entry("v1/PersistentVolumeClaim", PersistentVolumeClaim.class),
          Map.entry("v1/ConfigMap", ConfigMap.class),
          Map.entry("v1/Service", Service.class),
          Map.entry("apps/v1/Deployment", Deployment.class),
          Map.entry("batch/v1/Job", Job.class),
          Map.entry("rbac.authorization.k8s.io/v1/Role", Role.class),
          Map.entry("rbac.authorization.k8s.io/v1/RoleBinding", RoleBinding.class),
          Map.entry("monitoring.coreos.com/v1/PodMonitor", PodMonitor.class),
          Map.entry("kafka.strimzi.io/v1beta2/KafkaTopic", KafkaTopic.class));

  static final YAMLMapper YAML = new YAMLMapper();
  static final ObjectMapper STRICT =
      new ObjectMapper(new YAMLFactory())
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
  static JsonSchema flinkDeployment;

  @BeforeAll
  static void loadFlinkDeploymentSchema() throws IOException {
    JsonNode crd;
    try (InputStream in =
        KubernetesSchemaTest.class.getClassLoader().getResourceAsStream(FLINK_CRD)) {
      assertThat(in).as(FLINK_CRD + " on the test class path").isNotNull();
      crd = YAML.readTree(in);
    }
    JsonNode schema = null;
    for (JsonNode version : crd.path("spec").path("versions")) {
      if (version.path("name").asText().equals("v1beta1")) {
        schema = version.path("schema").path("openAPIV3Schema").deepCopy();
      }
    }
    assertThat(schema).as("v1beta1 in " + FLINK_CRD).isNotNull();
    ArrayNode versions = (ArrayNode) schema.at("/properties/spec/properties/flinkVersion/enum");
    assertThat(versions).as("the CRD's FlinkVersion enum").isNotEmpty();
    FLINK_2_VERSIONS.forEach(versions::add);
    // the API server supplies these three for every resource; a CRD schema lists only the rest
    ObjectNode root = (ObjectNode) schema.get("properties");
    root.putObject("apiVersion").put("type", "string");
    root.putObject("kind").put("type", "string");
    root.putObject("metadata").put("type", "object");
    strict(schema);
    flinkDeployment = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(schema);
  }

  /** additionalProperties: false wherever an object schema lists its properties. */
  static void strict(JsonNode node) {
    if (node instanceof ObjectNode o) {
      if (o.has("properties")
          && !o.has("additionalProperties")
          && !o.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)) {
        o.put("additionalProperties", false);
      }
      o.elements().forEachRemaining(KubernetesSchemaTest::strict);
    } else if (node instanceof ArrayNode a) {
      a.elements().forEachRemaining(KubernetesSchemaTest::strict);
    }
  }

  record Manifest(String file, int index, JsonNode document) {
    String where() {
      return file + " document " + (index + 1) + " (" + document.path("kind").asText() + ")";
    }
  }

  static List<Manifest> manifests() throws IOException {
    List<Manifest> out = new ArrayList<>();
    List<Path> files;
    try (Stream<Path> s = Files.list(K8S)) {
      files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertThat(files).as("manifests in " + K8S.toAbsolutePath()).isNotEmpty();
    for (Path file : files) {
      try (var docs = YAML.readValues(YAML.createParser(file.toFile()), JsonNode.class)) {
        int i = 0;
        while (docs.hasNext()) {
          JsonNode doc = docs.next();
          if (doc != null && !doc.isEmpty()) {
            out.add(new Manifest(file.getFileName().toString(), i, doc));
          }
          i++;
        }
      }
    }
    return out;
  }

  /** The schema errors of one manifest, each naming where it is; empty when it is valid. */
  static List<String> errors(Manifest m) {
    JsonNode doc = m.document();
    String type = doc.path("apiVersion").asText() + "/" + doc.path("kind").asText();
    List<String> errors = new ArrayList<>();
    if (type.equals("flink.apache.org/v1beta1/FlinkDeployment")) {
      for (ValidationMessage v : flinkDeployment.validate(doc)) {
        errors.add(m.where() + ": " + v.getMessage());
      }
      // metadata is the API server's ObjectMeta for every kind
      bind(m, doc.path("metadata"), ObjectMeta.class, ".metadata", errors);
      return errors;
    }
    Class<?> model = MODELS.get(type);
    if (model == null) {
      return List.of(m.where() + ": no schema for " + type + " (known: " + MODELS.keySet() + ")");
    }
    bind(m, doc, model, "", errors);
    return errors;
  }

  /** Binds a document (or part of one) to its model: type errors, then fields left unknown. */
  static void bind(Manifest m, JsonNode node, Class<?> model, String path, List<String> errors) {
    Object bound;
    try {
      bound = STRICT.treeToValue(node, model);
    } catch (JsonMappingException e) {
      String at =
          e.getPath().stream()
              .map(
                  r -> r.getFieldName() != null ? "." + r.getFieldName() : "[" + r.getIndex() + "]")
              .reduce(path, String::concat);
      errors.add(m.where() + ": at " + at + ": " + e.getOriginalMessage());
      return;
    } catch (IOException e) {
      errors.add(m.where() + ": " + e.getMessage());
      return;
    }
    unknownFields(bound, path, errors, m, new IdentityHashMap<>());
  }

  /** Fields the model kept aside as unknown: additionalProperties of any bound object. */
  static void unknownFields(
      Object value, String path, List<String> errors, Manifest m, Map<Object, Boolean> seen) {
    if (value == null || seen.put(value, Boolean.TRUE) != null) {
      return;
    }
    if (value instanceof Collection<?> c) {
      int i = 0;
      for (Object e : c) {
        unknownFields(e, path + "[" + i++ + "]", errors, m, seen);
      }
      return;
    }
    if (value instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> e : map.entrySet()) {
        unknownFields(e.getValue(), path + "." + e.getKey(), errors, m, seen);
      }
      return;
    }
    String pkg = value.getClass().getPackageName();
    if (!pkg.startsWith("io.fabric8.kubernetes.api.model")
        && !pkg.startsWith("io.fabric8.openshift.api.model")
        && !pkg.startsWith("io.strimzi.api")) {
      return;
    }
    for (Method getter : value.getClass().getMethods()) {
      if (getter.getParameterCount() != 0
          || Modifier.isStatic(getter.getModifiers())
          || !getter.getName().startsWith("get")
          || getter.getDeclaringClass().getPackageName().startsWith("io.fabric8.kubernetes.client")
          || getter.getDeclaringClass() == Object.class) {
        continue;
      }
      Object got;
      try {
        got = getter.invoke(value);
      } catch (ReflectiveOperationException e) {
        throw new AssertionError(getter + " on " + m.where(), e);
      }
      if (getter.getName().equals("getAdditionalProperties")) {
        if (got instanceof Map<?, ?> extra && !extra.isEmpty()) {
          errors.add(
              m.where()
                  + ": unknown field(s) "
                  + extra.keySet()
                  + " at "
                  + (path.isEmpty() ? "the top level" : path.substring(1)));
        }
        continue;
      }
      String name = getter.getName().substring(3);
      String field = Character.toLowerCase(name.charAt(0)) + name.substring(1);
      unknownFields(got, path + "." + field, errors, m, seen);
    }
  }

  @Test
  void everyManifestMatchesTheSchemaOfItsKind() throws IOException {
    List<Manifest> manifests = manifests();
    List<String> errors = new ArrayList<>();
    Set<String> kinds = new java.util.TreeSet<>();
    for (Manifest m : manifests) {
      errors.addAll(errors(m));
      kinds.add(m.document().path("kind").asText());
    }
    assertThat(errors).as("schema errors in deploy/k8s").isEmpty();
    // every kind the quick start applies went through a schema, the FlinkDeployment included
    assertThat(kinds).contains("FlinkDeployment", "Job", "KafkaTopic", "PodMonitor", "Role");
  }

  // The checks must be able to fail: the real manifests, each broken in one way a user would.

  static Manifest broken(String file, String kind, java.util.function.Consumer<ObjectNode> edit)
      throws IOException {
    for (Manifest m : manifests()) {
      if (m.file().equals(file) && m.document().path("kind").asText().equals(kind)) {
        ObjectNode copy = m.document().deepCopy();
        edit.accept(copy);
        return new Manifest(file, m.index(), copy);
      }
    }
    throw new AssertionError("no " + kind + " in " + file);
  }

  @Test
  void aMisspeltFieldInTheFlinkDeploymentIsAnError() throws IOException {
    Manifest m =
        broken(
            "flinkdeployment.yaml",
            "FlinkDeployment",
            d -> {
              ObjectNode spec = (ObjectNode) d.get("spec");
              spec.set("serviceAcount", spec.remove("serviceAccount"));
            });
    assertThat(String.join("\n", errors(m))).contains("serviceAcount");
  }

  @Test
  void aFieldInTheWrongPlaceOfTheFlinkPodTemplateIsAnError() throws IOException {
    Manifest m =
        broken(
            "flinkdeployment.yaml",
            "FlinkDeployment",
            d ->
                ((ObjectNode) d.at("/spec/podTemplate/spec"))
                    .putObject("resources")
                    .put("memory", "1g"));
    assertThat(String.join("\n", errors(m))).contains("resources");
  }

  @Test
  void anUnknownFlinkVersionAndAWrongTypeAreErrors() throws IOException {
    Manifest m =
        broken(
            "flinkdeployment.yaml",
            "FlinkDeployment",
            d -> {
              ((ObjectNode) d.get("spec")).put("flinkVersion", "v3_0");
              ((ObjectNode) d.at("/spec/jobManager")).put("replicas", "one");
            });
    String text = String.join("\n", errors(m));
    assertThat(text).contains("flinkVersion").contains("replicas");
  }

  @Test
  void aMisplacedFieldInAJobsContainerIsAnError() throws IOException {
    Manifest m =
        broken(
            "bank-init-job.yaml",
            "Job",
            d ->
                ((ObjectNode) d.at("/spec/template/spec/containers/0"))
                    .put("mountPath", "/var/lib/tailwatch"));
    assertThat(errors(m))
        .singleElement()
        .asString()
        .contains("mountPath")
        .contains("spec.template.spec.containers[0]");
  }

  @Test
  void aWrongTypeInAKafkaTopicAndAnUnknownKindAreErrors() throws IOException {
    Manifest typed =
        broken(
            "kafka-topics.yaml",
            "KafkaTopic",
            d -> ((ObjectNode) d.get("spec")).put("partitions", "twelve"));
    assertThat(errors(typed)).singleElement().asString().contains("partitions");

    Manifest unknownKind = broken("namespace.yaml", "Namespace", d -> d.put("kind", "Namespaces"));
    assertThat(errors(unknownKind)).singleElement().asString().contains("no schema for");

    Manifest misspeltTopicField =
        broken(
            "kafka-topics.yaml", "KafkaTopic", d -> ((ObjectNode) d.get("spec")).put("replica", 3));
    assertThat(errors(misspeltTopicField)).singleElement().asString().contains("replica");
  }

  @Test
  void aMisspeltPodMonitorEndpointFieldIsAnError() throws IOException {
    Manifest m =
        broken(
            "podmonitor.yaml",
            "PodMonitor",
            d -> ((ObjectNode) d.at("/spec/podMetricsEndpoints/0")).put("intervall", "15s"));
    assertThat(errors(m)).singleElement().asString().contains("intervall");
  }
}
