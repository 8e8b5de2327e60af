package io.promptbatch.cli;

import static io.promptbatch.cli.CliFixtures.execute;
import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.cli.CliFixtures.Result;
import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.Latency;
import io.promptbatch.simulator.SimulatorConfig;
import java.io.File;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import tools.jackson.databind.JsonNode;

/**
 * The page of a real run, opened from disk in headless Chromium (Debian's chromium and chromium-driver,
 * given by path: nothing is downloaded). Skipped, saying what is missing, on a machine without them; the
 * paths can be changed with the system properties {@code promptbatch.chromium} and
 * {@code promptbatch.chromedriver} or the variables {@code PROMPTBATCH_CHROMIUM} and
 * {@code PROMPTBATCH_CHROMEDRIVER}.
 */
class ReportBrowserIntegrationTests {

	static final String CHROMIUM = path("promptbatch.chromium", "PROMPTBATCH_CHROMIUM", "/usr/bin/chromium");

	static final String CHROMEDRIVER = path("promptbatch.chromedriver", "PROMPTBATCH_CHROMEDRIVER",
			"/usr/bin/chromedriver");

	static final String HOSTILE = "<script>document.title='pwned';window.pwned=1</script><img src=x onerror=\"window.pwned=2\"> what is this?";

	@TempDir
	Path dir;

	ChromeDriver browser;

