//! The widget believes only what it can check: a link that claims a flow's
//! result, or a message from the popup without the flow's nonce, changes
//! nothing and is not announced; real flows still are, once. A connect URL
//! that is not https: is not opened, and a connection the aggregator is
//! still confirming says so until it settles.

use std::time::Duration;

use fantoccini::Locator;
use healthlink_tests::browser::{
    Browser, UI_TIMEOUT, by_test_id, click_action, consent, wait_for_notice, wait_for_status,
};
use healthlink_tests::edge::Edge;
use healthlink_tests::host::{embed_page_with_head, serve_page};
use healthlink_tests::unique;
use healthlink_tests::wait::eventually;

/// Records the `healthlink:*` events the page sees, as "type source result
/// status code" (without the parts that are null), in `window.hlEvents`. A
/// redirect return is a new page, so the list starts empty there.
const RECORD_EVENTS: &str = r#"<script>
window.hlEvents = [];
for (const type of ["healthlink:ready", "healthlink:connect", "healthlink:error"]) {
  document.addEventListener(type, (e) => window.hlEvents.push(
    [e.type, e.detail.source, e.detail.result, e.detail.status, e.detail.code]
      .filter((part) => part != null).join(" ")));
}
</script>"#;

/// Plays an edge that answers differently, by wrapping the page's `fetch`
/// (the widget's requests go through it): while `window.hlFake.finishing`
/// names a source, the list shows it `pending` with a `connect` to confirm,
/// or `connected` once `window.hlFake.settled`; with
/// `window.hlFake.connectUrl` set, every connect request answers that URL.
const FAKE_EDGE: &str = r#"<script>
window.hlFake = { finishing: null, settled: false, connectUrl: null };
const realFetch = window.fetch.bind(window);
window.fetch = async (input, init) => {
  const request = new Request(input, init);
  const fake = window.hlFake;
  if (fake.connectUrl && request.method === "POST" && request.url.endsWith("/connect")) {
    return new Response(JSON.stringify({ url: fake.connectUrl }),
      { status: 200, headers: { "content-type": "application/json" } });
  }
  const response = await realFetch(request);
  if (!fake.finishing || request.method !== "GET" || !request.url.endsWith("/v1/connections")) {
    return response;
  }
  const list = await response.json();
  for (const row of list.sources.filter((row) => row.id === fake.finishing)) {
    Object.assign(row, fake.settled
      ? { status: "connected", pending: null }
      : { status: "pending", pending: "connect" });
  }
  return new Response(JSON.stringify(list),
    { status: response.status, headers: { "content-type": "application/json" } });
};
</script>"#;

/// Time for anything the widget might still do after its list is shown: it
/// decides about a returned result when the list arrives, so this is only
/// a margin against a slower machine.
const SETTLE: Duration = Duration::from_millis(800);

/// A host page on the sandbox edge that records events, for a new user.
async fn recording_page(path: &str, flow: &str) -> String {
    page_with(path, flow, RECORD_EVENTS).await
}

/// A recording page whose edge answers are played by [`FAKE_EDGE`], with
/// `fake` (a script statement setting `window.hlFake`) run before the
/// widget's first request.
async fn faking_page(path: &str, flow: &str, fake: &str) -> String {
    let head = format!("{RECORD_EVENTS}{FAKE_EDGE}<script>{fake}</script>");
    page_with(path, flow, &head).await
}

async fn page_with(path: &str, flow: &str, head: &str) -> String {
    let session = Edge::Sandbox.session_for(&unique("trust")).await;
    let attributes = format!(
        "edge=\"{}\" session=\"{session}\" flow=\"{flow}\"",
        Edge::Sandbox.base()
    );
    serve_page(
        path,
        embed_page_with_head("Host app", Edge::Sandbox.base(), &attributes, head),
    )
}

/// The `healthlink:connect` events the page has seen so far.
async fn connect_events(browser: &Browser) -> Vec<String> {
    events_of(browser, "healthlink:connect").await
}

/// The events of type `kind` the page has seen so far.
async fn events_of(browser: &Browser, kind: &str) -> Vec<String> {
    let value = browser
        .client
        .execute(
            "return window.hlEvents.filter((e) => e.startsWith(arguments[0] + ' '))",
            vec![serde_json::json!(kind)],
        )
        .await
        .expect("read events");
    serde_json::from_value(value).expect("a list of strings")
}

