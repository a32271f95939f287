//! axe-core in the browser, in every state a user meets: the list (in each
//! theme, whose computed colours must be that theme's), the disconnect
//! dialog, the phone dialog with its QR code, a load error and a flow
//! result. Zero violations, WCAG 2.2 A/AA and best practice. Also the phone
//! dialog's own behaviour, and the layout at 320 px.

use fantoccini::Locator;
use healthlink_tests::browser::{
    Browser, ColorScheme, UI_TIMEOUT, by_test_id, click_action, consent, wait_for_notice,
    wait_for_test_id,
};
use healthlink_tests::edge::session_for;
use healthlink_tests::host::{embed_page, serve_page};
use healthlink_tests::theme::{self, colours};
use healthlink_tests::wait::eventually;
use healthlink_tests::{env, unique};

async fn page_with(path: &str, extra_attributes: &str) -> String {
    let session = session_for(&unique("a11y")).await;
    let edge = env().edge_url.as_str();
    serve_page(
        path,
        embed_page(
            "Settings",
            edge,
            &format!("edge=\"{edge}\" session=\"{session}\" {extra_attributes}"),
        ),
    )
}

async fn wait_until_open(browser: &Browser, dialog: &str) {
    let root = browser.widget(0).await;
    eventually(&format!("{dialog} to open"), UI_TIMEOUT, || async {
        let open = by_test_id(&root, dialog)
            .await?
            .attr("open")
            .await
            .map_err(|e| e.to_string())?;
        open.map(|_| ()).ok_or_else(|| "closed".to_owned())
    })
    .await;
}

/// The element that has focus, as `data-testid` (inside the widget).
async fn focused_test_id(browser: &Browser) -> Option<String> {
    let value = browser
        .client
        .execute(
            "const host = document.querySelector('healthlink-connect');\
             const active = host && host.shadowRoot && host.shadowRoot.activeElement;\
             return active ? active.getAttribute('data-testid') + ':' + \
               (active.closest('[data-source]') || {dataset: {}}).dataset.source : null;",
            vec![],
        )
        .await
        .expect("read focus");
    value.as_str().map(str::to_owned)
}

#[tokio::test]
async fn every_state_has_zero_axe_violations() {
    let page = page_with("/a11y.html", "").await;
    let browser = Browser::start().await;
    browser.client.goto(&page).await.expect("open host page");
    let root = browser.widget(0).await;
    wait_for_test_id(&root, "source-list").await;

    browser.assert_accessible("list").await;

    // Connected, so the row offers Disconnect and its dialog.
    let main = browser.client.window().await.expect("main window");
    click_action(&root, "oura").await;
    browser.switch_to_popup(&main).await;
    consent(&browser, true).await;
    browser.client.switch_to_window(main).await.expect("back");
    wait_for_notice(&browser, "Oura is connected.").await;
    browser.assert_accessible("result notice").await;

    click_action(&root, "oura").await;
    wait_until_open(&browser, "confirm-dialog").await;
    browser.assert_accessible("disconnect dialog").await;
    browser.screenshot("a11y-confirm-dialog").await;
    by_test_id(&root, "confirm-cancel")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    click_action(&root, "apple_health").await;
    wait_until_open(&browser, "phone-dialog").await;
    browser.assert_accessible("phone dialog with QR code").await;
    browser.screenshot("phone-qr").await;
    browser.close().await;
}

