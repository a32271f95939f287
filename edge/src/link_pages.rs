//! The pages behind a hosted connect link (`/connect/<token>`): the widget
//! on a page of its own, phone first, in the user's language; and, for a
//! link that no longer opens, a page that says what to do instead of an
//! error body. Plain functions of their inputs, so every language and
//! every refusal is tested natively.

use url::Url;

use crate::links::LinkRefusal;
use crate::pages::escape;

/// The CSP of a link's page: our own script and the widget's wasm, API
/// calls and live socket to this origin, nothing inline, never framed.
pub const LINK_PAGE_CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
     connect-src 'self'; style-src 'self'; img-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// Headers of every link page, the refusals included: the URL carries the
/// link's token and the page a session, so nothing may keep or pass either
/// on.
pub fn link_page_headers() -> [(&'static str, &'static str); 4] {
    [
        ("content-security-policy", LINK_PAGE_CSP),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
        ("x-robots-tag", "noindex"),
    ]
}

/// The languages the pages (and the widget) speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageLanguage {
    En,
    De,
    Es,
    Fr,
    Pt,
}

impl PageLanguage {
    pub const ALL: [Self; 5] = [Self::En, Self::De, Self::Es, Self::Fr, Self::Pt];

    pub const fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::De => "de",
            Self::Es => "es",
            Self::Fr => "fr",
            Self::Pt => "pt",
        }
    }

    /// A language tag's primary subtag, if we speak it (`de-CH` → German).
    fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Self::ALL.into_iter().find(|lang| lang.code() == primary)
    }

    /// The link's own language if it has one we speak, else the browser's
    /// first one we speak (`Accept-Language`, by weight), else English.
    pub fn negotiate(link_locale: Option<&str>, accept_language: Option<&str>) -> Self {
        if let Some(lang) = link_locale.and_then(Self::from_tag) {
            return lang;
        }
        let mut offered: Vec<(u16, usize, &str)> = accept_language
            .unwrap_or_default()
            .split(',')
            .enumerate()
            .filter_map(|(position, item)| {
                let mut parts = item.split(';');
                let tag = parts.next()?.trim();
                let weight =
                    parts
                        .find_map(|p| p.trim().strip_prefix("q="))
                        .map_or(Some(1000), |q| {
                            q.trim()
                                .parse::<f32>()
                                .ok()
                                .map(|q| (q.clamp(0.0, 1.0) * 1000.0) as u16)
                        })?;
                (weight > 0).then_some((weight, position, tag))
            })
            .collect();
        offered.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        offered
            .into_iter()
            .find_map(|(_, _, tag)| Self::from_tag(tag))
            .unwrap_or(Self::En)
    }

    fn words(self) -> &'static Words {
        match self {
            Self::En => &EN,
            Self::De => &DE,
            Self::Es => &ES,
            Self::Fr => &FR,
            Self::Pt => &PT,
        }
    }
}

/// Every string of the link pages; `{app}` is the host app's name.
struct Words {
    title: &'static str,
    back: &'static str,
    close_hint: &'static str,
    unknown_title: &'static str,
    expired_title: &'static str,
    consumed_title: &'static str,
    revoked_title: &'static str,
    /// What to do about any refused link.
    ask_again: &'static str,
}

const EN: Words = Words {
    title: "Connect your data sources",
    back: "Back to {app}",
    close_hint: "When you are done, you can close this page.",
    unknown_title: "This link does not work",
    expired_title: "This link has expired",
    consumed_title: "This link has already been used",
    revoked_title: "This link is no longer valid",
    ask_again: "Ask {app} for a new link: open the app again, or reply to whoever sent it to you.",
};

const DE: Words = Words {
    title: "Datenquellen verbinden",
    back: "Zurück zu {app}",
    close_hint: "Wenn Sie fertig sind, können Sie diese Seite schließen.",
    unknown_title: "Dieser Link funktioniert nicht",
    expired_title: "Dieser Link ist abgelaufen",
    consumed_title: "Dieser Link wurde bereits verwendet",
    revoked_title: "Dieser Link ist nicht mehr gültig",
    ask_again: "Bitten Sie {app} um einen neuen Link: Öffnen Sie die App erneut oder antworten Sie der Person, die ihn Ihnen geschickt hat.",
};

const ES: Words = Words {
    title: "Conecta tus fuentes de datos",
    back: "Volver a {app}",
    close_hint: "Cuando termines, puedes cerrar esta página.",
    unknown_title: "Este enlace no funciona",
    expired_title: "Este enlace ha caducado",
    consumed_title: "Este enlace ya se ha usado",
    revoked_title: "Este enlace ya no es válido",
    ask_again: "Pide a {app} un enlace nuevo: abre la aplicación de nuevo o responde a quien te lo envió.",
};

