//! The one HTTP capability aggregators need, as plain data, so their request
//! building and response reading are tested natively with a scripted client.
//! The Worker implements [`HttpClient`] with `fetch` and a timeout.

use super::AggregatorError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Delete,
}

/// An upstream request. Not `Debug`: headers carry credentials and URLs may
/// carry per-user tokens; use [`HttpRequest::describe`] for logs.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<String>,
}

impl HttpRequest {
    pub fn get(url: String) -> Self {
        Self {
            method: Method::Get,
            url,
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn post(url: String, content_type: &'static str, body: String) -> Self {
        Self {
            method: Method::Post,
            url,
            headers: vec![("content-type", content_type)]
                .into_iter()
                .map(|(name, value)| (name, value.to_owned()))
                .collect(),
            body: Some(body),
        }
    }

    /// A DELETE with a form body (Thryve's user deletion takes one).
    pub fn delete_form(url: String, body: String) -> Self {
        Self {
            method: Method::Delete,
            ..Self::post(url, "application/x-www-form-urlencoded", body)
        }
    }

    pub fn header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Method and path for logs: no query (tokens), no headers
    /// (credentials), and no user id — the segment after `user_id` (ROOK
    /// names our user in its paths) reads `{user_id}`.
    pub fn describe(&self) -> String {
        let path = url::Url::parse(&self.url)
            .map(|url| {
                let mut redact_next = false;
                url.path()
                    .split('/')
                    .map(|segment| {
                        let shown = if redact_next { "{user_id}" } else { segment };
                        redact_next = segment == "user_id";
                        shown
                    })
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .unwrap_or_else(|_| "?".into());
        format!("{:?} {path}", self.method)
    }
}

/// What came back. Redirects are never followed by the client: the caller
/// sees each `Location`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpResponse {
    pub status: u16,
    pub location: Option<String>,
    pub retry_after: Option<String>,
    pub body: String,
}

/// The request never produced a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportError {
    /// No complete answer within the time limit.
    Timeout,
    /// Refused, reset or dropped connection; DNS; TLS.
    Failed,
}

impl From<TransportError> for AggregatorError {
    fn from(_: TransportError) -> Self {
        AggregatorError::Unavailable
    }
}

/// Sends one request. Futures are not `Send`: a Worker is single-threaded.
#[allow(async_fn_in_trait)]
pub trait HttpClient {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}

/// Runs two futures and returns the output of whichever finishes first
/// (`Ok` for `first`, `Err` for `second`); the other is dropped. The Worker
/// races each upstream call against its deadline with this.
pub async fn race<A: std::future::Future, B: std::future::Future>(
    first: A,
    second: B,
) -> Result<A::Output, B::Output> {
    let mut first = std::pin::pin!(first);
    let mut second = std::pin::pin!(second);
    std::future::poll_fn(|context| {
        if let std::task::Poll::Ready(output) = first.as_mut().poll(context) {
            return std::task::Poll::Ready(Ok(output));
        }
        second.as_mut().poll(context).map(Err)
    })
    .await
}

/// `Basic base64(user:password)`.
pub fn basic_auth(user: &str, password: &str) -> String {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {encoded}")
}

/// Percent-encodes one URL component (query value or path segment).
pub fn encode_component(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes())
        .collect::<String>()
        // form encoding writes spaces as `+`, which a path does not decode.
        .replace('+', "%20")
}

#[cfg(test)]
pub mod testing {
    //! A scripted client for native tests: answers in order, records what
    //! was sent.

    use std::cell::RefCell;
    use std::collections::VecDeque;

    use super::*;

    #[derive(Default)]
    pub struct Scripted {
        pub answers: RefCell<VecDeque<Result<HttpResponse, TransportError>>>,
        pub sent: RefCell<Vec<HttpRequest>>,
    }

    impl Scripted {
        pub fn new(answers: Vec<Result<HttpResponse, TransportError>>) -> Self {
            Self {
                answers: RefCell::new(answers.into()),
                sent: RefCell::default(),
            }
        }

        pub fn sent(&self) -> Vec<HttpRequest> {
            self.sent.borrow().clone()
        }
    }

    impl HttpClient for Scripted {
        async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
            self.sent.borrow_mut().push(request);
            self.answers
                .borrow_mut()
                .pop_front()
                .expect("the test scripted an answer for every request")
        }
    }

    pub fn answer(status: u16, body: &str) -> Result<HttpResponse, TransportError> {
        Ok(HttpResponse {
            status,
            body: body.to_owned(),
            ..Default::default()
        })
    }

    pub fn redirect(location: &str) -> Result<HttpResponse, TransportError> {
        Ok(HttpResponse {
            status: 302,
            location: Some(location.to_owned()),
            ..Default::default()
        })
    }

    /// Runs a future whose awaits all complete immediately (scripted IO).
    pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        let mut future = std::pin::pin!(future);
        match future.as_mut().poll(&mut context) {
            std::task::Poll::Ready(output) => output,
            std::task::Poll::Pending => panic!("scripted IO never waits"),
        }
    }

    impl HttpRequest {
        pub fn header_value(&self, name: &str) -> Option<&str> {
            self.headers
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| value.as_str())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn race_returns_whichever_is_ready_first() {
        use testing::block_on;
        let never = std::future::pending::<()>();
        assert_eq!(block_on(race(async { 1 }, never)), Ok(1));
        let never = std::future::pending::<u8>();
        assert_eq!(block_on(race(never, async { "deadline" })), Err("deadline"));
    }

    #[test]
    fn basic_auth_is_base64_of_user_colon_password() {
        assert_eq!(basic_auth("user", "pass"), "Basic dXNlcjpwYXNz");
    }

    #[test]
    fn describe_hides_query_and_headers() {
        let request = HttpRequest::get("https://api.example/a/b?token=secret".into())
            .header("authorization", "Basic c2VjcmV0".into());
        assert_eq!(request.describe(), "Get /a/b");
    }

    #[test]
    fn components_are_encoded_for_paths_too() {
        assert_eq!(encode_component("Apple Health"), "Apple%20Health");
        assert_eq!(encode_component("a/b?c"), "a%2Fb%3Fc");
    }

    #[test]
    fn descriptions_for_logs_carry_no_user_id_or_query() {
        let request = HttpRequest::get(
            "https://api.rook.test/api/v2/user_id/alice%40example.org/data_sources/authorized?token=t"
                .into(),
        );
        assert_eq!(
            request.describe(),
            "Get /api/v2/user_id/{user_id}/data_sources/authorized"
        );
        assert_eq!(
            HttpRequest::get("https://api.thryve.test/v5/accessToken".into()).describe(),
            "Get /v5/accessToken"
        );
    }
}
