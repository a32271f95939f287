//! Every language, as a person sees it: the session's locale first, then the
//! `locale` attribute, then the browser's languages. The expected words come
//! from the widget's own catalogs.

use fantoccini::Locator;
use healthlink_tests::browser::{Browser, UI_TIMEOUT, by_test_id};
use healthlink_tests::edge::{mint_session, session_for};
use healthlink_tests::host::{embed_page, serve_page};
use healthlink_tests::wait::eventually;
use healthlink_tests::{env, unique};
use healthlink_widget::i18n::{Catalog, Locale};

/// Waits until the widget speaks `catalog`'s language, then checks the
/// heading, a badge, a button and its accessible name, and `lang`.
async fn assert_speaks(browser: &Browser, catalog: &Catalog) {
    let root = browser.widget(0).await;
    eventually(
        &format!("the widget in {:?}", catalog.lang),
        UI_TIMEOUT,
        || async {
            let title = root
                .find(Locator::Css(".hl-title"))
                .await
                .map_err(|e| e.to_string())?
                .text()
                .await
                .map_err(|e| e.to_string())?;
            by_test_id(&root, "source-list").await?;
            (title == catalog.title).then_some(()).ok_or(title)
        },
    )
    .await;
    let card = root.find(Locator::Css(".hl-card")).await.unwrap();
    assert_eq!(
        card.attr("lang").await.unwrap().as_deref(),
        Some(catalog.lang)
    );
    let row = root.find(Locator::Css("[data-source=oura]")).await.unwrap();
    let badge = row
        .find(Locator::Css("[data-testid=source-status]"))
        .await
        .unwrap();
    assert_eq!(badge.text().await.unwrap(), catalog.status_disconnected);
    let button = row
        .find(Locator::Css("[data-testid=source-action]"))
        .await
        .unwrap();
    assert_eq!(button.text().await.unwrap(), catalog.connect);
    assert_eq!(
        button.attr("aria-label").await.unwrap(),
        Some(catalog.fill(catalog.connect_named, "Oura"))
    );
    let phone = root
        .find(Locator::Css(
            "[data-source=apple_health] [data-testid=source-action]",
        ))
        .await
        .unwrap();
    assert_eq!(phone.text().await.unwrap(), catalog.connect_on_phone);
}

fn page(path: &str, session: &str, locale_attribute: Option<&str>) -> String {
    let edge = env().edge_url.as_str();
    let locale = locale_attribute
        .map(|tag| format!(" locale=\"{tag}\""))
        .unwrap_or_default();
    serve_page(
        path,
        embed_page(
            "Settings",
            edge,
            &format!("edge=\"{edge}\" session=\"{session}\"{locale}"),
        ),
    )
}

#[tokio::test]
async fn every_language_from_the_session() {
    let browser = Browser::start().await;
    for (locale, tag) in Locale::ALL
        .into_iter()
        .zip(["en-GB", "de-CH", "es", "fr-FR", "pt-BR"])
    {
        let session = mint_session(serde_json::json!({
            "user_id": unique("i18n"),
            "locale": tag,
        }))
        .await;
        // The attribute says otherwise: the session wins.
        let url = page(&format!("/i18n-{tag}.html"), &session, Some("it"));
        browser.client.goto(&url).await.expect("open host page");
        assert_speaks(&browser, locale.catalog()).await;
        browser
            .screenshot(&format!("locale-{}", locale.catalog().lang))
            .await;
        browser.assert_accessible(&format!("list in {tag}")).await;
    }
    browser.close().await;
}

#[tokio::test]
async fn the_attribute_then_the_browser_language() {
    let session = session_for(&unique("i18n")).await;
    let browser = Browser::start().await;
    let url = page("/i18n-attribute.html", &session, Some("fr"));
    browser.client.goto(&url).await.expect("open host page");
    assert_speaks(&browser, Locale::Fr.catalog()).await;
    browser.close().await;

    let browser = Browser::start_speaking(Some("es-ES")).await;
    let url = page("/i18n-navigator.html", &session, None);
    browser.client.goto(&url).await.expect("open host page");
    assert_speaks(&browser, Locale::Es.catalog()).await;
    // An attribute in a language the widget lacks gives way to the
    // browser's languages.
    let url = page("/i18n-unknown.html", &session, Some("ja"));
    browser.client.goto(&url).await.expect("open host page");
    assert_speaks(&browser, Locale::Es.catalog()).await;
    browser.close().await;
}

/// Languages other than English are files the widget fetches when first
/// needed: one that never comes, or is missing, leaves the list in English
/// (after a short wait, or at once) rather than a skeleton forever; the
/// first list a German user sees is never English while the file is fine.
#[tokio::test]
async fn a_language_file_that_hangs_or_is_missing_leaves_english() {
    use healthlink_tests::host::embed_page_with_head;

    let session = session_for(&unique("i18n-file")).await;
    let edge = env().edge_url.as_str();
    let browser = Browser::start().await;
    for (name, answer) in [
        ("hangs", "new Promise(() => {})"),
        (
            "missing",
            "Promise.resolve(new Response('', { status: 404 }))",
        ),
    ] {
        let script = format!(
            "<script>const realFetch = window.fetch; window.languageFiles = 0;\
             window.fetch = (url, init) => String(url).includes('/i18n/')\
               ? (window.languageFiles += 1, {answer}) : realFetch(url, init);</script>"
        );
        let url = serve_page(
            &format!("/i18n-file-{name}.html"),
            embed_page_with_head(
                "Settings",
                edge,
                &format!("edge=\"{edge}\" session=\"{session}\" locale=\"de\""),
                &script,
            ),
        );
        browser.client.goto(&url).await.expect("open host page");
        assert_speaks(&browser, Locale::En.catalog()).await;
        let asked = browser
            .client
            .execute("return window.languageFiles;", vec![])
            .await
            .unwrap();
        assert_eq!(
            asked,
            serde_json::json!(1),
            "{name}: asked for de.json once"
        );
        browser
            .assert_accessible(&format!("German unavailable ({name})"))
            .await;
    }
    browser.close().await;
}
