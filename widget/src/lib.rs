//! The Healthlink widget.
//!
//! `healthlink.js` (the script a host page includes) defines the
//! `<healthlink-connect>` element and calls [`mount`] for each one. The widget
//! renders into the element's shadow root, so the host's CSS and ours never
//! meet. Plain state logic lives in `model` and is tested natively; `api` is
//! the only code that knows the edge's URLs; `components` are thin views.

pub mod i18n;
pub mod model;
#[cfg(test)]
mod stylesheet_tests;

#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
mod browser;
#[cfg(target_arch = "wasm32")]
mod components;
#[cfg(target_arch = "wasm32")]
mod controls;
#[cfg(target_arch = "wasm32")]
mod intl;
#[cfg(target_arch = "wasm32")]
mod live_socket;
#[cfg(target_arch = "wasm32")]
mod mount;
#[cfg(target_arch = "wasm32")]
mod wire;

#[cfg(target_arch = "wasm32")]
pub use mount::{WidgetHandle, mount};
