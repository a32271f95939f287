//! Whether data still flows, as a connected row says it: when data last
//! came ("Last data 2 hours ago"), and for a source that went quiet or whose
//! data the host's pipeline cannot fetch, what the person can do about it.
//! The times are worded by the browser's `Intl` (`crate::intl`); this only
//! decides what to say.

use healthlink_shared::{ConnectionStatus, SourceConnection, SourceKind, SyncError};

use crate::i18n::Catalog;

/// A unit `Intl` words times in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Second,
    Minute,
    Hour,
    Day,
}

impl TimeUnit {
    /// The unit's name in `Intl.RelativeTimeFormat` and `Intl.NumberFormat`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Second => "second",
            Self::Minute => "minute",
            Self::Hour => "hour",
            Self::Day => "day",
        }
    }
}

/// A span of time, in the largest unit that holds at least one of it
/// (whole units, rounded down: "2 hours" until the third has passed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed {
    pub value: i64,
    pub unit: TimeUnit,
}

/// The time from `since_ms` to `now_ms`. A time ahead of the browser's
/// clock (clocks disagree) reads as a second ago, never "in 3 minutes".
pub fn elapsed(since_ms: i64, now_ms: i64) -> Elapsed {
    let seconds = (now_ms - since_ms).max(0) / 1000;
    let (value, unit) = match seconds {
        0..60 => (seconds.max(1), TimeUnit::Second),
        60..3_600 => (seconds / 60, TimeUnit::Minute),
        3_600..86_400 => (seconds / 3_600, TimeUnit::Hour),
        _ => (seconds / 86_400, TimeUnit::Day),
    };
    Elapsed { value, unit }
}

/// What a person can do about data that stopped or cannot be fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    /// Open the provider's own app (its name), which syncs the device.
    OpenApp(&'static str),
    /// Phone-only sources reach the host through its app on the phone.
    OpenPhoneApp,
    /// No app we can name: check that the source syncs.
    CheckSyncing,
    /// The provider refused access (`auth_revoked`).
    Reconnect,
    /// The grant leaves out data the host needs (`no_data_permission`).
    CheckPermissions,
    /// The provider's trouble, which passes by itself (`provider_error`,
    /// `rate_limited`).
    ProviderTrouble,
}

impl Hint {
    /// The sentence, about the source called `name`.
    pub fn text(self, name: &str, t: &Catalog) -> String {
        let template = match self {
            Self::OpenApp(app) => return t.fill(t.hint_open_app, name).replace("{app}", app),
            Self::OpenPhoneApp => t.hint_open_phone_app,
            Self::CheckSyncing => t.hint_check_syncing,
            Self::Reconnect => t.hint_reconnect,
            Self::CheckPermissions => t.hint_permissions,
            Self::ProviderTrouble => t.hint_provider_trouble,
        };
        t.fill(template, name)
    }
}

/// The app that syncs a source's device, where one app does (Dexcom has
/// several, one per sensor generation, so it gets the general hint).
pub fn sync_app(source_id: &str) -> Option<&'static str> {
    match source_id {
        "fitbit" => Some("Fitbit"),
        "garmin" => Some("Garmin Connect"),
        "oura" => Some("Oura"),
        "polar" => Some("Polar Flow"),
        "withings" => Some("Withings"),
        "whoop" => Some("WHOOP"),
        "strava" => Some("Strava"),
        _ => None,
    }
}

/// What a connected row says about its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataLine {
    /// Since the last data.
    pub since: Elapsed,
    /// No data for longer than the edge allows: the row says so plainly.
    pub stale: bool,
    /// What to do, for a stale source or one the pipeline reports trouble
    /// with.
    pub hint: Option<Hint>,
}

impl DataLine {
    /// "Last data 2 hours ago", under a row whose data flows; `ago` is
    /// [`DataLine::since`] as the browser words it. `None` when stale: the
    /// warning says it then.
    pub fn last_data(&self, ago: &str, t: &Catalog) -> Option<String> {
        (!self.stale).then(|| t.data_last.replace("{ago}", ago))
    }

