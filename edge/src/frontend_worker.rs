//! The Worker's fetch entry: CORS, routing, authentication, then one handler
//! per route. Every decision is made by the plain-Rust modules; this file
//! reads the request, calls them, does the IO and writes the answer.

use healthlink_shared::{
    AuditPage, ConnectRequest, ConnectResponse, ConnectionStatus, ConnectionsResponse,
    CreateSessionRequest, DisconnectResponse, FlowAction, FlowOutcome, PROBLEM_CONTENT_TYPE, Scope,
    SessionResponse, SourceInfo, find_source,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use worker::{Context, Env, Request, Response, console_error, event};

use crate::aggregator::http::{
    HttpClient, HttpRequest, HttpResponse, Method as HttpMethod, TransportError, race,
};
use crate::aggregator::rook::{self, Rook};
use crate::aggregator::sandbox::{Sandbox, is_own_return};
use crate::aggregator::thryve::{self, Thryve};
use crate::aggregator::{
    Aggregator, AggregatorError, ConnectContext, DisconnectOutcome, Selected, UserLinks,
};
use crate::config::{AggregatorConfig, Config, ConfigError};
use crate::connections::{connected_sources, reconcile, status_list};
use crate::cors::{self, CorsDecision};
use crate::error::ApiError;
use crate::flows::{
    ReturnTarget, connect_result, disconnect_is_recorded, disconnect_result, plan_connect,
    return_target,
};
use crate::pages::{PAGE_CSP, consent_page, popup_result_page};
use crate::return_state::ReturnState;
use crate::routes::{RETURN_PATH, Route, route};
use crate::session::{self, SessionClaims};
use crate::signing::Signer;
use crate::time::rfc3339_from_unix_ms;
use crate::user_id::UserId;
use crate::user_state::{
    Change, INDEX_USER_LINK, StoredStatus, THRYVE_END_USER_LINK, audit_cursor, thryve_index_object,
};
use crate::user_state_do::UserStateClient;

/// Request bodies above this are refused (413) before parsing.
const MAX_BODY_BYTES: usize = 16 * 1024;
/// The demo page's fixed user (sandbox only).
const DEMO_USER: &str = "demo-user";

/// What every handler gets: the parsed request context.
struct Ctx<'a> {
    req: &'a Request,
    env: &'a Env,
    worker: &'a Context,
    config: &'a Config,
    signer: Signer,
    http: FetchClient,
    links: ThryveLinks<'a>,
    edge_origin: String,
    origin: Option<String>,
    now_ms: i64,
}

/// The configured aggregator over the Worker's IO.
type Upstream<'a> = Selected<'a, FetchClient, ThryveLinks<'a>>;

impl Ctx<'_> {
    fn now(&self) -> i64 {
        self.now_ms / 1000
    }

    fn header(&self, name: &str) -> Result<Option<String>, ApiError> {
        self.req.headers().get(name).map_err(internal)
    }

    fn users(&self, user: &UserId) -> Result<UserStateClient, ApiError> {
        UserStateClient::new(self.env, user)
    }

    /// The session of a widget request, checked for origin and `scope`.
    fn session(&self, scope: Scope) -> Result<SessionClaims, ApiError> {
        let claims = session::verify(
            self.header("authorization")?.as_deref(),
            &self.signer,
            self.now(),
        )?;
        claims.check_origin(self.origin.as_deref(), &self.edge_origin)?;
        claims.require(scope)?;
        Ok(claims)
    }

    fn backend(&self) -> Result<(), ApiError> {
        session::verify_api_key(self.header("authorization")?.as_deref(), self.config)
    }

    /// The one place the configured aggregator is chosen. `stored_connected`
    /// feeds the sandbox's simulated expiry; real aggregators ignore it.
    fn aggregator(&self, stored_connected: Vec<&'static str>) -> Upstream<'_> {
        select_aggregator(
            self.config,
            &self.http,
            &self.links,
            &self.edge_origin,
            stored_connected,
        )
    }

    fn change(&self, user: &UserId, source: &str, actor: &str, action: &str) -> Change {
        Change {
            at_ms: self.now_ms,
            user_id: user.to_string(),
            source: source.to_owned(),
            status: None,
            error: None,
            actor: actor.to_owned(),
            action: action.to_owned(),
            result: String::new(),
            aggregator: self.config.aggregator.name().to_owned(),
        }
    }
}

