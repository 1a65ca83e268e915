package org.atdiff.jobs.train;

import com.typesafe.config.Config;
import java.time.Duration;
import org.atdiff.jobs.command.SettingsReader;

/**
 * The {@code train.take-over-lease} and {@code train.lease-timeout} keys of the {@link RunLease} that {@code train},
 * {@code sample}, {@code stats}, {@code fid} and {@code pipeline} take on the directory they write.
 *
 * @param takeOver take a live lease from its holder (whose run is known to be dead) instead of refusing to start
 * @param timeout  a lease not renewed for this long is expired and taken over without asking; the holder renews it
 *                 every quarter of this
 */
public record LeaseSettings(boolean takeOver, Duration timeout) {
    public LeaseSettings {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("train.lease-timeout must be positive but is " + timeout);
        }
    }

    /** Reads and checks the keys; a missing or ill-typed key is an error naming it. */
    public static LeaseSettings fromConfig(Config c) {
        return read(new SettingsReader(c));
    }

    /** As {@link #fromConfig}, recording the paths read in {@code r}. */
    public static LeaseSettings read(SettingsReader r) {
        return new LeaseSettings(r.bool("train.take-over-lease"), r.positiveDuration("train.lease-timeout"));
    }

    /** How often the holder rewrites its renewal time: a quarter of the timeout, so three renewals may fail in a row. */
    public Duration renewEvery() {
        return timeout.dividedBy(4);
    }
}
