package dev.hybridonboarding.activation;

import java.util.Map;

/**
 * The deployment that creates activations, named on each of them by a tag: what the scheduled clean-up recognises as
 * its own even when a crash left an activation unrecorded, and leaves alone when another deployment or a person made
 * it.
 *
 * @param stackId the CloudFormation stack's id, unique to one deployment in an account and Region
 */
public record ActivationOwner(String stackId) {

    public ActivationOwner {
        if (stackId == null || stackId.isBlank() || stackId.length() > InstanceTags.MAX_VALUE_LENGTH) {
            throw new IllegalArgumentException(
                    "a stack id of 1-" + InstanceTags.MAX_VALUE_LENGTH + " characters is required");
        }
    }

    public Map<String, String> tags() {
        return Map.of(InstanceTags.STACK, stackId);
    }

    public boolean owns(Map<String, String> activationTags) {
        return stackId.equals(activationTags.get(InstanceTags.STACK));
    }
}