	@BeforeEach
	void startBrowser() {
		for (String program : List.of(CHROMIUM, CHROMEDRIVER)) {
			if (!Files.isExecutable(Path.of(program))) {
				String reason = program + " not found: install Debian's chromium and chromium-driver to run this test"
						+ " (or point promptbatch.chromium and promptbatch.chromedriver at them)";
				// the build's console shows a test's output but not why it was skipped
				System.err.println("ReportBrowserIntegrationTests skipped: " + reason);
				Assumptions.abort(reason);
			}
		}
		ChromeOptions options = new ChromeOptions();
		options.setBinary(CHROMIUM);
		options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
				"--disable-background-networking", "--disable-component-update", "--disable-sync",
				"--disable-dev-shm-usage", "--window-size=1400,1000",
				"--user-data-dir=" + dir.resolve("chromium-profile"));
		LoggingPreferences logs = new LoggingPreferences();
		logs.enable(LogType.PERFORMANCE, Level.ALL);
		options.setCapability("goog:loggingPrefs", logs);
		ChromeDriverService service = new ChromeDriverService.Builder()
			.usingDriverExecutable(new File(CHROMEDRIVER))
			.usingAnyFreePort()
			.build();
		browser = new ChromeDriver(service, options);
	}

	/** A system property, else an environment variable, else the default. */
	private static String path(String property, String variable, String otherwise) {
		String value = System.getProperty(property);
		if (value == null || value.isBlank()) {
			value = System.getenv(variable);
		}
		return value == null || value.isBlank() ? otherwise : value;
	}

	@AfterEach
	void stopBrowser() {
		if (browser != null) {
			browser.quit();
		}
	}

	/** 2,000 prompts: 40 refused by the server, one full of HTML; half expect text the answer lacks. */
	private Path input() throws Exception {
		Path input = dir.resolve("prompts.csv");
		try (Writer w = Files.newBufferedWriter(input, StandardCharsets.UTF_8)) {
			w.write("id,prompt,expected\n");
			for (int i = 1; i <= 2000; i++) {
				String prompt = i == 777 ? HOSTILE
						: i % 50 == 0 ? "[[sim:status=" + (i % 100 == 0 ? 400 : 422) + "]] prompt " + i
								: CliFixtures.promptOf(i);
				w.write("p" + i + ",\"" + prompt.replace("\"", "\"\"") + "\"," + (i % 2 == 0 ? "number " + i : "zebra")
						+ "\n");
			}
		}
		return input;
	}

	@Test
	void thePageOfARealRunShowsItsChartsTotalsAndAnswersAndMakesNoNetworkRequest() throws Exception {
		// given: a 2,000-row run with failures, scored, with --report
		Path output = dir.resolve("answers.jsonl");
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.lognormal(Duration.ofMillis(3), 0.8))
			.build())) {
			Result run = execute(Map.of(), "run", "--base-url", sim.baseUrl(), "--model", "kimi-k2.5", "--input",
					input().toString(), "--output", output.toString(), "--state-dir", dir.resolve("state").toString(),
					"--concurrency", "32", "--score", "contains", "--report");
			assertThat(run.exitCode()).as(run.err()).isEqualTo(3);
		}
		Path page = RunReports.defaultPath(output);
		assertThat(page).exists();
		long bytes = Files.size(page);
		assertThat(bytes).as("page size").isLessThan(2L * 1024 * 1024);

		// when: opened in a running browser (one blank page first, so that the figure below is the page's own
		// load, not the browser's start)
		browser.get("about:blank");
		Path warm = dir.resolve("warm.html");
		Files.writeString(warm, "<!DOCTYPE html><html><body><p>text <b>bold</b></p><table><tr><td>cell</td></tr></table>"
				+ "<svg width=\"10\" height=\"10\"><text x=\"0\" y=\"9\">x</text></svg></body></html>");
		browser.get(warm.toUri().toString());
		browser.get(page.toUri().toString());
		JavascriptExecutor js = browser;

		// then: charts and totals
		assertThat(browser.findElements(By.cssSelector("#charts svg"))).hasSize(4);
		assertThat(browser.findElement(By.cssSelector("#charts")).getText()).contains("Latency of the rows sent")
			.contains("Answers per second").contains("p50");
		assertThat(total("rows")).isEqualTo("2,000");
		assertThat(total("failed")).isEqualTo("40");
		assertThat(total("ok")).isEqualTo("1,960");
		assertThat(browser.findElement(By.id("failures")).getText()).contains("HTTP 400").contains("HTTP 422");
		List<JsonNode> rows = CliFixtures.jsonl(output);
		// a 2,000-row run: every row is in the table's data, drawn 200 at a time
		assertThat(browser.findElement(By.id("shown-count")).getText()).isEqualTo("2000");
		assertThat(drawnRows(js)).isEqualTo(200);
		browser.findElement(By.id("more")).click();
		assertThat(drawnRows(js)).isEqualTo(400);

		// a search filters the table
		browser.findElement(By.id("search")).sendKeys("p1234");
		assertThat(browser.findElement(By.id("shown-count")).getText()).isEqualTo("1");
		assertThat(drawnRows(js)).isEqualTo(1);
		assertThat(browser.findElement(By.cssSelector("#answer-table tbody tr")).getText()).contains("p1234")
			.contains("number 1234");
		browser.findElement(By.id("search")).clear();
		browser.findElement(By.id("search")).sendKeys("zebra");
		long zebras = Long.parseLong(browser.findElement(By.id("shown-count")).getText());
		assertThat(zebras).isEqualTo(rows.stream().filter(r -> r.get("expected").asString().equals("zebra")).count());
		clearSearch(js);

		// failed only: exactly the failed rows
		browser.findElement(By.id("failed-only")).click();
		long failed = rows.stream().filter(r -> r.get("status").asString().equals("failed")).count();
		assertThat(browser.findElement(By.id("shown-count")).getText()).isEqualTo(Long.toString(failed));
		assertThat(drawnRows(js)).isEqualTo(failed);
		assertThat(browser.findElements(By.cssSelector("#answer-table tbody tr[data-status='ok']"))).isEmpty();
		browser.findElement(By.id("failed-only")).click();
		// score 0 only
		browser.findElement(By.id("zero-only")).click();
		long zeros = rows.stream().filter(r -> r.get("score").isNumber() && r.get("score").asInt() == 0).count();
		assertThat(browser.findElement(By.id("shown-count")).getText()).isEqualTo(Long.toString(zeros));
		assertThat(drawnRows(js)).isEqualTo(Math.min(200, zeros));
		browser.findElement(By.id("zero-only")).click();

		// the prompt full of HTML is shown as text and ran nothing
		browser.findElement(By.id("search")).sendKeys("p777");
		WebElement hostile = browser.findElement(By.cssSelector("#answer-table tbody tr"));
		assertThat(hostile.getText()).contains("<script>document.title='pwned'").contains("<img src=x");
		assertThat(js.executeScript("return window.pwned === undefined")).isEqualTo(true);
		assertThat(browser.getTitle()).startsWith("promptbatch run");

		// no network request of any kind: nothing but the page itself was loaded
		assertThat(js.executeScript("return performance.getEntriesByType('resource').length")).isEqualTo(0L);
		String pageUrl = page.toUri().toString();
		List<String> requested = new java.util.ArrayList<>();
		List<String> byThePage = new java.util.ArrayList<>();
		for (LogEntry entry : browser.manage().logs().get(LogType.PERFORMANCE)) {
			JsonNode message = CliFixtures.JSON.readTree(entry.getMessage()).path("message");
			if (message.path("method").asString().equals("Network.requestWillBeSent")) {
				String url = message.at("/params/request/url").asString();
				requested.add(url);
				if (message.at("/params/documentURL").asString().equals(pageUrl)) {
					byThePage.add(url);
				}
			}
		}
		// the page loaded itself and nothing else (the browser's own start tab aside, whose chrome:// requests are
		// not the page's); and nothing at all went to a network address
		assertThat(byThePage).containsExactly(pageUrl);
		assertThat(requested).noneMatch(url -> url.matches("(?i)^(https?|wss?|ftp):.*"));
		Object loadMillis = js.executeScript(
				"var n = performance.getEntriesByType('navigation')[0]; return Math.round(n.loadEventEnd - n.startTime);");
		browser.navigate().refresh();
		Object again = js.executeScript(
				"var n = performance.getEntriesByType('navigation')[0]; return [Math.round(n.domContentLoadedEventEnd - n.startTime), Math.round(n.loadEventEnd - n.startTime)];");
		System.out.printf("report page: %d bytes, loaded in %s ms (first load), %s ms (DOM ready, loaded) again%n", bytes,
				loadMillis, again);
		Files.write(Path.of("target", "report-page.png"), browser.getScreenshotAs(OutputType.BYTES));
	}

	private String total(String name) {
		return browser.findElement(By.cssSelector("[data-total='" + name + "'] .value")).getText();
	}

	private static long drawnRows(JavascriptExecutor js) {
		return (Long) js.executeScript("return document.querySelectorAll('#answer-table tbody tr').length");
	}

	private void clearSearch(JavascriptExecutor js) {
		browser.findElement(By.id("search")).clear();
		js.executeScript("document.getElementById('search').dispatchEvent(new Event('input'))");
	}
}
