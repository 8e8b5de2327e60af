/**
 * Known providers: base URL, default model and API key variable.
 */
@NullMarked
package io.promptbatch.core.provider;

import org.jspecify.annotations.NullMarked;
