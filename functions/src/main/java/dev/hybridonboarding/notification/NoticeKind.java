package dev.hybridonboarding.notification;

/** What a notice is about; alerts are never folded into a digest. */
public enum NoticeKind {
    ACTIVATIONS_ROTATED("activations-rotated", false),
    ROTATION_FAILED("rotation-failed", true),
    MACHINE_REGISTERED("machine-registered", false),
    MACHINES_REGISTERED("machines-registered-digest", false),
    REGISTRATION_MISMATCH("registration-mismatch", true),
    UNMANAGED_REGISTRATION("unmanaged-registration", true),
    MACHINE_DEREGISTERED("machine-deregistered", false),
    MACHINES_DEREGISTERED("machines-deregistered-digest", false);

    private final String eventType;
    private final boolean alert;

    NoticeKind(String eventType, boolean alert) {
        this.eventType = eventType;
        this.alert = alert;
    }

    /** The name subscribers filter on. */
    public String eventType() {
        return eventType;
    }

    public boolean isAlert() {
        return alert;
    }
}
