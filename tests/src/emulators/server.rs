//! A tiny HTTP/1.1 server for the aggregator emulators: one thread per
//! connection, one request per connection (`Connection: close`). Small on
//! purpose — the emulators need exact control over every byte they answer,
//! including answering late, garbage, or nothing at all.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

/// One request as the emulator sees it.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub method: String,
    pub path: String,
    /// Query pairs, percent-decoded, in order.
    pub query: Vec<(String, String)>,
    /// Header names lowercased.
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Incoming {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    pub fn query_value(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The media type of `content-type`, without parameters.
    pub fn media_type(&self) -> Option<&str> {
        self.header("content-type")
            .and_then(|value| value.split(';').next())
            .map(str::trim)
    }
}

/// What to do with a request.
#[derive(Debug, Clone)]
pub enum Reply {
    Answer {
        status: u16,
        content_type: &'static str,
        headers: Vec<(&'static str, String)>,
        body: String,
    },
    /// Wait, then answer (or, if the client gave up, nothing).
    Slow(Duration, Box<Reply>),
    /// Close the connection without a byte.
    Drop,
}

impl Reply {
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Self::Answer {
            status,
            content_type: "application/json",
            headers: Vec::new(),
            body: body.to_string(),
        }
    }

    pub fn text(status: u16, body: &str) -> Self {
        Self::Answer {
            status,
            content_type: "text/plain; charset=utf-8",
            headers: Vec::new(),
            body: body.to_owned(),
        }
    }

    pub fn html(body: &str) -> Self {
        Self::Answer {
            status: 200,
            content_type: "text/html; charset=utf-8",
            headers: Vec::new(),
            body: body.to_owned(),
        }
    }

    pub fn redirect(location: String) -> Self {
        Self::Answer {
            status: 302,
            content_type: "text/plain",
            headers: vec![("location", location)],
            body: String::new(),
        }
    }

    /// A contract violation: refused loudly so the edge's call fails and
    /// the test that caused it fails with this message in the log.
    pub fn violation(what: String) -> Self {
        eprintln!("EMULATOR CONTRACT VIOLATION: {what}");
        Self::text(400, &format!("contract violation: {what}"))
    }
}

pub type Handler = Arc<dyn Fn(&Incoming) -> Reply + Send + Sync>;

/// Binds `port` on loopback and serves `handler` on background threads for
/// the life of the test binary.
pub fn serve(port: u16, handler: Handler) {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .unwrap_or_else(|e| panic!("the emulator port {port} from xtask is free: {e}"));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let handler = handler.clone();
            std::thread::spawn(move || {
                let _ = handle(stream, &handler);
            });
        }
    });
}

fn handle(stream: TcpStream, handler: &Handler) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|value| value.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length.min(1 << 20)];
    reader.read_exact(&mut body)?;
    let url = url::Url::parse(&format!("http://emulator{target}"))
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let incoming = Incoming {
        method,
        path: url.path().to_owned(),
        query: url.query_pairs().into_owned().collect(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    write_reply(stream, handler(&incoming))
}

fn write_reply(mut stream: TcpStream, reply: Reply) -> std::io::Result<()> {
    match reply {
        Reply::Drop => Ok(()),
        Reply::Slow(delay, reply) => {
            std::thread::sleep(delay);
            write_reply(stream, *reply)
        }
        Reply::Answer {
            status,
            content_type,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n",
                body.len()
            );
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            stream.write_all(head.as_bytes())?;
            stream.write_all(body.as_bytes())?;
            stream.flush()
        }
    }
}
