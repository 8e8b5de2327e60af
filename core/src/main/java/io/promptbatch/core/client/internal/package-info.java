/**
 * Wire plumbing of the client: JSON bodies and mapping HTTP errors to meaning. Not public API.
 */
@NullMarked
package io.promptbatch.core.client.internal;

import org.jspecify.annotations.NullMarked;
