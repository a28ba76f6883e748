package dev.hybridonboarding.aws;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.hybridonboarding.notification.Notice;
import dev.hybridonboarding.notification.NoticeBodies;
import dev.hybridonboarding.notification.Notifier;
import dev.hybridonboarding.support.DependencyUnavailableException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sns.model.SnsException;

/**
 * Notices on the stack's SNS topic, one body per protocol ({@code MessageStructure: json}): text for email, the JSON
 * document for everything else, Slack through Amazon Q Developer included.
 */
public final class SnsNotifier implements Notifier {

    private final Supplier<SnsClient> sns;
    private final String topicArn;

    public SnsNotifier(Supplier<SnsClient> sns, String topicArn) {
        this.sns = Lazy.of(sns);
        this.topicArn = topicArn;
    }

    @Override
    public void send(Notice notice) {
        String message = message(notice);
        try {
            sns.get()
                    .publish(request -> request.topicArn(topicArn)
                            .subject(NoticeBodies.subject(notice))
                            .messageStructure("json")
                            .message(message));
        } catch (SnsException e) {
            if (AwsErrors.isTransient(e)) {
                throw new DependencyUnavailableException("SNS Publish: " + AwsErrors.describe(e), e);
            }
            throw new IllegalStateException("SNS Publish refused: " + AwsErrors.describe(e), e);
        } catch (SdkClientException e) {
            throw new DependencyUnavailableException("SNS Publish: " + e.getMessage(), e);
        }
    }

    static String message(Notice notice) {
        try {
            String text = NoticeBodies.text(notice);
            String document = JSON.std.asString(NoticeBodies.document(notice));
            Map<String, String> bodies = new LinkedHashMap<>();
            bodies.put("default", text);
            bodies.put("email", text);
            for (String protocol : new String[] {"email-json", "sqs", "lambda", "http", "https", "firehose"}) {
                bodies.put(protocol, document);
            }
            return JSON.std.asString(bodies);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
