//! "Is data still flowing", as a person sees it, in every language: a
//! quiet source says plainly what to do ("No new data from Garmin for 4
//! days. Open the Garmin Connect app to sync."), a fresh one when data last
//! came — both worded by the browser's `Intl` — with zero axe violations.

use fantoccini::Locator;
use healthlink_tests::browser::{Browser, UI_TIMEOUT};
use healthlink_tests::edge::{Edge, mint_session};
use healthlink_tests::host::{embed_page, serve_page};
use healthlink_tests::wait::eventually;
use healthlink_tests::{env, unique};
use healthlink_widget::i18n::{Catalog, Locale};
use healthlink_widget::model::freshness::Hint;

use crate::flow_support::{redirect_body, walk_connect};
use crate::http_sync::{HOUR_MS, backend_row, now_ms, report_at};

/// The text of `test_id` in `source`'s row, and its `data-stale`.
async fn row_text(
    browser: &Browser,
    source: &str,
    test_id: &str,
) -> Result<(String, Option<String>), String> {
    let root = browser.widget(0).await;
    let element = root
        .find(Locator::Css(&format!(
            "[data-source={source}] [data-testid={test_id}]"
        )))
        .await
        .map_err(|e| e.to_string())?;
    let text = element.text().await.map_err(|e| e.to_string())?;
    let stale = element
        .attr("data-stale")
        .await
        .map_err(|e| e.to_string())?;
    Ok((text, stale))
}

/// What the Garmin row must say in `catalog`'s language, where `days` is
/// four days as `Intl.NumberFormat` words it there.
fn quiet_garmin(catalog: &Catalog, days: &str) -> String {
    format!(
        "{} {}",
        catalog
            .fill(catalog.data_stale, "Garmin")
            .replace("{duration}", days),
        Hint::OpenApp("Garmin Connect").text("Garmin", catalog)
    )
}

#[tokio::test]
async fn a_quiet_source_and_a_fresh_one_in_every_language() {
    let edge = Edge::Sandbox;
    let user = unique("freshness");
    let session = edge.session_for(&user).await;
    for source in ["garmin", "oura"] {
        let (back, _) = walk_connect(&session, source, redirect_body("/app"), true).await;
        assert_eq!(back.status, 303, "{}", back.body);
    }
    // Garmin's last data came four days ago. Its staleness counts from the
    // connect just made, so it turns stale after the edge's test threshold.
    report_at(edge, &user, "garmin", now_ms() - 4 * 24 * HOUR_MS - HOUR_MS).await;
    eventually(
        "Garmin to turn stale",
        env().stale_after + UI_TIMEOUT,
        || async {
            backend_row(edge, &user, "garmin")
                .await
                .stale
                .then_some(())
                .ok_or_else(|| "not yet".to_owned())
        },
    )
    .await;

    let browser = Browser::start().await;
    let edge_url = env().edge_url.as_str();
    for (locale, tag, days) in [
        (Locale::En, "en", "4 days"),
        (Locale::De, "de", "4 Tage"),
        (Locale::Es, "es", "4 días"),
        (Locale::Fr, "fr", "4 jours"),
        (Locale::Pt, "pt-BR", "4 dias"),
    ] {
        let catalog = locale.catalog();
        // Oura's data is fresh as the widget reads the list (within the
        // edge's short test threshold).
        report_at(edge, &user, "oura", now_ms()).await;
        let session = mint_session(serde_json::json!({ "user_id": user, "locale": tag })).await;
        let page = serve_page(
            &format!("/freshness-{tag}.html"),
            embed_page(
                "Settings",
                edge_url,
                &format!("edge=\"{edge_url}\" session=\"{session}\""),
            ),
        );
        browser.client.goto(&page).await.expect("open host page");
        let (warning, stale) = eventually(
            &format!("Garmin's warning in {tag}"),
            UI_TIMEOUT,
            || async { row_text(&browser, "garmin", "source-data-warning").await },
        )
        .await;
        assert_eq!(warning, quiet_garmin(catalog, days), "{tag}");
        assert_eq!(stale.as_deref(), Some("true"));
        let (last_data, _) = row_text(&browser, "oura", "source-last-data")
            .await
            .unwrap_or_else(|e| panic!("Oura's last data in {tag}: {e}"));
        let prefix = catalog.data_last.split("{ago}").next().unwrap_or_default();
        assert!(
            last_data.starts_with(prefix) && last_data.len() > prefix.len(),
            "{tag}: {last_data:?}"
        );
        assert!(
            row_text(&browser, "oura", "source-data-warning")
                .await
                .is_err(),
            "{tag}: fresh data warns of nothing"
        );
        // The quiet row says it only once: no "Last data" line besides.
        assert!(
            row_text(&browser, "garmin", "source-last-data")
                .await
                .is_err()
        );
        browser
            .screenshot(&format!("freshness-{}", catalog.lang))
            .await;
        browser
            .assert_accessible(&format!("a stale and a fresh source in {tag}"))
            .await;
    }
    browser.close().await;
}

#[tokio::test]
async fn an_open_widget_words_the_time_again_as_it_passes() {
    let edge = Edge::Sandbox;
    let user = unique("freshness-tick");
    let session = edge.session_for(&user).await;
    let (back, _) = walk_connect(&session, "oura", redirect_body("/app"), true).await;
    assert_eq!(back.status, 303, "{}", back.body);
    // 45 seconds ago: the row says so in seconds, and in minutes once the
    // widget's clock has ticked past the minute (it ticks every 30 s).
    report_at(edge, &user, "oura", now_ms() - 45_000).await;
    let edge_url = env().edge_url.as_str();
    let page = serve_page(
        "/freshness-tick.html",
        embed_page(
            "Settings",
            edge_url,
            &format!("edge=\"{edge_url}\" session=\"{session}\""),
        ),
    );
    let browser = Browser::start().await;
    browser.client.goto(&page).await.expect("open host page");
    let first = eventually("Oura's row in seconds", UI_TIMEOUT, || async {
        let text = oura_row(&browser).await?;
        text.contains("seconds").then_some(text.clone()).ok_or(text)
    })
    .await;
    let later = eventually(
        "Oura's row in minutes",
        std::time::Duration::from_secs(50),
        || async {
            let text = oura_row(&browser).await?;
            text.contains("1 minute")
                .then_some(text.clone())
                .ok_or(text)
        },
    )
    .await;
    assert_ne!(first, later, "worded again without a reload");
    browser.close().await;
}

/// The whole text of Oura's row.
async fn oura_row(browser: &Browser) -> Result<String, String> {
    let root = browser.widget(0).await;
    root.find(Locator::Css("[data-source=oura]"))
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())
}
