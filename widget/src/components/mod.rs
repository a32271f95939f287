//! The widget's views, one component per file.

pub mod app;
pub mod confirm_dialog;
pub mod load_error;
pub mod modal;
pub mod phone_dialog;
pub mod purpose_dialog;
pub mod skeleton;
pub mod source_row;
