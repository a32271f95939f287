//! Headless Chromium (Debian's), driven through chromedriver by fantoccini.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::{Element, ShadowRoot};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::wait::eventually;
use crate::{env, unique};

/// How long UI may take to reach an expected state before a test fails.
pub const UI_TIMEOUT: Duration = Duration::from_secs(20);

/// One browser with a fresh profile. Call [`Browser::close`] at the end; if a
/// test panics first, `Drop` still ends chromedriver (and with it Chromium).
pub struct Browser {
    pub client: Client,
    driver: Child,
    profile: PathBuf,
}

impl Browser {
    pub async fn start() -> Self {
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
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "binary": env.chromium, "args": args }),
        );
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
        let button = eventually("the confirmation dialog", UI_TIMEOUT, || async {
            let button = by_test_id(&root, "confirm-disconnect").await?;
            if button.is_displayed().await.map_err(|e| e.to_string())? {
                Ok(button)
            } else {
                Err("the dialog is not open".to_owned())
            }
        })
        .await;
        button.click().await.expect("confirm the disconnect");
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
