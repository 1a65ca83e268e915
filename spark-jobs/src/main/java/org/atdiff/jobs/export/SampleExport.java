package org.atdiff.jobs.export;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;
import org.atdiff.io.Npz;
import org.atdiff.jobs.command.ExistingOutput;
import org.atdiff.jobs.sample.SampleGeneration;
import org.atdiff.jobs.sample.SampleSet;
import org.atdiff.prep.DatasetImage;
import org.atdiff.prep.PngEncoder;
import org.atdiff.prep.PreparedDataset;

/**
 * Sample sets in the formats other FID tools read: {@code <out>/<set>/<id>.png} (one PNG per image, written by the
 * executors; pytorch-fid's and clean-fid's folder input) and {@code <out>/<set>.npz} holding one uint8 array
 * {@code arr_0} of shape (N, H, W, C) in id order (guided-diffusion's evaluator's and pytorch-fid's .npz input),
 * streamed to the driver one partition at a time.
 */
public final class SampleExport {
    /** What was written for one sample set. */
    public record Exported(String set, long count, int channels, int height, int width, Path pngFolder, Path npz) {}

    private SampleExport() {}

    public static List<Exported> run(SparkSession spark, String samplesPath, String outputPath, boolean overwrite)
            throws IOException {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        Path in = new Path(samplesPath);
        List<Path> sets = SampleSet.foldersUnder(in, in.getFileSystem(hadoop));
        if (sets.isEmpty()) {
            throw new IllegalArgumentException("samples.path " + samplesPath + " holds no sample sets (folders with "
                    + SampleGeneration.SET_FILE + " written by `sample`)");
        }
        Path out = new Path(outputPath);
        FileSystem fs = out.getFileSystem(hadoop);
        for (Path set : sets) {
            for (Path p : List.of(new Path(out, set.getName()), new Path(out, set.getName() + ".npz"))) {
                ExistingOutput.refuseUnlessOverwrite(p, overwrite, hadoop);
            }
        }
        return sets.stream().map(set -> {
            try {
                return export(spark, set, out, fs);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).toList();
    }

    private static Exported export(SparkSession spark, Path set, Path out, FileSystem fs) throws IOException {
        Path pngs = new Path(out, set.getName()), npz = new Path(out, set.getName() + ".npz");
        fs.delete(pngs, true);
        fs.mkdirs(pngs);
        JavaRDD<DatasetImage> images = PreparedDataset.imageSet(spark, set);
        long n = images.count();
        if (n == 0) throw new IllegalArgumentException("samples.path " + set + " holds no images");
        DatasetImage first = images.first();
        int c = first.pixels().channels(), h = first.pixels().height(), w = first.pixels().width();
        spark.sparkContext().setJobDescription("export: PNGs of " + set);
        Broadcast<SerializableConfiguration> conf = JavaSparkContext.fromSparkContext(spark.sparkContext())
                .broadcast(new SerializableConfiguration(spark.sparkContext().hadoopConfiguration()));
        String folder = pngs.toString();
        images.foreachPartition(it -> {
            FileSystem pfs = new Path(folder).getFileSystem(conf.value().value());
            while (it.hasNext()) {
                DatasetImage i = it.next();
                try (OutputStream o = pfs.create(new Path(folder, String.format("%06d.png", i.id())), true)) {
                    o.write(PngEncoder.png(i.pixels()));
                }
            }
        });
        spark.sparkContext().setJobDescription("export: " + npz);
        Iterator<DatasetImage> ordered = images.sortBy(DatasetImage::id, true, images.getNumPartitions()).toLocalIterator();
        Iterator<byte[]> hwc = new Iterator<>() {
            @Override
            public boolean hasNext() {
                return ordered.hasNext();
            }

            @Override
            public byte[] next() {
                DatasetImage i = ordered.next().requireShape(c, h, w, set + "'s image " + first.id() + " is");
                return toHwc(i.pixels().chw(), c, h, w);
            }
        };
        try (OutputStream o = fs.create(npz, true)) {
            Npz.writeUint8(o, "arr_0", new long[] {n, h, w, c}, hwc);
        }
        return new Exported(set.getName(), n, c, h, w, pngs, npz);
    }

    /** CHW (atdiff's rows) to HWC (numpy image stacks). */
    static byte[] toHwc(byte[] chw, int c, int h, int w) {
        byte[] hwc = new byte[chw.length];
        for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < h * w; i++) hwc[i * c + ch] = chw[ch * h * w + i];
        }
        return hwc;
    }
}
