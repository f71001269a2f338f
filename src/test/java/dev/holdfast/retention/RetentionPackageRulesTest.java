package dev.holdfast.retention;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

class RetentionPackageRulesTest {

  @Test
  void retentionIsPureNoIoAndNoOtherHoldfastPackage() {
    var imported = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("dev.holdfast.retention");

    classes().that().resideInAPackage("dev.holdfast.retention")
        .should().onlyDependOnClassesThat()
        .resideInAnyPackage("dev.holdfast.retention", "java.lang..", "java.time..", "java.util..")
        .check(imported);
  }
}