/// Each theme under each system colour scheme: `light` and `dark` whatever
/// the system prefers, `auto` as the system does. The computed colours
/// are the theme's own palette (not the light one under a dark name, which
/// axe would pass just as well), and axe judges that palette.
#[tokio::test]
async fn every_theme_has_its_palette_and_zero_axe_violations() {
    use ColorScheme::{Dark, Light};
    let browser = Browser::start().await;
    for (theme, system, expected, screenshot) in [
        ("light", Light, theme::light(), Some("theme-light")),
        ("light", Dark, theme::light(), None),
        ("dark", Light, theme::dark(), Some("theme-dark")),
        ("dark", Dark, theme::dark(), None),
        ("auto", Light, theme::light(), Some("theme-auto-light")),
        ("auto", Dark, theme::dark(), Some("theme-auto-dark")),
    ] {
        browser.prefer_color_scheme(system).await;
        let page = page_with(
            &format!("/theme-{theme}-{system:?}.html"),
            &format!("theme=\"{theme}\""),
        )
        .await;
        browser.client.goto(&page).await.expect("open host page");
        wait_for_test_id(&browser.widget(0).await, "source-list").await;
        let state = format!("theme={theme}, system {system:?}");
        assert_eq!(colours(&browser).await, expected, "{state}");
        browser.assert_accessible(&state).await;
        if let Some(name) = screenshot {
            browser.screenshot(name).await;
        }
    }

    // `auto` follows the system while the page is open, too.
    browser.prefer_color_scheme(Light).await;
    assert_eq!(
        colours(&browser).await,
        theme::light(),
        "auto, back to light"
    );
    browser.close().await;
}

/// A session the edge refuses: the load error panel, light and dark.
#[tokio::test]
async fn a_load_error_has_zero_axe_violations_in_either_theme() {
    let browser = Browser::start().await;
    let edge = env().edge_url.as_str();
    for theme in ["light", "dark"] {
        let broken = serve_page(
            &format!("/a11y-error-{theme}.html"),
            embed_page(
                "Settings",
                edge,
                &format!("edge=\"{edge}\" session=\"not-a-session\" theme=\"{theme}\""),
            ),
        );
        browser.client.goto(&broken).await.expect("open host page");
        wait_for_test_id(&browser.widget(0).await, "load-error").await;
        browser
            .assert_accessible(&format!("load error, theme={theme}"))
            .await;
        browser
            .screenshot(&format!("a11y-load-error-{theme}"))
            .await;
    }
    browser.close().await;
}

