//! One data source: monogram, name and status badge.

use healthlink_shared::{ConnectionStatus, SourceConnection, SourceKind};
use leptos::prelude::*;

use crate::model::{monogram, status_label};

/// A row of the source list.
#[component]
pub fn SourceRow(source: SourceConnection) -> impl IntoView {
    let badge_class = match source.status {
        ConnectionStatus::Connected => "hl-badge hl-badge-connected",
        ConnectionStatus::Expired | ConnectionStatus::Error => "hl-badge hl-badge-attention",
        ConnectionStatus::Pending => "hl-badge hl-badge-pending",
        ConnectionStatus::Disconnected => "hl-badge",
    };
    let hint = (source.kind == SourceKind::Mobile).then_some("Connect on your phone");
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
            {source.error.map(|error| view! { <span class="hl-row-error">{error}</span> })}
        </li>
    }
}