/// The `healthlink:connect` events once the widget is ready (its list
/// shown) and a moment has passed.
async fn connect_events_when_settled(browser: &Browser) -> Vec<String> {
    eventually("healthlink:ready", UI_TIMEOUT, || async {
        let ready = browser
            .client
            .execute(
                "return window.hlEvents.includes('healthlink:ready ready')",
                vec![],
            )
            .await
            .map_err(|e| e.to_string())?;
        (ready == serde_json::Value::Bool(true))
            .then_some(())
            .ok_or_else(|| "not ready yet".to_owned())
    })
    .await;
    tokio::time::sleep(SETTLE).await;
    connect_events(browser).await
}

async fn notice_text(browser: &Browser) -> String {
    let root = browser.widget(0).await;
    by_test_id(&root, "notice")
        .await
        .expect("the live region")
        .text()
        .await
        .expect("its text")
}

/// Runs a redirect connect of `source` (Allow or Deny on the consent
/// page), waits for the notice on the page it returns to, and gives the
/// `healthlink:connect` events that page saw.
async fn redirect_connect(
    browser: &Browser,
    source: &str,
    allow: bool,
    notice: &str,
) -> Vec<String> {
    let root = browser.widget(0).await;
    click_action(&root, source).await;
    consent(browser, allow).await;
    wait_for_notice(browser, notice).await;
    connect_events_when_settled(browser).await
}

#[tokio::test]
async fn a_crafted_return_link_is_neither_announced_nor_reported() {
    let page = recording_page("/trust-crafted.html", "redirect").await;
    let browser = Browser::start().await;
    for claim in [
        // Oura is not connected: the list says otherwise.
        "healthlink_source=oura&healthlink_action=connect&healthlink_result=connected",
        // No such source in the user's list.
        "healthlink_source=nosuch&healthlink_action=connect&healthlink_result=connected",
        // Not the contract's spelling.
        "healthlink_source=oura&healthlink_action=connect&healthlink_result=CONNECTED",
        "healthlink_source=oura&healthlink_action=grant&healthlink_result=connected",
    ] {
        browser
            .client
            .goto(&format!("{page}?tab=2&{claim}"))
            .await
            .expect("open the crafted link");
        assert_eq!(
            connect_events_when_settled(&browser).await,
            Vec::<String>::new(),
            "{claim}"
        );
        wait_for_status(&browser, "oura", "disconnected").await;
        let notice = notice_text(&browser).await;
        assert!(
            notice.trim().is_empty(),
            "{claim}: nothing is announced, got {notice:?}"
        );
        let current = browser.client.current_url().await.expect("url");
        assert!(
            !current.as_str().contains("healthlink_") && current.as_str().ends_with("?tab=2"),
            "{claim}: the claim is removed from the address, the host's query kept: {current}"
        );
    }
    browser.screenshot("trust-crafted-link").await;
    browser.close().await;
}

#[tokio::test]
async fn a_real_redirect_connect_is_announced_and_reported_once() {
    let page = recording_page("/trust-redirect.html", "redirect").await;
    let browser = Browser::start().await;
    browser.client.goto(&page).await.expect("open host page");

    assert_eq!(
        redirect_connect(&browser, "fitbit", true, "Fitbit is connected.").await,
        ["healthlink:connect fitbit connected connected"]
    );
    wait_for_status(&browser, "fitbit", "connected").await;
    assert_eq!(notice_text(&browser).await, "Fitbit is connected.");
    browser.screenshot("trust-redirect-connected").await;

    // Deny: announced and reported as cancelled, once.
    assert_eq!(
        redirect_connect(&browser, "polar", false, "Polar was not connected").await,
        ["healthlink:connect polar cancelled disconnected"]
    );
    browser.close().await;
}

