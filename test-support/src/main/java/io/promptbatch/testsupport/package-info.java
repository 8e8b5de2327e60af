/**
 * Fixtures the modules' tests share (test scope only): servers a test starts for itself.
 */
@NullMarked
package io.promptbatch.testsupport;

import org.jspecify.annotations.NullMarked;
