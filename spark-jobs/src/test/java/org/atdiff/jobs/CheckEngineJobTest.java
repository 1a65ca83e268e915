package org.atdiff.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.atdiff.engine.ConvolutionEngine;
import org.atdiff.engine.ConvolutionPath;
import org.atdiff.jobs.command.AtdiffConfig;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/**
 * {@code check-engine} on the tiny U-Net and the classifier: the engine line, then one row per convolution with a
 * column per path, each path's cells checked as that path runs the models (channels-last hands its outputs on
 * channels-last; the default path and matrix-product's im2col NCHW), the path in use passing every row.
 */
class CheckEngineJobTest {
    @Test
    void printsTheEngineLineAndEachConvolutionAsEveryPathRunsIt() throws Exception {
        torch.set_num_threads(1);
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            Atdiff.runAlone("check-engine", new CheckEngineJob(), AtdiffConfig.load(null, List.of("model.preset=tiny",
                    "image.size=8", "image.channels=3", "fid.features=classifier", "fid.classifier-width=8",
                    "engine.threads=1")), "local[1]");
        } finally {
            System.setOut(out);
        }
        String text = captured.toString(StandardCharsets.UTF_8);
        out.print(text);
        List<String> lines = Arrays.asList(text.split("\n"));
        ConvolutionPath active = ConvolutionEngine.report().path();
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("engine: ") && l.contains("conv-path " + active.configName())), text);
        int head = 0;
        while (!lines.get(head).startsWith("convolution of the configured models")) head++;
        String header = lines.get(head);
        List<String> columns = Arrays.asList(header.substring(header.length() - 17 * ConvolutionPath.values().length).trim().split("\\s+"));
        assertEquals(Arrays.stream(ConvolutionPath.values()).map(ConvolutionPath::configName).toList(), columns);
        List<String[]> rows = lines.subList(head + 1, lines.size()).stream().takeWhile(l -> !l.startsWith("* "))
                .map(l -> cells(l, columns.size())).toList();
        assertTrue(rows.size() >= 10, "rows of the tiny U-Net and the classifier: " + rows.size());
        int defaultColumn = columns.indexOf("default"), channelsLast = columns.indexOf("channels-last"),
                inUse = columns.indexOf(active.configName());
        for (String[] cells : rows) {
            assertTrue(Arrays.stream(cells).allMatch(c -> c.equals("-") || c.matches("(ok|FAIL) \\S+\\*?")), String.join("|", cells));
            assertTrue(!cells[defaultColumn].endsWith("*"), "the default path runs the U-Net NCHW: " + String.join("|", cells));
            if (active != ConvolutionPath.CHANNELS_LAST) { // channels-last's own misses run on its shape fallback
                assertTrue(cells[inUse].startsWith("ok "), "the path in use passes: " + String.join("|", cells));
            }
        }
        assertTrue(rows.stream().anyMatch(c -> c[channelsLast].endsWith("*")),
                "channels-last hands channels-last inputs on after the first convolution");
    }

    /** A row's cells: the last 17 characters per path, after the label. */
    private static String[] cells(String row, int paths) {
        String[] cells = new String[paths];
        int start = row.length() - 17 * paths;
        for (int i = 0; i < paths; i++) cells[i] = row.substring(start + 17 * i, start + 17 * (i + 1)).trim();
        return cells;
    }
}
