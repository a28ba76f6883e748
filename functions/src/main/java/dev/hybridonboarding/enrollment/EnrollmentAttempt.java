package dev.hybridonboarding.enrollment;

/** A validated request together with who sent it. */
public record EnrollmentAttempt(String bearerToken, String sourceIp, String userAgent, EnrollmentRequest request) {
}
