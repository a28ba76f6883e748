package dev.hybridonboarding.enrollment;

/** Every way an enrollment request can fail, with the error code the API returns; the HTTP status is the edge's to choose. */
public enum EnrollmentFailure {
    MALFORMED_JSON("malformed_json"),
    INVALID_REQUEST("invalid_request"),
    INVALID_HOSTNAME("invalid_hostname"),
    INVALID_PLATFORM("invalid_platform"),
    INVALID_MACHINE_ID("invalid_machine_id"),
    INVALID_TAGS("invalid_tags"),
    PAYLOAD_TOO_LARGE("payload_too_large"),
    UNSUPPORTED_MEDIA_TYPE("unsupported_media_type"),
    INVALID_TOKEN("invalid_token"),
    TOKEN_EXHAUSTED("token_exhausted"),
    TAG_NOT_ACCEPTED("tag_not_accepted"),
    FLEET_NOT_FOUND("fleet_not_found"),
    FLEET_DISABLED("fleet_disabled"),
    TOO_MANY_FAILURES("too_many_failures"),
    FLEET_MISCONFIGURED("fleet_misconfigured"),
    INTERNAL_ERROR("internal_error"),
    SERVICE_UNAVAILABLE("service_unavailable");

    private final String code;

    EnrollmentFailure(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }
}
