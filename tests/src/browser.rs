//! Headless Chromium (Debian's), driven through chromedriver by fantoccini.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::{Element, ShadowRoot};
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::wait::eventually;
use crate::{env, unique};

/// How long UI may take to reach an expected state before a test fails.
pub const UI_TIMEOUT: Duration = Duration::from_secs(20);

/// The system's colour scheme, as CSS's `prefers-color-scheme` sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorScheme {
    Light,
    Dark,
}

impl ColorScheme {
    fn as_str(self) -> &'static str {
        match self {
            Self::Light => "light",
            Self::Dark => "dark",
        }
    }
}

/// A Chrome DevTools Protocol command, sent through chromedriver's own
/// endpoint for them: fantoccini speaks only WebDriver.
#[derive(Debug)]
struct DevToolsCommand {
    method: &'static str,
    params: serde_json::Value,
}

impl WebDriverCompatibleCommand for DevToolsCommand {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (reqwest::Method, Option<String>) {
        let body = serde_json::json!({ "cmd": self.method, "params": self.params });
        (reqwest::Method::POST, Some(body.to_string()))
    }
}

/// One browser with a fresh profile. Call [`Browser::close`] at the end; if a
/// test panics first, `Drop` still ends chromedriver (and with it Chromium).
pub struct Browser {
    pub client: Client,
    driver: Child,
    profile: PathBuf,
}

impl Browser {
    pub async fn start() -> Self {
        Self::start_speaking(None).await
    }

    /// A browser with a window `width` pixels wide (and 800 high): a
    /// narrow phone's layout.
    pub async fn start_narrow(width: u32) -> Self {
        let browser = Self::start().await;
        browser
            .client
            .set_window_size(width, 800)
            .await
            .expect("narrow window");
        browser
    }

