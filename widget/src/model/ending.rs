//! The two ways a person can end a connection in the confirmation dialog,
//! and what the widget says and reports after each.
//!
//! Both revoke the connection at the aggregator. A *disconnect* stops new
//! data and leaves what was shared with the host; a *delete* also tells the
//! host (`delete_data: true` on `healthlink:disconnect`) to delete what the
//! source shared, since the host is the one holding it.

use healthlink_shared::ConnectionStatus;

use super::{Notice, Tone};
use crate::i18n::Catalog;

/// The person's choice in the confirmation dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// "Stop sharing": no new data; what was shared stays with the host.
    Disconnect,
    /// "Stop sharing and delete my data": no new data, and the host is told
    /// to delete what it received from the source.
    Delete,
}

impl Ending {
    /// In the order the dialog offers them: the one that keeps data first.
    pub const ALL: [Self; 2] = [Self::Disconnect, Self::Delete];

    /// The choice's button label.
    pub fn label(self, t: &Catalog) -> &'static str {
        match self {
            Self::Disconnect => t.stop_sharing,
            Self::Delete => t.stop_sharing_and_delete,
        }
    }

    /// What the choice does, under its button, with the source's name.
    pub fn explanation(self, name: &str, t: &Catalog) -> String {
        let template = match self {
            Self::Disconnect => t.stop_sharing_text,
            Self::Delete => t.stop_sharing_and_delete_text,
        };
        t.fill(template, name)
    }

    /// Whether the host is asked to delete the source's data.
    pub fn deletes_data(self) -> bool {
        self == Self::Delete
    }

    /// The notice once the edge has answered with `status`: `disconnected`,
    /// or `pending` while the aggregator is still revoking. A delete says
    /// that the shared data will be deleted, either way.
    pub fn notice(self, name: &str, status: ConnectionStatus, t: &Catalog) -> Notice {
        let pending = status == ConnectionStatus::Pending;
        let (template, tone) = match (self, pending) {
            (Self::Disconnect, false) => (t.notice_disconnected, Tone::Success),
            (Self::Disconnect, true) => (t.notice_disconnect_pending, Tone::Neutral),
            (Self::Delete, false) => (t.notice_deleted, Tone::Success),
            (Self::Delete, true) => (t.notice_delete_pending, Tone::Neutral),
        };
        Notice {
            text: t.fill(template, name),
            tone,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale;
    use crate::model::HostEvent;

    #[test]
    fn the_dialog_offers_keeping_the_data_first_and_says_what_each_does() {
        let en = Locale::En.catalog();
        let check = |ending: Ending, label: &str, explanation: &str| {
            assert_eq!(ending.label(en), label);
            assert_eq!(ending.explanation("Oura", en), explanation);
        };
        assert_eq!(Ending::ALL, [Ending::Disconnect, Ending::Delete]);
        check(
            Ending::Disconnect,
            "Stop sharing",
            "Oura stops sending new data. What was already shared stays with this service.",
        );
        check(
            Ending::Delete,
            "Stop sharing and delete my data",
            "Oura stops sending new data, and the data already shared is deleted.",
        );
    }

    #[test]
    fn every_language_words_the_two_choices_differently() {
        for locale in Locale::ALL {
            let t = locale.catalog();
            let [keep, delete] = Ending::ALL.map(|ending| ending.label(t));
            assert_ne!(keep, delete, "{locale:?}");
            let [keep, delete] = Ending::ALL.map(|ending| ending.explanation("Oura", t));
            assert_ne!(keep, delete, "{locale:?}");
            assert!(
                keep.contains("Oura") && delete.contains("Oura"),
                "{locale:?}"
            );
        }
    }

    #[test]
    fn only_a_delete_asks_the_host_to_delete_data() {
        let check = |ending: Ending, deletes: bool| {
            assert_eq!(ending.deletes_data(), deletes, "{ending:?}");
            let event = HostEvent::disconnect("oura", ConnectionStatus::Disconnected, ending);
            assert_eq!(event.delete_data, Some(deletes), "{ending:?}");
        };
        check(Ending::Disconnect, false);
        check(Ending::Delete, true);
        // Only a disconnect event carries it.
        assert_eq!(HostEvent::ready().delete_data, None);
        assert_eq!(HostEvent::exit("oura").delete_data, None);
    }

    #[test]
    fn notices_say_whether_the_data_will_be_deleted() {
        let en = Locale::En.catalog();
        use ConnectionStatus::{Disconnected, Pending};
        let check = |ending: Ending, status, text: &str, tone| {
            assert_eq!(
                ending.notice("Oura", status, en),
                Notice {
                    text: text.into(),
                    tone
                },
                "{ending:?} {status:?}"
            );
        };
        check(
            Ending::Disconnect,
            Disconnected,
            "Oura is disconnected.",
            Tone::Success,
        );
        check(
            Ending::Disconnect,
            Pending,
            "Oura is being disconnected. This can take a while.",
            Tone::Neutral,
        );
        check(
            Ending::Delete,
            Disconnected,
            "Oura is disconnected. Its shared data will be deleted.",
            Tone::Success,
        );
        check(
            Ending::Delete,
            Pending,
            "Oura is being disconnected, and its shared data will be deleted. This can take a \
             while.",
            Tone::Neutral,
        );
    }
}
