package dev.hybridonboarding.registration;

import java.util.Optional;

/**
 * Where a managed instance is in the Systems Manager console, and its ARN, for links in the messages. The partition
 * and account come from the stack's own ARN.
 */
final class Consoles {

    private final String region;
    private final Optional<String> partition;
    private final Optional<String> account;

    /** @param stackId the stack's ARN, {@code arn:PARTITION:cloudformation:REGION:ACCOUNT:stack/NAME/ID} */
    Consoles(String region, String stackId) {
        this.region = region;
        String[] parts = stackId.split(":");
        boolean arn = parts.length >= 6 && "arn".equals(parts[0]);
        this.partition = arn ? Optional.of(parts[1]) : Optional.empty();
        this.account = arn ? Optional.of(parts[4]) : Optional.empty();
    }

    /** The node's page in Fleet Manager. */
    String node(String instanceId) {
        return "https://" + host() + "/systems-manager/fleet-manager/managed-nodes/" + instanceId + "/general?region="
                + region;
    }

    Optional<String> instanceArn(String instanceId) {
        return partition.flatMap(
                p -> account.map(a -> "arn:" + p + ":ssm:" + region + ":" + a + ":managed-instance/" + instanceId));
    }

    private String host() {
        if (region.startsWith("cn-")) {
            return "console.amazonaws.cn";
        }
        if (region.startsWith("us-gov-")) {
            return "console.amazonaws-us-gov.com";
        }
        return region + ".console.aws.amazon.com";
    }
}
