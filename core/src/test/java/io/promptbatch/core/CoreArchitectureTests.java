package io.promptbatch.core;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;

/** The module's rules, checked on its compiled classes (tests excluded). */
@AnalyzeClasses(packages = "io.promptbatch.core", importOptions = ImportOption.DoNotIncludeTests.class)
class CoreArchitectureTests {

	/** Core runs without Spring: the batch job and the CLI bring it. */
	@ArchTest
	static final ArchRule coreHasNoSpringOrSpringBatch = noClasses().should()
		.dependOnClassesThat()
		.resideInAnyPackage("org.springframework..")
		.because("core is the part without Spring and Spring Batch (DESIGN.md: modules by role)");

	/** An {@code internal} package is used by its own feature package only. */
	@ArchTest
	static final ArchRule internalsStayInTheirFeature = classes().should(useNoOtherFeaturesInternals())
		.because("an internal package is not public API; give callers a public way in its feature package");

	/** The feature packages ({@code client}, {@code prompt}, {@code cost}, ...) depend on each other one way. */
	@ArchTest
	static final ArchRule noCyclesBetweenPackages = slices().matching("io.promptbatch.core.(*)..")
		.should()
		.beFreeOfCycles();

	/**
	 * No class depends on a class in a package {@code a.b.internal} unless it is in {@code a.b} or below:
	 * {@code client} and {@code client.internal} may use {@code client.internal}, {@code cost} may not.
	 */
	private static ArchCondition<JavaClass> useNoOtherFeaturesInternals() {
		return new ArchCondition<>("depend on no internal package of another feature") {
			@Override
			public void check(JavaClass item, ConditionEvents events) {
				item.getDirectDependenciesFromSelf().forEach(dependency -> {
					String target = dependency.getTargetClass().getPackageName();
					int internal = target.indexOf(".internal");
					if (internal < 0 || !target.startsWith("io.promptbatch.")) {
						return;
					}
					String owner = target.substring(0, internal);
					String from = item.getPackageName();
					if (!(from.equals(owner) || from.startsWith(owner + "."))) {
						events.add(SimpleConditionEvent.violated(dependency, dependency.getDescription()));
					}
				});
			}
		};
	}
}
