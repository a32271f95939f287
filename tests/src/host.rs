//! A host page server on a different origin from the edge: plays the
//! customer's web app that embeds the widget with a script tag.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Mutex, OnceLock};

use crate::env;

/// One file the host origin serves.
#[derive(Clone)]
struct HostFile {
    content_type: &'static str,
    /// Extra response headers, e.g. a Content-Security-Policy.
    headers: String,
    body: String,
}

static PAGES: OnceLock<Mutex<HashMap<String, HostFile>>> = OnceLock::new();

/// Serves `html` at `path` on the host origin and returns its URL. The
/// server starts on first use and lives as long as the test binary.
pub fn serve_page(path: &str, html: String) -> String {
    serve_file(path, "text/html; charset=utf-8", &[], html)
}

/// Serves `body` at `path` with a content type and extra headers.
pub fn serve_file(
    path: &str,
    content_type: &'static str,
    headers: &[(&str, &str)],
    body: String,
) -> String {
    let pages = PAGES.get_or_init(|| {
        let listener = TcpListener::bind(("127.0.0.1", env().host_port))
            .expect("the host page port from xtask is free");
        std::thread::spawn(move || serve(listener));
        Mutex::new(HashMap::new())
    });
    let headers = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    pages.lock().expect("pages lock").insert(
        path.to_owned(),
        HostFile {
            content_type,
            headers,
            body,
        },
    );
    format!("{}{path}", env().host_origin())
}

/// A page that embeds the widget the way the README tells hosts to: one
/// module script from the edge and one element.
pub fn embed_page(title: &str, script_edge: &str, widget_attributes: &str) -> String {
    embed_page_with_head(title, script_edge, widget_attributes, "")
}

/// Like [`embed_page`], with extra markup in `<head>` (e.g. a script that
/// plays a popup blocker).
pub fn embed_page_with_head(
    title: &str,
    script_edge: &str,
    widget_attributes: &str,
    extra_head: &str,
) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{title}</title>\
         {extra_head}<script type=\"module\" src=\"{script_edge}/healthlink.js\"></script></head>\
         <body style=\"font-family: sans-serif; background: #f6f6f6; margin: 24px\">\
         <main><h1>{title}</h1>\
         <healthlink-connect {widget_attributes}></healthlink-connect>\
         </main></body></html>"
    )
}

fn serve(listener: TcpListener) {
    for stream in listener.incoming().flatten() {
        std::thread::spawn(move || {
            let mut reader = BufReader::new(&stream);
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                return;
            }
            // Drain the headers; the page map does not depend on them.
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let target = request_line.split_whitespace().nth(1).unwrap_or("/");
            // Pages are found by path; the query (e.g. a flow's result
            // parameters) is for the page's script.
            let path = target.split('?').next().unwrap_or("/");
            let page = PAGES
                .get()
                .and_then(|pages| pages.lock().ok()?.get(path).cloned());
            let (status, file) = match page {
                Some(file) => ("200 OK", file),
                None => (
                    "404 Not Found",
                    HostFile {
                        content_type: "text/plain",
                        headers: String::new(),
                        body: "not found".to_owned(),
                    },
                ),
            };
            let _ = write!(
                &stream,
                "HTTP/1.1 {status}\r\ncontent-type: {}\r\n{}\
                 content-length: {}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n{}",
                file.content_type,
                file.headers,
                file.body.len(),
                file.body
            );
        });
    }
}
