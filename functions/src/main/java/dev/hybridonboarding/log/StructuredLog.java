package dev.hybridonboarding.log;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One JSON object per line on standard output, which Lambda ships to CloudWatch Logs as one event.
 * Values are written with {@link String#valueOf}, so secret wrapper types print as redacted.
 */
public final class StructuredLog {

    private static final StructuredLog STDOUT = new StructuredLog(System.out);

    private final PrintStream out;

    public StructuredLog(PrintStream out) {
        this.out = out;
    }

    public static StructuredLog stdout() {
        return STDOUT;
    }

    public void info(String event, Object... keyValues) {
        write("INFO", event, keyValues);
    }

    public void warn(String event, Object... keyValues) {
        write("WARN", event, keyValues);
    }

    public void error(String event, Object... keyValues) {
        write("ERROR", event, keyValues);
    }

    private void write(String level, String event, Object... keyValues) {
        if (keyValues.length % 2 != 0) {
            throw new IllegalArgumentException("log fields come in key/value pairs");
        }
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("level", level);
        line.put("event", event);
        for (int i = 0; i < keyValues.length; i += 2) {
            Object value = keyValues[i + 1];
            if (value != null) {
                line.put(
                        String.valueOf(keyValues[i]),
                        value instanceof Number || value instanceof Boolean ? value : String.valueOf(value));
            }
        }
        try {
            out.println(JSON.std.asString(line));
        } catch (IOException e) {
            out.println("{\"level\":\"ERROR\",\"event\":\"log.unwritable\"}");
        }
    }
}
