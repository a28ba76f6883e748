package dev.hybridonboarding.install;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Renders the first-boot scripts: the templates on the classpath with the API's base URL and the Region filled in.
 * Both values are checked against strict patterns first, because they end up inside shell and PowerShell code.
 */
public final class InstallScripts {

    static final String API_URL_PLACEHOLDER = "__HYBRID_ONBOARDING_API_URL__";
    static final String REGION_PLACEHOLDER = "__HYBRID_ONBOARDING_REGION__";

    private static final Pattern API_URL = Pattern.compile(
            "https?://[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~-]+)*");
    private static final Pattern REGION = Pattern.compile("[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}");

    private final Map<InstallTarget, String> templates = new EnumMap<>(InstallTarget.class);

    /** Loads every template once, so that a container pays for it at initialisation (or in its snapshot). */
    public InstallScripts() {
        for (InstallTarget target : InstallTarget.values()) {
            String template = load(target.resource());
            if (!template.contains(API_URL_PLACEHOLDER) || !template.contains(REGION_PLACEHOLDER)) {
                throw new IllegalStateException("the install script " + target.resource() + " lacks its placeholders");
            }
            templates.put(target, template);
        }
    }

    /**
     * @param apiUrl the base URL machines call, without a trailing slash, e.g. {@code https://abc.execute-api.eu-west-1.amazonaws.com}
     * @throws IllegalArgumentException when the URL or the Region is not one a script may carry
     */
    public InstallScript render(InstallTarget target, String apiUrl, String region) {
        if (apiUrl == null || !API_URL.matcher(apiUrl).matches()) {
            throw new IllegalArgumentException("not a base URL the install scripts can use: " + apiUrl);
        }
        if (region == null || !REGION.matcher(region).matches()) {
            throw new IllegalArgumentException("not an AWS Region: " + region);
        }
        String text = templates.get(target).replace(API_URL_PLACEHOLDER, apiUrl).replace(REGION_PLACEHOLDER, region);
        return new InstallScript(target, text, etag(text));
    }

    private static String load(String resource) {
        try (InputStream in = InstallScripts.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("the install script " + resource + " is missing from the package");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String etag(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return "\"" + HexFormat.of().formatHex(digest, 0, 16) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
