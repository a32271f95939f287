//! The OpenAPI 3.1 description of the edge, served at `/openapi.json`, and
//! the tests that keep it true to the routing table and the error codes.

pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::OPENAPI_JSON;
    use crate::error::ApiError;
    use crate::routes::{Route, route};

    fn spec() -> Value {
        serde_json::from_str(OPENAPI_JSON).expect("openapi.json is JSON")
    }

    /// The values of a schema's `enum`, in order.
    fn listed(schema: &Value) -> Vec<String> {
        schema["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|value| value.as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn every_documented_operation_is_routed() {
        let spec = spec();
        let paths = spec["paths"].as_object().unwrap();
        for (template, operations) in paths {
            let path = template
                .replace("{user_id}", "alice")
                .replace("{source}", "oura")
                .replace("{event_id}", "msg_1")
                .replace("{link_id}", "hlk1.x")
                .replace("{token}", "hll1.x");
            for method in operations.as_object().unwrap().keys() {
                let method = method.to_uppercase();
                let routed = route(&method, &path);
                assert!(
                    matches!(routed, Ok(ref r) if *r != Route::Preflight),
                    "{method} {template} is documented but routes to {routed:?}"
                );
            }
        }
    }

    #[test]
    fn every_route_is_documented() {
        let spec = spec();
        let documented = |method: &str, template: &str| {
            spec["paths"][template][method.to_lowercase()].is_object()
        };
        for (method, template) in [
            ("GET", "/healthz"),
            ("GET", "/openapi.json"),
            ("POST", "/v1/sessions"),
            ("GET", "/v1/users/{user_id}/connections"),
            (
                "POST",
                "/v1/users/{user_id}/connections/{source}/disconnect",
            ),
            ("POST", "/v1/users/{user_id}/connections/{source}/delete"),
            ("POST", "/v1/users/{user_id}/connections/{source}/sync"),
            ("GET", "/v1/users/{user_id}/audit"),
            ("GET", "/v1/users/{user_id}/audit/export"),
            ("GET", "/v1/audit/keys"),
            ("GET", "/v1/users/{user_id}/events"),
            ("POST", "/v1/users/{user_id}/events/{event_id}/redeliver"),
            ("POST", "/v1/events/resume"),
            ("DELETE", "/v1/users/{user_id}"),
            ("GET", "/v1/connections"),
            ("POST", "/v1/connections/{source}/connect"),
            ("POST", "/v1/connections/{source}/disconnect"),
            ("POST", "/v1/connections/{source}/delete"),
            ("POST", "/v1/live/ticket"),
            ("GET", "/v1/live"),
            ("GET", "/v1/return"),
            ("GET", "/sandbox/connect"),
            ("POST", "/demo/session"),
            ("POST", "/v1/webhooks/thryve"),
            ("POST", "/v1/webhooks/rook"),
            ("POST", "/v1/links"),
            ("DELETE", "/v1/links/{link_id}"),
            ("GET", "/v1/users/{user_id}/links"),
            ("GET", "/connect/{token}"),
        ] {
            assert!(
                documented(method, template),
                "{method} {template} is not documented"
            );
        }
        let route_count = spec["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|ops| ops.as_object().unwrap().len())
            .sum::<usize>();
        assert_eq!(route_count, 29, "the list above and the spec disagree");
    }

    #[test]
    fn every_problem_code_and_status_is_documented() {
        let spec = spec();
        let codes: Vec<&str> =
            spec["components"]["schemas"]["Problem"]["properties"]["code"]["enum"]
                .as_array()
                .unwrap()
                .iter()
                .map(|code| code.as_str().unwrap())
                .collect();
        let errors = [
            ApiError::Unauthorized,
            ApiError::SessionExpired,
            ApiError::MissingScope { scope: "read" },
            ApiError::OriginNotAllowed,
            ApiError::Forbidden,
            ApiError::NotFound,
            ApiError::MethodNotAllowed { allow: "GET" },
            ApiError::InvalidUserId,
            ApiError::UnknownSource,
            ApiError::SourceNotAllowed,
            ApiError::PhoneOnlySource,
            ApiError::InvalidRequest {
                detail: String::new(),
            },
            ApiError::PayloadTooLarge,
            ApiError::UnsupportedMediaType,
            ApiError::ReturnUrlNotAllowed,
            ApiError::InvalidState,
            ApiError::StateAlreadyUsed,
            ApiError::RateLimited {
                retry_after_seconds: 1,
            },
            ApiError::UpstreamUnavailable,
            ApiError::DisconnectFailed,
            ApiError::SourceExpired,
            ApiError::UpstreamRefused,
            ApiError::WebhookUnauthorized,
            ApiError::SourceNotConnected,
            ApiError::EventNotFound,
            ApiError::EventsNotConfigured,
            ApiError::TooManyConnections,
            ApiError::Misconfigured {
                detail: String::new(),
            },
            ApiError::Internal,
        ];
        assert_eq!(codes.len(), errors.len());
        for error in errors {
            assert!(
                codes.contains(&error.code()),
                "{} is not documented",
                error.code()
            );
            let responses = &spec["components"]["responses"];
            assert!(
                responses[format!("Problem{}", error.status())].is_object(),
                "status {} has no documented problem response",
                error.status()
            );
        }
    }

    #[test]
    fn event_types_and_sync_errors_are_the_ones_the_edge_speaks() {
        use healthlink_shared::{EventType, SyncError};
        let spec = spec();
        let types: Vec<String> = EventType::ALL
            .iter()
            .map(|kind| kind.as_str().to_owned())
            .collect();
        assert_eq!(listed(&spec["components"]["schemas"]["EventType"]), types);
        // Keys as a set: serde_json's map does not keep the file's order.
        let webhooks: std::collections::BTreeSet<&String> =
            spec["webhooks"].as_object().unwrap().keys().collect();
        assert_eq!(
            webhooks,
            types.iter().collect(),
            "one webhook per event type"
        );
        let errors: Vec<String> = SyncError::ALL
            .iter()
            .map(|error| error.as_str().to_owned())
            .collect();
        assert_eq!(listed(&spec["components"]["schemas"]["SyncError"]), errors);
    }

    #[test]
    fn the_audit_vocabulary_is_the_one_the_edge_writes() {
        use healthlink_shared::{AuditAction, AuditActor, AuditResult};
        let spec = spec();
        let entry = &spec["components"]["schemas"]["AuditEntry"]["properties"];
        let spelled = |words: &mut dyn Iterator<Item = &str>| -> Vec<String> {
            words.map(str::to_owned).collect()
        };
        assert_eq!(
            listed(&entry["action"]),
            spelled(&mut AuditAction::ALL.iter().map(|action| action.as_str()))
        );
        assert_eq!(
            listed(&entry["result"]),
            spelled(&mut AuditResult::ALL.iter().map(|result| result.as_str()))
        );
        assert_eq!(
            listed(&entry["actor"]["anyOf"][0]),
            spelled(&mut AuditActor::RESERVED.into_iter())
        );
        let actor_id = &spec["components"]["schemas"]["CreateSessionRequest"]["properties"]["actor_id"]
            ["anyOf"][0]["allOf"][1]["not"];
        assert_eq!(
            listed(actor_id),
            spelled(&mut AuditActor::RESERVED.into_iter())
        );
    }
}
