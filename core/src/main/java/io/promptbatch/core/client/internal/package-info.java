/**
 * How the client does its work, not public API: the HTTP transport, the attempt gate and outage breaker,
 * the retry policy, SSE framing and chunk assembly, the wire format and the mapping of HTTP errors to meaning.
 */
@NullMarked
package io.promptbatch.core.client.internal;

import org.jspecify.annotations.NullMarked;
