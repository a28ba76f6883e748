package dev.hybridonboarding.aws;

import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.SdkHttpClient;

/**
 * What an SDK client is built with but must not carry across a SnapStart snapshot: the HTTP client (its
 * connections) and the credentials provider (its cached credentials). The SDK clients, whose marshallers and
 * signers priming warms up, keep these wrappers; only what is behind them is replaced.
 */
final class Switchable {

    private Switchable() {}

    static final class Http implements SdkHttpClient {

        private volatile SdkHttpClient delegate;

        Http(SdkHttpClient delegate) {
            this.delegate = delegate;
        }

        SdkHttpClient delegate() {
            return delegate;
        }

        void replace(SdkHttpClient next) {
            SdkHttpClient previous = delegate;
            delegate = next;
            previous.close();
        }

        @Override
        public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
            return delegate.prepareRequest(request);
        }

        @Override
        public void close() {
            delegate.close();
        }
    }

    static final class Credentials implements AwsCredentialsProvider {

        private volatile AwsCredentialsProvider delegate;

        Credentials(AwsCredentialsProvider delegate) {
            this.delegate = delegate;
        }

        AwsCredentialsProvider delegate() {
            return delegate;
        }

        void replace(AwsCredentialsProvider next) {
            delegate = next;
        }

        @Override
        public AwsCredentials resolveCredentials() {
            return delegate.resolveCredentials();
        }
    }
}
