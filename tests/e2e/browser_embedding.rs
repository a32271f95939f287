//! What a host page gets: the JS API, DOM events, session renewal without a
//! remount, refresh(), and theming.

use std::time::{SystemTime, UNIX_EPOCH};

use fantoccini::Locator;
use healthlink_edge::signing::{Signer, TokenKind};
use healthlink_tests::browser::{Browser, UI_TIMEOUT, by_test_id};
use healthlink_tests::edge::{Answer, Edge, backend, session_for};
use healthlink_tests::host::serve_page;
use healthlink_tests::wait::eventually;
use healthlink_tests::{env, unique};

/// A host page that mounts the widget with `Healthlink.mount` and records
/// every event `onEvent` receives as "type source result status".
fn api_page(path: &str, session: &str, theme: &str) -> String {
    let edge = env().edge_url.as_str();
    serve_page(
        path,
        format!(
            r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>API host</title>
<script type="module">
import {{ Healthlink }} from "{edge}/healthlink.js";
window.hlEvents = [];
window.hlHandle = Healthlink.mount(document.getElementById("slot"), {{
  session: "{session}", edge: "{edge}", theme: "{theme}",
  onEvent: (e) => window.hlEvents.push([e.type, e.detail.source, e.detail.result, e.detail.status].join(" ")),
}});
</script></head>
<body style="background:#0d1117;margin:24px"><div id="slot"></div></body></html>"#
        ),
    )
}

async fn events(browser: &Browser) -> Vec<String> {
    let value = browser
        .client
        .execute("return window.hlEvents || []", vec![])
        .await
        .expect("read events");
    serde_json::from_value(value).expect("a list of strings")
}

async fn wait_for_event(browser: &Browser, expected: &str) {
    eventually(&format!("the event {expected:?}"), UI_TIMEOUT, || async {
        let seen = events(browser).await;
        if seen.iter().any(|event| event == expected) {
            Ok(())
        } else {
            Err(format!("{seen:?}"))
        }
    })
    .await;
}

async fn click(browser: &Browser, selector: &str) {
    let root = browser.widget(0).await;
    let button = eventually(selector, UI_TIMEOUT, || async {
        root.find(Locator::Css(selector))
            .await
            .map_err(|e| e.to_string())
    })
    .await;
    button.click().await.expect("click");
}

async fn status_of(browser: &Browser, source: &str) -> Option<String> {
    let root = browser.widget(0).await;
    let badge = root
        .find(Locator::Css(&format!(
            "[data-source={source}] [data-testid=source-status]"
        )))
        .await
        .ok()?;
    badge.attr("data-status").await.ok().flatten()
}

