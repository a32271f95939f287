//! The only code that knows the edge's URLs. Turns every non-2xx answer into
//! a `LoadError`.

use gloo_net::http::Request;
use healthlink_shared::{ConnectionsResponse, Problem};

use crate::model::{LoadError, WidgetConfig};

pub async fn fetch_connections(config: &WidgetConfig) -> Result<ConnectionsResponse, LoadError> {
    let response = Request::get(&config.url("/v1/connections"))
        .header("authorization", &format!("Bearer {}", config.session))
        .send()
        .await
        // A network failure and a CORS refusal look the same from here: the
        // browser hides the difference on purpose.
        .map_err(|_| LoadError::Unreachable)?;
    let status = response.status();
    if response.ok() {
        return response
            .json()
            .await
            .map_err(|_| LoadError::Unexpected(status));
    }
    match response.json::<Problem>().await {
        Ok(problem) => Err(LoadError::Problem(problem)),
        Err(_) => Err(LoadError::Unexpected(status)),
    }
}
