package io.promptbatch.report;

import io.promptbatch.core.stats.LatencyHistogram;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Rectangle;
import java.util.Map;
import java.util.SortedMap;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.StandardXYBarPainter;
import org.jfree.chart.renderer.xy.XYBarRenderer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.chart.ChartFactory;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYIntervalSeries;
import org.jfree.data.xy.XYIntervalSeriesCollection;
import org.jfree.svg.SVGGraphics2D;

/** The page's charts, drawn by JFreeChart as inline SVG. */
final class Charts {

	static final int WIDTH = 560;

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
		LogAxis x = new LogAxis("latency (ms)");
		x.setSmallestValue(1);
		x.setNumberFormatOverride(new java.text.DecimalFormat("#,##0"));
		XYPlot plot = barPlot(series, x, "rows");
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
		XYIntervalSeries series = new XYIntervalSeries("answers per second");
		if (!perSecond.isEmpty()) {
			long first = perSecond.firstKey();
			for (long s = first; s <= perSecond.lastKey(); s++) {
				long n = perSecond.getOrDefault(s, 0L);
				series.add(s - first, s - first, s - first + 1, n, n, n);
			}
		}
		NumberAxis x = new NumberAxis("seconds since the first answer");
		x.setLowerBound(0);
		x.setAutoRangeIncludesZero(true);
		XYPlot plot = barPlot(series, x, "answers per second");
		plot.setNoDataMessage("no request was sent in this run");
		return svg("throughput", chart("Answers per second", plot));
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
		return g2.getSVGElement(id + "-chart");
	}
}
