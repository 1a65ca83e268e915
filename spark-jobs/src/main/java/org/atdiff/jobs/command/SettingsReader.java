package org.atdiff.jobs.command;


import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigValueType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Supplier;
import org.atdiff.settings.SettingChecks;

/**
 * The one way a command's settings class reads the configuration: typed readers that check the value and name the key
 * in every error (a missing or ill-typed key included), and record every path read, so a test can show that every key
 * of {@code conf/application.conf} has a reader. The checks are {@link SettingChecks}', which records' constructors
 * use on values built without a configuration.
 */
public final class SettingsReader {
    private final Config config;
    private final Set<String> read = new TreeSet<>();

    public SettingsReader(Config config) {
        this.config = config;
    }

    /** Every path a reader asked for, sorted. */
    public Set<String> pathsRead() {
        return Set.copyOf(read);
    }

    private <T> T get(String key, Supplier<T> value) {
        read.add(key);
        try {
            return value.get();
        } catch (ConfigException e) {
            throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
        }
    }

    /**
     * Where {@code key}'s value was set, in the order {@link AtdiffConfig#load} applies them: 0 = conf/application.conf
     * or a command's default profile, 1 = a {@code --conf} file, 2 = a {@code path=value} override.
     */
    public int layer(String key) {
        return get(key, () -> {
            ConfigOrigin origin = config.getValue(key).origin();
            if (origin.resource() != null && origin.resource().startsWith("atdiff-conf/")) return 0;
            return origin.filename() != null || origin.url() != null ? 1 : 2;
        });
    }

    public String string(String key) {
        return get(key, () -> config.getString(key));
    }

    /** A string that must not be blank (a path, a name). */
    public String nonEmpty(String key) {
        return SettingChecks.nonEmpty(key, string(key));
    }

    public boolean bool(String key) {
        return get(key, () -> config.getBoolean(key));
    }

    public int integer(String key) {
        return get(key, () -> config.getInt(key));
    }

    public long longValue(String key) {
        return get(key, () -> config.getLong(key));
    }

    public double number(String key) {
        return get(key, () -> config.getDouble(key));
    }

    public int atLeast(String key, int min) {
        return (int) SettingChecks.atLeast(key, integer(key), min);
    }

    /** A string that is one of {@code choices}. */
    public String oneOf(String key, Collection<String> choices) {
        return SettingChecks.oneOf(key, string(key), choices);
    }

    /** The value {@code lookup} finds by name (e.g. an enum's {@code named}); its error is prefixed with the key. */
    public <T> T named(String key, Function<String, T> lookup) {
        return SettingChecks.named(key, string(key), lookup);
    }

    /** A strictly positive duration. */
    public Duration positiveDuration(String key) {
        Duration d = get(key, () -> config.getDuration(key));
        if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(key + " must be positive but is " + d);
        return d;
    }

    /** A list's values as strings; a single value (e.g. {@code sampler = "ddim"} in a --conf file) is a list of one. */
    public List<String> strings(String key) {
        return get(key, () -> {
            if (config.getValue(key).valueType() != ConfigValueType.LIST) return List.of(config.getString(key));
            List<String> out = new ArrayList<>();
            config.getList(key).forEach(v -> out.add(String.valueOf(v.unwrapped())));
            return out;
        });
    }

    /** Each of a list's values looked up by name; errors are prefixed with the key. */
    public <T> List<T> namedList(String key, Function<String, T> lookup) {
        return strings(key).stream().map(s -> SettingChecks.named(key, s, lookup)).toList();
    }

    /** A list of strings, each one of {@code choices}. */
    public List<String> oneOfList(String key, Collection<String> choices) {
        List<String> values = strings(key);
        for (String v : values) SettingChecks.oneOf(key, v, choices);
        return values;
    }

    public List<Integer> ints(String key) {
        return get(key, () -> config.getIntList(key));
    }

    public int[] intArray(String key) {
        return ints(key).stream().mapToInt(Integer::intValue).toArray();
    }

    public List<Long> longs(String key) {
        return get(key, () -> config.getLongList(key));
    }

    public double[] doubleArray(String key) {
        return get(key, () -> config.getDoubleList(key)).stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** A list of integers, each in [lo, hi]. */
    public List<Integer> intsInRange(String key, int lo, int hi) {
        List<Integer> values = ints(key);
        for (int v : values) {
            if (v < lo || v > hi) throw new IllegalArgumentException(key + ": " + v + " is outside " + lo + ".." + hi);
        }
        return values;
    }
}
