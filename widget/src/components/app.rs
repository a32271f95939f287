//! The whole widget: a heading and the source list in its current state.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::fetch_connections;
use crate::components::load_error::LoadErrorPanel;
use crate::components::skeleton::SkeletonList;
use crate::components::source_row::SourceRow;
use crate::model::{LoadState, WidgetConfig};

/// Shows the user's data sources, loading them from the edge on mount.
#[component]
pub fn App(config: WidgetConfig) -> impl IntoView {
    let state = RwSignal::new(LoadState::Loading);
    let config = StoredValue::new(config);
    let load = move || {
        state.set(LoadState::Loading);
        spawn_local(async move {
            let result = fetch_connections(&config.get_value()).await;
            state.set(match result {
                Ok(list) => LoadState::Loaded(list),
                Err(error) => LoadState::Failed(error),
            });
        });
    };
    load();

    view! {
        <section class="hl-card" aria-labelledby="hl-title">
            <h2 id="hl-title" class="hl-title">"Connected data sources"</h2>
            <p class="hl-subtitle">"Choose which apps and devices share data with this service."</p>
            {move || match state.get() {
                LoadState::Loading => view! { <SkeletonList/> }.into_any(),
                LoadState::Failed(error) => {
                    view! { <LoadErrorPanel message=error.message() on_retry=load/> }.into_any()
                }
                LoadState::Loaded(list) => {
                    view! {
                        <ul class="hl-list" data-testid="source-list">
                            {list
                                .sources
                                .into_iter()
                                .map(|source| view! { <SourceRow source/> })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}
