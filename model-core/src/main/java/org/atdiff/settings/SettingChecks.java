package org.atdiff.settings;

import java.util.Arrays;
import java.util.Collection;
import java.util.Locale;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The checks of a setting's value, each error naming the setting's configuration key: used by spark-jobs'
 * SettingsReader on what it reads and by settings records' constructors on values built in code.
 */
public final class SettingChecks {
    private SettingChecks() {}

    public static long atLeast(String key, long v, long min) {
        if (v < min) throw new IllegalArgumentException(key + " must be >= " + min + " but is " + v);
        return v;
    }

    public static double atLeast(String key, double v, double min) {
        if (!(v >= min) || Double.isInfinite(v)) throw new IllegalArgumentException(key + " must be >= " + min + " but is " + v);
        return v;
    }

    public static double positive(String key, double v) {
        if (!(v > 0) || Double.isInfinite(v)) throw new IllegalArgumentException(key + " must be > 0 but is " + v);
        return v;
    }

    public static double inRange(String key, double v, double lo, double hi, boolean hiOpen) {
        if (!(v >= lo && (hiOpen ? v < hi : v <= hi))) {
            throw new IllegalArgumentException(key + " must be in [" + lo + ", " + hi + (hiOpen ? ")" : "]")
                    + " but is " + v);
        }
        return v;
    }

    public static String nonEmpty(String key, String v) {
        if (v == null || v.isBlank()) throw new IllegalArgumentException(key + " must not be empty");
        return v;
    }

    public static <T> T given(String key, T v) {
        if (v == null) throw new IllegalArgumentException(key + " must be given");
        return v;
    }

    public static String oneOf(String key, String v, Collection<String> choices) {
        if (!choices.contains(v)) {
            throw new IllegalArgumentException(key + " must be one of " + String.join(", ", choices) + " but is '" + v + "'");
        }
        return v;
    }

    /** An enum constant's configuration name: its Java name in lower case, '_' written '-' (QKV_FIRST: qkv-first). */
    public static String configName(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * The constant of {@code values} whose configuration name ({@code name}) is {@code value}; anything else is an
     * error naming {@code key}, the value and the accepted names ({@code others}, which the caller takes itself, first).
     */
    public static <E> E choice(String key, String value, E[] values, Function<E, String> name, String... others) {
        for (E e : values) if (name.apply(e).equals(value)) return e;
        throw new IllegalArgumentException(key + " '" + value + "' is not one of "
                + Stream.concat(Arrays.stream(others), Arrays.stream(values).map(name)).collect(Collectors.joining(", ")));
    }

    public static <T> T named(String key, String v, Function<String, T> lookup) {
        try {
            return lookup.apply(v);
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().contains(key)) throw e;
            throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
        }
    }
}
