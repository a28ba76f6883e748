package dev.hybridonboarding.fleet;

import java.util.Locale;

/** How the machines of a fleet share activations. */
public enum FleetMode {
    /** One activation per enrollment, good for one registration, short-lived. */
    SINGLE_USE("single-use"),
    /** One current activation per fleet, handed to every machine until it expires or fills up. */
    SHARED("shared");

    private final String label;

    FleetMode(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public static FleetMode parse(String text) {
        String wanted = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        for (FleetMode mode : values()) {
            if (mode.label.equals(wanted)) {
                return mode;
            }
        }
        throw new IllegalArgumentException("fleet mode must be 'single-use' or 'shared', got '" + text + "'");
    }

    @Override
    public String toString() {
        return label;
    }
}