async fn wait_for_status(browser: &Browser, source: &str, expected: &str) {
    eventually(&format!("{source} {expected}"), UI_TIMEOUT, || async {
        match status_of(browser, source).await {
            Some(status) if status == expected => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
}

/// Clicks a row's action, then Allow in the sandbox's consent popup.
async fn popup_allow(browser: &Browser, source: &str) {
    let main = browser.client.window().await.unwrap();
    click(
        browser,
        &format!("[data-source={source}] [data-testid=source-action]"),
    )
    .await;
    browser.switch_to_popup(&main).await;
    let allow = eventually("Allow", UI_TIMEOUT, || async {
        browser
            .client
            .find(Locator::Id("allow"))
            .await
            .map_err(|e| e.to_string())
    })
    .await;
    allow.click().await.unwrap();
    browser.client.switch_to_window(main).await.unwrap();
}

#[tokio::test]
async fn the_js_api_reports_events_and_refreshes_on_demand() {
    let user = unique("api-host");
    let session = session_for(&user).await;
    let page = api_page("/api.html", &session, "dark");
    let browser = Browser::start().await;
    browser.client.goto(&page).await.expect("open host page");
    wait_for_event(&browser, "healthlink:ready  ready ").await;

    popup_allow(&browser, "oura").await;
    wait_for_event(&browser, "healthlink:connect oura connected connected").await;
    wait_for_status(&browser, "oura", "connected").await;
    browser.screenshot("api-dark-theme").await;

    click(&browser, "[data-source=oura] [data-testid=source-action]").await;
    browser.confirm_disconnect().await;
    wait_for_event(
        &browser,
        "healthlink:disconnect oura disconnected disconnected",
    )
    .await;
    wait_for_status(&browser, "oura", "disconnected").await;

    // Disconnected from the host's backend, behind the widget's back:
    // refresh() shows it.
    popup_allow(&browser, "garmin").await;
    wait_for_status(&browser, "garmin", "connected").await;
    let answer = Answer::send(backend(
        reqwest::Method::POST,
        &format!("/v1/users/{user}/connections/garmin/disconnect"),
    ))
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    browser
        .client
        .execute("window.hlHandle.refresh()", vec![])
        .await
        .unwrap();
    wait_for_status(&browser, "garmin", "disconnected").await;
    browser.close().await;
}

#[tokio::test]
async fn an_expired_session_is_announced_and_a_new_one_applies_without_a_remount() {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let user = unique("renew");
    let expired = Signer::new(env().signing_key.as_bytes()).sign(
        TokenKind::Session,
        &healthlink_edge::session::SessionClaims {
            sub: user.clone(),
            org: vec![env().host_origin()],
            scp: healthlink_shared::Scope::ALL.to_vec(),
            act: None,
            loc: None,
            src: None,
            ret: None,
            iat: now - 120,
            exp: now - 60,
        },
    );
    let edge = Edge::Sandbox.base();
    let page = serve_page(
        "/renew.html",
        format!(
            r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Renew</title>
<script type="module" src="{edge}/healthlink.js"></script>
<script>
window.hlEvents = [];
document.addEventListener("healthlink:session-expired", (e) =>
  window.hlEvents.push([e.type, e.detail.source, e.detail.result, e.detail.status].join(" ")));
document.addEventListener("healthlink:ready", (e) =>
  window.hlEvents.push([e.type, e.detail.source, e.detail.result, e.detail.status].join(" ")));
</script></head>
<body><healthlink-connect edge="{edge}" session="{expired}"></healthlink-connect></body></html>"#
        ),
    );
    let browser = Browser::start().await;
    browser.client.goto(&page).await.expect("open host page");
    wait_for_event(&browser, "healthlink:session-expired  session_expired ").await;
    let root = browser.widget(0).await;
    let message = eventually("the session message", UI_TIMEOUT, || async {
        let panel = by_test_id(&root, "load-error").await?;
        panel.text().await.map_err(|e| e.to_string())
    })
    .await;
    assert!(message.contains("session has ended"), "{message}");

    // The host renews: the same element, a new token, the list appears.
    let fresh = session_for(&user).await;
    browser
        .client
        .execute(
            "document.querySelector('healthlink-connect').session = arguments[0]",
            vec![serde_json::Value::String(fresh)],
        )
        .await
        .unwrap();
    wait_for_event(&browser, "healthlink:ready  ready ").await;
    wait_for_status(&browser, "fitbit", "disconnected").await;
    browser.close().await;
}

/// The focused element inside the first widget, as "testid source".
async fn focused(browser: &Browser) -> String {
    let value = browser
        .client
        .execute(
            "const a = document.querySelector('healthlink-connect').shadowRoot.activeElement; \
             return a ? (a.dataset.testid || a.localName) + ' ' + (a.closest('[data-source]')?.dataset.source || '') : 'none'",
            vec![],
        )
        .await
        .expect("read focus");
    value.as_str().unwrap_or_default().trim().to_owned()
}

async fn press(browser: &Browser, key: &str) {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down {
            value: key.chars().next().unwrap(),
        })
        .then(KeyAction::Up {
            value: key.chars().next().unwrap(),
        });
    browser
        .client
        .perform_actions(keys)
        .await
        .expect("press a key");
}

const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";
const ESCAPE: &str = "\u{E00C}";

#[tokio::test]
async fn disconnect_asks_first_in_a_real_modal_usable_by_keyboard_alone() {
    let user = unique("keyboard");
    let session = session_for(&user).await;
    let page = api_page("/keyboard.html", &session, "light");
    let browser = Browser::start().await;
    browser.client.goto(&page).await.expect("open host page");
    popup_allow(&browser, "polar").await;
    wait_for_status(&browser, "polar", "connected").await;

    // Focus the row's Disconnect button from the keyboard and press Enter.
    browser
        .client
        .execute(
            "document.querySelector('healthlink-connect').shadowRoot \
             .querySelector('[data-source=polar] [data-testid=source-action]').focus()",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(focused(&browser).await, "source-action polar");
    press(&browser, ENTER).await;
    // Focus moved into the dialog (Cancel first: the safe choice).
    eventually("focus in the dialog", UI_TIMEOUT, || async {
        match focused(&browser).await.as_str() {
            "confirm-cancel" => Ok(()),
            other => Err(other.to_owned()),
        }
    })
    .await;
    let root = browser.widget(0).await;
    let text = by_test_id(&root, "confirm-dialog")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("stop coming") && text.contains("already shared stays"),
        "{text}"
    );
    browser.screenshot("confirm-dialog").await;
    // Tab stays inside the dialog: Cancel → Disconnect → Cancel.
    press(&browser, TAB).await;
    assert_eq!(focused(&browser).await, "confirm-disconnect");
    press(&browser, TAB).await;
    let wrapped = focused(&browser).await;
    assert!(
        wrapped == "confirm-cancel" || !wrapped.starts_with("source-action"),
        "focus left the dialog: {wrapped}"
    );

    // Escape closes it, nothing changes, focus is back on the button.
    press(&browser, ESCAPE).await;
    eventually("focus back on the row", UI_TIMEOUT, || async {
        match focused(&browser).await.as_str() {
            "source-action polar" => Ok(()),
            other => Err(other.to_owned()),
        }
    })
    .await;
    assert_eq!(
        status_of(&browser, "polar").await.as_deref(),
        Some("connected")
    );

    // Enter, Tab to "Disconnect Polar", Enter: disconnected.
    press(&browser, ENTER).await;
    eventually("focus in the dialog again", UI_TIMEOUT, || async {
        match focused(&browser).await.as_str() {
            "confirm-cancel" => Ok(()),
            other => Err(other.to_owned()),
        }
    })
    .await;
    press(&browser, TAB).await;
    press(&browser, ENTER).await;
    wait_for_status(&browser, "polar", "disconnected").await;
    wait_for_event(
        &browser,
        "healthlink:disconnect polar disconnected disconnected",
    )
    .await;
    browser.close().await;
}
