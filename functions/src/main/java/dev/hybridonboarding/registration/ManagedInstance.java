package dev.hybridonboarding.registration;

import java.time.Instant;
import java.util.Optional;

/**
 * A managed instance as Systems Manager describes it.
 *
 * @param report what the agent's service said of the machine, once it has: SSM knows nothing of it at registration
 */
public record ManagedInstance(
        String instanceId, String activationId, Instant registeredAt, Optional<MachineReport> report) {

    /**
     * The machine as its agent reported it, with the second ping after its service starts.
     *
     * @param ipAddress    may be empty, as may the platform's parts
     */
    public record MachineReport(
            String computerName, String ipAddress, String platformName, String platformVersion, String platformType) {

        /** "Ubuntu 22.04 (Linux)", or what of it is known. */
        public String platform() {
            StringBuilder text = new StringBuilder();
            if (platformName != null && !platformName.isBlank()) {
                text.append(platformName);
                if (platformVersion != null && !platformVersion.isBlank()) {
                    text.append(' ').append(platformVersion);
                }
            }
            if (platformType != null && !platformType.isBlank()) {
                text.append(text.isEmpty() ? platformType : " (" + platformType + ")");
            }
            return text.isEmpty() ? null : text.toString();
        }

        public Optional<String> ip() {
            return ipAddress == null || ipAddress.isBlank() ? Optional.empty() : Optional.of(ipAddress);
        }
    }
}
