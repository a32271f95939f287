//! The widget among other things on a host page: two widgets side by side,
//! a page whose CSS tries hard to break it, and a page under a strict
//! Content-Security-Policy.

use fantoccini::Locator;
use healthlink_tests::browser::{
    Browser, UI_TIMEOUT, by_test_id, click_action, consent, wait_for_notice, wait_for_status,
    wait_for_test_id,
};
use healthlink_tests::edge::session_for;
use healthlink_tests::host::{serve_file, serve_page};
use healthlink_tests::wait::eventually;
use healthlink_tests::{env, unique};

/// `data-status` of `source` in the `n`-th widget.
async fn status_in(browser: &Browser, n: usize, source: &str) -> String {
    let root = browser.widget(n).await;
    eventually("the row", UI_TIMEOUT, || async {
        root.find(Locator::Css(&format!(
            "[data-source={source}] [data-testid=source-status]"
        )))
        .await
        .map_err(|e| e.to_string())?
        .attr("data-status")
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "no status".to_owned())
    })
    .await
}

#[tokio::test]
async fn two_widgets_on_one_page_work_independently() {
    let edge = env().edge_url.as_str();
    let (alice, bob) = (unique("alice"), unique("bob"));
    let (alice_session, bob_session) = (session_for(&alice).await, session_for(&bob).await);
    let page = serve_page(
        "/two.html",
        format!(
            r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Two widgets</title>
<script type="module" src="{edge}/healthlink.js"></script></head>
<body><main><h1>Two widgets</h1>
<healthlink-connect id="first" edge="{edge}" session="{alice_session}" flow="redirect"></healthlink-connect>
<healthlink-connect id="second" edge="{edge}" session="{bob_session}" flow="redirect"></healthlink-connect>
</main><script type="module">
window.seen = [];
for (const id of ["first", "second"]) {{
  document.getElementById(id).addEventListener("healthlink:ready", (e) => window.seen.push(id + " " + e.target.id));
}}
</script></body></html>"#
        ),
    );
    let browser = Browser::start().await;
    browser.client.goto(&page).await.expect("open host page");
    let (first, second) = (browser.widget(0).await, browser.widget(1).await);
    // Each list appears once its own request is answered.
    for (root, which) in [(&first, "first list"), (&second, "second list")] {
        eventually(which, UI_TIMEOUT, || async {
            by_test_id(root, "source-list").await.map(|_| ())
        })
        .await;
    }

    // Each widget has its own shadow root, ids and events.
    eventually("both ready events", UI_TIMEOUT, || async {
        let seen = browser
            .client
            .execute("return window.seen", vec![])
            .await
            .map_err(|e| e.to_string())?;
        let mut seen: Vec<String> = serde_json::from_value(seen).map_err(|e| e.to_string())?;
        seen.sort();
        (seen == ["first first", "second second"])
            .then_some(())
            .ok_or(format!("{seen:?}"))
    })
    .await;

    // Alice connects Oura in the first widget (redirect flow, back here).
    click_action(&first, "oura").await;
    consent(&browser, true).await;
    wait_for_status(&browser, "oura", "connected").await;
    assert_eq!(status_in(&browser, 1, "oura").await, "disconnected");

    // Bob's widget still acts for Bob: his disconnect dialog and list are his.
    let second = browser.widget(1).await;
    assert!(
        second
            .find(Locator::Css("[data-source=oura] [data-action=connect]"))
            .await
            .is_ok()
    );
    browser.screenshot("two-widgets").await;
    browser.close().await;
}

