package io.tailwatch.tools;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module layering, pinned: schemas <- detector <- flink-job <- tools. The detector is the
 * pure-Java core (testable without Flink or Kafka), the job only wires, and nothing below the
 * command line reaches up into it. Main classes only (tests may use anything). The tools module
 * sees every module's classes, so the rules live here.
 */
class LayeringTest {
  static JavaClasses classes;

  @BeforeAll
  static void importMainClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.tailwatch");
  }

  @Test
  void theDetectorUsesNoFlinkNoKafkaAndNothingAboveIt() {
    noClasses()
        .that()
        .resideInAPackage("io.tailwatch.detector..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.apache.flink..",
            "org.apache.kafka..",
            "io.tailwatch.flink..",
            "io.tailwatch.tools..")
        .because("the algorithms are pure Java, testable without Flink or Kafka")
        .check(classes);
  }

  @Test
  void theJobUsesNothingFromTheCommandLine() {
    noClasses()
        .that()
        .resideInAPackage("io.tailwatch.flink..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.tailwatch.tools..")
        .because("the command line depends on the job, never the other way round")
        .check(classes);
  }

  @Test
  void theSchemasUseNothingAboveThem() {
    noClasses()
        .that()
        .resideInAPackage("io.tailwatch.schemas..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.tailwatch.detector..", "io.tailwatch.flink..", "io.tailwatch.tools..")
        .because("the wire format is the bottom layer every other module builds on")
        .check(classes);
  }
}