fn select_aggregator<'a>(
    config: &'a Config,
    http: &'a FetchClient,
    links: &'a ThryveLinks<'a>,
    edge_origin: &str,
    stored_connected: Vec<&'static str>,
) -> Upstream<'a> {
    match &config.aggregator {
        AggregatorConfig::Sandbox => Selected::Sandbox(Sandbox::new(edge_origin, stored_connected)),
        AggregatorConfig::Thryve(thryve) => Selected::Thryve(Thryve::new(
            thryve,
            http,
            links,
            config.signing_key.as_bytes(),
        )),
        AggregatorConfig::Rook(rook) => Selected::Rook(Rook::new(rook, http)),
    }
}

/// Logs what the operator needs to know about an aggregator failure (never
/// a secret: details name calls, statuses and variables) and turns it into
/// what the client sees.
fn upstream_error(error: AggregatorError) -> ApiError {
    match &error {
        AggregatorError::Misconfigured { detail } => {
            console_error!("operator action needed: {detail}")
        }
        AggregatorError::Unavailable => console_error!("aggregator unavailable"),
        _ => {}
    }
    error.into()
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, worker_ctx: Context) -> worker::Result<Response> {
    let url = req.url()?;
    let edge_origin = url.origin().ascii_serialization();
    let origin = req.headers().get("origin")?;

    let config = Config::from_lookup(|name| {
        env.secret(name)
            .ok()
            .map(|value| value.to_string())
            .or_else(|| env.var(name).ok().map(|value| value.to_string()))
    });
    let allowed_origins = config
        .as_ref()
        .map(|config| config.allowed_origins.as_slice())
        .unwrap_or_default();
    let decision = cors::decide(origin.as_deref(), allowed_origins, &edge_origin);

    let result = match (&config, &decision) {
        (_, CorsDecision::Refused) => Err(ApiError::OriginNotAllowed),
        (Err(error), _) if url.path() == "/healthz" => {
            console_error!("configuration: {}", error.message());
            unhealthy(error)
        }
        (Err(error), _) => {
            console_error!("configuration: {}", error.message());
            Err(ApiError::from(error.clone()))
        }
        (Ok(config), _) => {
            let body = read_body(&mut req).await;
            let ctx = Ctx {
                req: &req,
                env: &env,
                worker: &worker_ctx,
                config,
                signer: Signer::new(config.signing_key.as_bytes()),
                http: FetchClient {
                    timeout_ms: config.upstream_timeout_ms,
                },
                links: ThryveLinks { env: &env },
                edge_origin,
                origin,
                now_ms: worker::Date::now().as_millis() as i64,
            };
            match body {
                Ok(body) => dispatch(&ctx, &url, body).await,
                Err(error) => Err(error),
            }
        }
    };
    let mut response = match result {
        Ok(response) => response,
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

async fn dispatch(ctx: &Ctx<'_>, url: &worker::Url, body: String) -> Result<Response, ApiError> {
    // The method as sent: workers-rs maps methods it does not know (QUERY,
    // PROPFIND, …) to GET, which would answer them as reads.
    match route(&ctx.req.inner().method(), url.path())? {
        Route::Healthz => json(
            200,
            &serde_json::json!({"status": "ok", "aggregator": ctx.config.aggregator.name()}),
        ),
        Route::OpenApi => {
            let mut response = Response::ok(crate::openapi::OPENAPI_JSON).map_err(internal)?;
            set_header(&mut response, "content-type", "application/json")?;
            Ok(response)
        }
        Route::Preflight => preflight(),
        Route::CreateSession => {
            ctx.backend()?;
            create_session(ctx, parse_json(&body)?, &ctx.config.allowed_origins)
        }
        Route::UserConnections(user) => {
            ctx.backend()?;
            json(200, &list_connections(ctx, &user, |_| true).await?)
        }
        Route::UserDisconnect(user, source) => {
            ctx.backend()?;
            disconnect(ctx, &user, source, "backend").await
        }
        Route::UserAudit(user) => {
            ctx.backend()?;
            audit(ctx, &user, url).await
        }
        Route::DeleteUser(user) => {
            ctx.backend()?;
            delete_user(ctx, &user).await
        }
        Route::Connections => {
            let session = ctx.session(Scope::Read)?;
            let user = session.user()?;
            let mut list = list_connections(ctx, &user, |id| session.offers(id)).await?;
            list.locale = session.loc.clone();
            json(200, &list)
        }
        Route::Connect(source) => {
            let session = ctx.session(Scope::Connect)?;
            connect(ctx, &session, source, parse_json(&body)?).await
        }
        Route::Disconnect(source) => {
            let session = ctx.session(Scope::Disconnect)?;
            if !session.offers(source.id) {
                return Err(ApiError::SourceNotAllowed);
            }
            disconnect(ctx, &session.user()?, source, &session.actor()).await
        }
        Route::ThryveWebhook => thryve_webhook(ctx, &body).await,
        Route::RookWebhook => rook_webhook(ctx, &body),
        Route::Return => flow_return(ctx, url).await,
        Route::SandboxConsent => sandbox_consent(ctx, url),
        Route::DemoSession => {
            if !ctx.config.demo_enabled() {
                return Err(ApiError::NotFound);
            }
            // Only the edge's own demo page may ask.
            if ctx.origin.as_deref() != Some(ctx.edge_origin.as_str()) {
                return Err(ApiError::OriginNotAllowed);
            }
            let request = CreateSessionRequest {
                user_id: DEMO_USER.into(),
                ..Default::default()
            };
            create_session(ctx, request, std::slice::from_ref(&ctx.edge_origin))
        }
    }
}

fn create_session(
    ctx: &Ctx<'_>,
    request: CreateSessionRequest,
    embed_origins: &[String],
) -> Result<Response, ApiError> {
    let (session_token, expires_at) =
        session::mint(request, ctx.config, embed_origins, &ctx.signer, ctx.now())?;
    json(
        201,
        &SessionResponse {
            session_token,
            expires_at: rfc3339_from_unix_ms(expires_at * 1000),
        },
    )
}

/// The status list, reconciled with the aggregator's view when it has one.
/// If the aggregator is down, the last known states are shown.
async fn list_connections(
    ctx: &Ctx<'_>,
    user: &UserId,
    offers: impl Fn(&str) -> bool,
) -> Result<ConnectionsResponse, ApiError> {
    let users = ctx.users(user)?;
    let mut stored = users.statuses().await?;
    let aggregator = ctx.aggregator(connected_sources(&stored));
    match reconcile_user(
        ctx.env,
        &aggregator,
        user,
        &stored,
        ctx.now_ms,
        "aggregator",
    )
    .await
    {
        Ok(0) => {}
        Ok(_) => stored = users.statuses().await?,
        Err(error) => {
            upstream_error(error);
            console_error!("status check failed; showing the last known statuses");
        }
    }
    Ok(status_list(
        &stored,
        |id| offers(id) && find_source(id).is_some_and(|source| aggregator.offers(source)),
        ctx.config.phone_link.as_deref(),
    ))
}

/// Asks the aggregator for the user's statuses (one call) and records what
/// differs, each transition once. Returns how many sources changed.
async fn reconcile_user(
    env: &Env,
    aggregator: &Upstream<'_>,
    user: &UserId,
    stored: &[StoredStatus],
    at_ms: i64,
    actor: &str,
) -> Result<usize, AggregatorError> {
    let Some(upstream) = aggregator.statuses(user).await? else {
        return Ok(0);
    };
    let changes: Vec<Change> = reconcile(stored, &upstream)
        .into_iter()
        .map(|(source, status)| Change {
            at_ms,
            user_id: user.to_string(),
            source: source.to_owned(),
            status: Some(status),
            error: None,
            actor: actor.to_owned(),
            action: "reconcile".into(),
            result: status.as_str().into(),
            aggregator: aggregator.name().into(),
        })
        .collect();
    if changes.is_empty() {
        return Ok(0);
    }
    let storage = |error: ApiError| {
        console_error!("recording a reconcile failed: {error:?}");
        AggregatorError::Internal
    };
    UserStateClient::new(env, user)
        .map_err(storage)?
        .record_changed(changes)
        .await
        .map_err(storage)
}

async fn connect(
    ctx: &Ctx<'_>,
    session: &SessionClaims,
    source: &'static SourceInfo,
    request: ConnectRequest,
) -> Result<Response, ApiError> {
    let state = plan_connect(
        &request,
        session,
        source,
        ctx.config,
        ctx.origin.as_deref(),
        random_nonce()?,
        ctx.now(),
    )?;
    let mut return_to =
        worker::Url::parse(&format!("{}{RETURN_PATH}", ctx.edge_origin)).map_err(internal)?;
    return_to
        .query_pairs_mut()
        .append_pair("state", &state.sign(&ctx.signer));
    let user = session.user()?;
    let aggregator = ctx.aggregator(vec![]);
    if !aggregator.offers(source) {
        return Err(ApiError::SourceNotAllowed);
    }
    let url = aggregator
        .connect_url(&ConnectContext {
            user: &user,
            source,
            return_to: return_to.as_str(),
            locale: session.loc.as_deref(),
        })
        .await
        .map_err(upstream_error)?;
    json(200, &ConnectResponse { url })
}

async fn disconnect(
    ctx: &Ctx<'_>,
    user: &UserId,
    source: &'static SourceInfo,
    actor: &str,
) -> Result<Response, ApiError> {
    let users = ctx.users(user)?;
    let stored = users.statuses().await?;
    let current = stored
        .iter()
        .find(|row| row.source == source.id)
        .map_or(ConnectionStatus::Disconnected, |row| row.status);
    // Already disconnected: nothing to revoke, so a retried disconnect is a
    // no-op rather than a second upstream call and audit row.
    if current == ConnectionStatus::Disconnected {
        return json(200, &DisconnectResponse { status: current });
    }
    let aggregator = ctx.aggregator(connected_sources(&stored));
    if !aggregator.offers(source) {
        return Err(ApiError::SourceNotAllowed);
    }
    let change = |status, result: &str| Change {
        status,
        result: result.to_owned(),
        ..ctx.change(user, source.id, actor, "disconnect")
    };
    match aggregator.disconnect(user, source).await {
        Ok(outcome) => {
            let (status, result) = disconnect_result(outcome);
            if disconnect_is_recorded(current, status) {
                users.record(vec![change(status, result)]).await?;
            }
            match status {
                Some(status) => json(200, &DisconnectResponse { status }),
                None => Err(ApiError::DisconnectFailed),
            }
        }
        Err(AggregatorError::GrantExpired) => {
            // The grant is gone at the provider: say so, and offer a
            // reconnect instead of a disconnect that cannot work.
            users
                .record(vec![change(Some(ConnectionStatus::Expired), "expired")])
                .await?;
            Err(ApiError::SourceExpired)
        }
        Err(error) => {
            users.record(vec![change(None, "failed")]).await?;
            Err(upstream_error(error))
        }
    }
}

async fn audit(ctx: &Ctx<'_>, user: &UserId, url: &worker::Url) -> Result<Response, ApiError> {
    let mut before = None;
    let mut limit = 50;
    for (name, value) in url.query_pairs() {
        match name.as_ref() {
            "before" => {
                before = Some(
                    audit_cursor(&value).ok_or_else(|| invalid("before must be an entry id."))?,
                )
            }
            "limit" => {
                limit = value
                    .parse::<u32>()
                    .ok()
                    .filter(|limit| (1..=100).contains(limit))
                    .ok_or_else(|| invalid("limit must be between 1 and 100."))?;
            }
            _ => {}
        }
    }
    // One extra row tells whether there is a next page.
    let mut rows = ctx.users(user)?.audit(before, limit + 1).await?;
    let has_more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_before = if has_more {
        rows.last().map(|row| row.id)
    } else {
        None
    };
    json(
        200,
        &AuditPage {
            entries: rows.into_iter().map(Into::into).collect(),
            next_before,
        },
    )
}

async fn delete_user(ctx: &Ctx<'_>, user: &UserId) -> Result<Response, ApiError> {
    let users = ctx.users(user)?;
    let stored = users.statuses().await?;
    let connected = connected_sources(&stored);
    let aggregator = ctx.aggregator(connected.clone());
    // Revoke first: if the aggregator fails, nothing is erased and the
    // operator can retry; erasing first would orphan live grants.
    for id in connected {
        let source = find_source(id).ok_or(ApiError::Internal)?;
        if !aggregator.offers(source) {
            continue;
        }
        match aggregator.disconnect(user, source).await {
            Ok(DisconnectOutcome::StillConnected) => return Err(ApiError::DisconnectFailed),
            // An expired grant has nothing left to revoke.
            Ok(_) | Err(AggregatorError::GrantExpired) => {}
            Err(error) => return Err(upstream_error(error)),
        }
    }
    let end_user = users.link(THRYVE_END_USER_LINK).await?;
    users.erase().await?;
    if let Some(end_user) = end_user {
        UserStateClient::named(ctx.env, &thryve_index_object(&end_user))?
            .erase()
            .await?;
    }
    Response::empty()
        .map(|response| response.with_status(204))
        .map_err(internal)
}

async fn flow_return(ctx: &Ctx<'_>, url: &worker::Url) -> Result<Response, ApiError> {
    let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let token = query
        .iter()
        .find(|(name, _)| name == "state")
        .map(|(_, value)| value.as_str())
        .ok_or(ApiError::InvalidState)?;
    let state = ReturnState::verify(token, &ctx.signer, ctx.now())?;
    let user = UserId::parse(&state.u).map_err(|_| ApiError::InvalidState)?;
    let source = find_source(&state.s).ok_or(ApiError::InvalidState)?;
    let users = ctx.users(&user)?;
    let aggregator = ctx.aggregator(vec![]);

    let connected = aggregator
        .connect_outcome(&user, source, &query)
        .await
        .unwrap_or_else(|error| {
            // The flow still ends (as failed, nothing changed); the next
            // reconcile picks up a connection that did happen.
            upstream_error(error);
            None
        });
    let (result, status) = connect_result(connected);
    let outcome = FlowOutcome {
        source: source.id.to_owned(),
        action: FlowAction::Connect,
        result,
    };
    let change = Change {
        status,
        result: result.as_str().into(),
        ..ctx.change(&user, source.id, &state.act, "connect")
    };
    users
        .consume_and_record(&state.n, state.exp * 1000, change)
        .await?;

    match return_target(&state, &outcome)? {
        ReturnTarget::Redirect(location) => {
            // Built by hand: `Response::redirect` has immutable headers, and
            // every response gets our security headers added afterwards.
            let mut response = Response::empty().map_err(internal)?.with_status(303);
            set_header(&mut response, "location", &location)?;
            set_header(&mut response, "cache-control", "no-store")?;
            Ok(response)
        }
        ReturnTarget::Popup { opener_origin } => {
            html(&popup_result_page(&outcome, source, &opener_origin))
        }
    }
}

/// Thryve's source notifications: authenticated by the shared secret,
/// applied to the user's state and audit trail, answered at once. A retried
/// notification changes nothing the second time.
async fn thryve_webhook(ctx: &Ctx<'_>, body: &str) -> Result<Response, ApiError> {
    // No credentials: 401 before anything else, so an anonymous caller
    // does not even learn whether this edge takes Thryve's webhooks.
    let authorization = ctx.header("authorization")?;
    if authorization.is_none() {
        return Err(ApiError::WebhookUnauthorized);
    }
    let AggregatorConfig::Thryve(config) = &ctx.config.aggregator else {
        return Err(ApiError::NotFound);
    };
    if !session::bearer_matches(authorization.as_deref(), &config.webhook_secret) {
        return Err(ApiError::WebhookUnauthorized);
    }
    let event = match thryve::parse_webhook(body).map_err(|detail| invalid(&detail))? {
        thryve::Webhook::Source(event) => event,
        thryve::Webhook::Ignored(_) => return no_content(),
    };
    let index = UserStateClient::named(ctx.env, &thryve_index_object(&event.end_user_id))?;
    let Some(user) = index.link(INDEX_USER_LINK).await? else {
        // Not a user of this edge (or erased): nothing to do, and a retry
        // would not change that.
        console_error!("thryve webhook for an unknown end user; ignored");
        return no_content();
    };
    let user = UserId::parse(&user).map_err(|_| ApiError::Internal)?;
    let (status, result) = if event.connected {
        (ConnectionStatus::Connected, "connected")
    } else {
        (ConnectionStatus::Disconnected, "disconnected")
    };
    let action = if event.connected {
        "connect"
    } else {
        "disconnect"
    };
    ctx.users(&user)?
        .record_changed(vec![Change {
            status: Some(status),
            result: result.into(),
            ..ctx.change(&user, event.source.id, "webhook", action)
        }])
        .await?;
    no_content()
}

/// ROOK's notifications only say which user changed; the status endpoint is
/// the truth. So: authenticate, acknowledge at once (202), and reconcile
/// that user in the background with one status call.
fn rook_webhook(ctx: &Ctx<'_>, body: &str) -> Result<Response, ApiError> {
    // No credentials: 401 before anything else, so an anonymous caller
    // does not even learn whether this edge takes Rook's webhooks.
    let authorization = ctx.header("authorization")?;
    if authorization.is_none() {
        return Err(ApiError::WebhookUnauthorized);
    }
    let AggregatorConfig::Rook(config) = &ctx.config.aggregator else {
        return Err(ApiError::NotFound);
    };
    if !session::bearer_matches(authorization.as_deref(), &config.webhook_secret) {
        return Err(ApiError::WebhookUnauthorized);
    }
    let user = rook::webhook_user(body).map_err(|detail| invalid(&detail))?;
    let env = ctx.env.clone();
    let config = ctx.config.clone();
    let edge_origin = ctx.edge_origin.clone();
    let now_ms = ctx.now_ms;
    ctx.worker.wait_until(async move {
        let http = FetchClient {
            timeout_ms: config.upstream_timeout_ms,
        };
        let links = ThryveLinks { env: &env };
        let aggregator = select_aggregator(&config, &http, &links, &edge_origin, vec![]);
        let result = async {
            let stored = UserStateClient::new(&env, &user)
                .map_err(|_| AggregatorError::Internal)?
                .statuses()
                .await
                .map_err(|_| AggregatorError::Internal)?;
            reconcile_user(&env, &aggregator, &user, &stored, now_ms, "webhook").await
        };
        if let Err(error) = result.await {
            upstream_error(error);
            console_error!("rook webhook: reconcile failed; the next status check retries");
        }
    });
    let mut response = Response::empty().map_err(internal)?.with_status(202);
    set_header(&mut response, "cache-control", "no-store")?;
    Ok(response)
}

fn no_content() -> Result<Response, ApiError> {
    Response::empty()
        .map(|response| response.with_status(204))
        .map_err(internal)
}

/// `/healthz` with a broken configuration: 503 and every problem, so an
/// operator's probe says what to fix. Problems name variables, never values.
fn unhealthy(error: &ConfigError) -> Result<Response, ApiError> {
    json(
        503,
        &serde_json::json!({
            "status": "misconfigured",
            "aggregator": error.aggregator,
            "problems": error.problems,
        }),
    )
}

/// Upstream HTTP over the runtime's `fetch`: redirects are not followed
/// (callers read each `Location`), and every call is bounded by the
/// configured time limit, after which it is aborted.
struct FetchClient {
    timeout_ms: u32,
}

impl HttpClient for FetchClient {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let controller = worker::AbortController::default();
        let signal = controller.signal();
        let call = async {
            let headers = worker::Headers::new();
            for (name, value) in &request.headers {
                headers
                    .set(name, value)
                    .map_err(|_| TransportError::Failed)?;
            }
            let mut init = worker::RequestInit::new();
            init.with_method(match request.method {
                HttpMethod::Get => worker::Method::Get,
                HttpMethod::Post => worker::Method::Post,
            })
            .with_headers(headers)
            .with_redirect(worker::RequestRedirect::Manual);
            if let Some(body) = &request.body {
                init.with_body(Some(body.as_str().into()));
            }
            let outgoing =
                Request::new_with_init(&request.url, &init).map_err(|_| TransportError::Failed)?;
            let mut response = worker::Fetch::Request(outgoing)
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
        let deadline =
            worker::Delay::from(std::time::Duration::from_millis(self.timeout_ms.into()));
        match race(call, deadline).await {
            Ok(result) => {
                if let Err(error) = &result {
                    console_error!("upstream {} failed: {error:?}", request.describe());
                }
                result
            }
            Err(()) => {
                controller.abort();
                console_error!(
                    "upstream {} timed out after {} ms",
                    request.describe(),
                    self.timeout_ms
                );
                Err(TransportError::Timeout)
            }
        }
    }
}

/// Thryve's `endUserId` per user, in the user's Durable Object, with the
/// reverse index webhooks need. The index is written first, so a webhook
/// can find the user as soon as Thryve knows the reference.
struct ThryveLinks<'a> {
    env: &'a Env,
}

impl UserLinks for ThryveLinks<'_> {
    async fn get(&self, user: &UserId) -> Result<Option<String>, AggregatorError> {
        UserStateClient::new(self.env, user)
            .map_err(|_| AggregatorError::Internal)?
            .link(THRYVE_END_USER_LINK)
            .await
            .map_err(|_| AggregatorError::Internal)
    }

    async fn put(&self, user: &UserId, reference: &str) -> Result<(), AggregatorError> {
        UserStateClient::named(self.env, &thryve_index_object(reference))
            .map_err(|_| AggregatorError::Internal)?
            .set_link(INDEX_USER_LINK, user.as_str())
            .await
            .map_err(|_| AggregatorError::Internal)?;
        UserStateClient::new(self.env, user)
            .map_err(|_| AggregatorError::Internal)?
            .set_link(THRYVE_END_USER_LINK, reference)
            .await
            .map_err(|_| AggregatorError::Internal)
    }
}

