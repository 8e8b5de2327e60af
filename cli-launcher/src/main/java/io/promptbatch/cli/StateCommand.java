package io.promptbatch.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * What the subcommands that work on a state directory share: the top command (for the environment), their own
 * command line, and the state options. Picocli reads these fields from here before the subclass's own.
 */
abstract class StateCommand implements Callable<Integer> {

	@ParentCommand
	PromptbatchCommand parent;

	@Spec
	CommandSpec spec;

	@Mixin
	StateOptions state;

	/** Where the command's messages go. */
	final PrintWriter err() {
		return spec.commandLine().getErr();
	}
}
