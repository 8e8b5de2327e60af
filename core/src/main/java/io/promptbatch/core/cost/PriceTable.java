package io.promptbatch.core.cost;

import io.promptbatch.core.chat.Usage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Prices per model, read from a JSON file with the date they were read and their source, and each
 * model's context window where it is documented. An unknown model has no price and no known window:
 * nothing is invented.
 */
public final class PriceTable {

	private static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000);

	private final String asOf;
	private final String source;
	private final Map<String, ModelPrice> models;
	private final Map<String, Long> contextWindows;
	private final Map<String, ModelPrice> batchModels;

	private PriceTable(String asOf, String source, Map<String, ModelPrice> models, Map<String, Long> contextWindows,
			Map<String, ModelPrice> batchModels) {
		this.asOf = asOf;
		this.source = source;
		this.models = Map.copyOf(models);
		this.contextWindows = Map.copyOf(contextWindows);
		this.batchModels = Map.copyOf(batchModels);
	}

	/** The table bundled with promptbatch. */
	public static PriceTable bundled() {
		try (InputStream in = PriceTable.class.getResourceAsStream("prices.json")) {
			if (in == null) {
				throw new IllegalStateException("prices.json is missing from the classpath");
			}
			return parse(JsonMapper.builder().build().readTree(in));
		}
		catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	/**
	 * This table with the models of a user's price file (same JSON shape) added or replacing these.
	 * @throws IllegalArgumentException naming the file when it cannot be read
	 */
	public PriceTable withOverrides(java.nio.file.Path file) {
		PriceTable user;
		try {
			user = parse(JsonMapper.builder().build().readTree(file.toFile()));
		}
		catch (RuntimeException e) {
			throw new IllegalArgumentException(file + ": not a price file (" + e.getMessage()
					+ "); write {\"as_of\":\"YYYY-MM-DD\",\"models\":{\"name\":{\"input\":0.6,\"output\":2.5}}}", e);
		}
		Map<String, ModelPrice> merged = new LinkedHashMap<>(models);
		merged.putAll(user.models);
		Map<String, ModelPrice> batch = new LinkedHashMap<>(batchModels);
		user.models.keySet().forEach(batch::remove);
		batch.putAll(user.batchModels);
		// a user's entry replaces the model's whole entry, its context window (or the lack of one) included
		Map<String, Long> windows = new LinkedHashMap<>(contextWindows);
		user.models.keySet().forEach(windows::remove);
		windows.putAll(user.contextWindows);
		return new PriceTable(user.asOf.isEmpty() ? asOf : user.asOf, source + " + " + file, merged, windows, batch);
	}

	static PriceTable parse(JsonNode root) {
		Map<String, ModelPrice> models = new LinkedHashMap<>();
		Map<String, Long> windows = new LinkedHashMap<>();
		Map<String, ModelPrice> batch = new LinkedHashMap<>();
		for (Map.Entry<String, JsonNode> e : root.path("models").properties()) {
			JsonNode p = e.getValue();
			models.put(e.getKey(), price(p));
			JsonNode batchPrice = p.get("batch");
			if (batchPrice != null && batchPrice.isObject()) {
				batch.put(e.getKey(), price(batchPrice));
			}
			JsonNode window = p.get("context_tokens");
			if (window != null && !window.isNull()) {
				if (!window.isIntegralNumber() || window.asLong() < 1) {
					throw new IllegalArgumentException("context_tokens of " + e.getKey() + " must be a whole number "
							+ "of tokens, at least 1, was " + window);
				}
				windows.put(e.getKey(), window.asLong());
			}
		}
		return new PriceTable(root.path("as_of").asString(""), root.path("source").asString(""), models, windows,
				batch);
	}

	private static ModelPrice price(JsonNode p) {
		return new ModelPrice(decimal(p, "input_cache_hit", decimal(p, "input", null)), decimal(p, "input", null),
				decimal(p, "output", null));
	}

	/**
	 * The table of prices through the providers' Batch APIs: each model's {@code batch} prices; a model without them
	 * has no price there.
	 */
	public PriceTable forBatches() {
		return new PriceTable(asOf, source + " (batch prices)", batchModels, contextWindows, batchModels);
	}

	/** The model's price through its provider's Batch API, when the table has one. */
	public Optional<ModelPrice> batchPrice(String model) {
		return Optional.ofNullable(batchModels.get(model));
	}

	private static BigDecimal decimal(JsonNode price, String field, @Nullable BigDecimal fallback) {
		JsonNode v = price.get(field);
		if (v == null || v.isNull()) {
			if (fallback == null) {
				throw new IllegalArgumentException("price field '" + field + "' is missing");
			}
			return fallback;
		}
		return new BigDecimal(v.asString());
	}

	public String asOf() {
		return asOf;
	}

	public String source() {
		return source;
	}

	/** The model's context window in tokens (prompt and answer together), when the table knows it. */
	public java.util.OptionalLong contextTokens(String model) {
		Long window = contextWindows.get(model);
		return window == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(window);
	}

	public Optional<ModelPrice> price(String model) {
		return Optional.ofNullable(models.get(model));
	}

	/** The cost of a usage in USD, or empty when the model has no price. */
	public Optional<BigDecimal> cost(String model, Usage usage) {
		return price(model).map(p -> {
			long cached = Math.min(usage.cachedTokens(), usage.promptTokens());
			BigDecimal micro = p.inputCacheHit().multiply(BigDecimal.valueOf(cached))
				.add(p.input().multiply(BigDecimal.valueOf(usage.promptTokens() - cached)))
				.add(p.output().multiply(BigDecimal.valueOf(usage.completionTokens())));
			return micro.divide(MILLION, 10, RoundingMode.HALF_UP).stripTrailingZeros();
		});
	}
}
