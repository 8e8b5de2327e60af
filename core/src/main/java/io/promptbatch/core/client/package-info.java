/**
 * The chat-completions client and its public face: the client that composes retry, the attempt gate and
 * the transport, its answers and outcomes, the error tree, and request bodies with their fingerprints.
 */
@NullMarked
package io.promptbatch.core.client;

import org.jspecify.annotations.NullMarked;