    /// What the row warns of, if anything: "No new data from Garmin for 4
    /// days." and what to do; `duration` is [`DataLine::since`] as the
    /// browser words it.
    pub fn warning(&self, name: &str, duration: &str, t: &Catalog) -> Option<String> {
        let stale = self
            .stale
            .then(|| t.fill(t.data_stale, name).replace("{duration}", duration));
        let hint = self.hint.map(|hint| hint.text(name, t));
        match (stale, hint) {
            (Some(stale), Some(hint)) => Some(format!("{stale} {hint}")),
            (stale, hint) => stale.or(hint),
        }
    }
}

/// The line of a row whose last data came at `last_data_ms` (as the
/// browser read `last_data_at`); `None` for rows that are not connected
/// or that the host never reported on.
pub fn data_line(
    source: &SourceConnection,
    last_data_ms: Option<i64>,
    now_ms: i64,
) -> Option<DataLine> {
    if source.status != ConnectionStatus::Connected {
        return None;
    }
    let hint = match source.sync_error {
        Some(SyncError::AuthRevoked) => Some(Hint::Reconnect),
        Some(SyncError::NoDataPermission) => Some(Hint::CheckPermissions),
        Some(SyncError::ProviderError | SyncError::RateLimited) => Some(Hint::ProviderTrouble),
        None if source.stale => Some(match sync_app(&source.id) {
            Some(app) => Hint::OpenApp(app),
            None if source.kind == SourceKind::Mobile => Hint::OpenPhoneApp,
            None => Hint::CheckSyncing,
        }),
        None => None,
    };
    Some(DataLine {
        since: elapsed(last_data_ms?, now_ms),
        stale: source.stale,
        hint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale;
    use crate::model::oura_row;

    const NOW: i64 = 1_800_000_000_000;
    const HOUR: i64 = 3_600_000;

    fn check(ago_ms: i64, value: i64, unit: TimeUnit) {
        assert_eq!(
            elapsed(NOW - ago_ms, NOW),
            Elapsed { value, unit },
            "{ago_ms} ms"
        );
    }

    #[test]
    fn times_are_whole_units_of_the_largest_size_that_fits() {
        check(0, 1, TimeUnit::Second);
        check(59_999, 59, TimeUnit::Second);
        check(60_000, 1, TimeUnit::Minute);
        check(HOUR - 1, 59, TimeUnit::Minute);
        check(2 * HOUR + 59 * 60_000, 2, TimeUnit::Hour);
        check(24 * HOUR - 1, 23, TimeUnit::Hour);
        check(24 * HOUR, 1, TimeUnit::Day);
        check(4 * 24 * HOUR + 5 * HOUR, 4, TimeUnit::Day);
        // The browser's clock behind the edge's: a second ago.
        check(-5 * 60_000, 1, TimeUnit::Second);
        assert_eq!(TimeUnit::Day.as_str(), "day");
    }

    fn connected(id: &str, kind: SourceKind) -> SourceConnection {
        SourceConnection {
            id: id.into(),
            kind,
            ..oura_row(ConnectionStatus::Connected, None)
        }
    }

    #[test]
    fn a_fresh_row_says_when_and_a_stale_one_what_to_do() {
        let fresh = connected("garmin", SourceKind::Oauth);
        assert_eq!(
            data_line(&fresh, Some(NOW - 2 * HOUR), NOW),
            Some(DataLine {
                since: Elapsed {
                    value: 2,
                    unit: TimeUnit::Hour
                },
                stale: false,
                hint: None,
            })
        );
        let stale = |id, kind| {
            let source = SourceConnection {
                stale: true,
                ..connected(id, kind)
            };
            data_line(&source, Some(NOW - 100 * HOUR), NOW).unwrap()
        };
        let garmin = stale("garmin", SourceKind::Oauth);
        assert!(garmin.stale);
        assert_eq!(garmin.hint, Some(Hint::OpenApp("Garmin Connect")));
        assert_eq!(garmin.since.unit, TimeUnit::Day);
        assert_eq!(
            stale("dexcom", SourceKind::Oauth).hint,
            Some(Hint::CheckSyncing)
        );
        assert_eq!(
            stale("apple_health", SourceKind::Mobile).hint,
            Some(Hint::OpenPhoneApp)
        );
    }

    #[test]
    fn the_pipelines_code_says_what_to_do_even_before_staleness() {
        let with = |error| SourceConnection {
            sync_error: Some(error),
            ..connected("polar", SourceKind::Oauth)
        };
        let hint = |error| data_line(&with(error), Some(NOW), NOW).unwrap().hint;
        assert_eq!(hint(SyncError::AuthRevoked), Some(Hint::Reconnect));
        assert_eq!(
            hint(SyncError::NoDataPermission),
            Some(Hint::CheckPermissions)
        );
        assert_eq!(hint(SyncError::ProviderError), Some(Hint::ProviderTrouble));
        assert_eq!(hint(SyncError::RateLimited), Some(Hint::ProviderTrouble));
    }

    #[test]
    fn only_connected_rows_the_host_reported_on_say_anything() {
        for status in [
            ConnectionStatus::Disconnected,
            ConnectionStatus::Expired,
            ConnectionStatus::Pending,
            ConnectionStatus::Error,
        ] {
            let source = SourceConnection {
                stale: true,
                ..oura_row(status, None)
            };
            assert_eq!(data_line(&source, Some(NOW), NOW), None, "{status:?}");
        }
        assert_eq!(
            data_line(&connected("oura", SourceKind::Oauth), None, NOW),
            None
        );
    }

    #[test]
    fn a_stale_row_says_plainly_what_to_do() {
        let en = Locale::En.catalog();
        let stale = DataLine {
            since: elapsed(NOW - 100 * HOUR, NOW),
            stale: true,
            hint: Some(Hint::OpenApp("Garmin Connect")),
        };
        assert_eq!(stale.last_data("4 days ago", en), None);
        assert_eq!(
            stale.warning("Garmin", "4 days", en).as_deref(),
            Some("No new data from Garmin for 4 days. Open the Garmin Connect app to sync.")
        );
        let fresh = DataLine {
            stale: false,
            hint: None,
            ..stale
        };
        assert_eq!(
            fresh.last_data("2 hours ago", en).as_deref(),
            Some("Last data 2 hours ago")
        );
        assert_eq!(fresh.warning("Garmin", "2 hours", en), None);
        // Fresh, but the pipeline has trouble: the hint alone.
        let troubled = DataLine {
            hint: Some(Hint::ProviderTrouble),
            ..fresh
        };
        assert_eq!(
            troubled.warning("Garmin", "2 hours", en).as_deref(),
            Some("Garmin is having trouble sending data. It should catch up on its own.")
        );
        assert!(troubled.last_data("2 hours ago", en).is_some());
        let german = stale
            .warning("Garmin", "4 Tage", Locale::De.catalog())
            .unwrap();
        assert!(
            german.starts_with("Von Garmin kamen 4 Tage lang keine neuen Daten."),
            "{german}"
        );
    }

    #[test]
    fn hints_name_the_source_and_its_app_in_every_language() {
        for locale in Locale::ALL {
            let t = locale.catalog();
            let open = Hint::OpenApp("Garmin Connect").text("Garmin", t);
            assert!(open.contains("Garmin Connect"), "{locale:?}: {open}");
            assert!(!open.contains('{'), "{locale:?}: {open}");
            for hint in [
                Hint::CheckSyncing,
                Hint::Reconnect,
                Hint::CheckPermissions,
                Hint::ProviderTrouble,
            ] {
                let text = hint.text("Dexcom", t);
                assert!(
                    text.contains("Dexcom") && !text.contains('{'),
                    "{locale:?}: {text}"
                );
            }
            assert!(!Hint::OpenPhoneApp.text("Apple Health", t).contains('{'));
        }
        assert_eq!(
            Hint::OpenApp("Garmin Connect").text("Garmin", Locale::En.catalog()),
            "Open the Garmin Connect app to sync."
        );
    }
}
