//! One data source: monogram, name, status badge and its one action.

use healthlink_shared::{ConnectionStatus, SourceConnection, SourceKind};
use leptos::prelude::*;

use crate::model::{RowAction, monogram, row_action, status_label};

/// A row of the source list.
#[component]
pub fn SourceRow(
    source: SourceConnection,
    /// True while this row's action is in flight.
    busy: Signal<bool>,
    on_action: Callback<SourceConnection>,
) -> impl IntoView {
    let badge_class = match source.status {
        ConnectionStatus::Connected => "hl-badge hl-badge-connected",
        ConnectionStatus::Expired | ConnectionStatus::Error => "hl-badge hl-badge-attention",
        ConnectionStatus::Pending => "hl-badge hl-badge-pending",
        ConnectionStatus::Disconnected => "hl-badge",
    };
    let hint = (source.kind == SourceKind::Mobile && source.status != ConnectionStatus::Connected)
        .then_some("Connect in the app on your phone");
    let action = row_action(&source);
    let name = source.name.clone();
    let button = action.map(|action| {
        let label = action.label();
        let accessible = format!("{label} {name}");
        // Connecting is what the row invites; disconnecting stays available
        // but does not compete with it visually.
        let class = if action == RowAction::Disconnect {
            "hl-button hl-button-secondary hl-row-action"
        } else {
            "hl-button hl-row-action"
        };
        let source = source.clone();
        view! {
            <button
                type="button"
                class=class
                data-testid="source-action"
                data-action=label.to_lowercase()
                aria-label=accessible
                disabled=move || busy.get()
                aria-busy=move || busy.get().to_string()
                on:click=move |_| on_action.run(source.clone())
            >
                {move || if busy.get() { "Working…" } else { label }}
            </button>
        }
    });
    view! {
        <li class="hl-row" data-testid="source" data-source=source.id.clone()>
            <span class="hl-logo" aria-hidden="true">{monogram(&source.name)}</span>
            <span class="hl-name">
                <span data-testid="source-name">{source.name.clone()}</span>
                {hint.map(|hint| view! { <span class="hl-hint">{hint}</span> })}
            </span>
            <span class=badge_class data-testid="source-status" data-status=source.status.as_str()>
                {status_label(source.status)}
            </span>
            {button}
            {source.error.map(|error| view! { <span class="hl-row-error">{error}</span> })}
        </li>
    }
}
