package dev.hybridonboarding.cli;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.hybridonboarding.admin.TakeBack;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Readable tables for people and JSON for scripts. */
final class Output {

    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm'Z'").withZone(ZoneOffset.UTC);
    private static final JSON PRETTY = JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT);

    private Output() {}

    static void json(PrintWriter out, Object value) {
        try {
            out.println(PRETTY.asString(value));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Columns padded to their widest cell; "-" stands for nothing. */
    static void table(PrintWriter out, List<String> headers, List<List<String>> rows) {
        if (rows.isEmpty()) {
            out.println("(none)");
            return;
        }
        int[] widths = new int[headers.size()];
        List<List<String>> all = new ArrayList<>();
        all.add(headers);
        all.addAll(rows);
        for (List<String> row : all) {
            for (int i = 0; i < row.size(); i++) {
                widths[i] = Math.max(widths[i], cell(row.get(i)).length());
            }
        }
        for (List<String> row : all) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
                line.append(
                        i + 1 < row.size()
                                ? String.format("%-" + widths[i] + "s  ", cell(row.get(i)))
                                : cell(row.get(i)));
            }
            out.println(line.toString().stripTrailing());
        }
    }

    static String time(Instant instant) {
        return instant == null ? "-" : TIME.format(instant);
    }

    /** "in 3h", "2d ago": how far an instant is from now. */
    static String relative(Instant instant, Instant now) {
        if (instant == null) {
            return "-";
        }
        Duration distance = Duration.between(now, instant).truncatedTo(ChronoUnit.MINUTES);
        String amount = human(distance.abs());
        return distance.isNegative() ? amount + " ago" : "in " + amount;
    }

    static String human(Duration duration) {
        if (duration.toDays() > 0) {
            return duration.toDays() + "d" + (duration.toHoursPart() > 0 ? duration.toHoursPart() + "h" : "");
        }
        if (duration.toHours() > 0) {
            return duration.toHours() + "h" + (duration.toMinutesPart() > 0 ? duration.toMinutesPart() + "m" : "");
        }
        return Math.max(0, duration.toMinutes()) + "m";
    }

    /** What a revocation took back, as JSON. */
    static Map<String, Object> takenBack(TakeBack.Report report) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("deletedSingleUseActivations", report.deletedSingleUse());
        json.put("registeredAlready", report.registeredAlready());
        json.put("deletedSharedActivations", report.deletedShared());
        json.put("newSharedActivation", report.newSharedActivation().orElse(null));
        return json;
    }

    /** What a revocation took back, in words. */
    static void describe(PrintWriter out, TakeBack.Report report) {
        if (report.nothing() && report.registeredAlready().isEmpty()) {
            out.println("Nothing it handed out could still register a machine.");
            return;
        }
        if (!report.deletedSingleUse().isEmpty()) {
            out.println(
                    "Deleted " + report.deletedSingleUse().size() + " single-use activation(s) nobody registered with: "
                            + String.join(", ", report.deletedSingleUse()));
        }
        if (!report.registeredAlready().isEmpty()) {
            out.println(report.registeredAlready().size()
                    + " activation(s) already registered a machine and were left alone "
                    + "(deregister those instances in Systems Manager if they are not yours): "
                    + String.join(", ", report.registeredAlready()));
        }
        report.newSharedActivation()
                .ifPresent(next -> out.println("The fleet's shared activation is now " + next + "."));
        if (!report.deletedShared().isEmpty()) {
            out.println("Deleted shared activation(s) " + String.join(", ", report.deletedShared())
                    + "; machines that received one and have not registered yet must enroll again.");
        }
    }

    private static String cell(String value) {
        return value == null || value.isEmpty() ? "-" : value;
    }
}
