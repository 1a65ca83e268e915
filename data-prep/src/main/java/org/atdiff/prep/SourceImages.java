package org.atdiff.prep;

import java.util.List;
import org.apache.spark.api.java.JavaRDD;

/**
 * What an {@link ImageSource} found: its records (not yet decoded or resized) and the class names, where
 * {@code labelNames.get(label)} names a label; a record's label is -1 or an index into this list.
 */
public record SourceImages(JavaRDD<SourceRecord> records, List<String> labelNames) {}
