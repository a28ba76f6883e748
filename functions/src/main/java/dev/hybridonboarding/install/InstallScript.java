package dev.hybridonboarding.install;

/**
 * A first-boot script with this deployment's API URL and Region written in; it holds no secret.
 *
 * @param etag a strong entity tag of the text, so that caches can revalidate instead of downloading again
 */
public record InstallScript(InstallTarget target, String text, String etag) {}
