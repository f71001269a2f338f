package dev.holdfast;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** The package dependency rules of ARCHITECTURE.md ("arrows point down the table only"). */
@AnalyzeClasses(packages = "dev.holdfast", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {
  private static final String ROOT = "dev.holdfast.";

  /** The front end sits on top: it may use everything, nothing may use it. */
  @ArchTest
  static final ArchRule nothingDependsOnCli =
      noClasses().that().resideOutsideOfPackage(ROOT + "cli..")
          .should().dependOnClassesThat().resideInAPackage(ROOT + "cli..");

  @ArchTest
  static final ArchRule sourceIsALeaf = leaf("source");

  @ArchTest
  static final ArchRule backendIsALeaf = leaf("backend");

  @ArchTest
  static final ArchRule eventIsALeaf = leaf("event");

  @ArchTest
  static final ArchRule errorIsALeaf = leaf("error");

  @ArchTest
  static final ArchRule stateIsALeaf = leaf("state");

  @ArchTest
  static final ArchRule retentionIsALeaf = leaf("retention");

  /** Formats, restore and verify are services: they never reach up to the front end, config or job runner. */
  @ArchTest
  static final ArchRule servicesDoNotReachUp =
      noClasses().that().resideInAnyPackage(ROOT + "archive..", ROOT + "restore..", ROOT + "verify..")
          .should().dependOnClassesThat().resideInAnyPackage(ROOT + "cli..", ROOT + "config..", ROOT + "job..");

  /** Notifications and metrics listen to runs; they never reach up to the front end or the config. */
  @ArchTest
  static final ArchRule listenersDoNotReachUp =
      noClasses().that().resideInAnyPackage(ROOT + "notify..", ROOT + "metrics..")
          .should().dependOnClassesThat().resideInAnyPackage(ROOT + "cli..", ROOT + "config..", ROOT + "schedule..");

  /** The dashboard is a front end like cli: over job, state and the format readers, never the config or scheduler. */
  @ArchTest
  static final ArchRule webDoesNotReachUp =
      noClasses().that().resideInAPackage(ROOT + "web..")
          .should().dependOnClassesThat().resideInAnyPackage(ROOT + "cli..", ROOT + "config..", ROOT + "schedule..");

  /** Only the front end that builds the object graph (cli) uses the dashboard. */
  @ArchTest
  static final ArchRule onlyCliUsesWeb =
      noClasses().that().resideOutsideOfPackages(ROOT + "web..", ROOT + "cli..")
          .should().dependOnClassesThat().resideInAPackage(ROOT + "web..");

  /** A bottom package: uses no other holdfast package but event and error. */
  private static ArchRule leaf(String name) {
    return classes().that().resideInAPackage(ROOT + name + "..")
        .should().onlyDependOnClassesThat(resideOutsideOfPackage("dev.holdfast..")
            .or(resideInAnyPackage(ROOT + name + "..", ROOT + "event..", ROOT + "error..")))
        .allowEmptyShould(true) // retention does not exist yet
        .as(name + " depends on no holdfast package but event and error");
  }
}
