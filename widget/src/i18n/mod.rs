//! The widget's words, one catalog per language. A catalog is a struct with
//! one field per string, so a language that misses a string does not
//! compile: no untranslated text can reach a user. Templates mark the
//! source's name as `{name}`.

mod de;
mod en;
mod es;
mod fr;
mod pt;

/// Declares the catalog struct (one `&'static str` field per string) and
/// `entries()`, which lists them by name for the completeness tests.
macro_rules! catalog {
    ($($(#[doc = $doc:literal])* $field:ident,)*) => {
        /// Every string the widget shows or announces.
        #[derive(Debug)]
        pub struct Catalog {
            $($(#[doc = $doc])* pub $field: &'static str,)*
        }

        impl Catalog {
            /// Every string with its field name.
            pub fn entries(&self) -> Vec<(&'static str, &'static str)> {
                vec![$((stringify!($field), self.$field),)*]
            }
        }
    };
}

catalog! {
    /// BCP 47 primary language, set as `lang` on the widget's root.
    lang,

    title,
    subtitle,
    /// Accessible name of the list while it loads.
    loading,

    status_connected,
    status_disconnected,
    status_expired,
    /// A disconnect is under way (sent, or accepted and finishing upstream).
    status_disconnecting,
    status_error,
    /// Under a row in `error` state, when the edge gave no reason.
    error_reason,

    connect,
    reconnect,
    disconnect,
    connect_on_phone,
    working,
    /// Accessible names of the row buttons: `{name}` is the source.
    connect_named,
    reconnect_named,
    disconnect_named,
    connect_on_phone_named,
    /// Under a phone-only source when no phone link is configured.
    phone_hint,

    notice_connected,
    notice_disconnected,
    notice_connect_cancelled,
    notice_disconnect_cancelled,
    notice_connect_failed,
    notice_disconnect_failed,
    notice_popup_closed,
    notice_disconnect_pending,

    confirm_title,
    /// What disconnecting means, said before the user confirms.
    confirm_text,
    cancel,

    phone_title,
    phone_text,
    /// Accessible name of the QR code image.
    phone_qr_label,
    phone_link,
    close,

    retry,
    error_unreachable,
    error_session_ended,
    error_rate_limited,
    error_upstream_unavailable,
    error_source_expired,
    error_not_allowed,
    error_service,
    error_generic,
}

impl Catalog {
    /// `template` with the source's name filled in.
    pub fn fill(&self, template: &str, name: &str) -> String {
        template.replace("{name}", name)
    }
}

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

    pub fn catalog(self) -> &'static Catalog {
        match self {
            Self::En => &en::CATALOG,
            Self::De => &de::CATALOG,
            Self::Es => &es::CATALOG,
            Self::Fr => &fr::CATALOG,
            Self::Pt => &pt::CATALOG,
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

    fn strings(catalog: &Catalog) -> Vec<(&'static str, &'static str)> {
        catalog.entries()
    }

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
                assert_eq!(
                    text.matches("{name}").count().min(1),
                    en.matches("{name}").count().min(1),
                    "{locale:?}.{name} must use {{name}} exactly where English does"
                );
                let braces = text.replace("{name}", "");
                assert!(
                    !braces.contains(['{', '}']),
                    "{locale:?}.{name} has an unknown placeholder: {text}"
                );
            }
            assert_eq!(catalog.lang, format!("{locale:?}").to_lowercase());
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
