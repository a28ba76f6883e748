package dev.hybridonboarding.registration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.hybridonboarding.function.RegistrationHandler;
import dev.hybridonboarding.log.StructuredLog;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The handler maps a batch's dispositions onto what the event source mapping reads: failures, after a visibility change. */
class RegistrationHandlerTest extends RegistrationFixture {

    private final List<String> redelivered = new ArrayList<>();
    private final RegistrationHandler handler = new RegistrationHandler(
            step(),
            (receipt, delay) -> redelivered.add(receipt + "@" + delay.toSeconds()),
            new StructuredLog(new PrintStream(OutputStream.nullOutputStream())));

    private static Map<String, Object> record(String messageId, String body, int receiveCount) {
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("messageId", messageId);
        record.put("receiptHandle", "receipt-" + messageId);
        record.put("body", body);
        record.put(
                "attributes",
                Map.of("ApproximateReceiveCount", Integer.toString(receiveCount), "SentTimestamp", "1796040005000"));
        record.put("eventSource", "aws:sqs");
        return record;
    }

    @Test
    void onlyTheMessagesToDeliverAgainAreReportedEachAfterItsVisibilityWasSet() throws IOException {
        String ready = machine(singleUse, "web-50");
        String waiting = ssm.registerMachine(enroll(singleUse, "web-51").activationId());

        Map<String, Object> response = handler.handleRequest(
                Map.of(
                        "Records",
                        List.of(
                                record("a", JSON.std.asString(registered(ready)), 1),
                                record("b", JSON.std.asString(registered(waiting)), 1),
                                record("c", "not json", 1))),
                null);

        assertThat(response)
                .isEqualTo(Map.of(
                        "batchItemFailures", List.of(Map.of("itemIdentifier", "b"), Map.of("itemIdentifier", "c"))));
        assertThat(redelivered).hasSize(2);
        assertThat(redelivered.get(0)).startsWith("receipt-b@");
        assertThat(Long.parseLong(redelivered.get(0).split("@")[1])).isBetween(1L, REPORT_WAIT.toSeconds());
        assertThat(redelivered.get(1)).isEqualTo("receipt-c@0");
    }

    @Test
    void theLastReceiveCountsFromTheRecordsAttributes() throws IOException {
        String waiting = ssm.registerMachine(enroll(singleUse, "web-52").activationId());

        Map<String, Object> response = handler.handleRequest(
                Map.of("Records", List.of(record("a", JSON.std.asString(registered(waiting)), MAX_RECEIVES))), null);

        assertThat(response).isEqualTo(Map.of("batchItemFailures", List.of()));
    }

    @Test
    void theSweepsTickRunsTheSweepAndAnythingElseIsRefused() {
        machine(singleUse, "web-53");
        clock.advance(Duration.ofMinutes(10));

        assertThat(handler.handleRequest(Map.of("source", RegistrationHandler.SWEEP_SOURCE), null))
                .containsEntry("enqueued", 1)
                .containsEntry("instances", 1);
        assertThatThrownBy(() -> handler.handleRequest(Map.of("source", "elsewhere"), null))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
