//! An edge told to use Thryve without Thryve's secrets: every route answers
//! a clear operator error naming the missing variables, `/healthz` lists
//! them, and nothing half-works.

use healthlink_shared::Problem;
use healthlink_tests::edge::{Answer, client};
use healthlink_tests::env;

fn url(path: &str) -> String {
    format!("{}{path}", env().misconfigured_edge_url)
}

const MISSING: [&str; 4] = [
    "THRYVE_PASSWORD",
    "THRYVE_AUTH_ID",
    "THRYVE_AUTH_SECRET",
    "THRYVE_WEBHOOK_SECRET",
];

#[tokio::test]
async fn healthz_names_every_missing_secret() {
    let answer = Answer::send(client().get(url("/healthz"))).await;
    assert_eq!(answer.status, 503, "{}", answer.body);
    let health: serde_json::Value = answer.json();
    assert_eq!(health["status"], "misconfigured");
    assert_eq!(health["aggregator"], "thryve");
    let problems = health["problems"].to_string();
    for name in MISSING {
        assert!(problems.contains(name), "{name} missing from {problems}");
    }
    assert!(
        !problems.contains("THRYVE_USERNAME"),
        "it is set: {problems}"
    );
}

#[tokio::test]
async fn every_route_refuses_with_an_operator_error_not_a_crash() {
    for request in [
        client().get(url("/v1/connections")).bearer_auth("whatever"),
        client()
            .post(url("/v1/sessions"))
            .bearer_auth(&env().api_key)
            .json(&serde_json::json!({"user_id": "u1"})),
        client()
            .post(url("/v1/webhooks/thryve"))
            .json(&serde_json::json!({})),
    ] {
        let answer = Answer::send(request).await;
        let problem: Problem = answer.expect_problem(500, "misconfigured");
        let detail = problem.detail.unwrap_or_default();
        assert!(detail.contains("THRYVE_PASSWORD"), "{detail}");
    }
}