#[tokio::test]
async fn phone_only_sources_show_a_qr_code_and_the_link() {
    let page = page_with("/phone.html", "").await;
    let browser = Browser::start().await;
    browser.client.goto(&page).await.expect("open host page");
    let root = browser.widget(0).await;

    let button = eventually("the phone button", UI_TIMEOUT, || async {
        root.find(Locator::Css(
            "[data-source=apple_health] [data-testid=source-action]",
        ))
        .await
        .map_err(|e| e.to_string())
    })
    .await;
    assert_eq!(button.text().await.unwrap(), "Connect on your phone");
    assert_eq!(
        button.attr("aria-label").await.unwrap().as_deref(),
        Some("Connect on your phone: Apple Health")
    );
    // Keyboard: focus the button, open with Enter.
    browser
        .client
        .execute(
            "arguments[0].focus()",
            vec![serde_json::to_value(&button).unwrap()],
        )
        .await
        .unwrap();
    button.send_keys("\u{E007}").await.expect("press Enter");
    wait_until_open(&browser, "phone-dialog").await;

    let link = by_test_id(&root, "phone-link").await.expect("the link");
    assert_eq!(
        link.attr("href").await.unwrap().as_deref(),
        Some("healthlink-e2e://connect/apple_health")
    );
    let qr = wait_for_test_id(&root, "phone-qr").await;
    assert_eq!(
        qr.attr("aria-label").await.unwrap().as_deref(),
        Some("QR code that opens the app to connect Apple Health")
    );
    let path = qr
        .find(Locator::Css("path"))
        .await
        .unwrap()
        .attr("d")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(path.matches('M').count() > 50, "a real code: {path:.80}");
    assert!(qr.is_displayed().await.unwrap());

    // Escape closes it and focus goes back to the row's button.
    browser
        .client
        .active_element()
        .await
        .unwrap()
        .send_keys("\u{E00C}")
        .await
        .expect("press Escape");
    eventually("the dialog to close", UI_TIMEOUT, || async {
        match by_test_id(&root, "phone-dialog").await?.attr("open").await {
            Ok(None) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    assert_eq!(
        focused_test_id(&browser).await.as_deref(),
        Some("source-action:apple_health")
    );
    browser.close().await;
}

#[tokio::test]
async fn at_320_pixels_nothing_overflows() {
    let page = page_with("/narrow.html", "").await;
    let browser = Browser::start_narrow(320).await;
    browser.client.goto(&page).await.expect("open host page");
    let root = browser.widget(0).await;
    wait_for_test_id(&root, "source-list").await;
    let widths = browser
        .client
        .execute(
            "const card = document.querySelector('healthlink-connect').shadowRoot.querySelector('.hl-card');\
             return [window.innerWidth, document.documentElement.scrollWidth, card.scrollWidth, card.clientWidth];",
            vec![],
        )
        .await
        .expect("measure");
    let widths: Vec<u32> = serde_json::from_value(widths).expect("numbers");
    let (viewport, page_width, card_content, card) = (widths[0], widths[1], widths[2], widths[3]);
    assert!(viewport <= 340, "the window is narrow: {widths:?}");
    assert!(
        page_width <= viewport,
        "the page scrolls sideways: {widths:?}"
    );
    assert!(card_content <= card, "the card overflows: {widths:?}");
    // No badge runs under its row's button.
    let overlaps = browser
        .client
        .execute(
            "const root = document.querySelector('healthlink-connect').shadowRoot;\
             return [...root.querySelectorAll('[data-testid=source]')].filter((row) => {\
               const badge = row.querySelector('[data-testid=source-status]').getBoundingClientRect();\
               const button = row.querySelector('.hl-row-action');\
               if (!button || button.hidden) return false;\
               const b = button.getBoundingClientRect();\
               return badge.right > b.left && badge.bottom > b.top && badge.top < b.bottom;\
             }).map((row) => row.dataset.source);",
            vec![],
        )
        .await
        .expect("measure rows");
    assert_eq!(overlaps, serde_json::json!([]), "badges under buttons");
    browser.screenshot("narrow-320").await;
    browser.assert_accessible("list at 320 px").await;
    browser.close().await;
}

#[tokio::test]
async fn with_rook_and_no_app_of_its_own_the_phone_dialog_pairs_rooks_app() {
    use healthlink_tests::edge::Edge;
    use healthlink_tests::emulators::rook::rook;

    let user = unique("a11y-rook-phone");
    let session = Edge::Rook.session_for(&user).await;
    let edge = Edge::Rook.base();
    let page = serve_page(
        "/rook-phone.html",
        embed_page(
            "Settings",
            edge,
            &format!("edge=\"{edge}\" session=\"{session}\""),
        ),
    );
    let browser = Browser::start().await;
    browser.client.goto(&page).await.expect("open host page");
    let root = browser.widget(0).await;
    let button = eventually("the phone button", UI_TIMEOUT, || async {
        root.find(Locator::Css(
            "[data-source=health_connect] [data-testid=source-action]",
        ))
        .await
        .map_err(|e| e.to_string())
    })
    .await;
    assert_eq!(button.text().await.unwrap(), "Connect on your phone");
    button.click().await.expect("click");
    wait_until_open(&browser, "phone-dialog").await;

    let link = by_test_id(&root, "phone-link").await.expect("the link");
    let href = link.attr("href").await.unwrap().unwrap_or_default();
    assert_eq!(
        rook().bound_user(&href).as_deref(),
        Some(user.as_str()),
        "the link pairs ROOK's Extraction App with this user: {href}"
    );
    let qr = wait_for_test_id(&root, "phone-qr").await;
    let path = qr
        .find(Locator::Css("path"))
        .await
        .unwrap()
        .attr("d")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(path.matches('M').count() > 50, "a real code: {path:.80}");
    assert!(qr.is_displayed().await.unwrap());
    browser.assert_accessible("ROOK phone dialog").await;
    browser.screenshot("rook-phone-qr").await;
    browser.close().await;
}