    /// A browser whose user prefers `language` (`navigator.languages`),
    /// e.g. `de-DE`; `None` keeps Chromium's default (English).
    pub async fn start_speaking(language: Option<&str>) -> Self {
        let env = env();
        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").expect("free port");
            listener.local_addr().expect("addr").port()
        };
        let driver = Command::new(&env.chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        let profile = env.artifacts.join("profiles").join(unique("chromium"));
        std::fs::create_dir_all(&profile).expect("create profile dir");
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1024,900",
        ]
        .iter()
        .map(|arg| (*arg).to_owned())
        .chain([format!("--user-data-dir={}", profile.display())])
        .collect::<Vec<_>>();
        let mut args = args;
        let mut options = serde_json::json!({ "binary": env.chromium });
        if let Some(language) = language {
            args.push(format!("--lang={language}"));
            options["prefs"] = serde_json::json!({ "intl.accept_languages": language });
        }
        options["args"] = serde_json::json!(args);
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".into(), options);
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("open a Chromium session");
        Self {
            client,
            driver,
            profile,
        }
    }

    /// Makes the page see the system colour scheme as `scheme`, as if the
    /// user had switched their system to it: `prefers-color-scheme` answers
    /// accordingly from now on, across navigations, and pages already open
    /// follow at once. (Headless Chromium prefers light by default.)
    pub async fn prefer_color_scheme(&self, scheme: ColorScheme) {
        self.client
            .issue_cmd(DevToolsCommand {
                method: "Emulation.setEmulatedMedia",
                params: serde_json::json!({
                    "features": [{ "name": "prefers-color-scheme", "value": scheme.as_str() }],
                }),
            })
            .await
            .expect("emulate prefers-color-scheme");
        let dark = self
            .client
            .execute(
                "return matchMedia('(prefers-color-scheme: dark)').matches",
                vec![],
            )
            .await
            .expect("read prefers-color-scheme");
        assert_eq!(
            dark.as_bool(),
            Some(scheme == ColorScheme::Dark),
            "the page does not see the emulated {scheme:?} scheme"
        );
    }

    /// From the next page load on, records every Content-Security-Policy
    /// violation in `window.hlViolations`, for pages the suite does not
    /// write (the edge's own): DevTools adds the listener before any of the
    /// page's scripts run, and the page's CSP does not apply to it.
    pub async fn watch_csp_violations(&self) {
        self.client
            .issue_cmd(DevToolsCommand {
                method: "Page.addScriptToEvaluateOnNewDocument",
                params: serde_json::json!({
                    "source": "window.hlViolations = [];\
                        document.addEventListener('securitypolicyviolation', (e) =>\
                          window.hlViolations.push(e.violatedDirective + ' ' + e.blockedURI));",
                }),
            })
            .await
            .expect("watch CSP violations");
    }

    /// The violations recorded since [`Browser::watch_csp_violations`].
    pub async fn csp_violations(&self) -> Vec<String> {
        let found = self
            .client
            .execute("return window.hlViolations || ['not watched'];", vec![])
            .await
            .expect("read CSP violations");
        serde_json::from_value(found).expect("a list of strings")
    }

    /// The shadow root of the `n`-th `<healthlink-connect>` on the page, once
    /// the widget has rendered into it.
    pub async fn widget(&self, n: usize) -> ShadowRoot {
        eventually("the widget's shadow root", UI_TIMEOUT, || async {
            let hosts = self
                .client
                .find_all(Locator::Css("healthlink-connect"))
                .await
                .map_err(|e| e.to_string())?;
            let host = hosts.get(n).ok_or("no such widget element")?;
            let root = host.shadow_root().await.map_err(|e| e.to_string())?;
            root.find(Locator::Css(".hl-root > *"))
                .await
                .map_err(|e| e.to_string())?;
            Ok(root)
        })
        .await
    }

    /// Waits for a window other than `main` (the popup) and switches to it.
    pub async fn switch_to_popup(&self, main: &fantoccini::wd::WindowHandle) {
        let popup = eventually("the popup window", UI_TIMEOUT, || async {
            let windows = self.client.windows().await.map_err(|e| e.to_string())?;
            windows
                .into_iter()
                .find(|w| w != main)
                .ok_or_else(|| "no popup yet".to_owned())
        })
        .await;
        self.client
            .switch_to_window(popup)
            .await
            .expect("switch to popup");
    }

    /// Answers "Disconnect" in the first widget's confirmation dialog.
    pub async fn confirm_disconnect(&self) {
        let root = self.widget(0).await;
        let button = wait_until_shown(&root, "confirm-disconnect").await;
        button.click().await.expect("confirm the disconnect");
    }

    /// Runs axe-core (from npm) on the whole page, open shadow roots
    /// included, against WCAG 2.0–2.2 A/AA and axe's best practices.
    /// Returns one line per violation: rule, impact and the elements.
    pub async fn accessibility_violations(&self) -> Vec<String> {
        let axe = std::fs::read_to_string(&env().axe_script).expect("read axe.min.js");
        self.client
            .execute(&axe, vec![])
            .await
            .expect("inject axe-core");
        let found = self
            .client
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] } })
  .then((result) => done(result.violations.map((v) =>
    `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => JSON.stringify(n.target)).join(", ")}`)))
  .catch((error) => done([`axe failed: ${error}`]));"#,
                vec![],
            )
            .await
            .expect("run axe-core");
        serde_json::from_value(found).expect("a list of violations")
    }

    /// Asserts axe-core finds nothing, naming the state for the message.
    pub async fn assert_accessible(&self, state: &str) {
        let violations = self.accessibility_violations().await;
        assert!(
            violations.is_empty(),
            "axe-core violations in state {state:?}:\n{}",
            violations.join("\n")
        );
    }

    /// The computed value of CSS `property` on `element`.
    pub async fn computed_style(&self, element: &Element, property: &str) -> String {
        let value = self
            .client
            .execute(
                "return getComputedStyle(arguments[0]).getPropertyValue(arguments[1]);",
                vec![
                    serde_json::to_value(element).expect("element reference"),
                    serde_json::json!(property),
                ],
            )
            .await
            .expect("read a computed style");
        value.as_str().unwrap_or_default().to_owned()
    }

    /// Saves a PNG of the viewport under `target/e2e/screenshots/`.
    pub async fn screenshot(&self, name: &str) {
        let dir = env().artifacts.join("screenshots");
        std::fs::create_dir_all(&dir).expect("create screenshot dir");
        let png = self.client.screenshot().await.expect("take screenshot");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }

    pub async fn close(mut self) {
        let client = self.client.clone();
        let _ = client.close().await;
        self.stop_driver();
    }

    fn stop_driver(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.stop_driver();
    }
}

