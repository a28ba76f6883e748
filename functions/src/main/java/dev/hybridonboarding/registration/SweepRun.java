package dev.hybridonboarding.registration;

/**
 * What one sweep did.
 *
 * @param activations         our recent activations it looked at
 * @param deferredActivations older ones it had no time left for, which the next tick looks at if it has
 * @param instances           instances registered with the ones it looked at
 * @param enqueued            registrations it found unhandled and put on the queue
 * @param digestsDue          digests it found unsent and had sent
 */
public record SweepRun(int activations, int deferredActivations, int instances, int enqueued, int digestsDue) {}
