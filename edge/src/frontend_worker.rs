//! The Worker's fetch entry: reads the request, decides CORS, hands the
//! request to the handlers (`crate::handlers`) and turns their answer into
//! a response with the security headers every response carries. Every
//! decision is made in plain Rust elsewhere; this file only touches the
//! runtime.

use std::rc::Rc;

use healthlink_shared::PROBLEM_CONTENT_TYPE;
use worker::{Context, Env, Headers, Request, Response, event};

use crate::aggregator::selected::Selected;
use crate::config::{Config, ConfigError};
use crate::cors::{self, CorsDecision};
use crate::error::ApiError;
use crate::fetch_client::FetchClient;
use crate::handlers::{self, Edge, Incoming, Reply, Runtime};
use crate::request_body::{CappedBody, check_body, check_declared_length, has_body};
use crate::signing::Signer;
use crate::user_state_do::DurableObjectStore;
use crate::user_store::ThryveLinks;

/// Runtime errors carry none of our secrets: logged, and hidden behind
/// `ApiError::Internal`.
impl From<worker::Error> for ApiError {
    fn from(error: worker::Error) -> Self {
        crate::log::error(&format!("internal error: {error}"));
        ApiError::Internal
    }
}

/// The runtime's clock and CSPRNG.
struct WorkerRuntime;

impl Runtime for WorkerRuntime {
    fn now_ms(&self) -> i64 {
        crate::isolate::now_ms()
    }

    /// `crypto.randomUUID()`.
    fn nonce(&self) -> Result<String, ApiError> {
        crate::isolate::random_uuid().ok_or_else(|| {
            crate::log::error("internal error: crypto.randomUUID is unavailable");
            ApiError::Internal
        })
    }
}

/// The handlers over the Worker's IO.
type WorkerEdge<'a> = Edge<
    'a,
    Selected<'a, FetchClient, ThryveLinks<'a, DurableObjectStore>>,
    DurableObjectStore,
    WorkerRuntime,
>;