#[tokio::test]
async fn hostile_host_css_neither_breaks_the_widget_nor_is_touched_by_it() {
    let edge = env().edge_url.as_str();
    let session = session_for(&unique("hostile")).await;
    let page = serve_page(
        "/hostile.html",
        format!(
            r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Hostile host</title>
<style>
html {{ font-size: 40px; }}
* {{ color: red !important; font-family: serif !important; letter-spacing: 3px !important;
     text-transform: uppercase !important; line-height: 3 !important; box-sizing: content-box !important; }}
body {{ text-align: right; font-style: italic; word-spacing: 12px; white-space: nowrap; cursor: wait; }}
button, li, ul, span, p, h2, h3, section, div, dialog, svg {{ display: none !important; background: red !important; }}
.hl-button, .hl-row, .hl-card, .hl-badge {{ display: none !important; background: lime !important; }}
healthlink-connect {{ font: italic 30px serif; }}
</style>
<script type="module" src="{edge}/healthlink.js"></script></head>
<body><main><h1>Hostile host</h1>
<strong id="host-badge" class="hl-badge-connected hl-link">host's own element</strong>
<healthlink-connect edge="{edge}" session="{session}"></healthlink-connect>
</main></body></html>"#
        ),
    );
    let browser = Browser::start().await;
    browser.client.goto(&page).await.expect("open host page");
    let root = browser.widget(0).await;
    wait_for_test_id(&root, "source-list").await;

    let name = root
        .find(Locator::Css("[data-source=oura] [data-testid=source-name]"))
        .await
        .unwrap();
    let button = root
        .find(Locator::Css(
            "[data-source=oura] [data-testid=source-action]",
        ))
        .await
        .unwrap();
    assert!(
        button.is_displayed().await.unwrap(),
        "the button is visible"
    );
    for (element, property, expected) in [
        (&name, "text-transform", "none"),
        (&name, "letter-spacing", "normal"),
        (&name, "font-style", "normal"),
        (&name, "font-size", "16px"),
        (&name, "color", "rgb(27, 31, 36)"),
        (&button, "background-color", "rgb(11, 92, 173)"),
        (&button, "color", "rgb(255, 255, 255)"),
        // A flex item: blockified, and shown.
        (&button, "display", "block"),
    ] {
        assert_eq!(
            browser.computed_style(element, property).await,
            expected,
            "{property}"
        );
    }
    let family = browser.computed_style(&name, "font-family").await;
    assert!(family.starts_with("system-ui"), "{family}");
    assert_eq!(button.text().await.unwrap(), "Connect");

    // And the widget's styles stay inside: the host's element with the
    // widget's class names keeps the host's look.
    let host_badge = browser
        .client
        .find(Locator::Id("host-badge"))
        .await
        .unwrap();
    assert_eq!(
        browser
            .computed_style(&host_badge, "background-color")
            .await,
        "rgba(0, 0, 0, 0)"
    );
    assert_eq!(
        browser.computed_style(&host_badge, "color").await,
        "rgb(255, 0, 0)"
    );
    browser.screenshot("hostile-css").await;
    browser.close().await;
}

/// The policy the README tells hosts to set, as strict as it gets: nothing
/// but the host's own script, the edge's script and wasm, and calls to the
/// edge, its live-updates socket included. No inline script or style
/// anywhere.
fn strict_policy(edge: &str) -> String {
    let socket = edge.replacen("http", "ws", 1);
    format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval' {edge}; \
         connect-src {edge} {socket}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
}

/// The host's own script, from its own origin: records every CSP
/// violation the page reports in `window.violations`.
fn serve_violation_recorder() {
    serve_file(
        "/csp-host.js",
        "text/javascript",
        &[],
        "window.violations = [];\n\
         document.addEventListener('securitypolicyviolation', (e) =>\n\
           window.violations.push(e.violatedDirective + ' ' + e.blockedURI));\n"
            .to_owned(),
    );
}

