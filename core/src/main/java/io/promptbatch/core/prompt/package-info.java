/**
 * Prompts: the records and reading them from CSV, TSV and JSONL files, with the input's errors.
 */
@NullMarked
package io.promptbatch.core.prompt;

import org.jspecify.annotations.NullMarked;
