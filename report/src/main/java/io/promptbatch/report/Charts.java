package io.promptbatch.report;

import io.promptbatch.core.stats.LatencyHistogram;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.geom.Rectangle2D;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeSet;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTick;
import org.jfree.chart.axis.TickType;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.StandardXYBarPainter;
import org.jfree.chart.renderer.xy.XYBarRenderer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.chart.ChartFactory;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYIntervalSeries;
import org.jfree.data.xy.XYIntervalSeriesCollection;
import org.jfree.svg.SVGGraphics2D;
import org.jfree.svg.ViewBox;

/** The page's charts, drawn by JFreeChart as inline SVG. */
final class Charts {

	static final int WIDTH = 640;

	static final int HEIGHT = 300;

	private static final Color INK = new Color(0x33, 0x41, 0x55);

	private static final Color BAR = new Color(0x3b, 0x82, 0xf6);

	private static final Color SECOND = new Color(0xf5, 0x9e, 0x0b);

	private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 14);

	static {
		// drawing needs no display
		System.setProperty("java.awt.headless", "true");
	}

	private Charts() {
	}

	/** Latencies as bars of 5%-wide buckets on a log scale, with p50, p95 and p99 marked. */
	static String latency(LatencyHistogram histogram) {
		XYIntervalSeries series = new XYIntervalSeries("rows");
		for (Map.Entry<Long, Long> bucket : histogram.counts().entrySet()) {
			double high = bucket.getKey();
			double low = Math.max(0.5, high / 1.05);
			series.add(high, low, high, bucket.getValue(), bucket.getValue(), bucket.getValue());
		}
		XYPlot plot = barPlot(series, new WholeNumberLogAxis("latency (ms)"), "rows");
		for (int p : new int[] { 50, 95, 99 }) {
			ValueMarker marker = new ValueMarker(Math.max(1, histogram.percentile(p)), INK,
					new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1f, new float[] { 4f, 3f }, 0f));
			marker.setLabel("p" + p + " " + histogram.percentile(p) + " ms");
			marker.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
			marker.setLabelAnchor(p == 50 ? RectangleAnchor.TOP_LEFT : p == 95 ? RectangleAnchor.LEFT : RectangleAnchor.BOTTOM_LEFT);
			marker.setLabelTextAnchor(TextAnchor.TOP_RIGHT);
			plot.addDomainMarker(marker);
		}
		return svg("latency", chart("Latency of the rows sent", plot));
	}

	/** Answers recorded per second, over the run's time, as one bar a second. */
	static String answersPerSecond(SortedMap<Long, Long> perSecond) {
		return svg("throughput", chart("Answers per second", throughputPlot(perSecond)));
	}

	/**
	 * The answers-per-second bars: the time axis spans every second of the run (not a fixed first second, which
	 * hid the later bars while the count axis still made room for them), in whole seconds.
	 */
	static XYPlot throughputPlot(SortedMap<Long, Long> perSecond) {
		XYIntervalSeries series = new XYIntervalSeries("answers per second");
		long seconds = 1;
		if (!perSecond.isEmpty()) {
			long first = perSecond.firstKey();
			seconds = perSecond.lastKey() - first + 1;
			for (long s = first; s <= perSecond.lastKey(); s++) {
				long n = perSecond.getOrDefault(s, 0L);
				series.add(s - first, s - first, s - first + 1, n, n, n);
			}
		}
		NumberAxis x = new NumberAxis("seconds since the first answer");
		x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
		x.setRange(0, seconds);
		XYPlot plot = barPlot(series, x, "answers per second");
		plot.setNoDataMessage("no request was sent in this run");
		return plot;
	}

	/**
	 * Tick values for a log axis from {@code low} to {@code high}: powers of ten times the steps of the densest
	 * of these sequences that gives at most {@code maxTicks} ticks: 1; 1, 2, 5; 1, 2, 3, 5; 1, 1.5, 2, 3, 4, 5, 6,
	 * 8. Only whole numbers, each once, so that no two ticks carry the same label.
	 */
	static List<Long> logTicks(double low, double high, int maxTicks) {
		double[][] sequences = { { 1 }, { 1, 2, 5 }, { 1, 2, 3, 5 }, { 1, 1.5, 2, 3, 4, 5, 6, 8 } };
		List<Long> chosen = List.of();
		for (double[] steps : sequences) {
			TreeSet<Long> ticks = new TreeSet<>();
			for (double decade = 1; decade <= high; decade *= 10) {
				for (double step : steps) {
					double v = step * decade;
					if (v >= low && v <= high && v == Math.rint(v)) {
						ticks.add((long) v);
					}
				}
			}
			if (ticks.size() > maxTicks && !chosen.isEmpty()) {
				break;
			}
			chosen = List.copyOf(ticks);
		}
		return chosen;
	}

	/**
	 * A log axis whose ticks are whole numbers from {@link #logTicks}: JFreeChart's own ticks fall between whole
	 * numbers on a short range, and rounded to whole numbers their labels repeated ("2 2 3 3 4").
	 */
	static final class WholeNumberLogAxis extends LogAxis {

		private static final long serialVersionUID = 1L;

		private static final DecimalFormat FORMAT = new DecimalFormat("#,##0");

		WholeNumberLogAxis(String label) {
			super(label);
			setSmallestValue(1);
			setNumberFormatOverride(FORMAT);
		}

		@Override
		@SuppressWarnings({ "rawtypes", "unchecked" })
		protected List refreshTicksHorizontal(Graphics2D g2, Rectangle2D dataArea,
				RectangleEdge edge) {
			List ticks = new ArrayList();
			for (long v : logTicks(getLowerBound(), getUpperBound(), 10)) {
				ticks.add(new NumberTick(TickType.MAJOR, v, FORMAT.format(v),
						TextAnchor.TOP_CENTER, TextAnchor.CENTER, 0.0));
			}
			return ticks;
		}
	}

	/** Cost in USD per model. */
	static String costPerModel(Map<String, ReportData.ModelTotals> models) {
		DefaultCategoryDataset data = new DefaultCategoryDataset();
		models.forEach((model, t) -> data.addValue(t.costUsd().doubleValue(), "cost (USD)", model));
		JFreeChart chart = ChartFactory.createBarChart("Cost per model (USD)", null, "USD", data,
				PlotOrientation.HORIZONTAL, false, false, false);
		style((CategoryPlot) chart.getPlot(), BAR);
		return svg("cost", decorate(chart));
	}

	/** Prompt and completion tokens per model. */
	static String tokensPerModel(Map<String, ReportData.ModelTotals> models) {
		DefaultCategoryDataset data = new DefaultCategoryDataset();
		models.forEach((model, t) -> {
			data.addValue(t.promptTokens(), "prompt tokens", model);
			data.addValue(t.completionTokens(), "completion tokens", model);
		});
		JFreeChart chart = ChartFactory.createStackedBarChart("Tokens per model", null, "tokens", data,
				PlotOrientation.HORIZONTAL, true, false, false);
		CategoryPlot plot = (CategoryPlot) chart.getPlot();
		style(plot, BAR);
		plot.getRenderer().setSeriesPaint(1, SECOND);
		return svg("tokens", decorate(chart));
	}

	/** Bars of one series between their x intervals, counted on a whole-number y axis. */
	private static XYPlot barPlot(XYIntervalSeries series, org.jfree.chart.axis.ValueAxis x, String yLabel) {
		XYIntervalSeriesCollection data = new XYIntervalSeriesCollection();
		data.addSeries(series);
		NumberAxis y = new NumberAxis(yLabel);
		y.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
		XYBarRenderer bars = new XYBarRenderer();
		bars.setBarPainter(new StandardXYBarPainter());
		bars.setShadowVisible(false);
		bars.setSeriesPaint(0, BAR);
		return new XYPlot(data, x, y, bars);
	}

	private static void style(CategoryPlot plot, Color color) {
		BarRenderer renderer = (BarRenderer) plot.getRenderer();
		renderer.setBarPainter(new StandardBarPainter());
		renderer.setShadowVisible(false);
		renderer.setSeriesPaint(0, color);
		renderer.setMaximumBarWidth(0.2);
	}

	private static JFreeChart chart(String title, XYPlot plot) {
		return decorate(new JFreeChart(title, TITLE, plot, false));
	}

	private static JFreeChart decorate(JFreeChart chart) {
		chart.setBackgroundPaint(Color.WHITE);
		chart.getTitle().setFont(TITLE);
		chart.getTitle().setPaint(INK);
		chart.getPlot().setBackgroundPaint(new Color(0xf8, 0xfa, 0xfc));
		chart.setAntiAlias(true);
		return chart;
	}

	private static String svg(String id, JFreeChart chart) {
		SVGGraphics2D g2 = new SVGGraphics2D(WIDTH, HEIGHT);
		// several charts share the page: their definitions (clip paths) must not share ids
		g2.setDefsKeyPrefix(id + "-");
		chart.draw(g2, new Rectangle(0, 0, WIDTH, HEIGHT));
		// no fixed size: the page scales each chart to the width of its column
		return g2.getSVGElement(id + "-chart", false, new ViewBox(0, 0, WIDTH, HEIGHT), null, null);
	}
}
