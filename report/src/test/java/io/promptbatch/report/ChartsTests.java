package io.promptbatch.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jfree.chart.axis.AxisState;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.Tick;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.ui.RectangleEdge;
import org.junit.jupiter.api.Test;

class ChartsTests {

	/** The labels an axis draws below a chart 560 points wide. */
	private static List<String> labels(org.jfree.chart.axis.ValueAxis axis) {
		java.awt.Graphics2D g2 = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics();
		List<?> ticks = axis.refreshTicks(g2, new AxisState(), new Rectangle2D.Double(0, 0, 560, 200), RectangleEdge.BOTTOM);
		return ticks.stream().map(t -> ((Tick) t).getText()).toList();
	}

	@Test
	void logTicksOnAShortRangeAreWholeNumbersEachOnce() {
		// latencies from 2 to 13 ms (a simulator without latency): JFreeChart's own ticks read "2 2 3 3 4 5 6 8 10 13"
		assertThat(Charts.logTicks(2, 13, 10)).containsExactly(2L, 3L, 4L, 5L, 6L, 8L, 10L);
	}

	@Test
	void logTicksOnALongRangeThinOutToAtMostTheLimit() {
		assertThat(Charts.logTicks(1, 631, 10)).containsExactly(1L, 2L, 5L, 10L, 20L, 50L, 100L, 200L, 500L);
		assertThat(Charts.logTicks(1, 60_000, 10)).containsExactly(1L, 10L, 100L, 1000L, 10_000L);
		assertThat(Charts.logTicks(1, 60_000, 15)).containsExactly(1L, 2L, 5L, 10L, 20L, 50L, 100L, 200L, 500L, 1000L,
				2000L, 5000L, 10_000L, 20_000L, 50_000L);
	}

	@Test
	void theLatencyAxisDrawsNoLabelTwice() {
		Charts.WholeNumberLogAxis axis = new Charts.WholeNumberLogAxis("latency (ms)");
		axis.setRange(1.9, 13.5);
		LogAxis stock = new LogAxis("latency (ms)");
		stock.setNumberFormatOverride(new java.text.DecimalFormat("#,##0"));
		stock.setRange(1.9, 13.5);

		List<String> ours = labels(axis);

		assertThat(ours).doesNotHaveDuplicates().contains("2", "5", "10");
		// the stock axis, which the page used before, repeats labels on the same range
		assertThat(labels(stock)).hasSizeGreaterThan(new java.util.HashSet<>(labels(stock)).size());
	}

	@Test
	void theAnswersPerSecondAxesSpanEverySecondAndFitTheTallestBar() {
		// given: 16 answers in the first second, 179 in the second, 5 in the third
		TreeMap<Long, Long> perSecond = new TreeMap<>(Map.of(1_000L, 16L, 1_001L, 179L, 1_002L, 5L));

		XYPlot plot = Charts.throughputPlot(perSecond);

		// then: every bar is on the time axis, and the count axis is sized by the bars shown
		assertThat(plot.getDomainAxis().getLowerBound()).isZero();
		assertThat(plot.getDomainAxis().getUpperBound()).isEqualTo(3.0);
		assertThat(plot.getRangeAxis().getUpperBound()).isBetween(179.0, 200.0);
	}

	@Test
	void aOneSecondRunsCountAxisFitsItsOneBar() {
		XYPlot plot = Charts.throughputPlot(new TreeMap<>(Map.of(1_000L, 16L)));

		assertThat(plot.getDomainAxis().getUpperBound()).isEqualTo(1.0);
		assertThat(plot.getRangeAxis().getUpperBound()).isBetween(16.0, 20.0);
	}
}
