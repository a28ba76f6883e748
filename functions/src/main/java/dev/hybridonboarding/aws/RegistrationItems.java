package dev.hybridonboarding.aws;

import static dev.hybridonboarding.aws.Attr.ACTIVATION_ID;
import static dev.hybridonboarding.aws.Attr.DEREGISTRATION_HANDLED_AT;
import static dev.hybridonboarding.aws.Attr.ENROLLMENT_ID;
import static dev.hybridonboarding.aws.Attr.FLEET;
import static dev.hybridonboarding.aws.Attr.INSTANCE_ID;
import static dev.hybridonboarding.aws.Attr.KIND;
import static dev.hybridonboarding.aws.Attr.NAME;
import static dev.hybridonboarding.aws.Attr.REGISTRATION_HANDLED_AT;
import static dev.hybridonboarding.aws.Attr.VERDICT;
import static dev.hybridonboarding.aws.Attr.WINDOW_START;

import dev.hybridonboarding.registration.DigestKind;
import dev.hybridonboarding.registration.DigestMember;
import dev.hybridonboarding.registration.InstanceRecord;
import dev.hybridonboarding.registration.RegistrationEvent.Change;
import dev.hybridonboarding.registration.Verdict;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** The registration step's items of the table; {@link TableItems} has the whole layout. */
final class RegistrationItems {

    /** The gsi1 partition of digest windows whose digest has not gone out. */
    static final String UNSENT_DIGESTS = "DIGESTS";

    private static final String MEMBER = "INSTANCE#";

    private RegistrationItems() {}

    static Map<String, AttributeValue> instanceKey(String instanceId) {
        return TableItems.key("INSTANCE#" + instanceId, "INSTANCE");
    }

    static Map<String, AttributeValue> windowKey(DigestKind kind, Instant windowStart) {
        return TableItems.key(windowPartition(kind, windowStart), "WINDOW");
    }

    static Map<String, AttributeValue> memberItem(DigestKind kind, Instant windowStart, DigestMember member) {
        Map<String, AttributeValue> item =
                TableItems.key(windowPartition(kind, windowStart), MEMBER + member.instanceId());
        INSTANCE_ID.put(item, TableItems.s(member.instanceId()));
        NAME.put(item, TableItems.s(member.name()));
        FLEET.put(item, TableItems.s(member.fleet()));
        return item;
    }

    static String windowPartition(DigestKind kind, Instant windowStart) {
        return "DIGEST#" + kind.label() + "#" + windowStart.getEpochSecond();
    }

    static String memberPrefix() {
        return MEMBER;
    }

    /** Orders unsent windows by their end, so that those over by a time are one key range. */
    static String unsentSortKey(Instant windowEnd, DigestKind kind, Instant windowStart) {
        return TableItems.sortable(windowEnd) + "#" + kind.label() + "#" + windowStart.getEpochSecond();
    }

    static Attr handledAt(Change change) {
        return change == Change.REGISTERED ? REGISTRATION_HANDLED_AT : DEREGISTRATION_HANDLED_AT;
    }

    static InstanceRecord instance(String instanceId, Map<String, AttributeValue> item) {
        Optional<InstanceRecord.Facts> facts = TableItems.optionalString(item, VERDICT)
                .map(verdict -> new InstanceRecord.Facts(
                        TableItems.optionalString(item, ACTIVATION_ID).orElse("unknown"),
                        Verdict.parse(verdict),
                        TableItems.optionalString(item, FLEET),
                        TableItems.optionalString(item, ENROLLMENT_ID),
                        TableItems.optionalString(item, NAME)));
        return new InstanceRecord(
                instanceId, instant(item, REGISTRATION_HANDLED_AT), instant(item, DEREGISTRATION_HANDLED_AT), facts);
    }

    /** The facts as attribute values to set, by attribute; absent facts are left as they are. */
    static Map<Attr, AttributeValue> facts(InstanceRecord.Facts facts) {
        Map<Attr, AttributeValue> values = new HashMap<>();
        values.put(ACTIVATION_ID, TableItems.s(facts.activationId()));
        values.put(VERDICT, TableItems.s(facts.verdict().label()));
        facts.fleet().ifPresent(fleet -> values.put(FLEET, TableItems.s(fleet)));
        facts.enrollmentId().ifPresent(id -> values.put(ENROLLMENT_ID, TableItems.s(id)));
        facts.name().ifPresent(name -> values.put(NAME, TableItems.s(name)));
        return values;
    }

    static DigestMember member(Map<String, AttributeValue> item) {
        return new DigestMember(
                INSTANCE_ID.in(item).s(), NAME.in(item).s(), FLEET.in(item).s());
    }

    static DigestKind kind(Map<String, AttributeValue> item) {
        return DigestKind.parse(KIND.in(item).s());
    }

    static Instant windowStart(Map<String, AttributeValue> item) {
        return TableItems.readEpoch(WINDOW_START.in(item));
    }

    private static Optional<Instant> instant(Map<String, AttributeValue> item, Attr attribute) {
        return TableItems.optionalString(item, attribute).map(Instant::parse);
    }
}
