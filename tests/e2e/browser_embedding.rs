//! What a host page gets: the JS API, DOM events, session renewal without a
//! remount, refresh(), and theme and language changed on a mounted widget;
//! and the disconnect dialog's two choices (keep the shared data, or have it
//! deleted), by keyboard and by click.

use std::time::{SystemTime, UNIX_EPOCH};

use fantoccini::Locator;
use healthlink_edge::signing::{Signer, TokenKind};
use healthlink_tests::browser::{Browser, UI_TIMEOUT, by_test_id, wait_for_notice};
use healthlink_tests::edge::{Answer, Edge, backend, mint_session, session_for};
use healthlink_tests::host::{embed_page, serve_page};
use healthlink_tests::theme::{self, Colours, READ_COLOURS};
use healthlink_tests::wait::eventually;
use healthlink_tests::{env, unique};
use healthlink_widget::i18n::{Catalog, Locale};

use crate::aggregator_support::{audit, row};

/// A host page that mounts the widget with `Healthlink.mount` and records
/// every event `onEvent` receives as "type source result status", with
/// `delete_data` after it where the event has one (disconnects).
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
  onEvent: (e) => window.hlEvents.push([e.type, e.detail.source, e.detail.result, e.detail.status,
    e.detail.delete_data].filter((part) => part !== undefined).join(" ")),
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

