//! A hosted connect link in a browser, as a participant on a phone opens
//! it: the edge's page at 360 px in the link's language, the widget on it,
//! a connection through the sandbox's consent page and back (a single-use
//! link opens again for the flow's return), and "Back to the app" carrying
//! the result to the app's deep link. axe in every state; no CSP violation.

use fantoccini::Locator;
use healthlink_shared::LinkCreated;
use healthlink_tests::browser::{
    Browser, UI_TIMEOUT, click_action, consent, wait_for_status, wait_for_test_id,
};
use healthlink_tests::edge::{Answer, Edge, remember_link_token};
use healthlink_tests::host::serve_page;
use healthlink_tests::unique;
use healthlink_tests::wait::eventually;
use reqwest::Method;

async fn mint(body: serde_json::Value) -> LinkCreated {
    let answer = Answer::send(Edge::Sandbox.backend(Method::POST, "/v1/links").json(&body)).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let link: LinkCreated = answer.json();
    remember_link_token(link.url.rsplit('/').next().unwrap_or_default());
    link
}

async fn back_href(browser: &Browser) -> String {
    browser
        .client
        .find(Locator::Id("healthlink-back"))
        .await
        .expect("the way back")
        .attr("href")
        .await
        .expect("href")
        .unwrap_or_default()
}

#[tokio::test]
async fn a_link_on_a_phone_connects_and_goes_back_to_the_app() {
    let user = unique("link-phone");
    let link = mint(serde_json::json!({
        "user_id": user,
        "locale": "de",
        "return_url": "healthlink-e2e://connected",
        "single_use": true,
    }))
    .await;
    let browser = Browser::start_narrow(360).await;
    browser.watch_csp_violations().await;
    browser.client.goto(&link.url).await.expect("open the link");
    let root = browser.widget(0).await;
    wait_for_test_id(&root, "source-list").await;
    let widths = browser
        .client
        .execute(
            "return [window.innerWidth, document.documentElement.scrollWidth];",
            vec![],
        )
        .await
        .expect("measure");
    let widths: Vec<u32> = serde_json::from_value(widths).expect("numbers");
    assert!(
        widths[1] <= widths[0],
        "the page scrolls sideways: {widths:?}"
    );
    let lang = browser
        .client
        .execute("return document.documentElement.lang", vec![])
        .await
        .expect("lang");
    assert_eq!(lang, serde_json::json!("de"));
    assert_eq!(back_href(&browser).await, "healthlink-e2e://connected");
    browser.screenshot("link-page-360").await;
    browser.assert_accessible("link page").await;

    // The page's flows redirect: consent in the same tab, then back to the
    // page, which opens again although the link is single-use.
    click_action(&root, "oura").await;
    consent(&browser, true).await;
    browser.widget(0).await;
    wait_for_status(&browser, "oura", "connected").await;
    let address = browser.client.current_url().await.expect("address");
    assert!(
        address.as_str().starts_with(&link.url) && !address.as_str().contains("healthlink_"),
        "back on the page, its address cleaned: {address}"
    );
    let href = eventually("the result on the way back", UI_TIMEOUT, || async {
        let href = back_href(&browser).await;
        href.contains("healthlink_result=connected")
            .then_some(href.clone())
            .ok_or(href)
    })
    .await;
    assert_eq!(
        href,
        "healthlink-e2e://connected?healthlink_source=oura&healthlink_action=connect&healthlink_result=connected"
    );
    browser.screenshot("link-page-connected-360").await;
    browser
        .assert_accessible("link page after connecting")
        .await;

    // Live updates reach the page (its CSP lets the socket through): the
    // backend disconnects, the row follows without a reload.
    let ended = Answer::send(Edge::Sandbox.backend(
        Method::POST,
        &format!("/v1/users/{user}/connections/oura/disconnect"),
    ))
    .await;
    assert_eq!(ended.status, 200, "{}", ended.body);
    wait_for_status(&browser, "oura", "disconnected").await;
    assert_eq!(
        browser.csp_violations().await,
        Vec::<String>::new(),
        "the link page's own CSP refused something"
    );
    // And the watch sees a refusal when there is one: an image from
    // elsewhere, which `img-src 'self'` blocks.
    browser
        .client
        .execute(
            "const probe = new Image(); probe.src = 'http://127.0.0.1:9/probe.png'; document.body.append(probe);",
            vec![],
        )
        .await
        .expect("add a foreign image");
    let seen = eventually("the probe's violation", UI_TIMEOUT, || async {
        let found = browser.csp_violations().await;
        (!found.is_empty())
            .then_some(found.clone())
            .ok_or(format!("{found:?}"))
    })
    .await;
    assert!(seen[0].starts_with("img-src"), "{seen:?}");
    browser.close().await;
}

#[tokio::test]
async fn an_expired_link_says_what_to_do_in_the_browsers_language() {
    let user = unique("link-gone");
    let link = mint(serde_json::json!({ "user_id": user, "single_use": true })).await;
    let first = Browser::start_speaking(Some("fr-FR")).await;
    first.client.goto(&link.url).await.expect("open the link");
    first.widget(0).await;
    first.close().await;

    let browser = Browser::start_speaking(Some("fr-FR")).await;
    browser.client.goto(&link.url).await.expect("open it again");
    let heading = browser
        .client
        .find(Locator::Css("h1"))
        .await
        .expect("a heading")
        .text()
        .await
        .expect("text");
    assert_eq!(heading, "Ce lien a déjà été utilisé");
    browser.screenshot("link-used-fr").await;
    browser.assert_accessible("used link page").await;
    browser.close().await;
}

#[tokio::test]
async fn back_to_the_app_lands_on_the_return_url_with_the_result() {
    let landing = serve_page(
        "/after-link.html",
        "<!doctype html><html lang=\"en\"><head><title>Back in the app</title></head>\
         <body><main><h1>Back in the app</h1></main></body></html>"
            .to_owned(),
    );
    let user = unique("link-back");
    let link = mint(serde_json::json!({ "user_id": user, "return_url": landing })).await;
    let browser = Browser::start_narrow(360).await;
    browser.client.goto(&link.url).await.expect("open the link");
    let root = browser.widget(0).await;
    click_action(&root, "fitbit").await;
    consent(&browser, true).await;
    browser.widget(0).await;
    wait_for_status(&browser, "fitbit", "connected").await;
    eventually("the result on the way back", UI_TIMEOUT, || async {
        let href = back_href(&browser).await;
        href.contains("healthlink_result=connected")
            .then_some(())
            .ok_or(href)
    })
    .await;
    browser
        .client
        .find(Locator::Id("healthlink-back"))
        .await
        .expect("the way back")
        .click()
        .await
        .expect("press Back to the app");
    let arrived = eventually("the app's page", UI_TIMEOUT, || async {
        let url = browser
            .client
            .current_url()
            .await
            .map_err(|e| e.to_string())?;
        url.as_str()
            .starts_with(&landing)
            .then_some(url.to_string())
            .ok_or_else(|| url.to_string())
    })
    .await;
    assert_eq!(
        arrived,
        format!(
            "{landing}?healthlink_source=fitbit&healthlink_action=connect&healthlink_result=connected"
        )
    );
    browser.close().await;
}
