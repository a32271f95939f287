//! The edge's routing table, as a pure function of method and path.
//!
//! Kept apart from the Worker so that path handling (unknown routes, wrong
//! methods, odd encodings) is tested natively.

use crate::error::ApiError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Healthz,
    /// `OPTIONS` on any API path: a CORS preflight.
    Preflight,
    /// `GET /v1/connections`: the signed-in user's status list.
    Connections,
}

pub fn route(method: &str, path: &str) -> Result<Route, ApiError> {
    let allowed: &[&str] = match path {
        "/healthz" => &["GET"],
        "/v1/connections" => &["GET"],
        _ => return Err(ApiError::NotFound),
    };
    if method == "OPTIONS" && path.starts_with("/v1/") {
        return Ok(Route::Preflight);
    }
    if !allowed.contains(&method) {
        return Err(ApiError::MethodNotAllowed);
    }
    Ok(match path {
        "/healthz" => Route::Healthz,
        _ => Route::Connections,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(method: &str, path: &str, expected: Result<Route, ApiError>) {
        assert_eq!(route(method, path), expected, "{method} {path}");
    }

    #[test]
    fn known_routes() {
        check("GET", "/healthz", Ok(Route::Healthz));
        check("GET", "/v1/connections", Ok(Route::Connections));
        check("OPTIONS", "/v1/connections", Ok(Route::Preflight));
    }

    #[test]
    fn wrong_method_and_unknown_paths() {
        check("POST", "/v1/connections", Err(ApiError::MethodNotAllowed));
        check("DELETE", "/healthz", Err(ApiError::MethodNotAllowed));
        check("GET", "/v1/connections/", Err(ApiError::NotFound));
        check("GET", "/v1/../healthz", Err(ApiError::NotFound));
        check("GET", "/v1/connections%2F..", Err(ApiError::NotFound));
        check("GET", "/V1/connections", Err(ApiError::NotFound));
        check("OPTIONS", "/v1/nothing", Err(ApiError::NotFound));
    }
}
