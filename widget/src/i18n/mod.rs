//! The widget's words, one catalog per language. A catalog is a struct with
//! one field per string, so a language that misses a string does not
//! compile: no untranslated text can reach a user. Templates mark the
//! source's name as `{name}`.

mod catalog;
// The other languages are written here, in Rust, so a missing string does
// not compile; the widget's build carries only English and loads the
// others as JSON files generated from these (`files`), when a user needs
// one.
#[cfg(not(target_arch = "wasm32"))]
mod de;
mod en;
#[cfg(not(target_arch = "wasm32"))]
mod es;
#[cfg(test)]
mod files;
#[cfg(not(target_arch = "wasm32"))]
mod fr;
#[cfg(target_arch = "wasm32")]
mod loaded;
#[cfg(not(target_arch = "wasm32"))]
mod pt;

pub use catalog::Catalog;
#[cfg(target_arch = "wasm32")]
pub use loaded::{is_ready, register};

/// The languages the widget speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    En,
    De,
    Es,
    Fr,
    Pt,
}

impl Locale {
    pub const ALL: [Locale; 5] = [Locale::En, Locale::De, Locale::Es, Locale::Fr, Locale::Pt];

    /// The supported language of one BCP 47 tag (`de-CH`, `pt_BR`, `FR`),
    /// by its primary subtag.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Self::En),
            "de" => Some(Self::De),
            "es" => Some(Self::Es),
            "fr" => Some(Self::Fr),
            "pt" => Some(Self::Pt),
            _ => None,
        }
    }

    /// The first supported language among `preferences`, most preferred
    /// first (the session's locale, the `locale` attribute, then the
    /// browser's languages); English when none is supported.
    pub fn negotiate<'a>(preferences: impl IntoIterator<Item = &'a str>) -> Self {
        preferences
            .into_iter()
            .find_map(Self::from_tag)
            .unwrap_or(Self::En)
    }

    /// The widget's language: the session's locale (the host's backend
    /// chose it for this user), then the element's `locale` attribute (which
    /// the host may change after mounting), then the browser's languages.
    pub fn for_widget(session: Option<&str>, attribute: &str, browser: &[String]) -> Self {
        Self::negotiate(
            session
                .into_iter()
                .chain([attribute])
                .chain(browser.iter().map(String::as_str)),
        )
    }

    /// The language's code: its catalog's `lang` and its file's name.
    pub const fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::De => "de",
            Self::Es => "es",
            Self::Fr => "fr",
            Self::Pt => "pt",
        }
    }

    /// The language's strings. In the browser, English until the
    /// language's file has loaded (see [`is_ready`]).
    pub fn catalog(self) -> &'static Catalog {
        match self {
            Self::En => &en::CATALOG,
            #[cfg(not(target_arch = "wasm32"))]
            Self::De => &de::CATALOG,
            #[cfg(not(target_arch = "wasm32"))]
            Self::Es => &es::CATALOG,
            #[cfg(not(target_arch = "wasm32"))]
            Self::Fr => &fr::CATALOG,
            #[cfg(not(target_arch = "wasm32"))]
            Self::Pt => &pt::CATALOG,
            #[cfg(target_arch = "wasm32")]
            other => loaded::catalog(other).unwrap_or(&en::CATALOG),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_map_to_languages_by_primary_subtag() {
        let check = |tag, expected| assert_eq!(Locale::from_tag(tag), expected, "{tag}");
        check("de", Some(Locale::De));
        check("de-CH", Some(Locale::De));
        check("pt_BR", Some(Locale::Pt));
        check(" FR ", Some(Locale::Fr));
        check("es-419", Some(Locale::Es));
        check("en-GB", Some(Locale::En));
        check("it", None);
        check("", None);
        check("deutsch", None);
    }

    #[test]
    fn negotiation_takes_the_first_supported_preference() {
        assert_eq!(Locale::negotiate(["it", "fr-CA", "de"]), Locale::Fr);
        assert_eq!(Locale::negotiate(["", "pt-PT"]), Locale::Pt);
        assert_eq!(Locale::negotiate(["ja", "zh"]), Locale::En);
        assert_eq!(Locale::negotiate([]), Locale::En);
    }

    #[test]
    fn the_session_then_the_attribute_then_the_browser() {
        let check = |session: Option<&str>, attribute: &str, browser: &[&str], expected| {
            let browser: Vec<String> = browser.iter().map(|tag| (*tag).to_owned()).collect();
            assert_eq!(
                Locale::for_widget(session, attribute, &browser),
                expected,
                "session {session:?}, attribute {attribute:?}, browser {browser:?}"
            );
        };
        check(Some("de"), "fr", &["es"], Locale::De);
        check(None, "fr", &["es"], Locale::Fr);
        // The host switched the attribute after mounting: the new one counts.
        check(None, "pt-BR", &["es"], Locale::Pt);
        // Removed, or a language the widget lacks: the browser's.
        check(None, "", &["es-ES", "de"], Locale::Es);
        check(None, "ja", &["it", "de"], Locale::De);
        // A session locale the widget lacks does not hide the attribute.
        check(Some("ja"), "fr", &[], Locale::Fr);
        check(None, "", &[], Locale::En);
    }

    fn strings(catalog: &Catalog) -> Vec<(&'static str, &'static str)> {
        catalog.entries()
    }

    /// The placeholders templates may use; each language uses exactly the
    /// ones English uses.
    const PLACEHOLDERS: [&str; 4] = ["{name}", "{ago}", "{duration}", "{app}"];

    #[test]
    fn every_catalog_is_complete_and_keeps_the_placeholders() {
        let english = strings(Locale::En.catalog());
        assert!(english.len() > 40, "read {} strings", english.len());
        for locale in Locale::ALL {
            let catalog = locale.catalog();
            let translated = strings(catalog);
            assert_eq!(translated.len(), english.len());
            for ((name, en), (_, text)) in english.iter().zip(&translated) {
                assert!(!text.trim().is_empty(), "{locale:?}.{name} is empty");
                let mut braces = (*text).to_owned();
                for placeholder in PLACEHOLDERS {
                    assert_eq!(
                        text.matches(placeholder).count().min(1),
                        en.matches(placeholder).count().min(1),
                        "{locale:?}.{name} must use {placeholder} exactly where English does"
                    );
                    braces = braces.replace(placeholder, "");
                }
                assert!(
                    !braces.contains(['{', '}']),
                    "{locale:?}.{name} has an unknown placeholder: {text}"
                );
            }
            assert_eq!(catalog.lang, format!("{locale:?}").to_lowercase());
            assert_eq!(catalog.lang, locale.code());
        }
    }

    #[test]
    fn other_languages_are_translated_not_copied() {
        let english = strings(Locale::En.catalog());
        for locale in [Locale::De, Locale::Es, Locale::Fr, Locale::Pt] {
            let translated = strings(locale.catalog());
            let copied: Vec<_> = english
                .iter()
                .zip(&translated)
                .filter(|((name, en), (_, text))| *name != "lang" && en == text)
                .map(|((name, _), _)| *name)
                .collect();
            // Very short words can coincide (an "OK"); whole sentences never.
            assert!(copied.len() <= 2, "{locale:?} copies English: {copied:?}");
        }
    }

    #[test]
    fn fill_names_the_source() {
        let en = Locale::En.catalog();
        assert_eq!(en.fill(en.connect_named, "Oura"), "Connect Oura");
        assert_eq!(
            Locale::De
                .catalog()
                .fill(Locale::De.catalog().connect_named, "Oura"),
            "Oura verbinden"
        );
    }
}
