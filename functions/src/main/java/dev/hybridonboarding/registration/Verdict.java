package dev.hybridonboarding.registration;

/** What a registration turned out to be. */
public enum Verdict {
    /** Registered with the activation of the enrollment it was matched to. */
    ENROLLED("enrolled"),
    /** Registered with one of our shared activations, matched to an enrollment only by a guess, or to none. */
    UNSURE("unsure"),
    /** Registered with a single-use activation by a machine other than the one that enrolled: a leaked code. */
    MISMATCH("mismatch"),
    /** Registered with an activation this deployment did not issue. */
    UNMANAGED("unmanaged"),
    /** Registered with an activation of another deployment of this product, which handles it. */
    FOREIGN("foreign"),
    /** Deregistered before its registration was handled. */
    GONE("gone");

    private final String label;

    Verdict(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public static Verdict parse(String label) {
        for (Verdict verdict : values()) {
            if (verdict.label.equals(label)) {
                return verdict;
            }
        }
        throw new IllegalArgumentException("no verdict '" + label + "'");
    }
}