#[tokio::test]
async fn a_popup_message_without_the_flows_nonce_is_ignored() {
    let page = recording_page("/trust-popup.html", "popup").await;
    let browser = Browser::start().await;
    browser.client.goto(&page).await.expect("open host page");
    connect_events_when_settled(&browser).await;
    let main = browser.client.window().await.expect("main window");

    let root = browser.widget(0).await;
    click_action(&root, "oura").await;
    browser.switch_to_popup(&main).await;
    // On the edge's own origin, in the very window the widget opened: a
    // page there (or script injected into one) claims success without the
    // nonce the widget sent with this flow, then with a wrong one.
    eventually("the consent page", UI_TIMEOUT, || async {
        browser
            .client
            .find(fantoccini::Locator::Id("deny"))
            .await
            .map_err(|e| e.to_string())
    })
    .await;
    browser
        .client
        .execute(
            "const claim = { source: 'oura', action: 'connect', result: 'connected' }; \
             window.opener.postMessage({ healthlink: claim }, '*'); \
             window.opener.postMessage({ healthlink: claim, nonce: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' }, '*');",
            vec![],
        )
        .await
        .expect("post forged messages");
    browser
        .client
        .switch_to_window(main.clone())
        .await
        .expect("back to the host page");
    tokio::time::sleep(SETTLE).await;
    assert_eq!(connect_events(&browser).await, Vec::<String>::new());
    assert!(notice_text(&browser).await.trim().is_empty());
    assert_eq!(
        browser.client.windows().await.expect("windows").len(),
        2,
        "the flow still waits for its popup"
    );

    // The real answer still ends the flow.
    browser.switch_to_popup(&main).await;
    consent(&browser, false).await;
    browser
        .client
        .switch_to_window(main)
        .await
        .expect("back to the host page");
    wait_for_notice(&browser, "Oura was not connected").await;
    wait_for_status(&browser, "oura", "disconnected").await;
    tokio::time::sleep(SETTLE).await;
    assert_eq!(
        connect_events(&browser).await,
        ["healthlink:connect oura cancelled disconnected"]
    );
    browser.close().await;
}

#[tokio::test]
async fn a_connection_being_finished_says_so_offers_no_button_and_settles_by_itself() {
    let page = faking_page(
        "/trust-finishing.html",
        "popup",
        "window.hlFake.finishing = 'oura';",
    )
    .await;
    let browser = Browser::start().await;
    browser.client.goto(&page).await.expect("open host page");
    wait_for_status(&browser, "oura", "pending").await;
    let root = browser.widget(0).await;
    let row = root
        .find(Locator::Css("[data-source=oura]"))
        .await
        .expect("the row");
    let badge = row
        .find(Locator::Css("[data-testid=source-status]"))
        .await
        .expect("the badge");
    assert_eq!(badge.text().await.unwrap(), "Finishing connection…");
    let buttons = row
        .find_all(Locator::Css("button:not([hidden])"))
        .await
        .expect("query the row's buttons");
    assert!(
        buttons.is_empty(),
        "nothing to press while the connection is finished"
    );
    browser.assert_accessible("finishing a connection").await;
    browser.screenshot("trust-finishing-connection").await;

    // The aggregator confirms: the list, re-read on its own, shows it and
    // the widget says so.
    browser
        .client
        .execute("window.hlFake.settled = true", vec![])
        .await
        .expect("settle");
    wait_for_status(&browser, "oura", "connected").await;
    wait_for_notice(&browser, "Oura is connected.").await;
    assert_eq!(
        connect_events(&browser).await,
        ["healthlink:connect oura connected connected"]
    );
    browser.close().await;
}

#[tokio::test]
async fn a_connect_url_that_is_not_https_is_not_opened() {
    for flow in ["popup", "redirect"] {
        let page = faking_page(
            &format!("/trust-script-url-{flow}.html"),
            flow,
            "window.hlFake.connectUrl = 'javascript:alert(document.domain)';",
        )
        .await;
        let browser = Browser::start().await;
        browser.client.goto(&page).await.expect("open host page");
        connect_events_when_settled(&browser).await;
        let root = browser.widget(0).await;
        click_action(&root, "oura").await;
        let notice = wait_for_notice(&browser, "problem on its side").await;
        assert!(
            notice.starts_with("The connection service"),
            "{flow}: {notice}"
        );
        let errors = eventually("the error event", UI_TIMEOUT, || async {
            let seen = events_of(&browser, "healthlink:error").await;
            (!seen.is_empty())
                .then_some(seen)
                .ok_or_else(|| "none yet".to_owned())
        })
        .await;
        assert_eq!(errors, ["healthlink:error oura error connect_url_refused"]);
        // No window went anywhere: the blank popup is closed again, this
        // page is still this page, and no script ran (it would alert).
        eventually("the blank popup closed", UI_TIMEOUT, || async {
            let windows = browser.client.windows().await.map_err(|e| e.to_string())?;
            (windows.len() == 1)
                .then_some(())
                .ok_or_else(|| format!("{} windows", windows.len()))
        })
        .await;
        assert_eq!(
            browser.client.current_url().await.unwrap().as_str(),
            page,
            "{flow}"
        );
        assert!(browser.client.get_alert_text().await.is_err(), "{flow}");
        wait_for_status(&browser, "oura", "disconnected").await;
        browser.close().await;
    }
}
