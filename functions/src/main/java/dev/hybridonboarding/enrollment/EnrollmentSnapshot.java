package dev.hybridonboarding.enrollment;

import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.rotation.SharedActivation;
import dev.hybridonboarding.token.EnrollmentToken;
import java.util.Optional;

/** Everything an enrollment decision needs, read in one consistent round trip. */
public record EnrollmentSnapshot(
        Optional<EnrollmentToken> token,
        Optional<Fleet> storedFleet,
        Optional<SharedActivation> sharedActivation,
        Optional<RetryRecord> retryRecord,
        int sourceFailures,
        int tokenFailures) {}
