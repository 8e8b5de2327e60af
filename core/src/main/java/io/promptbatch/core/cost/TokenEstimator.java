package io.promptbatch.core.cost;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import io.promptbatch.core.chat.Message;
import java.util.List;

/**
 * Counts prompt tokens with an OpenAI tokenizer (o200k_base) and the chat format's per-message
 * overhead. Kimi, Moonshot and others tokenise differently: this is an approximation of their counts,
 * and the estimate says so.
 */
public final class TokenEstimator {

	/** Tokens the chat format adds per message (role and separators). */
	static final int PER_MESSAGE = 4;

	/** Tokens that prime the reply. */
	static final int REPLY_PRIMING = 3;

	private final Encoding encoding = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.O200K_BASE);

	public String tokenizer() {
		return encoding.getName();
	}

	public long promptTokens(List<Message> messages) {
		long tokens = REPLY_PRIMING;
		for (Message m : messages) {
			tokens += PER_MESSAGE + encoding.countTokensOrdinary(m.content());
		}
		return tokens;
	}
}
