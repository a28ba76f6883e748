package dev.hybridonboarding.install;

import java.util.Optional;

/** The first-boot scripts the API serves: one per operating system a hybrid activation supports. */
public enum InstallTarget {
    LINUX("linux", "install/linux.sh", "hybrid-onboarding-install.sh"),
    WINDOWS("windows", "install/windows.ps1", "hybrid-onboarding-install.ps1");

    private final String pathSegment;
    private final String resource;
    private final String fileName;

    InstallTarget(String pathSegment, String resource, String fileName) {
        this.pathSegment = pathSegment;
        this.resource = resource;
        this.fileName = fileName;
    }

    /** The target a request path names by its last segment: {@code /v1/install/linux}. */
    public static Optional<InstallTarget> ofPath(String path) {
        if (path == null) {
            return Optional.empty();
        }
        String trimmed = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        String last = trimmed.substring(trimmed.lastIndexOf('/') + 1);
        for (InstallTarget target : values()) {
            if (target.pathSegment.equals(last)) {
                return Optional.of(target);
            }
        }
        return Optional.empty();
    }

    /** The path the API serves this script at. */
    String path() {
        return "/v1/install/" + pathSegment;
    }

    String resource() {
        return resource;
    }

    /** The name a browser saves the script under. */
    public String fileName() {
        return fileName;
    }
}
