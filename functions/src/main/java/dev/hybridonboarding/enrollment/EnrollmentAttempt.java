package dev.hybridonboarding.enrollment;

import java.time.Instant;

/**
 * A validated request together with who sent it.
 *
 * @param bearerToken what the Authorization header carried, or null
 * @param deadline    when the function must have answered; work that could not finish by then is not started
 */
public record EnrollmentAttempt(String bearerToken, Requester requester, EnrollmentRequest request, Instant deadline) {}
