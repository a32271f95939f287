//! Upstream HTTP over the runtime's `fetch`: redirects are not followed
//! (callers read each `Location`), and every call is bounded by the
//! configured time limit, after which it is aborted.

use worker::{AbortController, Delay, Fetch, Headers, Request, RequestInit, RequestRedirect};

use crate::aggregator::http::{
    HttpClient, HttpRequest, HttpResponse, Method as HttpMethod, TransportError, race,
};

pub struct FetchClient {
    pub timeout_ms: u32,
}

impl HttpClient for FetchClient {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let controller = AbortController::default();
        let signal = controller.signal();
        let call = async {
            let headers = Headers::new();
            for (name, value) in &request.headers {
                headers
                    .set(name, value)
                    .map_err(|_| TransportError::Failed)?;
            }
            let mut init = RequestInit::new();
            init.with_method(match request.method {
                HttpMethod::Get => worker::Method::Get,
                HttpMethod::Post => worker::Method::Post,
                HttpMethod::Delete => worker::Method::Delete,
            })
            .with_headers(headers)
            .with_redirect(RequestRedirect::Manual);
            if let Some(body) = &request.body {
                init.with_body(Some(body.as_str().into()));
            }
            let outgoing =
                Request::new_with_init(&request.url, &init).map_err(|_| TransportError::Failed)?;
            let mut response = Fetch::Request(outgoing)
                .send_with_signal(&signal)
                .await
                .map_err(|_| TransportError::Failed)?;
            let status = response.status_code();
            let header = |name: &str| response.headers().get(name).ok().flatten();
            let location = header("location");
            let retry_after = header("retry-after");
            let body = if (300..400).contains(&status) {
                String::new()
            } else {
                response.text().await.map_err(|_| TransportError::Failed)?
            };
            Ok(HttpResponse {
                status,
                location,
                retry_after,
                body,
            })
        };
        let deadline = Delay::from(std::time::Duration::from_millis(self.timeout_ms.into()));
        match race(call, deadline).await {
            Ok(result) => {
                if let Err(error) = &result {
                    crate::log::error(&format!(
                        "upstream {} failed: {error:?}",
                        request.describe()
                    ));
                }
                result
            }
            Err(()) => {
                controller.abort();
                crate::log::error(&format!(
                    "upstream {} timed out after {} ms",
                    request.describe(),
                    self.timeout_ms
                ));
                Err(TransportError::Timeout)
            }
        }
    }
}
