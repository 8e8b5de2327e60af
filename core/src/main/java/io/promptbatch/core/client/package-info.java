/**
 * The chat-completions client: requests, responses, usage, the error tree and retry.
 */
@NullMarked
package io.promptbatch.core.client;

import org.jspecify.annotations.NullMarked;
