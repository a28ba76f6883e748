package dev.hybridonboarding.registration;

import dev.hybridonboarding.activation.InstanceTags;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The tags a registration adds to the instance: what its activation could not carry. A single-use activation already
 * copied the fleet's tags, the accepted request tags and the enrollment id onto it; a shared one serves many machines,
 * so only the registration can say which enrollment, hostname and request tags are this machine's.
 */
final class RegistrationTags {

    private RegistrationTags() {}

    /** Nothing for an instance another deployment handles. */
    static Map<String, String> of(Judgement judgement, ManagedInstance instance) {
        if (judgement instanceof Judgement.Foreign) {
            return Map.of();
        }
        Map<String, String> tags = new LinkedHashMap<>();
        if (judgement instanceof Judgement.Enrolled enrolled) {
            tags.put(
                    InstanceTags.NAME,
                    InstanceTags.safeValue(enrolled.enrollment().request().hostname()));
            if (enrolled.shared()) {
                tags.putAll(enrolled.enrollment().acceptedTags());
            }
            tags.put(InstanceTags.ENROLLMENT_ID, enrolled.enrollment().enrollmentId());
        } else if (judgement instanceof Judgement.Unmatched) {
            instance.report()
                    .ifPresent(report -> tags.put(InstanceTags.NAME, InstanceTags.safeValue(report.computerName())));
        } else if (judgement instanceof Judgement.Mismatch mismatch) {
            tags.put(InstanceTags.ENROLLMENT_ID, mismatch.enrollment().enrollmentId());
            tags.put(InstanceTags.STATUS, Verdict.MISMATCH.label());
        } else {
            tags.put(InstanceTags.STATUS, Verdict.UNMANAGED.label());
        }
        tags.put(InstanceTags.REGISTERED_AT, instance.registeredAt().toString());
        return tags;
    }
}
