//! The widget embedded in a host page on another origin, in headless Chromium.

use fantoccini::Locator;
use healthlink_shared::CATALOG;
use healthlink_tests::browser::{Browser, UI_TIMEOUT, by_test_id};
use healthlink_tests::edge::session_for;
use healthlink_tests::host::{embed_page, serve_page};
use healthlink_tests::proxy::LateProxy;
use healthlink_tests::wait::eventually;
use healthlink_tests::{env, unique};

/// Reads `(id, name, status text, data-status)` for every rendered row.
async fn read_rows(browser: &Browser) -> Result<Vec<(String, String, String, String)>, String> {
    let root = browser.widget(0).await;
    by_test_id(&root, "source-list").await?;
    let mut rows = Vec::new();
    for row in root
        .find_all(Locator::Css("[data-testid=source]"))
        .await
        .map_err(|e| e.to_string())?
    {
        let id = row
            .attr("data-source")
            .await
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        let name = row
            .find(Locator::Css("[data-testid=source-name]"))
            .await
            .map_err(|e| e.to_string())?
            .text()
            .await
            .map_err(|e| e.to_string())?;
        let badge = row
            .find(Locator::Css("[data-testid=source-status]"))
            .await
            .map_err(|e| e.to_string())?;
        let label = badge.text().await.map_err(|e| e.to_string())?;
        let status = badge
            .attr("data-status")
            .await
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        rows.push((id, name, label, status));
    }
    Ok(rows)
}

#[tokio::test]
async fn cross_origin_host_page_shows_every_source_with_its_status() {
    let env = env();
    let session = session_for(&unique("browser-user")).await;
    let page = serve_page(
        "/list.html",
        embed_page(
            "Host app",
            &env.edge_url,
            &format!("edge=\"{}\" session=\"{session}\"", env.edge_url),
        ),
    );
    assert_ne!(
        page.split('/').take(3).collect::<Vec<_>>(),
        env.edge_url.split('/').take(3).collect::<Vec<_>>(),
        "the host page must be on another origin than the edge"
    );
    let browser = Browser::start().await;
    browser.client.goto(&page).await.expect("open host page");

    let rows = eventually("every catalog source listed", UI_TIMEOUT, || async {
        let rows = read_rows(&browser).await?;
        if rows.len() == CATALOG.len() {
            Ok(rows)
        } else {
            Err(format!("{} rows", rows.len()))
        }
    })
    .await;
    for (source, (id, name, label, status)) in CATALOG.iter().zip(&rows) {
        assert_eq!((id.as_str(), name.as_str()), (source.id, source.name));
        assert_eq!(
            (status.as_str(), label.as_str()),
            ("disconnected", "Not connected"),
            "{id}"
        );
    }
    browser.screenshot("host-page-list").await;

    // The edge's own demo page, as `cargo xtask dev` shows it.
    browser
        .client
        .goto(&format!("{}/demo/", env.edge_url))
        .await
        .expect("open demo page");
    eventually("the demo page's list", UI_TIMEOUT, || async {
        let rows = read_rows(&browser).await?;
        if rows.len() == CATALOG.len() {
            Ok(())
        } else {
            Err(format!("{} rows", rows.len()))
        }
    })
    .await;
    browser.screenshot("demo-page").await;
    browser.close().await;
}

#[tokio::test]
async fn an_unreachable_edge_shows_a_message_and_retry_recovers() {
    let env = env();
    let down_edge = LateProxy::reserve();
    let session = session_for(&unique("down-user")).await;
    // The script comes from the real edge; the API calls go to one that is down.
    let page = serve_page(
        "/down.html",
        embed_page(
            "Host app (edge down)",
            &env.edge_url,
            &format!("edge=\"{}\" session=\"{session}\"", down_edge.url()),
        ),
    );
    let browser = Browser::start().await;
    browser.client.goto(&page).await.expect("open host page");

    let root = browser.widget(0).await;
    let message = eventually("the unreachable message", UI_TIMEOUT, || async {
        by_test_id(&root, "load-error-message")
            .await?
            .text()
            .await
            .map_err(|e| e.to_string())
    })
    .await;
    assert!(message.contains("can't reach"), "{message}");
    let retry = by_test_id(&root, "retry").await.expect("a Retry button");
    assert_eq!(
        retry.prop("tagName").await.unwrap().as_deref(),
        Some("BUTTON")
    );
    browser.screenshot("edge-down").await;

    let edge_port = env.edge_url.rsplit(':').next().unwrap().parse().unwrap();
    down_edge.start(edge_port);
    retry.click().await.expect("click Retry");
    eventually("the list after Retry", UI_TIMEOUT, || async {
        let rows = read_rows(&browser).await?;
        if rows.len() == CATALOG.len() {
            Ok(())
        } else {
            Err(format!("{} rows", rows.len()))
        }
    })
    .await;
    assert!(
        by_test_id(&root, "load-error").await.is_err(),
        "the error is gone"
    );
    browser.close().await;
}
