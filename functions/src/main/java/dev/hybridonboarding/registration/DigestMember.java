package dev.hybridonboarding.registration;

/** One machine a digest names instead of announcing it alone. */
public record DigestMember(String instanceId, String name, String fleet) {}
