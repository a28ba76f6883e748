package dev.hybridonboarding.enrollment;

/** Who sent an enrollment request, as the API saw them. */
public record Requester(String sourceIp, String userAgent) {}
