package io.promptbatch.core.provider;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BatchLimitsTests {

	@Test
	void eachProviderHasItsDocumentedLimitsAndAceDataCloudHasNoBatchApi() {
		assertThat(BatchLimits.at("https://api.openai.com/v1")).contains(BatchLimits.OPENAI);
		assertThat(BatchLimits.OPENAI.maxLines()).isEqualTo(50_000);
		assertThat(BatchLimits.at("https://api.moonshot.cn/v1").orElseThrow().maxBytes()).isEqualTo(100L << 20);
		assertThat(BatchLimits.at("https://api.acedata.cloud/kimi")).isEmpty();
		assertThat(BatchLimits.noBatchApi("https://api.acedata.cloud/kimi")).contains("offers no Batch API");
		assertThat(BatchLimits.at("http://127.0.0.1:8080/v1")).contains(BatchLimits.OPENAI);
	}

	@Test
	void kimiK25AndK26FixTheirSamplingSettingsInBatchesAndOtherModelsDoNot() {
		assertThat(BatchLimits.fixedSettings("kimi-k2.5")).contains("temperature", "top_p");
		assertThat(BatchLimits.fixedSettings("kimi-k2.6")).contains("temperature", "top_p");
		assertThat(BatchLimits.fixedSettings("kimi-k2-0905-preview")).isEmpty();
		assertThat(BatchLimits.fixedSettings("gpt-4o-mini")).isEmpty();
	}

	@Test
	void limitsSetForARunReplaceTheProvidersAndZeroKeepsThem() {
		assertThat(BatchLimits.OPENAI.override(1000, 0)).isEqualTo(new BatchLimits("OpenAI", 1000, 50_000, Long.MAX_VALUE));
		assertThat(BatchLimits.OPENAI.override(0, 2).maxLines()).isEqualTo(2);
	}
}
