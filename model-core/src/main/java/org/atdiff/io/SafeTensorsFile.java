package org.atdiff.io;

import java.util.LinkedHashMap;
import org.bytedeco.pytorch.Tensor;

/**
 * The contents of a safetensors file: named CPU tensors in the order their data is laid out in the file, and the
 * string-to-string {@code __metadata__} (empty when the file has none).
 */
public record SafeTensorsFile(LinkedHashMap<String, Tensor> tensors, LinkedHashMap<String, String> metadata) {}
