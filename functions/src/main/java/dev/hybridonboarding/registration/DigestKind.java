package dev.hybridonboarding.registration;

import dev.hybridonboarding.notification.NoticeKind;

/** What a digest sums up: welcomes and goodbyes are digested apart; alerts never are. */
public enum DigestKind {
    REGISTERED("registered", NoticeKind.MACHINES_REGISTERED),
    DEREGISTERED("deregistered", NoticeKind.MACHINES_DEREGISTERED);

    private final String label;
    private final NoticeKind notice;

    DigestKind(String label, NoticeKind notice) {
        this.label = label;
        this.notice = notice;
    }

    public String label() {
        return label;
    }

    NoticeKind notice() {
        return notice;
    }

    public static DigestKind parse(String label) {
        for (DigestKind kind : values()) {
            if (kind.label.equals(label)) {
                return kind;
            }
        }
        throw new IllegalArgumentException("no digest kind '" + label + "'");
    }
}
