package dev.hybridonboarding.cli;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Durations as people type them: 30m, 24h, 7d, or ISO-8601 (PT1H, P7D). */
final class Durations implements ITypeConverter<Duration> {

    private static final Pattern SHORT = Pattern.compile("(\\d+)([smhd])");

    @Override
    public Duration convert(String text) {
        return parse(text);
    }

    static Duration parse(String text) {
        Matcher shorthand = SHORT.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (shorthand.matches()) {
            long amount = Long.parseLong(shorthand.group(1));
            return switch (shorthand.group(2)) {
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                default -> Duration.ofDays(amount);
            };
        }
        try {
            return Duration.parse(text.trim().toUpperCase(Locale.ROOT));
        } catch (DateTimeParseException e) {
            throw new TypeConversionException("'" + text + "' is not a duration; write e.g. 30m, 24h, 7d or PT1H");
        }
    }

    /** A point in time: an ISO-8601 instant, or a duration meaning that long ago. */
    static final class Since implements ITypeConverter<Instant> {
        @Override
        public Instant convert(String text) {
            try {
                return Instant.parse(text.trim());
            } catch (DateTimeParseException notAnInstant) {
                try {
                    return Instant.now().minus(parse(text));
                } catch (TypeConversionException notADuration) {
                    throw new TypeConversionException("'" + text
                            + "' is neither an ISO-8601 time (2026-11-30T12:00:00Z) " + "nor a duration (24h, 7d)");
                }
            }
        }
    }
}
