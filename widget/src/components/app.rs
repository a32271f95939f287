//! The whole widget: heading, a live notice, and the source list; owns the
//! connect and disconnect flows.

use healthlink_shared::{Flow, PopupMessage, SourceConnection};
use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::{HtmlElement, MessageEvent, Window};

use crate::api;
use crate::browser;
use crate::components::confirm_dialog::ConfirmDisconnect;
use crate::components::load_error::LoadErrorPanel;
use crate::components::skeleton::SkeletonList;
use crate::components::source_row::SourceRow;
use crate::model::{
    HostEvent, LoadError, LoadState, Notice, RowAction, Tone, WidgetConfig, disconnect_notice,
    outcome_notice, popup_closed_notice, row_action, take_result_params,
};
use crate::mount::Controls;

/// A popup flow in progress: the window, the interval watching it, and
/// which source it is for.
struct PendingPopup {
    window: Window,
    watcher: Option<IntervalHandle>,
    source: SourceConnection,
    /// Watcher ticks since the window was first seen closed. The result page
    /// posts its message and closes at once, and the message can arrive after
    /// the window reads as closed, so "closed early" waits one more tick.
    closed_ticks: u8,
}

/// Shows the user's data sources and lets them connect and disconnect.
/// `host` is the element events are dispatched on; `controls` are what the
/// host page can change after mounting.
#[component]
pub fn App(config: WidgetConfig, host: HtmlElement, controls: Controls) -> impl IntoView {
    let state = RwSignal::new(LoadState::Loading);
    let notice = RwSignal::new(None::<Notice>);
    let busy = RwSignal::new(None::<String>);
    let session = controls.session.clone();
    // Every request uses the session the host gave most recently.
    let config = {
        let session = session.clone();
        Signal::derive(move || WidgetConfig {
            session: session.get(),
            ..config.clone()
        })
    };
    let pending = StoredValue::new_local(None::<PendingPopup>);
    let host = StoredValue::new_local(host);
    let emit = move |event: HostEvent| host.with_value(|host| browser::emit(host, &event));
    let ready_sent = StoredValue::new(false);

    let load = move || {
        spawn_local(async move {
            let result = api::fetch_connections(&config.get_untracked()).await;
            match &result {
                Ok(_) if !ready_sent.get_value() => {
                    ready_sent.set_value(true);
                    emit(HostEvent::ready());
                }
                Ok(_) => {}
                Err(error) => emit(HostEvent::error(None, error)),
            }
            state.set(match result {
                Ok(list) => LoadState::Loaded(list),
                Err(error) => LoadState::Failed(error),
            });
        });
    };
    let retry = move || {
        state.set(LoadState::Loading);
        load();
    };
    // A new session from the host, or `refresh()`: reconcile now.
    let refresh = controls.refresh.clone();
    Effect::new(move |previous: Option<()>| {
        session.track();
        refresh.track();
        if previous.is_some() {
            load();
        }
    });
    // Back to a tab left open: statuses may have changed elsewhere.
    let visibility = window_event_listener(ev::visibilitychange, move |_| {
        if browser::page_visible() && busy.with_untracked(Option::is_none) {
            load();
        }
    });
    on_cleanup(move || visibility.remove());

    // Back from a redirect flow: show the result once and clean the URL.
    let (returned, rest) = take_result_params(&browser::current_search());
    if let Some(outcome) = returned {
        let name = healthlink_shared::find_source(&outcome.source)
            .map_or(outcome.source.clone(), |source| source.name.to_owned());
        notice.set(Some(outcome_notice(&name, outcome.action, outcome.result)));
        emit(HostEvent::connect(&outcome.source, outcome.result));
        browser::replace_search(&rest);
    }
    load();

    // The popup's result page posts here; only messages from the edge, of
    // the expected shape, for the source we are waiting on, count.
    let finish_popup = move |message: Option<PopupMessage>| {
        let Some(mut popup) = pending.try_update_value(Option::take).flatten() else {
            return;
        };
        if let Some(watcher) = popup.watcher.take() {
            watcher.clear();
        }
        busy.set(None);
        notice.set(Some(match &message {
            Some(message) => {
                emit(HostEvent::connect(
                    &popup.source.id,
                    message.healthlink.result,
                ));
                outcome_notice(
                    &popup.source.name,
                    message.healthlink.action,
                    message.healthlink.result,
                )
            }
            None => {
                emit(HostEvent::exit(&popup.source.id));
                popup_closed_notice(&popup.source.name)
            }
        }));
        let _ = popup.window.close();
        load();
    };
    let listener = window_event_listener(ev::message, move |event: MessageEvent| {
        if event.origin() != config.with_untracked(|config| config.edge.clone()) {
            return;
        }
        let Some(text) = js_sys::JSON::stringify(&event.data())
            .ok()
            .and_then(|text| text.as_string())
        else {
            return;
        };
        let Ok(message) = serde_json::from_str::<PopupMessage>(&text) else {
            return;
        };
        let expected = pending.with_value(|pending| {
            pending
                .as_ref()
                .is_some_and(|popup| popup.source.id == message.healthlink.source)
        });
        if expected {
            finish_popup(Some(message));
        }
    });
    on_cleanup(move || {
        listener.remove();
        if let Some(Some(popup)) = pending.try_update_value(Option::take)
            && let Some(watcher) = popup.watcher
        {
            watcher.clear();
        }
    });

    let fail = move |source: &str, error: LoadError| {
        emit(HostEvent::error(Some(source), &error));
        busy.set(None);
        notice.set(Some(Notice {
            text: error.message(),
            tone: Tone::Problem,
        }));
    };

    let start_connect = move |source: SourceConnection| {
        let config = config.get_untracked();
        // Opened now, inside the click, or the browser blocks it.
        let popup = (config.flow == Flow::Popup)
            .then(browser::open_blank_popup)
            .flatten();
        let flow = if popup.is_some() {
            Flow::Popup
        } else {
            Flow::Redirect
        };
        let return_url = (flow == Flow::Redirect)
            .then(|| {
                browser::current_url_without(&take_result_params(&browser::current_search()).1)
            })
            .flatten();
        busy.set(Some(source.id.clone()));
        notice.set(None);
        spawn_local(async move {
            match api::connect(&config, &source.id, flow, return_url).await {
                Ok(url) => match popup {
                    Some(window) => {
                        browser::navigate(&window, &url);
                        let watched = window.clone();
                        let watcher = set_interval_with_handle(
                            move || {
                                if !watched.closed().unwrap_or(true) {
                                    return;
                                }
                                let ticks = pending
                                    .try_update_value(|pending| {
                                        pending.as_mut().map(|popup| {
                                            popup.closed_ticks += 1;
                                            popup.closed_ticks
                                        })
                                    })
                                    .flatten();
                                if ticks.is_some_and(|ticks| ticks >= 2) {
                                    finish_popup(None);
                                }
                            },
                            std::time::Duration::from_millis(400),
                        )
                        .ok();
                        pending.set_value(Some(PendingPopup {
                            window,
                            watcher,
                            source,
                            closed_ticks: 0,
                        }));
                    }
                    None => browser::go_to(&url),
                },
                Err(error) => {
                    if let Some(window) = popup {
                        let _ = window.close();
                    }
                    fail(&source.id, error);
                }
            }
        });
    };

    let start_disconnect = move |source: SourceConnection| {
        let config = config.get_untracked();
        busy.set(Some(source.id.clone()));
        notice.set(None);
        spawn_local(async move {
            match api::disconnect(&config, &source.id).await {
                Ok(status) => {
                    busy.set(None);
                    notice.set(Some(disconnect_notice(&source.name, status)));
                    emit(HostEvent::disconnect(&source.id, status));
                    load();
                }
                Err(error) => {
                    fail(&source.id, error);
                    load();
                }
            }
        });
    };

    // Disconnecting asks first; the answer comes back here.
    let (asking, set_asking) = signal(None::<SourceConnection>);
    let on_answer = Callback::new(move |confirmed: bool| {
        let Some(source) = asking.get_untracked() else {
            return;
        };
        set_asking.set(None);
        // Focus back to the row's button, as modal dialogs must.
        host.with_value(|host| browser::focus_action(host, &source.id));
        if confirmed {
            start_disconnect(source);
        }
    });

    let on_action = Callback::new(move |source: SourceConnection| {
        if busy.with_untracked(Option::is_some) {
            return;
        }
        match row_action(&source) {
            Some(RowAction::Connect | RowAction::Reconnect) => start_connect(source),
            Some(RowAction::Disconnect) => set_asking.set(Some(source)),
            None => {}
        }
    });

    view! {
        <section class="hl-card" aria-labelledby="hl-title">
            <h2 id="hl-title" class="hl-title">"Connected data sources"</h2>
            <p class="hl-subtitle">"Choose which apps and devices share data with this service."</p>
            <p class="hl-notice" role="status" aria-live="polite" data-testid="notice"
                data-tone=move || notice.with(|n| n.as_ref().map(|n| match n.tone {
                    Tone::Success => "success",
                    Tone::Neutral => "neutral",
                    Tone::Problem => "problem",
                }))
            >
                {move || notice.with(|n| n.as_ref().map(|n| n.text.clone()))}
            </p>
            {move || match state.get() {
                LoadState::Loading => view! { <SkeletonList/> }.into_any(),
                LoadState::Failed(error) => {
                    view! { <LoadErrorPanel message=error.message() on_retry=retry/> }.into_any()
                }
                LoadState::Loaded(list) => {
                    view! {
                        <ul class="hl-list" data-testid="source-list">
                            {list
                                .sources
                                .into_iter()
                                .map(|source| {
                                    let id = source.id.clone();
                                    let is_busy = Signal::derive(move || {
                                        busy.with(|busy| busy.as_deref() == Some(id.as_str()))
                                    });
                                    view! { <SourceRow source busy=is_busy on_action/> }
                                })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }
            }}
            <ConfirmDisconnect asking on_answer/>
        </section>
    }
}
