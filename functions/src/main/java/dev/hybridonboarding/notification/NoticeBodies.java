package dev.hybridonboarding.notification;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A notice as each kind of subscriber reads it. People get text. Programs and Slack get one versioned JSON document:
 * the custom-notification format of Amazon Q Developer in chat applications (formerly AWS Chatbot), which drops any
 * other payload, with every fact also under {@code metadata.additionalContext} by its key, for programs (the README
 * documents the keys). Chatbot takes only strings there, so every value is one.
 */
public final class NoticeBodies {

    /** The version of the JSON document's own fields; the envelope's {@code version} is Chatbot's. */
    public static final String SCHEMA = "hybrid-onboarding/notice/1";

    private static final int MAX_SUBJECT = 100;

    private NoticeBodies() {}

    /** Readable text for email. */
    public static String text(Notice notice) {
        StringBuilder text = new StringBuilder();
        text.append(notice.isAlert() ? "ALERT: " : "")
                .append(notice.title())
                .append("\n\n")
                .append(notice.summary())
                .append("\n\n");
        notice.facts().stream()
                .filter(Notice.Fact::forPeople)
                .forEach(fact -> text.append(fact.label())
                        .append(": ")
                        .append(fact.value())
                        .append('\n'));
        if (!notice.nextSteps().isEmpty()) {
            text.append("\nNext steps:\n");
            notice.nextSteps().forEach(step -> text.append("- ").append(step).append('\n'));
        }
        if (!notice.resources().isEmpty()) {
            text.append("\nResources:\n");
            notice.resources()
                    .forEach(resource -> text.append("- ").append(resource).append('\n'));
        }
        return text.toString();
    }

    /** An email subject: SNS takes at most 100 printable ASCII characters. */
    public static String subject(Notice notice) {
        String subject = ((notice.isAlert() ? "ALERT: " : "") + "Hybrid Onboarding: " + notice.title())
                .replaceAll("[^\\x20-\\x7E]", "?");
        return subject.length() <= MAX_SUBJECT ? subject : subject.substring(0, MAX_SUBJECT - 3) + "...";
    }

    /** The JSON document for Slack (through Amazon Q Developer) and for SQS, Lambda and HTTPS subscribers. */
    public static Map<String, Object> document(Notice notice) {
        StringBuilder description = new StringBuilder(notice.summary());
        if (notice.facts().stream().anyMatch(Notice.Fact::forPeople)) {
            description.append("\n");
            notice.facts().stream()
                    .filter(Notice.Fact::forPeople)
                    .forEach(fact -> description
                            .append("\n*")
                            .append(fact.label())
                            .append(":* ")
                            .append(fact.value()));
        }
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("textType", "client-markdown");
        content.put("title", (notice.isAlert() ? ":rotating_light: " : "") + notice.title());
        content.put("description", description.toString());
        content.put("nextSteps", notice.nextSteps());
        content.put("keywords", List.of(notice.kind().eventType(), notice.isAlert() ? "alert" : "info"));
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("schema", SCHEMA);
        context.put("severity", notice.isAlert() ? "alert" : "info");
        notice.facts().forEach(fact -> context.put(fact.key(), fact.value()));
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("threadId", notice.threadId());
        metadata.put("summary", notice.summary());
        metadata.put("eventType", notice.kind().eventType());
        metadata.put("relatedResources", notice.resources());
        metadata.put("additionalContext", context);
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("version", "1.0");
        document.put("source", "custom");
        document.put("id", notice.id());
        document.put("content", content);
        document.put("metadata", metadata);
        return document;
    }
}
