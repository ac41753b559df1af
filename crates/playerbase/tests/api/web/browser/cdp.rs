//! Just enough of the Chrome DevTools Protocol to drive a headless
//! Chromium from a test: open a page, run script in it, wait for the next
//! page to load, size the viewport, take a screenshot. One WebSocket
//! (tokio-tungstenite) instead of a browser-automation crate and its
//! dependency tree, or a chromedriver to keep in step with the browser.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Longest wait for a page or a condition.
const PATIENCE: Duration = Duration::from_secs(15);

/// The Chromium to drive: `PLAYERBASE_CHROMIUM`, else `chromium` or
/// `chromium-browser` on the PATH.
pub fn find_chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PLAYERBASE_CHROMIUM") {
        return Some(path.into());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

pub struct Browser {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    session: String,
    next_id: u64,
    child: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn launch(chromium: &Path) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new(chromium)
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars"])
            .args(["--no-first-run", "--no-default-browser-check", "--remote-debugging-port=0"])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {}: {err}", chromium.display()));
        // Chromium says where its DevTools endpoint is on stderr.
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let endpoint = tokio::time::timeout(PATIENCE, async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(at) = line.find("ws://") {
                    return line[at..].trim().to_owned();
                }
            }
            panic!("chromium exited without a DevTools endpoint");
        })
        .await
        .expect("chromium did not start in time");
        // Keep draining stderr so Chromium never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let (ws, _) = tokio_tungstenite::connect_async(endpoint.as_str()).await.unwrap();
        let mut browser = Browser { ws, session: String::new(), next_id: 0, child, _profile: profile };
        let target = browser.call_browser("Target.createTarget", json!({"url": "about:blank"})).await;
        let attached = browser
            .call_browser("Target.attachToTarget", json!({"targetId": target["targetId"], "flatten": true}))
            .await;
        browser.session = attached["sessionId"].as_str().unwrap().to_owned();
        browser
    }

    async fn send(&mut self, method: &str, params: Value, session: Option<String>) -> Result<Value, String> {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        self.ws.send(Message::Text(message.to_string().into())).await.unwrap();
        loop {
            let reply = tokio::time::timeout(PATIENCE, self.ws.next()).await.expect("chromium stopped answering");
            let Some(Ok(Message::Text(text))) = reply else { continue };
            let reply: Value = serde_json::from_str(text.as_str()).unwrap();
            // Events and answers to others are not ours.
            if reply["id"] != json!(id) {
                continue;
            }
            if let Some(error) = reply.get("error") {
                return Err(format!("{method}: {error}"));
            }
            return Ok(reply["result"].clone());
        }
    }

    async fn call_browser(&mut self, method: &str, params: Value) -> Value {
        self.send(method, params, None).await.unwrap()
    }

    async fn call(&mut self, method: &str, params: Value) -> Value {
        let session = self.session.clone();
        self.send(method, params, Some(session)).await.unwrap()
    }

    /// Runs `script` in the page and returns its value (promises awaited).
    async fn try_eval(&mut self, script: &str) -> Result<Value, String> {
        let session = self.session.clone();
        let params = json!({"expression": script, "returnByValue": true, "awaitPromise": true});
        let result = self.send("Runtime.evaluate", params, Some(session)).await?;
        if let Some(thrown) = result.get("exceptionDetails") {
            return Err(format!("{script}: {thrown}"));
        }
        Ok(result["result"]["value"].clone())
    }

    pub async fn eval(&mut self, script: &str) -> Value {
        self.try_eval(script).await.unwrap()
    }

    /// Waits until `condition` (a script) is true in the page.
    pub async fn wait_for(&mut self, condition: &str) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            // While a page is loading there may be no context to run in: try again.
            if let Ok(Value::Bool(true)) = self.try_eval(condition).await {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {condition} on {}",
                self.url().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn url(&mut self) -> String {
        self.try_eval("location.href").await.ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
    }

    /// Runs `action` (a script that leaves the page) and waits for the next page to load.
    pub async fn and_wait(&mut self, action: &str) {
        self.eval("window.__leaving = true").await;
        self.eval(action).await;
        self.wait_for("window.__leaving === undefined && document.readyState === 'complete'").await;
    }

    pub async fn goto(&mut self, url: &str) {
        self.eval("window.__leaving = true").await;
        self.call("Page.navigate", json!({"url": url})).await;
        self.wait_for("window.__leaving === undefined && document.readyState === 'complete'").await;
    }

    /// Fills a form's fields by name and submits it with its submit button,
    /// as a person would, then waits for the answer page.
    pub async fn submit(&mut self, form: &str, fields: &[(&str, &str)]) {
        let mut script = format!("(() => {{ const f = document.querySelector({}); ", json!(form));
        for (name, value) in fields {
            script.push_str(&format!("f.elements[{}].value = {}; ", json!(name), json!(value)));
        }
        script.push_str("f.querySelector('button[type=submit]').click(); })()");
        self.and_wait(&script).await;
    }

    pub async fn text(&mut self, selector: &str) -> String {
        let script = format!("document.querySelector({})?.textContent.trim() ?? ''", json!(selector));
        self.eval(&script).await.as_str().unwrap_or_default().to_owned()
    }

    /// A viewport `width` CSS pixels wide, as a phone (below 600) or a desktop.
    pub async fn set_width(&mut self, width: u32, height: u32) {
        let metrics = json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600});
        self.call("Emulation.setDeviceMetricsOverride", metrics).await;
    }

    /// Whether the page is no wider than the viewport (no sideways scrolling).
    pub async fn fits_width(&mut self) -> (bool, Value) {
        let widths = self.eval("[document.documentElement.scrollWidth, window.innerWidth]").await;
        (widths[0].as_u64() <= widths[1].as_u64(), widths)
    }

    /// The whole page as a PNG at `width`.
    pub async fn screenshot(&mut self, width: u32, path: &Path) {
        let height = self.eval("document.documentElement.scrollHeight").await.as_u64().unwrap() as u32;
        self.set_width(width, height.min(4000)).await;
        let shot = self.call("Page.captureScreenshot", json!({"format": "png"})).await;
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, STANDARD.decode(shot["data"].as_str().unwrap()).unwrap()).unwrap();
    }

    pub async fn close(mut self) {
        let _ = self.send("Browser.close", json!({}), None).await;
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
    }
}
