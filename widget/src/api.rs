//! The only code that knows the edge's URLs. Turns every non-2xx answer into
//! a `LoadError`.

use gloo_net::http::{Request, RequestBuilder, Response};
use healthlink_shared::{
    ConnectRequest, ConnectResponse, ConnectionStatus, ConnectionsResponse, DisconnectResponse,
    Flow, Problem,
};
use serde::de::DeserializeOwned;

use crate::model::{LoadError, WidgetConfig};

fn authorized(builder: RequestBuilder, config: &WidgetConfig) -> RequestBuilder {
    builder.header("authorization", &format!("Bearer {}", config.session))
}

pub async fn fetch_connections(config: &WidgetConfig) -> Result<ConnectionsResponse, LoadError> {
    let request = authorized(Request::get(&config.url("/v1/connections")), config);
    read(request.send().await).await
}

/// Asks the edge for the URL that starts connecting `source`.
pub async fn connect(
    config: &WidgetConfig,
    source: &str,
    flow: Flow,
    return_url: Option<String>,
) -> Result<String, LoadError> {
    let body = ConnectRequest { flow, return_url };
    let request = authorized(
        Request::post(&config.url(&format!("/v1/connections/{source}/connect"))),
        config,
    )
    .json(&body)
    .map_err(|_| LoadError::Unexpected(0))?;
    let answer: ConnectResponse = read(request.send().await).await?;
    Ok(answer.url)
}

pub async fn disconnect(
    config: &WidgetConfig,
    source: &str,
) -> Result<ConnectionStatus, LoadError> {
    let request = authorized(
        Request::post(&config.url(&format!("/v1/connections/{source}/disconnect"))),
        config,
    );
    let answer: DisconnectResponse = read(request.send().await).await?;
    Ok(answer.status)
}

async fn read<T: DeserializeOwned>(
    sent: Result<Response, gloo_net::Error>,
) -> Result<T, LoadError> {
    // A network failure and a CORS refusal look the same from here: the
    // browser hides the difference on purpose.
    let response = sent.map_err(|_| LoadError::Unreachable)?;
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
