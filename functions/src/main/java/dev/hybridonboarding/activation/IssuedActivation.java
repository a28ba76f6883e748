package dev.hybridonboarding.activation;

import java.time.Instant;

/** An activation as CreateActivation returned it: the only moment its code is known. */
public record IssuedActivation(String activationId, ActivationCode code, Instant expiresAt) {}
