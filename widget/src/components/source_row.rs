//! One data source: monogram, name, status badge and its one action, and
//! for a connected source whether data still flows. The row stays the same
//! element while its status changes, so a keyboard user's focus stays on
//! its button.

use healthlink_shared::{ConnectionStatus, FlowAction, SourceConnection, SourceKind};
use leptos::prelude::*;

use crate::i18n::Locale;
use crate::intl;
use crate::model::freshness::data_line;
use crate::model::{BadgeTone, RowAction, badge, monogram, row_action, row_reason};

/// A row of the source list. `source` is `None` for the moment between the
/// source leaving the list and the row being removed.
#[component]
pub fn SourceRow(
    source: Memo<Option<SourceConnection>>,
    /// The request in flight for this row, if any.
    busy: Memo<Option<FlowAction>>,
    on_action: Callback<SourceConnection>,
    locale: Memo<Locale>,
    /// Now, in Unix ms, ticking while the widget is open, so "2 minutes
    /// ago" stays true.
    clock: ReadSignal<i64>,
) -> impl IntoView {
    let t = move || locale.get().catalog();
    let (id, name) = source.with_untracked(|source| {
        source
            .as_ref()
            .map(|s| (s.id.clone(), s.name.clone()))
            .unwrap_or_default()
    });
    let status = move || {
        source.with(|s| {
            s.as_ref()
                .map_or(ConnectionStatus::Disconnected, |s| s.status)
        })
    };
    let action = move || source.with(|s| s.as_ref().and_then(row_action));
    let disconnecting = move || busy.get() == Some(FlowAction::Disconnect);
    let pending = move || source.with(|s| s.as_ref().and_then(|s| s.pending));
    let shown_badge = move || badge(status(), pending(), disconnecting(), t());
    let badge_class = move || match shown_badge().1 {
        BadgeTone::Connected => "hl-badge hl-badge-connected",
        BadgeTone::Attention => "hl-badge hl-badge-attention",
        BadgeTone::Busy => "hl-badge hl-badge-pending",
        BadgeTone::Plain => "hl-badge",
    };
    // Phone-only and not connected, with no phone link to offer: say where.
    let hint = move || {
        source.with(|s| {
            s.as_ref().is_some_and(|s| {
                s.kind == SourceKind::Mobile
                    && s.phone_link.is_none()
                    && !matches!(
                        s.status,
                        ConnectionStatus::Connected | ConnectionStatus::Pending
                    )
            })
        })
    };
    let reason = move || source.with(|s| s.as_ref().and_then(|s| row_reason(s, t())));
    // Connected rows the host reported on: when data last came, and for a
    // quiet source (or one the host's pipeline has trouble with) what to
    // do. Worded again as the clock ticks (the words are not in a live
    // region: a tick is not announced).
    let data = move || {
        source.with(|s| {
            let s = s.as_ref()?;
            let last_data_ms = s
                .last_data_at
                .as_deref()
                .map(js_sys::Date::parse)
                .filter(|ms| ms.is_finite())
                .map(|ms| ms as i64);
            data_line(s, last_data_ms, clock.get())
        })
    };
    let last_data =
        move || data().and_then(|line| line.last_data(&intl::ago(t().lang, line.since), t()));
    let warning = {
        let name = name.clone();
        move || {
            data().and_then(|line| {
                let duration = intl::duration(t().lang, line.since);
                line.warning(&name, &duration, t())
                    .map(|text| (text, line.stale))
            })
        }
    };
    let accessible = {
        let name = name.clone();
        move || action().map(|action| action.accessible_label(&name, t()))
    };
    let on_click = move |_| {
        if let Some(source) = source.get_untracked() {
            on_action.run(source);
        }
    };
    view! {
        <li class="hl-row" data-testid="source" data-source=id>
            <span class="hl-logo" aria-hidden="true">{monogram(&name)}</span>
            <span class="hl-name">
                <span data-testid="source-name">{name.clone()}</span>
                {move || hint().then(|| view! { <span class="hl-hint">{move || t().phone_hint}</span> })}
                {move || last_data().map(|text| view! {
                    <span class="hl-hint" data-testid="source-last-data">{text}</span>
                })}
            </span>
            <span class=badge_class data-testid="source-status" data-status=move || status().as_str()>
                {move || shown_badge().0}
            </span>
            // One button for the row's life, relabelled as the status
            // changes; hidden when the row offers nothing.
            <button
                type="button"
                class=move || if action() == Some(RowAction::Disconnect) {
                    "hl-button hl-button-secondary hl-row-action"
                } else {
                    "hl-button hl-row-action"
                }
                data-testid=move || action().map(|_| "source-action")
                data-action=move || action().map(RowAction::as_str)
                hidden=move || action().is_none()
                aria-label=accessible
                // Not `disabled`: a disabled button drops keyboard focus.
                aria-disabled=move || busy.get().is_some().to_string()
                on:click=on_click
            >
                {move || match (busy.get(), action()) {
                    (Some(_), _) => t().working,
                    (None, Some(action)) => action.label(t()),
                    (None, None) => "",
                }}
            </button>
            {move || reason().map(|reason| view! { <span class="hl-row-error">{reason}</span> })}
            {move || warning().map(|(text, stale)| view! {
                <span class="hl-row-error" data-testid="source-data-warning"
                    data-stale=stale.to_string()>{text}</span>
            })}
        </li>
    }
}
