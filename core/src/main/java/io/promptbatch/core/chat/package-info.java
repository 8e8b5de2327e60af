/**
 * The values a chat exchange is made of (a request, its messages, the token usage reported), shared by
 * the client, the prompt readers and the cost estimate without tying them to each other.
 */
@NullMarked
package io.promptbatch.core.chat;

import org.jspecify.annotations.NullMarked;
