//! One file per view. Each reads the state, edits only `state.ui` (forms, selection) and
//! returns the commands the user asked for; none holds an engine handle.

pub mod about;
pub mod account;
pub mod call_media;
pub mod call_tools;
pub mod calls;
pub mod chat;
pub mod contact_page;
pub mod contacts;
pub mod file_picker;
pub mod groups;
pub mod recent;
pub mod settings;
pub mod sidebar;
pub mod sip_form;
pub mod timeline;
pub mod welcome;
pub mod wizard;
