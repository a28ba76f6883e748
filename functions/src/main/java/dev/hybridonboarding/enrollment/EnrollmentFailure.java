package dev.hybridonboarding.enrollment;

/** Every way an enrollment request can fail, with the HTTP status and the error code the API returns. */
public enum EnrollmentFailure {
    MALFORMED_JSON(400, "malformed_json"),
    INVALID_REQUEST(400, "invalid_request"),
    INVALID_HOSTNAME(400, "invalid_hostname"),
    INVALID_PLATFORM(400, "invalid_platform"),
    INVALID_MACHINE_ID(400, "invalid_machine_id"),
    INVALID_TAGS(400, "invalid_tags"),
    PAYLOAD_TOO_LARGE(413, "payload_too_large"),
    UNSUPPORTED_MEDIA_TYPE(415, "unsupported_media_type"),
    INVALID_TOKEN(401, "invalid_token"),
    SOURCE_NOT_ALLOWED(403, "source_ip_not_allowed"),
    TOKEN_EXHAUSTED(403, "token_exhausted"),
    TAG_NOT_ACCEPTED(403, "tag_not_accepted"),
    FLEET_NOT_FOUND(403, "fleet_not_found"),
    FLEET_DISABLED(403, "fleet_disabled"),
    TOO_MANY_FAILURES(429, "too_many_failures"),
    FLEET_MISCONFIGURED(500, "fleet_misconfigured"),
    INTERNAL_ERROR(500, "internal_error"),
    SERVICE_UNAVAILABLE(503, "service_unavailable");

    private final int status;
    private final String code;

    EnrollmentFailure(int status, String code) {
        this.status = status;
        this.code = code;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }
}