/// Builds the handlers' context over this request's IO and runs `action`.
async fn with_edge<T>(
    env: &Env,
    config: &Config,
    edge_origin: &str,
    action: impl AsyncFnOnce(&WorkerEdge<'_>) -> T,
) -> Result<T, ApiError> {
    let store = DurableObjectStore::new(env, config.audit_retention, config.events.is_some())?;
    let links = ThryveLinks::new(&store);
    let http = FetchClient {
        timeout_ms: config.upstream_timeout_ms,
    };
    let aggregator = Selected::from_config(config, &http, &links, edge_origin);
    let signer = Signer::new(config.signing_key.as_bytes());
    let edge = Edge {
        config,
        signer: &signer,
        aggregator: &aggregator,
        store: &store,
        runtime: &WorkerRuntime,
        edge_origin,
    };
    Ok(action(&edge).await)
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, worker_ctx: Context) -> worker::Result<Response> {
    let url = req.url()?;
    let edge_origin = url.origin().ascii_serialization();
    let origin = req.headers().get("origin")?;
    let config = crate::isolate::config(&env);
    let allowed_origins = match &*config {
        Ok(config) => config.allowed_origins.as_slice(),
        Err(_) => &[],
    };
    let decision = cors::decide(origin.as_deref(), allowed_origins, &edge_origin);
    let result = match (&*config, &decision) {
        (_, CorsDecision::Refused) => Err(ApiError::OriginNotAllowed),
        (Err(error), _) => {
            crate::log::error(&format!("configuration: {}", error.message()));
            if url.path() == "/healthz" {
                handlers::misconfigured(error)
            } else {
                Err(ApiError::from(error.clone()))
            }
        }
        (Ok(_), _) => {
            serve(
                &mut req,
                &env,
                &worker_ctx,
                &config,
                &url,
                &edge_origin,
                origin.as_deref(),
            )
            .await
        }
    };
    let mut response = match result {
        Ok(reply) if reply.static_asset => static_asset(&env, &req).await?,
        Ok(Reply {
            live: Some(live), ..
        }) => match DurableObjectStore::open_socket(&env, &live).await {
            Ok(socket) => Response::builder()
                .with_status(101)
                .with_websocket(socket)
                .empty(),
            Err(error) => problem_response(&error)?,
        },
        Ok(reply) => response(reply)?,
        Err(error) => problem_response(&error)?,
    };
    let headers = response.headers_mut();
    for (name, value) in cors::response_headers(&decision) {
        headers.set(name, &value)?;
    }
    headers.set("x-content-type-options", "nosniff")?;
    // URLs carry return states; never leak them to other sites.
    headers.set("referrer-policy", "no-referrer")?;
    Ok(response)
}

/// Reads the request, runs its handler, and leaves any follow-up work to
/// `waitUntil`.
async fn serve(
    req: &mut Request,
    env: &Env,
    worker_ctx: &Context,
    config: &Rc<Result<Config, ConfigError>>,
    url: &worker::Url,
    edge_origin: &str,
    origin: Option<&str>,
) -> Result<Reply, ApiError> {
    let Ok(parsed) = &**config else {
        return Err(ApiError::Internal);
    };
    // The method as sent: workers-rs maps methods it does not know (QUERY,
    // PROPFIND, …) to GET, which would answer them as reads.
    let method = req.inner().method();
    let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let authorization = req.headers().get("authorization")?;
    let upgrade = req.headers().get("upgrade")?;
    let accept_language = req.headers().get("accept-language")?;
    let incoming = Incoming {
        method: &method,
        path: url.path(),
        query: &query,
        authorization: authorization.as_deref(),
        origin,
        body: "",
        upgrade_websocket: upgrade.is_some_and(|value| value.eq_ignore_ascii_case("websocket")),
        accept_language: accept_language.as_deref(),
    };
    let reply = with_edge(env, parsed, edge_origin, async |edge| {
        // Route and authenticate first; only then is a body read.
        let body = if has_body(&method) {
            edge.admit(&incoming)?;
            read_body(req).await?
        } else {
            String::new()
        };
        edge.handle(&Incoming {
            body: &body,
            ..incoming
        })
        .await
    })
    .await??;
    if let Some(follow_up) = reply.follow_up.clone() {
        let (env, config, edge_origin) = (env.clone(), config.clone(), edge_origin.to_owned());
        worker_ctx.wait_until(async move {
            if let Ok(config) = &*config {
                let done = with_edge(&env, config, &edge_origin, async |edge| {
                    edge.follow_up(follow_up).await
                });
                // A store that cannot be reached was logged by `From`.
                let _ = done.await;
            }
        });
    }
    Ok(reply)
}

/// The body of an admitted POST: refused unread when it declares too much,
/// read as a stream with a running cap (a chunked body has no length to
/// trust), and JSON.
async fn read_body(req: &mut Request) -> Result<String, ApiError> {
    use futures_util::StreamExt;
    check_declared_length(req.headers().get("content-length")?.as_deref())?;
    let content_type = req.headers().get("content-type")?;
    let mut body = CappedBody::default();
    let mut stream = req.stream()?;
    while let Some(chunk) = stream.next().await {
        body.push(&chunk?)?;
    }
    let body = body.into_text()?;
    check_body(&body, content_type.as_deref())?;
    Ok(body)
}

fn response(reply: Reply) -> worker::Result<Response> {
    let headers = Headers::new();
    for (name, value) in &reply.headers {
        headers.set(name, value)?;
    }
    if let Some(body) = &reply.body {
        headers.set("content-type", body.content_type)?;
    }
    let builder = Response::builder()
        .with_status(reply.status)
        .with_headers(headers);
    if let Some(stream) = reply.stream {
        return Ok(builder.stream(stream));
    }
    Ok(match reply.body {
        Some(body) => builder.fixed(body.text.into_bytes()),
        None => builder.empty(),
    })
}

/// Binding name of the Workers static assets; matches wrangler.toml.
const ASSETS_BINDING: &str = "ASSETS";

/// A static file the Worker runs first for (the demo page), fetched from the
/// assets and copied into a response whose headers we may still set.
async fn static_asset(env: &Env, req: &Request) -> worker::Result<Response> {
    let mut fetched = env
        .assets(ASSETS_BINDING)?
        .fetch_request(req.clone()?)
        .await?;
    let headers = Headers::new();
    for (name, value) in fetched.headers().entries() {
        headers.set(&name, &value)?;
    }
    let status = fetched.status_code();
    let body = fetched.bytes().await?;
    Ok(Response::builder()
        .with_status(status)
        .with_headers(headers)
        .fixed(body))
}

/// The one place an `ApiError` becomes an HTTP response.
fn problem_response(error: &ApiError) -> worker::Result<Response> {
    let problem = error.problem();
    let mut response = Response::from_json(&problem)?.with_status(problem.status);
    let headers = response.headers_mut();
    headers.set("content-type", PROBLEM_CONTENT_TYPE)?;
    headers.set("cache-control", "no-store")?;
    if let Some(allow) = error.allow() {
        headers.set("allow", allow)?;
    }
    if let Some(seconds) = error.retry_after() {
        headers.set("retry-after", &seconds.to_string())?;
    }
    Ok(response)
}
