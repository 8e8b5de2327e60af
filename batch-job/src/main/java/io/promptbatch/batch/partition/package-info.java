/**
 * Remote partitions of a run ({@code run --partitions N}, {@code worker}): the manager splits the input into record
 * ranges, sends one Spring Batch partition request per range through a table of the shared PostgreSQL state database
 * (Spring Integration's JDBC channel, woken by LISTEN/NOTIFY), watches the partitions in the job repository, hands a
 * silent worker's partition to a live one, and merges the partitions' files into one output in input order.
 */
@NullMarked
package io.promptbatch.batch.partition;

import org.jspecify.annotations.NullMarked;