const FR: Words = Words {
    title: "Connectez vos sources de données",
    back: "Retour à {app}",
    close_hint: "Quand vous avez terminé, vous pouvez fermer cette page.",
    unknown_title: "Ce lien ne fonctionne pas",
    expired_title: "Ce lien a expiré",
    consumed_title: "Ce lien a déjà été utilisé",
    revoked_title: "Ce lien n’est plus valable",
    ask_again: "Demandez un nouveau lien à {app} : rouvrez l’application, ou répondez à la personne qui vous l’a envoyé.",
};

const PT: Words = Words {
    title: "Ligue as suas fontes de dados",
    back: "Voltar a {app}",
    close_hint: "Quando terminar, pode fechar esta página.",
    unknown_title: "Esta ligação não funciona",
    expired_title: "Esta ligação expirou",
    consumed_title: "Esta ligação já foi usada",
    revoked_title: "Esta ligação já não é válida",
    ask_again: "Peça a {app} uma nova ligação: abra a aplicação de novo ou responda a quem lha enviou.",
};

fn with_app(template: &str, app_name: &str) -> String {
    escape(&template.replace("{app}", app_name))
}

/// A link's page: the app's name, the widget on a session minted for this
/// page (bound to this origin) and, when the link has one, the way back
/// to the app. Connect flows redirect (and come back to this page): a
/// system browser opened by a mobile app may not open popups; `healthlink-link.js` adds the `healthlink_*` result to it
/// as the widget reports one.
pub fn link_page(
    app_name: &str,
    lang: PageLanguage,
    edge_origin: &str,
    session: &str,
    return_url: Option<&Url>,
) -> String {
    let words = lang.words();
    let ending = match return_url {
        Some(url) => format!(
            "<p class=\"actions\"><a class=\"button primary\" id=\"healthlink-back\" \
             data-testid=\"link-back\" href=\"{href}\">{back}</a></p>",
            href = escape(url.as_str()),
            back = with_app(words.back, app_name),
        ),
        None => format!(
            "<p class=\"hint\" data-testid=\"link-close-hint\">{}</p>",
            escape(words.close_hint)
        ),
    };
    document(
        lang,
        &format!(
            "{app} · {title}",
            app = escape(app_name),
            title = escape(words.title)
        ),
        &format!(
            "<main class=\"card link-page\">\
             <p class=\"eyebrow\">{app}</p>\
             <h1>{title}</h1>\
             <healthlink-connect edge=\"{edge}\" session=\"{session}\" \
             locale=\"{code}\" flow=\"redirect\"></healthlink-connect>\
             {ending}</main>",
            app = escape(app_name),
            title = escape(words.title),
            edge = escape(edge_origin),
            session = escape(session),
            code = lang.code(),
        ),
        &["/healthlink.js", "/healthlink-link.js"],
    )
}

/// The page for a link that does not open, and its status: 404 when
/// nothing can be said about it, 410 when it existed and has ended.
pub fn refusal_page(app_name: &str, lang: PageLanguage, refusal: LinkRefusal) -> (u16, String) {
    let words = lang.words();
    let (status, title) = match refusal {
        LinkRefusal::Unknown => (404, words.unknown_title),
        LinkRefusal::Expired => (410, words.expired_title),
        LinkRefusal::Consumed => (410, words.consumed_title),
        LinkRefusal::Revoked => (410, words.revoked_title),
    };
    let html = document(
        lang,
        &format!(
            "{app} · {title}",
            app = escape(app_name),
            title = escape(title)
        ),
        &format!(
            "<main class=\"card link-page\" data-testid=\"link-refused\" \
             data-refusal=\"{kind}\">\
             <p class=\"eyebrow\">{app}</p><h1>{title}</h1><p>{ask}</p></main>",
            kind = match refusal {
                LinkRefusal::Unknown => "unknown",
                LinkRefusal::Expired => "expired",
                LinkRefusal::Consumed => "consumed",
                LinkRefusal::Revoked => "revoked",
            },
            app = escape(app_name),
            title = escape(title),
            ask = with_app(words.ask_again, app_name),
        ),
        &[],
    );
    (status, html)
}