fn sandbox_consent(ctx: &Ctx<'_>, url: &worker::Url) -> Result<Response, ApiError> {
    let param = |wanted: &str| {
        url.query_pairs()
            .find(|(name, _)| name == wanted)
            .map(|(_, value)| value.into_owned())
    };
    let source = param("source")
        .as_deref()
        .and_then(find_source)
        .ok_or(ApiError::UnknownSource)?;
    let redirect_uri = param("redirect_uri")
        .filter(|uri| is_own_return(uri, &ctx.edge_origin))
        .ok_or_else(|| invalid("redirect_uri must be this edge's return URL."))?;
    let with_flag = |value: &str| {
        let mut url = worker::Url::parse(&redirect_uri).expect("checked above");
        url.query_pairs_mut().append_pair("connected", value);
        url.to_string()
    };
    html(&consent_page(
        &ctx.config.app_name,
        source,
        &with_flag("true"),
        &with_flag("false"),
    ))
}

fn preflight() -> Result<Response, ApiError> {
    let mut response = Response::empty().map_err(internal)?.with_status(204);
    for (name, value) in cors::preflight_headers() {
        set_header(&mut response, name, value)?;
    }
    Ok(response)
}

/// Reads the body of a POST, enforcing the size limit and JSON media type.
/// Other methods have no body for us to read.
async fn read_body(req: &mut Request) -> Result<String, ApiError> {
    if req.inner().method() != "POST" {
        return Ok(String::new());
    }
    let declared: Option<usize> = req
        .headers()
        .get("content-length")
        .map_err(internal)?
        .and_then(|value| value.parse().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES) {
        return Err(ApiError::PayloadTooLarge);
    }
    let body = req
        .text()
        .await
        .map_err(|_| invalid("The body is not UTF-8 text."))?;
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }
    if !body.is_empty() {
        let content_type = req.headers().get("content-type").map_err(internal)?;
        let is_json = content_type.is_some_and(|value| {
            value
                .split(';')
                .next()
                .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
        });
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
    }
    Ok(body)
}

