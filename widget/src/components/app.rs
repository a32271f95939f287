//! The whole widget: heading, a live notice, and the source list; owns the
//! connect and disconnect flows.

use std::sync::Arc;

use healthlink_shared::{ConnectionsResponse, Flow, FlowAction, FlowOutcome, SourceConnection};
use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::{HtmlElement, MessageEvent, Window};

use crate::api;
use crate::browser;
use crate::components::confirm_dialog::ConfirmDisconnect;
use crate::components::load_error::LoadErrorPanel;
use crate::components::phone_dialog::PhoneDialog;
use crate::components::purpose_dialog::PurposeDialog;
use crate::components::skeleton::SkeletonList;
use crate::components::source_row::SourceRow;
use crate::controls::Controls;
use crate::i18n::{self, Catalog, Locale};
use crate::live_socket::LiveSocket;
use crate::model::ending::Ending;
use crate::model::links::navigable_connect_url;
use crate::model::live::{Closed, changed_elsewhere, reconnect_delay_ms, socket_url};
use crate::model::outcome::{confirm_outcome, settled_connections, take_result_params};
use crate::model::popup::{PopupEnd, PopupFlow, PopupMessage};
use crate::model::recheck::Recheck;
use crate::model::{
    HostEvent, LoadError, LoadState, Notice, RowAction, Tone, WidgetConfig, apply_status,
    asks_purpose_first, failure_notice, popup_closed_notice, row_action,
};
use crate::wire;

/// A popup flow in progress: the window, the interval watching it, and
/// the flow that decides when it ends.
struct PendingPopup {
    window: Window,
    watcher: Option<IntervalHandle>,
    flow: PopupFlow,
}

/// Asks the popup flow in progress, if any, whether what just happened ends
/// it. The answer is handled after the stored value is released, since
/// finishing takes the popup out of it.
fn ask_popup(
    pending: StoredValue<Option<PendingPopup>, LocalStorage>,
    ask: impl FnOnce(&mut PendingPopup) -> Option<PopupEnd>,
) -> Option<PopupEnd> {
    pending
        .try_update_value(|pending| pending.as_mut().and_then(ask))
        .flatten()
}

/// A flow's result waiting for the list to bear it out, and the number of
/// the last load started before it was heard: only a later load read the
/// edge after the flow ended.
type AwaitedOutcome = (FlowOutcome, u32);

/// The live notice kept as how to say it rather than as words, so that a
/// `locale` changed after mounting says it again in the new language.
type Saying = Arc<dyn Fn(&Catalog) -> Notice + Send + Sync>;

/// Which row has a request in flight, and which kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Busy {
    pub source: String,
    pub action: FlowAction,
}

/// The list panel without its data, so a re-read list updates rows in
/// place instead of rebuilding them (focus and scroll stay put).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Loading,
    Failed(LoadError),
    Loaded,
}

/// How long the first list waits for its language's file before it is
/// shown in English.
const LANGUAGE_WAIT_MS: u64 = 2_500;

/// How often relative times are worded again: the finest unit they show
/// is minutes.
const CLOCK_TICK_SECONDS: u64 = 30;

