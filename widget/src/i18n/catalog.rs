//! The `Catalog` struct: one `&'static str` field per string the widget
//! shows, so each language file fills in every one or does not compile.
//! The same struct is read back from the JSON files the widget loads for
//! languages other than English (see `i18n::files`).

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

            /// A catalog from strings looked up by field name (a language
            /// file the widget loaded); `None` if any one is missing, so a
            /// partial file never shows a blank.
            /// (`dyn`, not generic: one call per field, not one copy of
            /// the lookup per field in the widget's download.)
            pub fn from_fields(
                lookup: &mut dyn FnMut(&str) -> Option<&'static str>,
            ) -> Option<Self> {
                Some(Self {
                    $($field: lookup(stringify!($field))?,)*
                })
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
    /// A connect the aggregator has still to confirm.
    status_finishing,
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

    /// Under a connected source: `{ago}` is when data last came, worded by
    /// the browser ("2 hours ago", "yesterday").
    data_last,
    /// A connected source that sent nothing for too long: `{duration}` is
    /// how long, worded by the browser ("4 days").
    data_stale,
    /// What to do about it: open the provider's app, `{app}` by name.
    hint_open_app,
    /// For phone-only sources, whose data comes through the host's app.
    hint_open_phone_app,
    /// When no single app syncs the source.
    hint_check_syncing,
    /// The host's pipeline says the provider refused access.
    hint_reconnect,
    /// The host's pipeline says the grant leaves out data it needs.
    hint_permissions,
    /// The host's pipeline says the provider has trouble (passes by itself).
    hint_provider_trouble,

    notice_connected,
    notice_disconnected,
    notice_connect_cancelled,
    notice_disconnect_cancelled,
    notice_connect_failed,
    notice_disconnect_failed,
    notice_popup_closed,
    notice_disconnect_pending,
    /// After "Stop sharing and delete my data", answered `disconnected`.
    notice_deleted,
    /// After "Stop sharing and delete my data", answered `pending`.
    notice_delete_pending,
    /// After a connect flow, while the aggregator has still to confirm it.
    notice_connect_finishing,
    /// Heard live: the provider's grant ended elsewhere; connect again.
    notice_expired,

    confirm_title,
    /// Above the two choices: that the user decides about the shared data.
    confirm_text,
    /// The choice that keeps the data already shared, and what it does.
    stop_sharing,
    stop_sharing_text,
    /// The choice that also deletes the data already shared, and what it
    /// does.
    stop_sharing_and_delete,
    stop_sharing_and_delete_text,
    cancel,

    /// Before a connect flow, when the source has a purpose line.
    purpose_title,
    /// Above the operator's purpose line.
    purpose_intro,
    /// Under it: what happens next, and that it can be undone.
    purpose_next,
    /// Opens the connect flow.
    proceed,

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
    /// `template` with the source's name filled in. (Templates also use
    /// `{ago}`, `{duration}` and `{app}`, filled where those are known.)
    pub fn fill(&self, template: &str, name: &str) -> String {
        template.replace("{name}", name)
    }
}
