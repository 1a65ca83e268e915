package org.atdiff.io;

import java.util.LinkedHashMap;

/**
 * The header of a safetensors file: its {@code __metadata__} and each tensor's dtype and shape as a signature such as
 * {@code "Float[3, 64, 3, 3]"}, in data order.
 */
public record SafeTensorsHeader(LinkedHashMap<String, String> metadata, LinkedHashMap<String, String> signatures) {}
