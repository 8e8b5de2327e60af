package io.promptbatch.cli;

import io.promptbatch.core.prompt.InputException;
import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Spec;

/** {@code promptbatch}: the top-level command. */
@Command(name = "promptbatch", mixinStandardHelpOptions = true, versionProvider = PromptbatchCommand.Version.class,
		description = "Runs a file of prompts through a chat-completions API as a restartable batch job.",
		subcommands = { RunCommand.class, ResumeCommand.class, CancelCommand.class, RunsCommand.class, EstimateCommand.class,
				ReportCommand.class, SimulatorCommand.class, WorkerCommand.class,
				CommandLine.HelpCommand.class },
		footer = { "", "Exit codes: 0 all rows ok; 1 the run failed or stopped (resumable); 2 bad usage or input; "
				+ "3 finished with some rows failed." })
public final class PromptbatchCommand implements Runnable {

	private final Map<String, String> environment;

	@Spec
	CommandSpec spec;

	public PromptbatchCommand(Map<String, String> environment) {
		this.environment = Map.copyOf(environment);
	}

	/** The environment the command reads keys from (the process's own, or a test's). */
	Map<String, String> environment() {
		return environment;
	}

	@Override
	public void run() {
		spec.commandLine().usage(spec.commandLine().getErr());
	}

	/** Runs the command line; the exit code as the contract says. */
	public static int execute(Map<String, String> environment, PrintWriter out, PrintWriter err, String... args) {
		CommandLine cl;
		try {
			cl = commandLine(environment, args);
		}
		catch (UsageException e) {
			err.println("promptbatch: " + e.getMessage());
			err.flush();
			return 2;
		}
		cl.setOut(out);
		cl.setErr(err);
		return cl.execute(args);
	}

	/** A command line with promptbatch's converters, defaults and exit-code mapping, for these arguments. */
	static CommandLine commandLine(Map<String, String> environment, String... args) {
		CommandLine cl = new CommandLine(new PromptbatchCommand(environment));
		Defaults defaults = Defaults.of(environment, args);
		defaults.checkKeys(cl);
		cl.setDefaultValueProvider(defaults);
		cl.registerConverter(java.time.Duration.class, new DurationConverter());
		cl.setExecutionExceptionHandler(PromptbatchCommand::handle);
		cl.setParameterExceptionHandler((e, given) -> usageError(e, defaults, given));
		cl.setUsageHelpAutoWidth(true);
		HelpSections.install(cl);
		return cl;
	}

	/**
	 * A usage error in one line (with picocli's suggestion for a mistyped option, and where a value not
	 * typed on the command line came from), then where the usage is: exit code 2.
	 */
	private static int usageError(CommandLine.ParameterException e, Defaults defaults, String[] given) {
		CommandLine cl = e.getCommandLine();
		PrintWriter err = cl.getErr();
		String source = e.getArgSpec() instanceof OptionSpec option && !typed(option, given) ? defaults.sourceOf(option)
				: null;
		err.println("promptbatch: " + (e instanceof CommandLine.MutuallyExclusiveArgsException ? contradiction(e)
				: e.getMessage()) + (source != null ? " (the value comes from " + source + ")" : ""));
		CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
		err.println("see '" + cl.getCommandSpec().qualifiedName() + " --help'");
		err.flush();
		return 2;
	}

	/** Options of an exclusive group given together, as the user would say it: "--a and --b contradict each other". */
	private static String contradiction(CommandLine.ParameterException e) {
		String names = e.getMessage().replaceFirst("^Error: ", "").replaceFirst(" are mutually exclusive.*$", "");
		int last = names.lastIndexOf(", ");
		return (last < 0 ? names : names.substring(0, last) + " and " + names.substring(last + 2))
				+ " contradict each other; give one";
	}

	/**
	 * The option's name as the user should read it in a message about its value: with where the value
	 * came from when it was not typed on the command line (an environment variable, a line of the config
	 * file).
	 */
	static String origin(CommandSpec spec, String option) {
		OptionSpec o = spec.findOption(option);
		CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
		if (o == null || (parsed != null && parsed.hasMatchedOption(o))
				|| !(spec.commandLine().getDefaultValueProvider() instanceof Defaults defaults)) {
			return option;
		}
		String source = defaults.sourceOf(o);
		return source == null ? option : option + " (from " + source + ")";
	}

	private static boolean typed(OptionSpec option, String[] given) {
		for (String arg : given) {
			for (String name : option.names()) {
				if (arg.equals(name) || arg.startsWith(name + "=")) {
					return true;
				}
			}
		}
		return false;
	}

	private static int handle(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
		PrintWriter err = cl.getErr();
		if (e instanceof InputException) {
			err.println("promptbatch: bad input: " + e.getMessage());
			return 2;
		}
		if (e instanceof UsageException || e instanceof IllegalArgumentException
				|| e instanceof io.promptbatch.batch.RunRefusedException) {
			err.println("promptbatch: " + e.getMessage());
			return 2;
		}
		err.println("promptbatch: error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
		return 1;
	}

	/** Bad usage that picocli cannot see: exit code 2. */
	static final class UsageException extends RuntimeException {

		private static final long serialVersionUID = 1L;

		UsageException(String message) {
			super(message);
		}
	}

	static final class Version implements IVersionProvider {

		@Override
		public String[] getVersion() {
			java.util.Properties p = new java.util.Properties();
			try (java.io.InputStream in = PromptbatchCommand.class.getResourceAsStream("/promptbatch-version.properties")) {
				if (in != null) {
					p.load(in);
				}
			}
			catch (java.io.IOException e) {
				// reported as unknown below
			}
			return new String[] { "promptbatch " + p.getProperty("version", "(version unknown)"),
					"Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")" };
		}
	}
}
