package org.atdiff.prep;

/**
 * {@link PrepSettings} for tests, built fluently from conf/application.conf's values, which this module cannot read
 * (spark-jobs' SettingsCoverageTest fails when they differ from the file's).
 */
public final class PrepSettingsBuilder {
    private String inputPath;
    private String outputPath;
    private String inputFormat = "auto";
    private String imageColumn = "image";
    private String labelColumn = "label";
    private double maxRejectedFraction = 0.01;
    private int builtinCount = 6000;
    private long builtinSeed = 0;
    private int partitions = 0;
    private int imageSize = 32;
    private int channels = 3;
    private String resize = "area";
    private double testFraction = 0.1;
    private long splitSeed = 0;
    private boolean overwrite = false;
    private int shards = 0;

    private PrepSettingsBuilder(String inputPath, String outputPath) {
        this.inputPath = inputPath;
        this.outputPath = outputPath;
    }

    public PrepSettingsBuilder inputPath(String v) { inputPath = v; return this; }
    public PrepSettingsBuilder outputPath(String v) { outputPath = v; return this; }
    public PrepSettingsBuilder inputFormat(String v) { inputFormat = v; return this; }
    public PrepSettingsBuilder imageColumn(String v) { imageColumn = v; return this; }
    public PrepSettingsBuilder labelColumn(String v) { labelColumn = v; return this; }
    public PrepSettingsBuilder maxRejectedFraction(double v) { maxRejectedFraction = v; return this; }
    public PrepSettingsBuilder builtinCount(int v) { builtinCount = v; return this; }
    public PrepSettingsBuilder builtinSeed(long v) { builtinSeed = v; return this; }
    public PrepSettingsBuilder partitions(int v) { partitions = v; return this; }
    public PrepSettingsBuilder imageSize(int v) { imageSize = v; return this; }
    public PrepSettingsBuilder channels(int v) { channels = v; return this; }
    public PrepSettingsBuilder resize(String v) { resize = v; return this; }
    public PrepSettingsBuilder testFraction(double v) { testFraction = v; return this; }
    public PrepSettingsBuilder splitSeed(long v) { splitSeed = v; return this; }
    public PrepSettingsBuilder overwrite(boolean v) { overwrite = v; return this; }
    public PrepSettingsBuilder shards(int v) { shards = v; return this; }

    public static PrepSettingsBuilder of(String inputPath, String outputPath) {
        return new PrepSettingsBuilder(inputPath, outputPath);
    }

    public PrepSettings build() {
        return new PrepSettings(inputPath, inputFormat, imageColumn, labelColumn, maxRejectedFraction, builtinCount,
                builtinSeed, partitions, imageSize, channels, resize, testFraction, splitSeed, outputPath, overwrite,
                shards);
    }
}
