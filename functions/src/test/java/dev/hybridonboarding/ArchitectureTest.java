package dev.hybridonboarding;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noFields;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noMethods;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The functions' dependencies point one way: handlers and their wiring at the edge ({@code function}, {@code http}),
 * AWS adapters ({@code aws}) beside it, implementing the core's ports, and the core capabilities below, knowing no
 * AWS or HTTP types.
 */
class ArchitectureTest {

    /** The core: what the product does, in its own words. */
    static final String[] CORE = {
        "dev.hybridonboarding.activation..", "dev.hybridonboarding.fleet..", "dev.hybridonboarding.token..",
        "dev.hybridonboarding.enrollment..", "dev.hybridonboarding.rotation..", "dev.hybridonboarding.registration..",
        "dev.hybridonboarding.notification..", "dev.hybridonboarding.admin..", "dev.hybridonboarding.support..",
        "dev.hybridonboarding.log.."
    };

    /** The compiled product only: scanning the whole class path for the package would read every jar. */
    private static final JavaClasses PRODUCT = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPath(Path.of("target", "classes"));

    @Test
    void noPackagesDependOnEachOtherBothWays() {
        slices().matching("dev.hybridonboarding.(*)..")
                .should()
                .beFreeOfCycles()
                .check(PRODUCT);
    }

    @Test
    void theCoreKnowsNoAwsTypesAndNoEdge() {
        noClasses()
                .that()
                .resideInAnyPackage(CORE)
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "software.amazon.awssdk..",
                        "com.amazonaws..",
                        "dev.hybridonboarding.aws..",
                        "dev.hybridonboarding.function..",
                        "dev.hybridonboarding.http..")
                .check(PRODUCT);
    }

    @Test
    void adaptersDoNotReachIntoTheEdge() {
        noClasses()
                .that()
                .resideInAPackage("dev.hybridonboarding.aws..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("dev.hybridonboarding.function..", "dev.hybridonboarding.http..")
                .check(PRODUCT);
    }

    @Test
    void httpStatusCodesAreChosenOnlyAtTheEdge() {
        noMethods()
                .that()
                .areDeclaredInClassesThat()
                .resideInAnyPackage(CORE)
                .and()
                .haveNameMatching("(?i).*status(code)?")
                .should()
                .haveRawReturnType(int.class)
                .check(PRODUCT);
        noFields()
                .that()
                .areDeclaredInClassesThat()
                .resideInAnyPackage(CORE)
                .and()
                .haveNameMatching("(?i).*status(code)?")
                .should()
                .haveRawType(int.class)
                .allowEmptyShould(true)
                .check(PRODUCT);
    }
}
