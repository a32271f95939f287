//! The JavaScript-facing entry: mounts one widget into one host element.

use std::any::Any;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use web_sys::{CssStyleSheet, HtmlElement, ShadowRootInit, ShadowRootMode};

use crate::components::app::App;
use crate::controls::Controls;
use crate::model::WidgetConfig;

/// The widget's stylesheet, adopted by each shadow root. A constructed
/// stylesheet (not a `<style>` element) keeps the widget working under a
/// Content-Security-Policy that forbids inline styles.
const STYLESHEET: &str = include_str!(concat!(env!("OUT_DIR"), "/style.min.css"));

/// A mounted widget. Dropping or unmounting it removes the view and stops its
/// reactive system.
#[wasm_bindgen]
pub struct WidgetHandle {
    view: Option<Box<dyn Any>>,
    controls: Controls,
}

#[wasm_bindgen]
impl WidgetHandle {
    pub fn unmount(&mut self) {
        self.view.take();
    }

    /// Uses a new session token from now on and reloads the list; the
    /// widget keeps its place (no remount).
    pub fn set_session(&self, session: String) {
        self.controls.session.set(session.trim().to_owned());
    }

    /// Speaks `locale` (the element's new `locale` attribute, may be empty)
    /// from now on: the same widget, list, notice and open dialog, in the
    /// new words (no remount, no reload).
    pub fn set_locale(&self, locale: String) {
        self.controls.locale.set(locale);
    }

    /// Reconciles the status list with the edge now.
    pub fn refresh(&self) {
        self.controls.refresh.notify();
    }
}

/// Renders the widget inside `host`'s shadow root, talking to `edge` with the
/// bearer `session`; `flow` is `popup` (default) or `redirect`; `locale` is
/// the element's `locale` attribute (may be empty).
#[wasm_bindgen]
pub fn mount(
    host: HtmlElement,
    edge: String,
    session: String,
    flow: String,
    locale: String,
) -> Result<WidgetHandle, JsValue> {
    let shadow = match host.shadow_root() {
        Some(shadow) => shadow,
        None => host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))?,
    };
    shadow.set_inner_html("");

    let sheet = CssStyleSheet::new()?;
    sheet.replace_sync(STYLESHEET)?;
    js_sys::Reflect::set(
        &shadow,
        &JsValue::from_str("adoptedStyleSheets"),
        &js_sys::Array::of1(&sheet),
    )?;

    let document = host
        .owner_document()
        .ok_or("the host element has no document")?;
    let container: HtmlElement = document.create_element("div")?.unchecked_into();
    container.set_class_name("hl-root");
    shadow.append_child(&container)?;

    let config = WidgetConfig::new(&edge, &session, &flow);
    let controls = Controls {
        session: ArcRwSignal::new(config.session.clone()),
        locale: ArcRwSignal::new(locale),
        refresh: ArcTrigger::new(),
    };
    let app_controls = controls.clone();
    let view = leptos::mount::mount_to(container, move || {
        view! { <App config host controls=app_controls/> }
    });
    Ok(WidgetHandle {
        view: Some(Box::new(view)),
        controls,
    })
}
