package dev.hybridonboarding.testing;

import dev.hybridonboarding.activation.ActivationCode;
import dev.hybridonboarding.activation.SharedCodeVault;
import java.nio.charset.StandardCharsets;

/**
 * The key service, in memory: a sealed code opens only for the fleet and activation it was sealed for, as the
 * encryption context makes it with KMS.
 */
public final class FakeCodeVault implements SharedCodeVault {

    /** The calls a test can make fail. */
    public enum Operation {
        SEAL,
        OPEN
    }

    private final Faults<Operation> faults = new Faults<>(Operation.class);
    private int opened;

    public Faults<Operation> faults() {
        return faults;
    }

    @Override
    public byte[] seal(ActivationCode code, String fleet, String activationId) {
        return faults.around(
                Operation.SEAL, () -> (context(fleet, activationId) + code.reveal()).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public ActivationCode open(byte[] sealed, String fleet, String activationId) {
        return faults.around(Operation.OPEN, () -> {
            String text = new String(sealed, StandardCharsets.UTF_8);
            String context = context(fleet, activationId);
            if (!text.startsWith(context)) {
                throw new IllegalStateException("KMS Decrypt refused: InvalidCiphertextException");
            }
            synchronized (this) {
                opened++;
            }
            return new ActivationCode(text.substring(context.length()));
        });
    }

    /** Decrypt calls that succeeded. */
    public synchronized int opened() {
        return opened;
    }

    private static String context(String fleet, String activationId) {
        return "sealed|" + fleet + "|" + activationId + "|";
    }
}
