package dev.hybridonboarding.notification;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** People read text, Slack reads Amazon Q Developer's custom notifications, programs read the same document by key. */
class NoticeBodiesTest {

    private final Notice welcome = Notice.of(NoticeKind.MACHINE_REGISTERED, "mi-0123456789abcdef0")
            .title("Machine web-01 registered")
            .summary("mi-0123456789abcdef0 joined.")
            .fact("hostname", "Hostname", "web-01")
            .fact("ipAddress", "IP address", null)
            .data("tag:Name", "web-01")
            .resource("arn:aws:ssm:us-east-1:123456789012:managed-instance/mi-0123456789abcdef0")
            .nextStep("Open a session")
            .build();

    @Test
    void emailTextHasTheLabelledFactsStepsAndResourcesButNotWhatIsOnlyForPrograms() {
        String text = NoticeBodies.text(welcome);

        assertThat(text)
                .startsWith("Machine web-01 registered\n\nmi-0123456789abcdef0 joined.\n\nHostname: web-01\n")
                .contains("Next steps:\n- Open a session")
                .contains("Resources:\n- arn:aws:ssm:")
                .doesNotContain("tag:Name")
                .doesNotContain("IP address");
    }

    @SuppressWarnings("unchecked")
    @Test
    void theDocumentIsAChatbotCustomNotificationWithEveryFactByKeyAsAString() {
        Map<String, Object> document = NoticeBodies.document(welcome);

        assertThat(document)
                .containsEntry("version", "1.0")
                .containsEntry("source", "custom")
                .containsEntry("id", "machine-registered/mi-0123456789abcdef0");
        Map<String, Object> content = (Map<String, Object>) document.get("content");
        assertThat(content)
                .containsEntry("textType", "client-markdown")
                .containsEntry("title", "Machine web-01 registered")
                .containsEntry("nextSteps", List.of("Open a session"))
                .containsKey("keywords");
        assertThat((String) content.get("description"))
                .contains("*Hostname:* web-01")
                .doesNotContain("tag:Name");
        Map<String, Object> metadata = (Map<String, Object>) document.get("metadata");
        assertThat(metadata)
                .containsEntry("threadId", "mi-0123456789abcdef0")
                .containsEntry("eventType", "machine-registered");
        assertThat((Map<String, Object>) metadata.get("additionalContext"))
                .containsEntry("schema", NoticeBodies.SCHEMA)
                .containsEntry("severity", "info")
                .containsEntry("hostname", "web-01")
                .containsEntry("tag:Name", "web-01")
                .allSatisfy((key, value) -> assertThat(value).isInstanceOf(String.class));
    }

    @Test
    void anAlertSaysSoInTheSubjectAndTitle() {
        Notice alert = Notice.of(NoticeKind.UNMANAGED_REGISTRATION, "mi-1")
                .title("Machine registered with an activation this deployment did not issue")
                .summary("…")
                .build();

        assertThat(NoticeBodies.subject(alert))
                .startsWith("ALERT: Hybrid Onboarding: ")
                .hasSizeLessThanOrEqualTo(100);
        assertThat(NoticeBodies.document(alert))
                .extractingByKey("content")
                .asString()
                .contains(":rotating_light:");
    }
}
