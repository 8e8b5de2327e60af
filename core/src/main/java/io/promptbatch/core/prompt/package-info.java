/**
 * Prompts: records, messages, and reading them from CSV and JSONL files.
 */
@NullMarked
package io.promptbatch.core.prompt;

import org.jspecify.annotations.NullMarked;
