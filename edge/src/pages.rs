//! The few HTML pages the edge serves itself: the sandbox's consent page and
//! the page a popup flow ends on. Both load only our own static CSS and JS,
//! so they work under the strict Content-Security-Policy we send with them.

use healthlink_shared::{FlowAction, FlowOutcome, FlowResult, PopupMessage, SourceInfo};

/// The CSP for edge pages: nothing inline, nothing foreign, never framed (a
/// consent page in a frame could be clickjacked).
pub const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The sandbox aggregator's consent screen: which app asks for which
/// source, with Allow and Deny.
pub fn consent_page(
    app_name: &str,
    source: &SourceInfo,
    allow_url: &str,
    deny_url: &str,
) -> String {
    let app = escape(app_name);
    let name = escape(source.name);
    page(
        &format!("Connect {name}"),
        &format!(
            "<main class=\"card\">\
             <p class=\"eyebrow\">Healthlink sandbox · not a real {name} account</p>\
             <h1>{app} wants to connect to your {name} account</h1>\
             <p>If you allow this, {app} receives your {name} data through Healthlink \
             until you disconnect. You can disconnect at any time.</p>\
             <div class=\"actions\">\
             <a class=\"button primary\" id=\"allow\" href=\"{allow}\">Allow</a>\
             <a class=\"button\" id=\"deny\" href=\"{deny}\">Deny</a>\
             </div></main>",
            allow = escape(allow_url),
            deny = escape(deny_url),
        ),
        false,
    )
}

/// The page a popup flow ends on. Its script posts `outcome` to the opener
/// at exactly `opener_origin` and closes the window; without an opener, the
/// visible text tells the user to close it.
pub fn popup_result_page(
    outcome: &FlowOutcome,
    source: &SourceInfo,
    opener_origin: &str,
    nonce: Option<&str>,
) -> String {
    let message = serde_json::to_string(&PopupMessage {
        healthlink: outcome.clone(),
        nonce: nonce.map(str::to_owned),
    })
    .expect("outcome serializes");
    let heading = result_heading(source.name, outcome.action, outcome.result);
    page(
        &heading,
        &format!(
            "<main class=\"card\" id=\"healthlink-return\" data-target-origin=\"{origin}\" \
             data-message=\"{message}\">\
             <h1>{heading}</h1>\
             <p>You can close this window and return to the app.</p></main>",
            origin = escape(opener_origin),
            message = escape(&message),
            heading = escape(&heading),
        ),
        true,
    )
}

pub fn result_heading(name: &str, action: FlowAction, result: FlowResult) -> String {
    match (action, result) {
        (_, FlowResult::Connected) => format!("{name} is connected"),
        (_, FlowResult::Disconnected) => format!("{name} is disconnected"),
        (FlowAction::Connect, FlowResult::Cancelled) => format!("{name} was not connected"),
        (FlowAction::Disconnect, FlowResult::Cancelled) => format!("{name} is still connected"),
        (FlowAction::Connect, FlowResult::Failed) => format!("Connecting {name} did not work"),
        (FlowAction::Disconnect, FlowResult::Failed) => {
            format!("Disconnecting {name} did not work")
        }
    }
}

fn page(title: &str, body: &str, with_script: bool) -> String {
    let script = if with_script {
        "<script src=\"/healthlink-return.js\"></script>"
    } else {
        ""
    };
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/healthlink-pages.css\"></head>\
         <body>{body}{script}</body></html>"
    )
}

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consent_page_escapes_everything_it_echoes() {
        let source = healthlink_shared::find_source("oura").unwrap();
        let html = consent_page(
            "<script>alert(1)</script>",
            source,
            "https://e/v1/return?state=a&connected=true",
            "https://e/v1/return?state=a&connected=false\"><x",
        );
        assert!(!html.contains("<script>alert"));
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt; wants to connect to your Oura")
        );
        assert!(html.contains("state=a&amp;connected=true"));
        assert!(!html.contains("\"><x"));
        assert!(!html.contains("<script"), "the consent page runs no script");
    }

    #[test]
    fn popup_page_carries_origin_and_message_as_data() {
        let source = healthlink_shared::find_source("oura").unwrap();
        let outcome = FlowOutcome {
            source: "oura".into(),
            action: FlowAction::Connect,
            result: FlowResult::Cancelled,
        };
        let html = popup_result_page(&outcome, source, "https://app.example.com", None);
        assert!(html.contains("data-target-origin=\"https://app.example.com\""));
        assert!(html.contains(
            "data-message=\"{&quot;healthlink&quot;:{&quot;source&quot;:&quot;oura&quot;,\
             &quot;action&quot;:&quot;connect&quot;,&quot;result&quot;:&quot;cancelled&quot;}}\""
        ));
        assert!(html.contains("Oura was not connected"));
        assert!(html.contains("You can close this window"));
    }
}
