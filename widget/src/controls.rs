//! What the host page can change in a mounted widget, shared by the handle
//! `mount` returns and the `App` it mounts.

use leptos::prelude::*;

/// What the host can change in a mounted widget. Reference-counted signals,
/// so they outlive no owner and need none.
#[derive(Clone)]
pub struct Controls {
    /// The current session token; the host replaces it when it expires.
    pub session: ArcRwSignal<String>,
    /// The element's `locale` attribute (may be empty); changing it re-says
    /// everything in the new language, keeping the widget's state.
    pub locale: ArcRwSignal<String>,
    /// Notified to re-read the status list.
    pub refresh: ArcTrigger,
}