/// Shows the user's data sources and lets them connect and disconnect.
/// `host` is the element events are dispatched on; `controls` are what the
/// host page can change after mounting (the session, the `locale`
/// attribute, a refresh).
#[component]
pub fn App(config: WidgetConfig, host: HtmlElement, controls: Controls) -> impl IntoView {
    let state = RwSignal::new(LoadState::Loading);
    let notice = RwSignal::new(None::<Saying>);
    let say = move |saying: Saying| notice.set(Some(saying));
    let busy = RwSignal::new(None::<Busy>);
    let session = controls.session.clone();
    // Every request uses the session the host gave most recently.
    let config = {
        let session = session.clone();
        Signal::derive(move || WidgetConfig {
            session: session.get(),
            ..config.clone()
        })
    };
    // The session's locale (known once the list loads), then the element's
    // `locale` attribute (the host may change it at any time), then the
    // browser's languages.
    let session_locale = RwSignal::new(None::<String>);
    let attribute_locale = controls.locale.clone();
    let browser_languages = browser::preferred_languages();
    let requested = Memo::new(move |_| {
        session_locale.with(|session| {
            attribute_locale.with(|attribute| {
                Locale::for_widget(session.as_deref(), attribute, &browser_languages)
            })
        })
    });
    // Languages other than English are files loaded when first needed.
    // Until one arrives the widget keeps the language it shows (English at
    // first, and the first list waits for it); one that cannot be loaded
    // leaves English.
    let catalogs_arrived = RwSignal::new(0_u32);
    let unavailable = StoredValue::new(Vec::<Locale>::new());
    let language_pending = Memo::new(move |_| {
        catalogs_arrived.track();
        let wanted = requested.get();
        !i18n::is_ready(wanted) && !unavailable.with_value(|failed| failed.contains(&wanted))
    });
    let locale = Memo::new(move |shown: Option<&Locale>| {
        catalogs_arrived.track();
        let wanted = requested.get();
        if i18n::is_ready(wanted) {
            wanted
        } else if language_pending.get() {
            shown.copied().unwrap_or(Locale::En)
        } else {
            Locale::En
        }
    });
    let loading_languages = StoredValue::new(Vec::<Locale>::new());
    Effect::new(move |_| {
        let wanted = requested.get();
        if !language_pending.get() || loading_languages.with_value(|l| l.contains(&wanted)) {
            return;
        }
        loading_languages.update_value(|l| l.push(wanted));
        spawn_local(async move {
            match api::fetch_catalog(&config.get_untracked(), wanted).await {
                Some(catalog) => i18n::register(wanted, catalog),
                None => unavailable.update_value(|failed| failed.push(wanted)),
            }
            catalogs_arrived.try_update(|n| *n += 1);
        });
        // A file that does not come in time leaves the list in English
        // rather than waiting; if it arrives later, the words follow.
        set_timeout(
            move || {
                if !i18n::is_ready(wanted) {
                    unavailable.try_update_value(|failed| failed.push(wanted));
                    catalogs_arrived.try_update(|n| *n += 1);
                }
            },
            std::time::Duration::from_millis(LANGUAGE_WAIT_MS),
        );
    });
    let t = move || locale.get().catalog();
    // Relative times ("Last data 2 minutes ago") stay true while open.
    let (clock, set_clock) = signal(js_sys::Date::now() as i64);
    if let Ok(ticker) = set_interval_with_handle(
        move || set_clock.set(js_sys::Date::now() as i64),
        std::time::Duration::from_secs(CLOCK_TICK_SECONDS),
    ) {
        on_cleanup(move || ticker.clear());
    }
    let pending = StoredValue::new_local(None::<PendingPopup>);
    let host = StoredValue::new_local(host);
    let emit = move |event: HostEvent| host.with_value(|host| browser::emit(host, &event));
    let ready_sent = StoredValue::new(false);
    // Loads started so far, and the flow result the next ones must confirm.
    let loads_started = StoredValue::new(0_u32);
    let awaited = StoredValue::new(None::<AwaitedOutcome>);
    let recheck = StoredValue::new(Recheck::default());
    let recheck_timer = StoredValue::new_local(None::<TimeoutHandle>);
    let recheck_due = RwSignal::new(0_u32);
    // The live-updates socket, and whether the next list read was caused
    // by it (then what changed elsewhere is announced).
    let live = StoredValue::new_local(None::<LiveSocket>);
    let heard_live = StoredValue::new(false);

    // A flow's result is announced, and reported to the host, only once a
    // list read after the flow agrees with it; so are connections that
    // finished while the list showed "Finishing connection…".
    let announce_confirmed =
        move |before: Option<ConnectionsResponse>, list: &ConnectionsResponse, load: u32| {
            let mut confirmed = before
                .map(|before| settled_connections(&before, list))
                .unwrap_or_default();
            if let Some((outcome, heard_after)) = awaited.get_value()
                && load > heard_after
            {
                awaited.set_value(None);
                confirmed.extend(confirm_outcome(&outcome, list));
            }
            for outcome in &confirmed {
                emit(outcome.host_event());
            }
            if let Some(last) = confirmed.pop() {
                say(Arc::new(move |t| last.notice(t)));
            }
        };

    let load = move || {
        let load = loads_started.get_value() + 1;
        loads_started.set_value(load);
        spawn_local(async move {
            let result = api::fetch_connections(&config.get_untracked()).await;
            if let Ok(list) = &result {
                session_locale.set(list.locale.clone());
            }
            let t = locale.get_untracked().catalog();
            match &result {
                Ok(_) if !ready_sent.get_value() => {
                    ready_sent.set_value(true);
                    emit(HostEvent::ready());
                }
                Ok(_) => {}
                Err(error) => emit(HostEvent::error(None, error, t)),
            }
            if let Ok(list) = &result {
                let before = state.with_untracked(|state| match state {
                    LoadState::Loaded(before) => Some(before.clone()),
                    _ => None,
                });
                announce_confirmed(before.clone(), list, load);
                let heard = heard_live.try_update_value(std::mem::take).unwrap_or(false);
                if heard
                    && busy.with_untracked(Option::is_none)
                    && let Some(before) = &before
                    && changed_elsewhere(before, list, t).is_some()
                {
                    // Said again in the widget's language if it changes.
                    let (before, after) = (before.clone(), list.clone());
                    say(Arc::new(move |t| {
                        changed_elsewhere(&before, &after, t).unwrap_or_else(|| Notice {
                            text: String::new(),
                            tone: Tone::Neutral,
                        })
                    }));
                }
                if let Some(delay) = recheck.try_update_value(|r| r.after_load(list)).flatten() {
                    let timer = set_timeout_with_handle(
                        move || recheck_due.try_update(|due| *due += 1).unwrap_or_default(),
                        delay,
                    );
                    recheck_timer.try_set_value(timer.ok());
                }
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
    // A row finishing its connection: read again until it settles.
    Effect::new(move |previous: Option<()>| {
        recheck_due.track();
        if previous.is_some() {
            recheck.update_value(Recheck::due);
            load();
        }
    });
    on_cleanup(move || {
        if let Some(Some(timer)) = recheck_timer.try_update_value(Option::take) {
            timer.clear();
        }
    });
    // Back to a tab left open: statuses may have changed elsewhere.
    let visibility = window_event_listener(ev::visibilitychange, move |_| {
        if browser::page_visible() && busy.with_untracked(Option::is_none) {
            load();
        }
    });
    on_cleanup(move || visibility.remove());

    // Live updates: a socket to the user's state says "changed" whenever
    // anything is recorded for the user, by any path; the list is read
    // again then, and after every reconnect (nothing missed while away).
    // Where sockets are blocked, the visibility reconcile above remains.
    let live_due = RwSignal::new(0_u32);
    let live_failures = StoredValue::new(0_u32);
    let live_generation = StoredValue::new(0_u32);
    let live_timer = StoredValue::new_local(None::<TimeoutHandle>);
    let live_session = controls.session.clone();
    let retry_live = move || {
        let failures = live_failures.get_value();
        live_failures.set_value(failures + 1);
        let delay = reconnect_delay_ms(failures, js_sys::Math::random());
        let timer = set_timeout_with_handle(
            move || live_due.try_update(|due| *due += 1).unwrap_or_default(),
            std::time::Duration::from_millis(u64::from(delay)),
        );
        live_timer.try_set_value(timer.ok());
    };
    Effect::new(move |_: Option<()>| {
        live_due.track();
        // A new session from the host: a new ticket.
        live_session.track();
        live.try_set_value(None);
        if let Some(Some(timer)) = live_timer.try_update_value(Option::take) {
            timer.clear();
        }
        let generation = live_generation.get_value() + 1;
        live_generation.set_value(generation);
        let reconnect = generation > 1;
        spawn_local(async move {
            let config = config.get_untracked();
            let ticket = match api::live_ticket(&config).await {
                Ok(ticket) => ticket,
                // The session is over: the host is told by the list read,
                // and a new session opens a new socket.
                Err(LoadError::Problem(problem)) if problem.status == 401 => return,
                Err(_) => return retry_live(),
            };
            if live_generation.try_get_value() != Some(generation) {
                return;
            }
            let Some(url) = socket_url(&config.edge, &ticket) else {
                return;
            };
            let socket = LiveSocket::open(
                &url,
                move || {
                    live_failures.set_value(0);
                    if reconnect {
                        load();
                    }
                },
                move |message: String| {
                    if message.contains("\"changed\"") {
                        heard_live.set_value(true);
                        load();
                    }
                },
                move |code| {
                    if live_generation.try_get_value() != Some(generation) {
                        return;
                    }
                    match Closed::of(code) {
                        Closed::SessionOver => load(),
                        Closed::Reconnect => retry_live(),
                    }
                },
            );
            live.try_set_value(socket);
        });
    });
    on_cleanup(move || {
        live_generation.try_set_value(0);
        live.try_set_value(None);
        if let Some(Some(timer)) = live_timer.try_update_value(Option::take) {
            timer.clear();
        }
    });

    // Back from a redirect flow: clean the URL at once; the result waits
    // for the first list, which must agree with it (anyone can link here
    // with `?healthlink_result=connected`).
    let search = browser::current_search();
    let (outcome, rest) = take_result_params(&search);
    if search.contains("healthlink_") {
        browser::replace_search(&rest);
    }
    awaited.set_value(outcome.map(|outcome| (outcome, loads_started.get_value())));
    load();

    let finish_popup = move |end: PopupEnd| {
        let Some(mut popup) = pending.try_update_value(Option::take).flatten() else {
            return;
        };
        if let Some(watcher) = popup.watcher.take() {
            watcher.clear();
        }
        busy.set(None);
        let source = popup.flow.source();
        match end {
            // Announced once the list re-read below agrees.
            PopupEnd::Reported(outcome) => {
                awaited.set_value(Some((outcome, loads_started.get_value())));
            }
            PopupEnd::ClosedEarly => {
                emit(HostEvent::exit(&source.id));
                let name = source.name.clone();
                say(Arc::new(move |t| popup_closed_notice(&name, t)));
            }
        }
        let _ = popup.window.close();
        load();
    };
    // The popup's result page posts here; `PopupFlow` decides which
    // messages count.
    let listener = window_event_listener(ev::message, move |event: MessageEvent| {
        let data = wire::popup_message(&event.data());
        let end = ask_popup(pending, |popup| {
            popup.flow.receive(PopupMessage {
                origin: event.origin(),
                from_opened_window: browser::sent_by(&event, &popup.window),
                nonce: data.as_ref().and_then(|data| data.nonce.clone()),
                outcome: data.map(|data| data.healthlink),
            })
        });
        if let Some(end) = end {
            finish_popup(end);
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

    let fail = move |source: &SourceConnection, action: FlowAction, error: LoadError| {
        let t = locale.get_untracked().catalog();
        emit(HostEvent::error(Some(&source.id), &error, t));
        busy.set(None);
        let name = source.name.clone();
        say(Arc::new(move |t| failure_notice(&name, action, &error, t)));
    };

    let start_connect = move |source: SourceConnection| {
        let config = config.get_untracked();
        // A popup flow is the window and the nonce its answer must carry;
        // without a nonce there is no popup flow, and the page redirects.
        // The window is opened now, inside the click, or the browser
        // blocks it.
        let popup = (config.flow == Flow::Popup)
            .then(browser::random_nonce)
            .flatten()
            .and_then(|nonce| Some((browser::open_blank_popup()?, nonce)));
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
        busy.set(Some(Busy {
            source: source.id.clone(),
            action: FlowAction::Connect,
        }));
        notice.set(None);
        spawn_local(async move {
            let nonce = popup.as_ref().map(|(_, nonce)| nonce.as_str());
            let answer = api::connect(&config, &source.id, flow, return_url, nonce)
                .await
                .and_then(|url| {
                    navigable_connect_url(&url)
                        .then_some(url)
                        .ok_or(LoadError::RefusedConnectUrl)
                });
            match answer {
                Ok(url) => match popup {
                    Some((window, nonce)) => {
                        browser::navigate(&window, &url);
                        let watched = window.clone();
                        let watcher = set_interval_with_handle(
                            move || {
                                let closed = watched.closed().unwrap_or(true);
                                if let Some(end) =
                                    ask_popup(pending, |popup| popup.flow.tick(closed))
                                {
                                    finish_popup(end);
                                }
                            },
                            std::time::Duration::from_millis(400),
                        )
                        .ok();
                        pending.set_value(Some(PendingPopup {
                            window,
                            watcher,
                            flow: PopupFlow::new(source, &config.edge, nonce),
                        }));
                    }
                    None => browser::go_to(&url),
                },
                Err(error) => {
                    if let Some((window, _)) = popup {
                        let _ = window.close();
                    }
                    fail(&source, FlowAction::Connect, error);
                }
            }
        });
    };

    // Optimistic: the row says "Disconnecting…" from the click on; the
    // edge's answer replaces that, and a failure puts the row back as it was.
    // `ending` is the user's choice: keep the shared data or have it deleted.
    let start_disconnect = move |source: SourceConnection, ending: Ending| {
        let config = config.get_untracked();
        busy.set(Some(Busy {
            source: source.id.clone(),
            action: FlowAction::Disconnect,
        }));
        notice.set(None);
        spawn_local(async move {
            match api::disconnect(&config, &source.id, ending).await {
                Ok(status) => {
                    state.update(|state| {
                        if let LoadState::Loaded(list) = state {
                            apply_status(list, &source.id, status);
                        }
                    });
                    busy.set(None);
                    let name = source.name.clone();
                    say(Arc::new(move |t| ending.notice(&name, status, t)));
                    emit(HostEvent::disconnect(&source.id, status, ending));
                    load();
                }
                Err(error) => {
                    fail(&source, FlowAction::Disconnect, error);
                    load();
                }
            }
        });
    };

    // Disconnecting asks first; the answer (a choice, or `None` for Cancel)
    // comes back here.
    let (asking, set_asking) = signal(None::<SourceConnection>);
    let on_answer = Callback::new(move |chosen: Option<Ending>| {
        let Some(source) = asking.get_untracked() else {
            return;
        };
        set_asking.set(None);
        // Focus back to the row's button, as modal dialogs must.
        host.with_value(|host| browser::focus_action(host, &source.id));
        if let Some(ending) = chosen {
            start_disconnect(source, ending);
        }
    });
    // Phone-only sources: the QR code and the link, in a dialog.
    let (showing_phone, set_showing_phone) = signal(None::<SourceConnection>);
    let on_phone_closed = Callback::new(move |()| {
        if let Some(source) = showing_phone.get_untracked() {
            set_showing_phone.set(None);
            host.with_value(|host| browser::focus_action(host, &source.id));
        }
    });

    // A source with a purpose line shows it before its flow opens;
    // Continue opens the flow from its own click (a popup needs one).
    let (asking_purpose, set_asking_purpose) = signal(None::<SourceConnection>);
    let on_purpose = Callback::new(move |proceed: bool| {
        let Some(source) = asking_purpose.get_untracked() else {
            return;
        };
        set_asking_purpose.set(None);
        host.with_value(|host| browser::focus_action(host, &source.id));
        if proceed {
            start_connect(source);
        }
    });

    let on_action = Callback::new(move |source: SourceConnection| {
        if busy.with_untracked(Option::is_some) {
            return;
        }
        match row_action(&source) {
            Some(action) if asks_purpose_first(&source, action) => {
                set_asking_purpose.set(Some(source));
            }
            Some(RowAction::Connect | RowAction::Reconnect) => start_connect(source),
            Some(RowAction::Disconnect) => set_asking.set(Some(source)),
            Some(RowAction::ConnectOnPhone) => set_showing_phone.set(Some(source)),
            None => {}
        }
    });

    // The first list waits for its language's file, so a German user
    // never sees it in English first; later switches keep the list.
    let listed_once = StoredValue::new(false);
    let phase = Memo::new(move |_| {
        let language_pending = language_pending.get();
        state.with(|state| match state {
            LoadState::Loading => Phase::Loading,
            _ if language_pending && !listed_once.get_value() => Phase::Loading,
            LoadState::Failed(error) => Phase::Failed(error.clone()),
            LoadState::Loaded(_) => {
                listed_once.set_value(true);
                Phase::Loaded
            }
        })
    });
    // The rows are rebuilt (in place: same elements, so focus stays) only
    // when the set of sources changes, which is rare; each row follows its
    // own source's changes through its memos.
    let ids = Memo::new(move |_| {
        state.with(|state| match state {
            LoadState::Loaded(list) => list.sources.iter().map(|s| s.id.clone()).collect(),
            _ => Vec::<String>::new(),
        })
    });
    let row = move |id: String| {
        let source = {
            let id = id.clone();
            Memo::new(move |_| {
                state.with(|state| match state {
                    LoadState::Loaded(ConnectionsResponse { sources, .. }) => {
                        sources.iter().find(|source| source.id == id).cloned()
                    }
                    _ => None,
                })
            })
        };
        let busy = Memo::new(move |_| {
            busy.with(|busy| {
                busy.as_ref()
                    .filter(|busy| busy.source == id)
                    .map(|busy| busy.action)
            })
        });
        view! { <SourceRow source busy on_action locale clock/> }
    };

    let shown_notice =
        Memo::new(move |_| notice.with(|saying| saying.as_ref().map(|saying| saying(t()))));

    view! {
        <section class="hl-card" aria-labelledby="hl-title" lang=move || t().lang>
            <h2 id="hl-title" class="hl-title">{move || t().title}</h2>
            <p class="hl-subtitle">{move || t().subtitle}</p>
            <p class="hl-notice" role="status" aria-live="polite" data-testid="notice"
                data-tone=move || shown_notice.with(|n| n.as_ref().map(|n| match n.tone {
                    Tone::Success => "success",
                    Tone::Neutral => "neutral",
                    Tone::Problem => "problem",
                }))
            >
                {move || shown_notice.with(|n| n.as_ref().map(|n| n.text.clone()))}
            </p>
            {move || match phase.get() {
                Phase::Loading => view! { <SkeletonList label=Signal::derive(move || t().loading)/> }.into_any(),
                Phase::Failed(error) => {
                    let message = Signal::derive(move || error.message(t()));
                    view! { <LoadErrorPanel message on_retry=retry retry_label=Signal::derive(move || t().retry)/> }
                        .into_any()
                }
                Phase::Loaded => {
                    view! {
                        <ul class="hl-list" data-testid="source-list">
                            {move || ids.get().into_iter().map(row).collect_view()}
                        </ul>
                    }
                        .into_any()
                }
            }}
            <ConfirmDisconnect asking on_answer locale/>
            <PhoneDialog showing=showing_phone on_close=on_phone_closed locale/>
            <PurposeDialog asking=asking_purpose on_answer=on_purpose locale/>
        </section>
    }
}