fn parse_json<T: DeserializeOwned>(body: &str) -> Result<T, ApiError> {
    serde_json::from_str(body).map_err(|error| {
        // serde's message names the field and what was expected; it never
        // echoes values, so it is safe and useful to return.
        let message = error.to_string();
        let message = message.split(" at line").next().unwrap_or_default();
        invalid(&format!("The JSON body is not valid: {message}."))
    })
}

fn invalid(detail: &str) -> ApiError {
    ApiError::InvalidRequest {
        detail: detail.to_owned(),
    }
}

fn json<T: Serialize>(status: u16, body: &T) -> Result<Response, ApiError> {
    let mut response = Response::from_json(body)
        .map_err(internal)?
        .with_status(status);
    set_header(&mut response, "cache-control", "no-store")?;
    Ok(response)
}

fn html(page: &str) -> Result<Response, ApiError> {
    let mut response = Response::from_html(page).map_err(internal)?;
    set_header(&mut response, "content-security-policy", PAGE_CSP)?;
    set_header(&mut response, "cache-control", "no-store")?;
    Ok(response)
}

fn set_header(response: &mut Response, name: &str, value: &str) -> Result<(), ApiError> {
    response.headers_mut().set(name, value).map_err(internal)
}

/// The one place an `ApiError` becomes an HTTP response.
fn problem_response(error: &ApiError) -> worker::Result<Response> {
    let problem = error.problem();
    let mut response = Response::from_json(&problem)?.with_status(problem.status);
    response
        .headers_mut()
        .set("content-type", PROBLEM_CONTENT_TYPE)?;
    response.headers_mut().set("cache-control", "no-store")?;
    if let Some(allow) = error.allow() {
        response.headers_mut().set("allow", allow)?;
    }
    if let Some(seconds) = error.retry_after() {
        response
            .headers_mut()
            .set("retry-after", &seconds.to_string())?;
    }
    Ok(response)
}

/// A random, unique nonce from the runtime's CSPRNG (`crypto.randomUUID`).
fn random_nonce() -> Result<String, ApiError> {
    use worker::js_sys::{Function, Reflect, global};
    use worker::wasm_bindgen::{JsCast, JsValue};
    let crypto = Reflect::get(&global(), &JsValue::from_str("crypto")).map_err(js_internal)?;
    let random_uuid: Function = Reflect::get(&crypto, &JsValue::from_str("randomUUID"))
        .map_err(js_internal)?
        .dyn_into()
        .map_err(js_internal)?;
    random_uuid
        .call0(&crypto)
        .map_err(js_internal)?
        .as_string()
        .ok_or(ApiError::Internal)
}

/// Logs a runtime error (runtime errors carry none of our secrets) and hides
/// it behind `ApiError::Internal`.
pub fn internal(error: impl std::fmt::Display) -> ApiError {
    console_error!("internal error: {error}");
    ApiError::Internal
}

fn js_internal(error: worker::wasm_bindgen::JsValue) -> ApiError {
    console_error!("internal error: {error:?}");
    ApiError::Internal
}