/// Finds one element inside a widget, by `data-testid`.
pub async fn by_test_id(root: &ShadowRoot, test_id: &str) -> Result<Element, String> {
    root.find(Locator::Css(&format!("[data-testid=\"{test_id}\"]")))
        .await
        .map_err(|e| format!("[data-testid={test_id}] not found: {e}"))
}

/// Clicks the action button of `source`'s row.
pub async fn click_action(root: &ShadowRoot, source: &str) {
    let button = eventually("the row's action button", UI_TIMEOUT, || async {
        root.find(Locator::Css(&format!(
            "[data-source={source}] [data-testid=source-action]"
        )))
        .await
        .map_err(|e| e.to_string())
    })
    .await;
    button.click().await.expect("click the action");
}

/// Waits until the first widget shows `source` with `data-status=status`.
pub async fn wait_for_status(browser: &Browser, source: &str, status: &str) {
    eventually(&format!("{source} to be {status}"), UI_TIMEOUT, || async {
        let root = browser.widget(0).await;
        let badge = root
            .find(Locator::Css(&format!(
                "[data-source={source}] [data-testid=source-status]"
            )))
            .await
            .map_err(|e| e.to_string())?;
        let found = badge.attr("data-status").await.map_err(|e| e.to_string())?;
        if found.as_deref() == Some(status) {
            Ok(())
        } else {
            Err(format!("{found:?}"))
        }
    })
    .await;
}

/// Waits until the first widget's live notice contains `expected`.
pub async fn wait_for_notice(browser: &Browser, expected: &str) -> String {
    eventually(
        &format!("a notice containing {expected:?}"),
        UI_TIMEOUT,
        || async {
            let root = browser.widget(0).await;
            let text = by_test_id(&root, "notice")
                .await?
                .text()
                .await
                .map_err(|e| e.to_string())?;
            if text.contains(expected) {
                Ok(text)
            } else {
                Err(text)
            }
        },
    )
    .await
}

/// Clicks Allow or Deny on the consent page in the current window.
pub async fn consent(browser: &Browser, allow: bool) {
    let link = eventually("the consent page", UI_TIMEOUT, || async {
        browser
            .client
            .find(Locator::Id(if allow { "allow" } else { "deny" }))
            .await
            .map_err(|e| e.to_string())
    })
    .await;
    link.click().await.expect("click consent");
}

/// Waits for an element of the widget by `data-testid` (a list that is
/// still loading, a dialog being built).
pub async fn wait_for_test_id(root: &ShadowRoot, test_id: &str) -> Element {
    eventually(&format!("[data-testid={test_id}]"), UI_TIMEOUT, || async {
        by_test_id(root, test_id).await
    })
    .await
}

/// Waits until the widget's `test_id` element is shown (a dialog's
/// contents exist before it opens, hidden).
pub async fn wait_until_shown(root: &ShadowRoot, test_id: &str) -> Element {
    eventually(
        &format!("[data-testid={test_id}] shown"),
        UI_TIMEOUT,
        || async {
            let element = by_test_id(root, test_id).await?;
            if element.is_displayed().await.map_err(|e| e.to_string())? {
                Ok(element)
            } else {
                Err("hidden".to_owned())
            }
        },
    )
    .await
}
