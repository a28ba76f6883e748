package dev.hybridonboarding.registration;

import java.time.Instant;

/** An instance's place in a digest: the window it fell in and how it is named there. */
public record DigestEntry(DigestKind kind, Instant windowStart, DigestMember member) {}
