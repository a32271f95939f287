//! Loopback emulators of the real aggregators, following their documented
//! contracts (`reference/aggregators.md`) strictly: a request with a wrong
//! path, method, header, body or data source spelling is refused with a
//! `contract violation` answer, so drift in the edge fails the tests.
//!
//! `cargo xtask test` reserves their ports and points the Thryve and ROOK
//! edges at them; each emulator starts on first use and lives as long as
//! the test binary. Behaviour is scripted per user, so tests running in
//! parallel do not disturb each other.

pub mod rook;
pub mod server;
pub mod thryve;

use std::io::Write;
use std::time::Duration;

use server::Reply;

/// A failure an emulator injects instead of its normal answer.
#[derive(Debug, Clone)]
pub enum Fault {
    /// An error answer, as the aggregator would send it.
    Status {
        status: u16,
        body: &'static str,
        retry_after: Option<u32>,
    },
    /// Answers only after this long (beyond the edge's time limit).
    Slow(Duration),
    /// `200` with a body that is not what the contract promises.
    Malformed,
    /// Closes the connection without answering.
    Drop,
}

impl Fault {
    pub fn reply(&self) -> Reply {
        match self {
            Self::Status {
                status,
                body,
                retry_after,
            } => {
                let mut reply = Reply::text(*status, body);
                if let (Some(seconds), Reply::Answer { headers, .. }) = (retry_after, &mut reply) {
                    headers.push(("retry-after", seconds.to_string()));
                }
                reply
            }
            Self::Slow(delay) => Reply::Slow(*delay, Box::new(Reply::text(200, "late"))),
            Self::Malformed => Reply::html("<html>Maintenance</html>"),
            Self::Drop => Reply::Drop,
        }
    }
}

/// Per-user references the aggregator issued (end-user ids, connection
/// tokens): none may show up in an edge log line. Appended to a file that
/// `cargo xtask test` scans the logs for.
pub fn remember_issued(value: &str) {
    append_line("aggregator-tokens.txt", value);
}

/// Appends `value` to a list under the run's artifacts directory.
fn append_line(file: &str, value: &str) {
    let path = crate::env().artifacts.join(file);
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(file, "{value}");
    }
}

static END_USERS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Thryve end-user ids issued so far: internal references that no response
/// of the edge may contain.
pub fn issued_end_users() -> Vec<String> {
    END_USERS.lock().expect("end users").clone()
}

fn remember_end_user(end_user: &str) {
    END_USERS
        .lock()
        .expect("end users")
        .push(end_user.to_owned());
    remember_issued(end_user);
    // End-user ids, unlike connection tokens (which are part of the connect
    // URL the widget opens), may not appear in anything the edge sends.
    append_line("aggregator-end-users.txt", end_user);
}

/// `Basic base64(user:password)`, for checking what the edge sent.
pub fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// A random hex token from the OS.
pub fn random_token(bytes: usize) -> String {
    use std::io::Read;
    let mut buffer = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut buffer))
        .expect("reading /dev/urandom");
    buffer.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Whether `value` is an absolute http(s) URL, as redirect targets must be.
pub fn is_absolute_http_url(value: &str) -> bool {
    url::Url::parse(value).is_ok_and(|url| matches!(url.scheme(), "http" | "https"))
}