fn document(lang: PageLanguage, title: &str, body: &str, scripts: &[&str]) -> String {
    let scripts: String = scripts
        .iter()
        .map(|src| format!("<script type=\"module\" src=\"{src}\"></script>"))
        .collect();
    format!(
        "<!doctype html><html lang=\"{code}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/healthlink-pages.css\">\
         {scripts}</head><body>{body}</body></html>",
        code = lang.code(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_language_wins_then_the_browsers_by_weight() {
        let negotiate = PageLanguage::negotiate;
        assert_eq!(negotiate(Some("de-CH"), Some("fr")), PageLanguage::De);
        assert_eq!(
            negotiate(Some("it"), Some("it, pt-BR;q=0.8")),
            PageLanguage::Pt
        );
        assert_eq!(
            negotiate(None, Some("es;q=0.5, fr;q=0.9")),
            PageLanguage::Fr
        );
        assert_eq!(negotiate(None, Some("fr;q=0, de")), PageLanguage::De);
        assert_eq!(negotiate(None, Some("ja, zh")), PageLanguage::En);
        assert_eq!(negotiate(None, Some(";;,q=x")), PageLanguage::En);
        assert_eq!(negotiate(None, None), PageLanguage::En);
    }

    #[test]
    fn every_language_has_every_string_in_its_own_words() {
        for lang in PageLanguage::ALL {
            let w = lang.words();
            let all = [
                w.title,
                w.back,
                w.close_hint,
                w.unknown_title,
                w.expired_title,
                w.consumed_title,
                w.revoked_title,
                w.ask_again,
            ];
            for text in all {
                assert!(!text.trim().is_empty(), "{lang:?}");
            }
            for with_app in [w.back, w.ask_again] {
                assert!(with_app.contains("{app}"), "{lang:?}: {with_app}");
            }
            let titles = [
                w.unknown_title,
                w.expired_title,
                w.consumed_title,
                w.revoked_title,
            ];
            for (i, a) in titles.iter().enumerate() {
                assert!(titles[i + 1..].iter().all(|b| a != b), "{lang:?}: {a}");
            }
            if lang != PageLanguage::En {
                assert!(
                    all.iter().zip(EN_ALL).all(|(a, b)| *a != b),
                    "{lang:?} copies English"
                );
            }
        }
    }

    const EN_ALL: [&str; 8] = [
        EN.title,
        EN.back,
        EN.close_hint,
        EN.unknown_title,
        EN.expired_title,
        EN.consumed_title,
        EN.revoked_title,
        EN.ask_again,
    ];

    #[test]
    fn the_page_holds_the_widget_and_the_way_back_escaped() {
        let back = Url::parse("acme://connected").unwrap();
        let html = link_page(
            "Acme <Health>",
            PageLanguage::De,
            "https://edge.example.com",
            "hls1.abc.def",
            Some(&back),
        );
        assert!(html.starts_with("<!doctype html><html lang=\"de\">"));
        assert!(html.contains(
            "<healthlink-connect edge=\"https://edge.example.com\" session=\"hls1.abc.def\" \
             locale=\"de\" flow=\"redirect\"></healthlink-connect>"
        ));
        assert!(html.contains("href=\"acme://connected\">Zurück zu Acme &lt;Health&gt;</a>"));
        assert!(!html.contains("<Health>"));
        assert!(html.contains("<script type=\"module\" src=\"/healthlink-link.js\"></script>"));
        assert!(!html.contains("<script>"), "nothing inline");
        assert!(!html.contains("style="), "nothing inline");

        let without = link_page("Acme", PageLanguage::En, "https://e", "t", None);
        assert!(without.contains("When you are done, you can close this page."));
        assert!(!without.contains("link-back"));
    }

    #[test]
    fn refused_links_say_what_to_do_in_the_users_language() {
        let (status, html) = refusal_page("Acme", PageLanguage::Fr, LinkRefusal::Expired);
        assert_eq!(status, 410);
        assert!(html.contains("<html lang=\"fr\">"));
        assert!(html.contains("<h1>Ce lien a expiré</h1>"));
        assert!(html.contains("Demandez un nouveau lien à Acme"));
        assert!(html.contains("data-refusal=\"expired\""));
        assert!(!html.contains("<script"), "a refusal runs nothing");
        for (refusal, status) in [
            (LinkRefusal::Unknown, 404),
            (LinkRefusal::Consumed, 410),
            (LinkRefusal::Revoked, 410),
        ] {
            for lang in PageLanguage::ALL {
                let (code, html) = refusal_page("Acme", lang, refusal);
                assert_eq!(code, status);
                assert!(html.contains(&with_app(lang.words().ask_again, "Acme")));
            }
        }
    }

    #[test]
    fn pages_are_never_kept_framed_or_referred() {
        let headers = link_page_headers();
        let get = |name: &str| headers.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
        assert_eq!(get("referrer-policy"), Some("no-referrer"));
        assert_eq!(get("cache-control"), Some("no-store"));
        let csp = get("content-security-policy").unwrap();
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(!csp.contains("unsafe-inline"));
    }
}