/// Opens the host `page` and connects `source` there (popup, Allow).
async fn open_connected(browser: &Browser, page: &str, source: &str) {
    browser.client.goto(page).await.expect("open host page");
    popup_allow(browser, source).await;
    wait_for_status(browser, source, "connected").await;
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

    // "Stop sharing": the host keeps what Oura shared.
    click(&browser, "[data-source=oura] [data-testid=source-action]").await;
    wait_for_focus(&browser, "confirm-cancel").await;
    browser.screenshot("api-dark-confirm-dialog").await;
    browser.confirm_disconnect().await;
    wait_for_event(
        &browser,
        "healthlink:disconnect oura disconnected disconnected false",
    )
    .await;
    wait_for_status(&browser, "oura", "disconnected").await;
    wait_for_notice(&browser, "Oura is disconnected.").await;
    assert_eq!(
        audit(Edge::Sandbox, &user).await,
        [
            row("connect", "connected", "user"),
            row("disconnect", "disconnected", "user"),
        ]
    );

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

/// Starts watching the first widget for what a remount or a reload would
/// show: the loading rows, a list element other than the one watched,
/// another request for the list. [`remounted_or_reloaded`] reads what it
/// saw.
async fn watch_for_reloads(browser: &Browser) {
    browser
        .client
        .execute(
            "const root = document.querySelector('healthlink-connect').shadowRoot;\
             window.hlLoadingShown = false;\
             root.querySelector('[data-testid=source-list]').hlWatched = true;\
             new MutationObserver(() => {\
               if (root.querySelector('[data-testid=loading]')) window.hlLoadingShown = true;\
             }).observe(root, { childList: true, subtree: true });\
             window.hlListReads = () => performance.getEntriesByType('resource')\
               .filter((entry) => new URL(entry.name).pathname === '/v1/connections').length;\
             window.hlListReadsBefore = window.hlListReads();",
            vec![],
        )
        .await
        .expect("watch the widget");
}

/// What [`watch_for_reloads`] saw since it started, as the empty list when
/// nothing. It must have seen the first load's request, or counting
/// requests proves nothing.
async fn remounted_or_reloaded(browser: &Browser) -> Vec<String> {
    let seen = browser
        .client
        .execute(
            "const root = document.querySelector('healthlink-connect').shadowRoot;\
             const list = root.querySelector('[data-testid=source-list]');\
             return [\
               window.hlLoadingShown && 'the loading rows showed',\
               !(list && list.hlWatched) && 'the list is another element',\
               window.hlListReads() > window.hlListReadsBefore && 'the list was read again',\
               window.hlListReadsBefore === 0 && 'no request for the list was ever seen',\
             ].filter(Boolean);",
            vec![],
        )
        .await
        .expect("read what the watch saw");
    serde_json::from_value(seen).expect("a list of strings")
}

/// Sets the first widget's `locale` attribute (removes it for `None`) and,
/// two frames later, reads what the widget says: heading, `lang`, the
/// notice, Oura's badge and the open dialog's heading and Cancel.
async fn switch_locale(browser: &Browser, locale: Option<&str>) -> Vec<String> {
    browser
        .client
        .execute(
            "const [locale] = arguments;\
             const host = document.querySelector('healthlink-connect');\
             if (locale === null) host.removeAttribute('locale'); else host.setAttribute('locale', locale);",
            vec![serde_json::json!(locale)],
        )
        .await
        .expect("switch the locale");
    // A language other than English is a file the widget loads the first
    // time it is needed: the words change when it has arrived, in place.
    let expected = locale
        .and_then(Locale::from_tag)
        .unwrap_or(Locale::En)
        .catalog();
    let mut said = Vec::new();
    let _ = tokio::time::timeout(UI_TIMEOUT, async {
        loop {
            said = read_words(browser).await;
            if said == said_in(expected) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    })
    .await;
    said
}

/// The title, language, notice, Oura's badge and the open dialog's words.
async fn read_words(browser: &Browser) -> Vec<String> {
    let said = browser
        .client
        .execute(
            "const host = document.querySelector('healthlink-connect');\
             const text = (selector) =>\
               host.shadowRoot.querySelector(selector)?.textContent.trim() ?? `no ${selector}`;\
             return [text('.hl-title'), host.shadowRoot.querySelector('.hl-card')?.lang ?? 'no card',\
               text('[data-testid=notice]'), text('[data-source=oura] [data-testid=source-status]'),\
               text('#hl-dialog-title'), text('[data-testid=confirm-cancel]')];",
            vec![],
        )
        .await
        .expect("read the words");
    serde_json::from_value(said).expect("a list of strings")
}

/// What [`switch_locale`] must read in `catalog`'s words, Oura connected
/// and its disconnect dialog open.
fn said_in(catalog: &Catalog) -> Vec<String> {
    vec![
        catalog.title.to_owned(),
        catalog.lang.to_owned(),
        catalog.fill(catalog.notice_connected, "Oura"),
        catalog.status_connected.to_owned(),
        catalog.fill(catalog.confirm_title, "Oura"),
        catalog.cancel.to_owned(),
    ]
}

/// A host switches `theme` and `locale` on the mounted element while the
/// user is in the middle of something (a notice showing, the disconnect
/// dialog open, focus on Cancel): the colours change in the same turn, the
/// words by the next frame, and nothing else does. No remount, no reload.
#[tokio::test]
async fn theme_and_locale_changed_after_mounting_apply_at_once_keeping_state() {
    // No locale in the session, so the attribute is what counts.
    let session = session_for(&unique("switch")).await;
    let edge = env().edge_url.as_str();
    let page = serve_page(
        "/switch.html",
        embed_page(
            "Settings",
            edge,
            &format!("edge=\"{edge}\" session=\"{session}\" theme=\"light\" locale=\"en\""),
        ),
    );
    let browser = Browser::start().await;
    open_connected(&browser, &page, "oura").await;
    wait_for_notice(&browser, "Oura is connected.").await;
    assert_eq!(theme::colours(&browser).await, theme::light());
    watch_for_reloads(&browser).await;
    open_dialog(&browser, "oura").await;

    // getComputedStyle right after setAttribute, in the same script.
    let dark = browser
        .client
        .execute(
            &format!(
                "document.querySelector('healthlink-connect').setAttribute('theme', 'dark');\
                 {READ_COLOURS}"
            ),
            vec![],
        )
        .await
        .expect("switch the theme");
    assert_eq!(
        serde_json::from_value::<Colours>(dark).unwrap(),
        theme::dark()
    );
    let dialog = by_test_id(&browser.widget(0).await, "confirm-dialog")
        .await
        .unwrap();
    assert_eq!(
        browser.computed_style(&dialog, "background-color").await,
        theme::dark().card,
        "the open dialog is dark too"
    );

    let de = Locale::De.catalog();
    assert_eq!(switch_locale(&browser, Some("de")).await, said_in(de));
    browser.screenshot("switched-dark-de").await;
    browser
        .assert_accessible("dark, German, dialog open after switching")
        .await;
    // Without the attribute, the browser's language (English) again.
    assert_eq!(
        switch_locale(&browser, None).await,
        said_in(Locale::En.catalog())
    );

    assert_eq!(focused(&browser).await, "confirm-cancel");
    assert_eq!(
        status_of(&browser, "oura").await.as_deref(),
        Some("connected")
    );
    assert_eq!(remounted_or_reloaded(&browser).await, Vec::<String>::new());
    // And the dialog still works: Escape, focus back on the row.
    press(&browser, ESCAPE).await;
    wait_for_focus(&browser, "source-action oura").await;
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

/// Presses `keys` together (e.g. Shift and Tab), then lets go in reverse.
async fn press(browser: &Browser, keys: &str) {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let mut actions = KeyActions::new("keyboard".into());
    for value in keys.chars() {
        actions = actions.then(KeyAction::Down { value });
    }
    for value in keys.chars().rev() {
        actions = actions.then(KeyAction::Up { value });
    }
    browser
        .client
        .perform_actions(actions)
        .await
        .expect("press keys");
}

async fn wait_for_focus(browser: &Browser, expected: &str) {
    eventually(&format!("focus on {expected}"), UI_TIMEOUT, || async {
        match focused(browser).await {
            focus if focus == expected => Ok(()),
            other => Err(other),
        }
    })
    .await;
}

const TAB: &str = "\u{E004}";
const SHIFT_TAB: &str = "\u{E008}\u{E004}";
const ENTER: &str = "\u{E007}";
const ESCAPE: &str = "\u{E00C}";

#[tokio::test]
async fn disconnect_asks_first_in_a_real_modal_usable_by_keyboard_alone() {
    let user = unique("keyboard");
    let session = session_for(&user).await;
    let page = api_page("/keyboard.html", &session, "light");
    let browser = Browser::start().await;
    open_connected(&browser, &page, "polar").await;

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
    // Focus moved into the dialog, onto Cancel: the choice that changes
    // nothing, though it comes last.
    wait_for_focus(&browser, "confirm-cancel").await;
    let root = browser.widget(0).await;
    let text = by_test_id(&root, "confirm-dialog")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for expected in [
        "Stop sharing",
        "Polar stops sending new data. What was already shared stays with this service.",
        "Stop sharing and delete my data",
        "Polar stops sending new data, and the data already shared is deleted.",
        "Cancel",
    ] {
        assert!(text.contains(expected), "{expected:?} is not in {text:?}");
    }
    browser.screenshot("confirm-dialog").await;
    browser
        .assert_accessible("disconnect dialog, keyboard")
        .await;
    // Both ways round through the dialog, in reading order, and never out
    // to the rows behind it.
    press(&browser, SHIFT_TAB).await;
    assert_eq!(focused(&browser).await, "confirm-delete");
    press(&browser, SHIFT_TAB).await;
    assert_eq!(focused(&browser).await, "confirm-disconnect");
    press(&browser, TAB).await;
    assert_eq!(focused(&browser).await, "confirm-delete");
    press(&browser, TAB).await;
    assert_eq!(focused(&browser).await, "confirm-cancel");
    press(&browser, TAB).await;
    let wrapped = focused(&browser).await;
    assert!(
        wrapped == "confirm-disconnect" || !wrapped.starts_with("source-action"),
        "focus left the dialog: {wrapped}"
    );

    // Escape closes it, nothing changes, focus is back on the button.
    press(&browser, ESCAPE).await;
    wait_for_focus(&browser, "source-action polar").await;
    assert_eq!(
        status_of(&browser, "polar").await.as_deref(),
        Some("connected")
    );

    // Enter, Shift+Tab to "Stop sharing and delete my data", Enter: Polar
    // is disconnected and the host is told to delete what it shared.
    press(&browser, ENTER).await;
    wait_for_focus(&browser, "confirm-cancel").await;
    press(&browser, SHIFT_TAB).await;
    assert_eq!(focused(&browser).await, "confirm-delete");
    press(&browser, ENTER).await;
    expect_deleted(
        &browser,
        &user,
        "polar",
        "disconnected",
        "Polar is disconnected. Its shared data will be deleted.",
    )
    .await;
    wait_for_focus(&browser, "source-action polar").await;
    browser.close().await;
}

/// Opens `source`'s dialog by click and waits for it (focus on Cancel).
async fn open_dialog(browser: &Browser, source: &str) {
    click(
        browser,
        &format!("[data-source={source}] [data-testid=source-action]"),
    )
    .await;
    wait_for_focus(browser, "confirm-cancel").await;
}

/// Asserts that every line of the open dialog fits: long labels wrap
/// inside their buttons, and nothing runs out of the dialog or the window.
async fn assert_dialog_fits(browser: &Browser) {
    let overflow = browser
        .client
        .execute(
            "const dialog = document.querySelector('healthlink-connect').shadowRoot \
               .querySelector('[data-testid=confirm-dialog]');\
             const box = dialog.getBoundingClientRect();\
             return [...dialog.querySelectorAll('button, p, h3')].filter((element) => {\
               const r = element.getBoundingClientRect();\
               return element.scrollWidth > element.clientWidth || r.left < box.left \
                 || r.right > box.right || box.right > window.innerWidth;\
             }).map((element) => element.dataset.testid || element.localName);",
            vec![],
        )
        .await
        .expect("measure the dialog");
    assert_eq!(overflow, serde_json::json!([]), "overflowing in the dialog");
}

/// After "Stop sharing and delete my data" on `user`'s `source`: the row
/// shows `status` (`disconnected`, or `pending` while the aggregator is
/// still revoking), the host page heard `delete_data: true`, the live
/// region says `notice`, and the audit trail records a `delete`.
async fn expect_deleted(browser: &Browser, user: &str, source: &str, status: &str, notice: &str) {
    wait_for_status(browser, source, status).await;
    wait_for_event(
        browser,
        &format!("healthlink:disconnect {source} {status} {status} true"),
    )
    .await;
    wait_for_notice(browser, notice).await;
    assert_eq!(
        audit(Edge::Sandbox, user).await,
        [
            row("connect", "connected", "user"),
            row("delete", status, "user"),
        ]
    );
}

#[tokio::test]
async fn stop_sharing_and_delete_by_click_on_a_narrow_page() {
    let user = unique("delete-click");
    let session = session_for(&user).await;
    let page = api_page("/delete.html", &session, "light");
    let browser = Browser::start_narrow(320).await;
    open_connected(&browser, &page, "oura").await;

    open_dialog(&browser, "oura").await;
    assert_dialog_fits(&browser).await;
    browser.screenshot("confirm-dialog-320").await;
    browser
        .assert_accessible("disconnect dialog at 320 px")
        .await;
    click(&browser, "[data-testid=confirm-cancel]").await;
    wait_for_focus(&browser, "source-action oura").await;

    open_dialog(&browser, "oura").await;
    click(&browser, "[data-testid=confirm-delete]").await;
    expect_deleted(
        &browser,
        &user,
        "oura",
        "disconnected",
        "Oura is disconnected. Its shared data will be deleted.",
    )
    .await;

    // A revoke the aggregator has still to finish (the sandbox's
    // `fault-pending` users): the delete is on its way, and says so. In
    // French, whose label is the longest.
    let user = unique("fault-pending-delete");
    let session = mint_session(serde_json::json!({ "user_id": user, "locale": "fr" })).await;
    let page = api_page("/delete-pending.html", &session, "light");
    open_connected(&browser, &page, "garmin").await;
    open_dialog(&browser, "garmin").await;
    assert_dialog_fits(&browser).await;
    browser.screenshot("confirm-dialog-320-fr").await;
    click(&browser, "[data-testid=confirm-delete]").await;
    let fr = Locale::Fr.catalog();
    expect_deleted(
        &browser,
        &user,
        "garmin",
        "pending",
        &fr.fill(fr.notice_delete_pending, "Garmin"),
    )
    .await;
    browser.close().await;
}
