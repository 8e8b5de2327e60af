package io.promptbatch.batch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

class BatchJobArchitectureTests {

	@Test
	void usesNoInternalPackageOfCore() {
		// given: the batch job's own classes, not its tests
		JavaClasses batchJob = new ClassFileImporter().withImportOption(new ImportOption.DoNotIncludeTests())
			.importPackages("io.promptbatch.batch");

		// then: core's internal packages are not its API
		noClasses().should()
			.dependOnClassesThat()
			.resideInAPackage("io.promptbatch.core..internal..")
			.because("core offers a public way in for what callers need (RequestBody, ChatException.unwrap)")
			.check(batchJob);
	}
}