#[tokio::test]
async fn works_under_a_strict_content_security_policy() {
    let edge = env().edge_url.as_str();
    let user = unique("csp");
    let session = session_for(&user).await;
    let policy = strict_policy(edge);
    // The host's own script, from its own origin: records any violation.
    serve_violation_recorder();
    let page = serve_file(
        "/csp.html",
        "text/html; charset=utf-8",
        &[("content-security-policy", &policy)],
        format!(
            r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Strict CSP</title>
<script src="/csp-host.js"></script>
<script type="module" src="{edge}/healthlink.js"></script></head>
<body><main><h1>Strict CSP</h1>
<healthlink-connect edge="{edge}" session="{session}"></healthlink-connect>
</main></body></html>"#
        ),
    );
    let browser = Browser::start().await;
    browser.client.goto(&page).await.expect("open host page");
    let root = browser.widget(0).await;
    wait_for_test_id(&root, "source-list").await;

    // Styled (the constructed stylesheet applies) and usable: connect
    // Oura in the popup, then open both dialogs.
    let button = root
        .find(Locator::Css(
            "[data-source=oura] [data-testid=source-action]",
        ))
        .await
        .unwrap();
    assert_eq!(
        browser.computed_style(&button, "background-color").await,
        "rgb(11, 92, 173)"
    );
    let main = browser.client.window().await.unwrap();
    click_action(&root, "oura").await;
    browser.switch_to_popup(&main).await;
    consent(&browser, true).await;
    browser.client.switch_to_window(main).await.unwrap();
    wait_for_notice(&browser, "Oura is connected.").await;
    click_action(&root, "apple_health").await;
    let qr = wait_for_test_id(&root, "phone-qr").await;
    assert!(qr.is_displayed().await.unwrap());
    browser.screenshot("strict-csp").await;
    // Live updates too: `connect-src` with the edge's http(s) origin covers
    // its ws(s) socket in Chromium, so a change made elsewhere shows at
    // once, with no violation.
    let answer = healthlink_tests::edge::Answer::send(healthlink_tests::edge::backend(
        reqwest::Method::POST,
        &format!("/v1/users/{user}/connections/oura/disconnect"),
    ))
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    wait_for_status(&browser, "oura", "disconnected").await;

    let violations = browser
        .client
        .execute("return window.violations", vec![])
        .await
        .unwrap();
    assert_eq!(violations, serde_json::json!([]), "CSP violations");
    browser.close().await;
}

/// What a host that keeps the older policy (`connect-src` with only the
/// edge's http(s) origin) gets: Chromium does not count the ws(s) socket as
/// covered and reports it, and the widget still works without live updates.
#[tokio::test]
async fn without_the_socket_in_connect_src_chromium_blocks_it_and_the_widget_still_works() {
    let edge = env().edge_url.as_str();
    let session = session_for(&unique("csp-no-socket")).await;
    let policy = format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval' {edge}; connect-src {edge}"
    );
    serve_violation_recorder();
    let page = serve_file(
        "/csp-no-socket.html",
        "text/html; charset=utf-8",
        &[("content-security-policy", &policy)],
        format!(
            r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Older CSP</title>
<script src="/csp-host.js"></script>
<script type="module" src="{edge}/healthlink.js"></script></head>
<body><healthlink-connect edge="{edge}" session="{session}"></healthlink-connect></body></html>"#
        ),
    );
    let browser = Browser::start().await;
    browser.client.goto(&page).await.expect("open host page");
    let root = browser.widget(0).await;
    wait_for_test_id(&root, "source-list").await;
    let violations = eventually("the socket reported", UI_TIMEOUT, || async {
        let violations = browser
            .client
            .execute("return window.violations", vec![])
            .await
            .map_err(|e| e.to_string())?;
        let list: Vec<String> = serde_json::from_value(violations).map_err(|e| e.to_string())?;
        if list.is_empty() {
            Err("no violation yet".to_owned())
        } else {
            Ok(list)
        }
    })
    .await;
    let socket = edge.replacen("http", "ws", 1);
    assert!(
        violations.iter().all(
            |v| v.starts_with("connect-src") && v.starts_with(&format!("connect-src {socket}"))
        ),
        "{violations:?}"
    );
    browser.close().await;
}
