package org.atdiff.jobs.command;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.io.File;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Loads the configuration: {@code conf/application.conf} (packaged as a resource, the reference that defines
 * every key), then an optional {@code --conf FILE}, then {@code path=value} overrides. A path the reference
 * does not define, or a value of another type than the reference's, is an error that names the path. The one
 * exception is the passthrough block {@value #SPARK_PROPERTIES}: any {@code spark.*} property with a scalar value.
 */
public final class AtdiffConfig {
    public static final String REFERENCE_RESOURCE = "atdiff-conf/application.conf";
    /** The block of Spark properties passed to the SparkSession as they are. */
    public static final String SPARK_PROPERTIES = "spark.conf";

    private AtdiffConfig() {}

    public static Config reference() {
        return ConfigFactory.parseResources(AtdiffConfig.class.getClassLoader(), REFERENCE_RESOURCE,
                ConfigParseOptions.defaults().setAllowMissing(false)).resolve();
    }

    /**
     * @param confFile  a HOCON file applied over the reference, or null
     * @param overrides {@code path=value} strings applied last, in order
     */
    public static Config load(File confFile, List<String> overrides) {
        return load(confFile, null, overrides);
    }

    /**
     * As {@link #load(File, List)}; when no file is given, {@code defaultProfile} (a file name in {@code conf/},
     * packaged as a resource, e.g. {@code quickstart.conf}) takes its place.
     */
    public static Config load(File confFile, String defaultProfile, List<String> overrides) {
        Config reference = reference();
        Config merged = reference;
        if (confFile != null) {
            if (!confFile.isFile()) {
                throw new IllegalArgumentException("--conf " + confFile + ": no such file");
            }
            Config file;
            try {
                file = ConfigFactory.parseFile(confFile, ConfigParseOptions.defaults().setAllowMissing(false));
            } catch (ConfigException e) {
                throw new IllegalArgumentException("--conf " + confFile + ": " + e.getMessage(), e);
            }
            file = flattenSparkProperties(file, "--conf " + confFile);
            checkKnownAndTyped(file, reference, "--conf " + confFile);
            merged = file.withFallback(merged);
        } else if (defaultProfile != null) {
            Config profile = ConfigFactory.parseResources(AtdiffConfig.class.getClassLoader(),
                    "atdiff-conf/" + defaultProfile, ConfigParseOptions.defaults().setAllowMissing(false));
            checkKnownAndTyped(profile, reference, "profile " + defaultProfile);
            merged = profile.withFallback(merged);
        }
        for (String o : overrides) {
            int eq = o.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("override '" + o + "' is not of the form path=value");
            String path = o.substring(0, eq).trim();
            String raw = o.substring(eq + 1).trim();
            String property = isValidPath(path) ? sparkProperty(path) : null;
            merged = merged.withValue(property == null ? path : ConfigUtil.joinPath("spark", "conf", property),
                    overrideValue(reference, path, raw));
        }
        return merged.resolve();
    }

    /**
     * The {@value #SPARK_PROPERTIES} block as Spark property names and values; a key may be written quoted
     * ({@code "spark.executor.memory" = 4g}) or as a nested path, which are joined with dots.
     */
    public static Map<String, String> sparkProperties(Config config) {
        Map<String, String> properties = new TreeMap<>();
        for (Map.Entry<String, ConfigValue> e : config.getConfig(SPARK_PROPERTIES).entrySet()) {
            String key = String.join(".", ConfigUtil.splitPath(e.getKey()));
            checkSparkProperty(key, e.getValue());
            if (properties.put(key, String.valueOf(e.getValue().unwrapped())) != null) {
                throw new IllegalArgumentException(SPARK_PROPERTIES + ": Spark property '" + key + "' is set twice");
            }
        }
        return properties;
    }

    private static void checkSparkProperty(String key, ConfigValue value) {
        if (!key.startsWith("spark.")) {
            throw new IllegalArgumentException(SPARK_PROPERTIES + ": '" + key + "' is not a Spark property (spark.*)");
        }
        if (key.equals("spark.master") || key.equals("spark.app.name")) {
            throw new IllegalArgumentException(SPARK_PROPERTIES + ": set '" + key + "' with --master / spark.master or spark.app-name");
        }
        ConfigValueType t = value.valueType();
        if (t != ConfigValueType.STRING && t != ConfigValueType.NUMBER && t != ConfigValueType.BOOLEAN) {
            throw new IllegalArgumentException(SPARK_PROPERTIES + ": '" + key + "' must be a string, number or boolean but is "
                    + describe(t));
        }
    }

    /** Rewrites the {@value #SPARK_PROPERTIES} block with one quoted key per Spark property, so later layers replace keys. */
    private static Config flattenSparkProperties(Config config, String source) {
        if (!config.hasPath(SPARK_PROPERTIES)) return config;
        Map<String, String> properties;
        try {
            properties = sparkProperties(config);
        } catch (ConfigException.WrongType e) {
            throw new IllegalArgumentException(source + ": '" + SPARK_PROPERTIES + "' must be a section of Spark properties");
        } catch (IllegalArgumentException bad) {
            throw new IllegalArgumentException(source + ": " + bad.getMessage());
        }
        return config.withoutPath(SPARK_PROPERTIES).withValue(SPARK_PROPERTIES, ConfigValueFactory.fromMap(properties, source));
    }

    /** The Spark property a path under {@value #SPARK_PROPERTIES} names, else null. */
    private static String sparkProperty(String path) {
        List<String> keys = ConfigUtil.splitPath(path);
        return keys.size() > 2 && keys.get(0).equals("spark") && keys.get(1).equals("conf")
                ? String.join(".", keys.subList(2, keys.size())) : null;
    }

    private static void checkKnownAndTyped(Config user, Config reference, String source) {
        for (Map.Entry<String, ConfigValue> e : user.entrySet()) {
            String path = e.getKey();
            String property = sparkProperty(path);
            if (property != null) {
                try {
                    checkSparkProperty(property, e.getValue());
                } catch (IllegalArgumentException bad) {
                    throw new IllegalArgumentException(source + ": " + bad.getMessage());
                }
                continue;
            }
            if (!reference.hasPathOrNull(path)) {
                throw new IllegalArgumentException(source + ": unknown configuration path '" + path + "'");
            }
            ConfigValueType want = reference.getValue(path).valueType();
            ConfigValueType got = e.getValue().valueType();
            if (!compatible(want, got, e.getValue())) {
                throw new IllegalArgumentException(source + ": '" + path + "' must be " + describe(want)
                        + " but is " + describe(got) + " (" + e.getValue().render() + ")");
            }
        }
    }

    private static boolean compatible(ConfigValueType want, ConfigValueType got, ConfigValue value) {
        if (want == got) return true;
        if (want == ConfigValueType.STRING) return got == ConfigValueType.NUMBER || got == ConfigValueType.BOOLEAN;
        if (want == ConfigValueType.LIST) return got == ConfigValueType.NUMBER || got == ConfigValueType.STRING;
        if (want == ConfigValueType.NUMBER && got == ConfigValueType.STRING) {
            return parsesAsNumber((String) value.unwrapped());
        }
        if (want == ConfigValueType.BOOLEAN && got == ConfigValueType.STRING) {
            String s = (String) value.unwrapped();
            return s.equals("true") || s.equals("false");
        }
        return false;
    }

    private static ConfigValue overrideValue(Config reference, String path, String raw) {
        if (isValidPath(path) && sparkProperty(path) != null) {
            ConfigValue value = ConfigValueFactory.fromAnyRef(unquote(raw), "override " + path);
            checkSparkProperty(sparkProperty(path), value);
            return value;
        }
        if (!isValidPath(path) || !reference.hasPathOrNull(path)) {
            throw new IllegalArgumentException("unknown configuration path '" + path + "'");
        }
        ConfigValueType want = reference.getValue(path).valueType();
        String origin = "override " + path;
        switch (want) {
            case STRING:
                return ConfigValueFactory.fromAnyRef(unquote(raw), origin);
            case NUMBER:
                if (!parsesAsNumber(raw)) {
                    throw new IllegalArgumentException("'" + path + "' must be a number but is '" + raw + "'");
                }
                return ConfigValueFactory.fromAnyRef(raw.matches("[-+]?\\d+") ? (Object) Long.parseLong(raw)
                        : (Object) Double.parseDouble(raw), origin);
            case BOOLEAN:
                if (!raw.equals("true") && !raw.equals("false")) {
                    throw new IllegalArgumentException("'" + path + "' must be true or false but is '" + raw + "'");
                }
                return ConfigValueFactory.fromAnyRef(Boolean.parseBoolean(raw), origin);
            case LIST: {
                String text = raw.startsWith("[") ? raw : "[" + raw + "]";
                try {
                    return ConfigFactory.parseString("v = " + text).getValue("v");
                } catch (ConfigException e) {
                    return plainList(path, raw, origin);
                }
            }
            default:
                throw new IllegalArgumentException("'" + path + "' is a section, not a value; set one of its keys");
        }
    }

    /**
     * A list of plain strings from comma-separated words that HOCON cannot parse unquoted (e.g. {@code dpm-solver++}):
     * {@code a,b} or {@code [a, b]}, each optionally in double quotes.
     */
    private static ConfigValue plainList(String path, String raw, String origin) {
        String inner = raw.startsWith("[") && raw.endsWith("]") ? raw.substring(1, raw.length() - 1) : raw;
        List<String> items = new java.util.ArrayList<>();
        for (String item : inner.split(",", -1)) {
            String v = unquote(item.trim());
            if (v.isEmpty() || v.matches(".*[\\[\\]{}\"=:].*")) {
                throw new IllegalArgumentException("'" + path + "' must be a list but is '" + raw + "'");
            }
            items.add(v);
        }
        return ConfigValueFactory.fromIterable(items, origin);
    }

    private static boolean isValidPath(String path) {
        try {
            ConfigFactory.empty().hasPathOrNull(path);
            return true;
        } catch (ConfigException.BadPath e) {
            return false;
        }
    }

    private static String unquote(String raw) {
        return raw.length() >= 2 && raw.startsWith("\"") && raw.endsWith("\"") ? raw.substring(1, raw.length() - 1) : raw;
    }

    private static boolean parsesAsNumber(String s) {
        try {
            Double.parseDouble(s);
            return !s.isBlank();
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static String describe(ConfigValueType t) {
        return switch (t) {
            case OBJECT -> "a section";
            case LIST -> "a list";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            case STRING -> "a string";
        };
    }
}
