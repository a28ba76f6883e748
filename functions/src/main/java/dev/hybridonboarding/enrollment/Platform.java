package dev.hybridonboarding.enrollment;

import java.util.Locale;

/** The operating systems SSM supports for hybrid activations (macOS is not one of them). */
public enum Platform {
    LINUX,
    WINDOWS;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    static Platform parse(String text) {
        for (Platform platform : values()) {
            if (platform.label().equals(text)) {
                return platform;
            }
        }
        throw new EnrollmentRejectedException(
                EnrollmentFailure.INVALID_PLATFORM, "platform must be 'linux' or 'windows'");
    }
}
