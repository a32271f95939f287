//! The Worker's fetch entry: routing, CORS, authentication and the call to the
//! user's Durable Object. Every decision is made by the plain-Rust modules;
//! this file only moves data between them and the runtime.

use healthlink_shared::{PROBLEM_CONTENT_TYPE, Problem};
use serde::Serialize;
use worker::{Context, Env, Request, Response, console_error, event};

use crate::auth::authenticate;
use crate::config::Config;
use crate::connections::status_list;
use crate::cors::{self, CorsDecision};
use crate::error::ApiError;
use crate::routes::{Route, route};
use crate::user_id::UserId;
use crate::user_state::{PATH_STATUSES, StoredStatus};

/// Binding name of the per-user Durable Object namespace; matches wrangler.toml.
pub const USER_STATE_BINDING: &str = "USER_STATE";

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let url = req.url()?;
    let edge_origin = url.origin().ascii_serialization();
    let origin = req.headers().get("origin")?;

    let config = Config::from_lookup(|name| env.var(name).ok().map(|value| value.to_string()));
    let allowed_origins = config
        .as_ref()
        .map(|config| config.allowed_origins.as_slice())
        .unwrap_or_default();
    let decision = cors::decide(origin.as_deref(), allowed_origins, &edge_origin);

    let result = match (config, &decision) {
        (_, CorsDecision::Refused) => Err(ApiError::OriginNotAllowed),
        (Err(error), _) => Err(ApiError::from(error)),
        (Ok(config), _) => handle(&req, &env, &config, url.path()).await,
    };
    let mut response = match result {
        Ok(response) => response,
        Err(error) => problem_response(&error)?,
    };
    for (name, value) in cors::response_headers(&decision) {
        response.headers_mut().set(name, &value)?;
    }
    Ok(response)
}

async fn handle(
    req: &Request,
    env: &Env,
    config: &Config,
    path: &str,
) -> Result<Response, ApiError> {
    match route(req.method().as_ref(), path)? {
        Route::Healthz => json(&Healthz {
            status: "ok",
            aggregator: config.aggregator.as_str(),
        }),
        Route::Preflight => preflight(),
        Route::Connections => {
            let authorization = req.headers().get("authorization").map_err(internal)?;
            let user = authenticate(authorization.as_deref(), config)?;
            let stored = load_statuses(env, &user).await?;
            json(&status_list(&stored))
        }
    }
}

#[derive(Serialize)]
struct Healthz {
    status: &'static str,
    aggregator: &'static str,
}

fn preflight() -> Result<Response, ApiError> {
    let mut response = Response::empty().map_err(internal)?.with_status(204);
    for (name, value) in cors::preflight_headers() {
        response.headers_mut().set(name, value).map_err(internal)?;
    }
    Ok(response)
}

/// Asks the user's Durable Object for its stored statuses. One object per
/// user id: `id_from_name` maps the same user to the same object everywhere.
async fn load_statuses(env: &Env, user: &UserId) -> Result<Vec<StoredStatus>, ApiError> {
    let stub = env
        .durable_object(USER_STATE_BINDING)
        .and_then(|namespace| namespace.get_by_name(user.as_str()))
        .map_err(internal)?;
    let mut response = stub
        .fetch_with_str(&format!("https://user-state{PATH_STATUSES}"))
        .await
        .map_err(internal)?;
    if response.status_code() != 200 {
        console_error!("user state answered {}", response.status_code());
        return Err(ApiError::Internal);
    }
    response.json().await.map_err(internal)
}

fn json<T: Serialize>(body: &T) -> Result<Response, ApiError> {
    let mut response = Response::from_json(body).map_err(internal)?;
    response
        .headers_mut()
        .set("cache-control", "no-store")
        .map_err(internal)?;
    Ok(response)
}

/// The one place an `ApiError` becomes an HTTP response.
fn problem_response(error: &ApiError) -> worker::Result<Response> {
    let problem: Problem = error.problem();
    let mut response = Response::from_json(&problem)?.with_status(problem.status);
    response
        .headers_mut()
        .set("content-type", PROBLEM_CONTENT_TYPE)?;
    response.headers_mut().set("cache-control", "no-store")?;
    Ok(response)
}

/// Logs a runtime error (never a secret: runtime errors carry none of ours)
/// and hides it behind `ApiError::Internal`.
fn internal(error: impl std::fmt::Display) -> ApiError {
    console_error!("internal error: {error}");
    ApiError::Internal
}
