package dev.hybridonboarding.registration;

/**
 * What one sweep did.
 *
 * @param activations our recent activations it looked at
 * @param instances   instances registered with them
 * @param enqueued    registrations it found unhandled and put on the queue
 * @param digestsDue  digests it found unsent and had sent
 */
public record SweepRun(int activations, int instances, int enqueued, int digestsDue) {
}
